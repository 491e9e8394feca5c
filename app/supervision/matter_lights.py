"""A matter's lights (domain.md §7): each deadline's by `lights.deadline_light`, the matter's
the worst of its open ones — stored (for lists, filters and the dashboard) and read live."""

import uuid
from datetime import date

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.kit.clock import clock
from app.kit.timezone import CHINA
from app.supervision import lights
from app.supervision.matter_deadlines import deadlines_of
from app.supervision.models import Matter, MatterDeadline
from app.supervision.timeline import light_word, note

# Open, as a literal: the open-matter index is partial (`status <> 'closed'`), and a prepared
# statement's generic plan cannot prove a parameter's value.
CLOSED = "closed"
OPEN = Matter.status != literal_column(f"'{CLOSED}'")


def _lights(
    matter: Matter, deadlines: list[MatterDeadline]
) -> tuple[lights.Light, dict[uuid.UUID, lights.Light]]:
    day = clock.now().astimezone(CHINA).date()
    by_deadline = {d.id: lights.deadline_light(d.due, d.done_on, day) for d in deadlines}
    if matter.status == "closed":
        return lights.Light(matter.light), by_deadline
    return lights.matter_light(by_deadline.values()), by_deadline


def live_lights(
    session: Session, matter: Matter, deadlines: list[MatterDeadline] | None = None
) -> tuple[lights.Light, dict[uuid.UUID, str]]:
    """The matter's light and each deadline's by the clock now, as the detail answers them
    (nothing is written; the stored lights follow at the next step or sweep). `deadlines` are
    the matter's, when the caller has read them all."""
    if deadlines is None:
        deadlines = deadlines_of(session, matter)
    light, by_deadline = _lights(matter, deadlines)
    return light, {k: v.value for k, v in by_deadline.items()}


def refresh_light(session: Session, matter: Matter) -> None:
    """Store the lights by the clock now; a change of the matter's light goes on its timeline
    (and out as `matter.light_changed`). A closed matter keeps its last light."""
    if matter.status == "closed":
        return
    deadlines = deadlines_of(session, matter)
    light, by_deadline = _lights(matter, deadlines)
    for deadline in deadlines:
        deadline.light = by_deadline[deadline.id].value
    if light != matter.light:
        note(
            session,
            matter,
            "light_changed",
            f"状态灯：{light_word(matter.light)} → {light_word(light)}",
            data={"from": matter.light, "to": light.value},
        )
        matter.light = light.value


def overdue(today: date) -> ColumnElement[bool]:
    """SQL: the matter is open and one of its deadlines is red by the clock (`lights.past_due`) —
    the `overdue` filter of the list, the dashboard's overdue counts."""
    red = select(MatterDeadline.matter_id).where(
        lights.past_due(MatterDeadline.due, MatterDeadline.done_on, today)
    )
    return OPEN & Matter.id.in_(red)
