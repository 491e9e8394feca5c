"""When an admin loads a year's holiday schedule, the open deadlines decided on the provisional
calendar are computed again (domain.md §5): due days move, the flag clears, the final report's
timers move with its deadline (as an extension moves them), each matter's timeline says so."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Engine, ProcessInstance, set_variables
from app.supervision import deadlines as rules
from app.supervision.calendar import WorkCalendar, default_calendar
from app.supervision.matter_lights import refresh_light
from app.supervision.matters import timer_variables
from app.supervision.models import Assignment, Matter, MatterDeadline
from app.supervision.timeline import note


@dataclass(frozen=True)
class Moved:
    """One deadline computed again: from and to."""

    deadline: MatterDeadline
    before: date
    after: date


def recompute_provisional(engine: Engine, session: Session, *, year: int, actor: str) -> int:
    """Compute again every open deadline decided on a provisional calendar whose period touches
    `year` (whose schedule is now loaded); returns how many deadlines changed."""
    calendar = default_calendar()
    found = session.execute(
        select(MatterDeadline, Matter)
        .join(Matter, Matter.id == MatterDeadline.matter_id)
        .where(
            MatterDeadline.calendar_basis == "provisional",
            MatterDeadline.done_on.is_(None),
            Matter.status != "closed",
        )
        .order_by(Matter.id, MatterDeadline.due)
    ).all()
    by_matter: dict[uuid.UUID, tuple[Matter, list[Moved]]] = {}
    for deadline, matter in found:
        if year not in _years(deadline, matter):
            continue
        before = deadline.due
        _compute_again(deadline, matter, calendar)
        by_matter.setdefault(matter.id, (matter, []))[1].append(
            Moved(deadline, before, deadline.due)
        )
    for matter, moved in by_matter.values():
        _follow(engine, session, matter, moved, year=year, actor=actor)
    return sum(len(moved) for _, moved in by_matter.values())


def _years(deadline: MatterDeadline, matter: Matter) -> range:
    first = min(deadline.nominal_due or deadline.due, matter.assigned_on, deadline.due)
    return range(first.year, deadline.due.year + 1)


def _compute_again(deadline: MatterDeadline, matter: Matter, calendar: WorkCalendar) -> None:
    """The deadline by the calendar now: a period re-rolled from its nominal last day, a
    sign-for counted again in working days, a given date kept (only its basis changes)."""
    if deadline.nominal_due is not None and deadline.original_due is None:
        again = rules.reroll(deadline.rule, deadline.nominal_due, calendar)
        deadline.due, deadline.rule = again.due, again.rule
        deadline.rolled_from, deadline.calendar_basis = again.rolled_from, again.calendar_basis
        return
    if deadline.kind == "sign_for" and deadline.basis == "working":
        again = rules.follow_up_due(rules.FollowUp.REMIT_OBJECTION, matter.assigned_on)
        deadline.due, deadline.calendar_basis = again.due, again.calendar_basis
        return
    deadline.calendar_basis = calendar.basis(deadline.due)


def _follow(
    engine: Engine, session: Session, matter: Matter, moved: list[Moved], *, year: int, actor: str
) -> None:
    """What hangs on the moved deadlines: the final due day and its timers, sign-for days, the
    light, one timeline entry."""
    for item in moved:
        deadline = item.deadline
        if deadline.kind == "sign_for" and item.after != item.before:
            for assignment in session.scalars(
                select(Assignment).where(
                    Assignment.matter_id == matter.id,
                    Assignment.unit_code == deadline.unit_code,
                    Assignment.sign_due == item.before,
                )
            ):
                assignment.sign_due = item.after
        if deadline.kind == "final_report":
            matter.final_due = deadline.due
            _move_final_timers(engine, session, matter, actor=actor)
    changes = "；".join(
        f"{m.deadline.label} {m.before} → {m.after}"
        if m.after != m.before
        else f"{m.deadline.label} {m.after}（不变）"
        for m in moved
    )
    note(
        session,
        matter,
        "deadlines_recomputed",
        f"{year}年放假安排已载入，按正式安排重新计算时限：{changes}",
        actor=actor,
        data={
            "year": year,
            "changes": [
                {
                    "deadline_id": str(m.deadline.id),
                    "label": m.deadline.label,
                    "from": m.before.isoformat(),
                    "to": m.after.isoformat(),
                    "calendar_basis": m.deadline.calendar_basis,
                }
                for m in moved
            ],
        },
    )
    refresh_light(session, matter)


def _move_final_timers(engine: Engine, session: Session, matter: Matter, *, actor: str) -> None:
    """The final report's reminder, urging and escalation timers, by the calendar now."""
    if matter.instance_id is None:
        return
    instance = session.get(ProcessInstance, matter.instance_id)
    if instance is None or instance.status != "running":
        return
    set_variables(
        engine,
        session,
        instance_id=matter.instance_id,
        variables=timer_variables(matter.final_due),
        actor=actor,
    )
