"""督办升级阶梯 — the escalation ladder of domain.md §7, read in one place.

The rule is the decision table `processes/escalation_ladder.dmn`, not code: from a light, the
working days it has been red and the count of reds it answers the action, the grade of the 督办单,
whether a bulletin entry is due and the proposal of a talk or accountability. The 督办单's grade,
the bulletin's suggested entries and the accountability suggestions all ask it here. An office
edits the table and deploys it again (`POST /api/v1/decisions`); the next question reads the new
version, without a restart. An answer this module does not know is a 422 naming the output.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Engine
from app.kit.errors import DomainError
from app.kit.timezone import CHINA
from app.supervision.calendar import default_calendar
from app.supervision.models import Matter, MatterDeadline, Urging

KEY = "escalation_ladder"
ACTIONS = ("none", "reminder", "urging", "graded_urging")
# The graded urging notices (督办单): label and colour of each grade the table may name.
GRADES = {
    "blue": ("蓝色督办单", "0070C0"),
    "orange": ("橙色督办单", "ED7D31"),
    "red": ("红色督办单", "C00000"),
}
# A talk or an accountability decision, chosen by whether the lateness reached the leader.
TALK_OR_ACCOUNTABILITY = "admonitory_talk_or_accountability"
# The proposals the table may name: the combined one, or one measure of app.results.accountability.
PROPOSALS = (
    TALK_OR_ACCOUNTABILITY,
    "criticism",
    "admonitory_talk",
    "accountability_decision",
    "clue_transfer",
)
OUTPUTS = ("action", "grade", "bulletin_entry", "proposal")
ESCALATIONS = ("escalate", "escalate_leader")


class UnknownLadderOutput(DomainError):
    """The escalation ladder's table answers an output this service cannot act on."""

    status, code = 422, "unknown_ladder_output"


@dataclass(frozen=True)
class Facts:
    """What the ladder is asked: a light, its working days red, the count of reds."""

    light: str
    red_workdays: int
    reds: int


@dataclass(frozen=True)
class Step:
    """The ladder's answer (one rule's outputs)."""

    action: str
    grade: str | None
    bulletin_entry: bool
    proposal: str | None


NOTHING = Step(action="none", grade=None, bulletin_entry=False, proposal=None)


def decide(engine: Engine, session: Session, facts: Facts) -> Step:
    """The deployed ladder's step for `facts` (no rule matching: nothing to do); 422 naming the
    output when the table answers an action, grade, flag or proposal this service does not know."""
    answer = engine.decide(
        session,
        KEY,
        {"light": facts.light, "red_workdays": facts.red_workdays, "reds": facts.reds},
    )
    if answer is None:
        return NOTHING
    if not isinstance(answer, dict):
        raise UnknownLadderOutput(
            f"decision '{KEY}' must answer one rule's outputs (hit policy UNIQUE, FIRST, "
            f"PRIORITY or ANY), not a {type(answer).__name__}"
        )
    return Step(
        action=_required(answer, "action", ACTIONS),
        grade=_optional(answer, "grade", tuple(GRADES)),
        bulletin_entry=_flag(answer, "bulletin_entry"),
        proposal=_optional(answer, "proposal", PROPOSALS),
    )


def _output(answer: dict[str, Any], name: str) -> Any:
    if name not in answer:
        raise UnknownLadderOutput(
            f"decision '{KEY}' has no output '{name}': the ladder answers {', '.join(OUTPUTS)}"
        )
    return answer[name]


def _required(answer: dict[str, Any], name: str, known: tuple[str, ...]) -> str:
    value = _output(answer, name)
    if value not in known:
        raise UnknownLadderOutput(
            f"decision '{KEY}' output '{name}' is {value!r}: it must be one of {', '.join(known)}"
        )
    return str(value)


def _optional(answer: dict[str, Any], name: str, known: tuple[str, ...]) -> str | None:
    if _output(answer, name) is None:
        return None
    return _required(answer, name, known)


def _flag(answer: dict[str, Any], name: str) -> bool:
    value = _output(answer, name)
    if not isinstance(value, bool):
        raise UnknownLadderOutput(
            f"decision '{KEY}' output '{name}' is {value!r}: it must be true or false"
        )
    return value


def china_day(when: datetime) -> date:
    """The day (China time) of an instant."""
    return when.astimezone(CHINA).date()


def urging_facts(session: Session, urgings: Iterable[Urging]) -> dict[uuid.UUID, Facts]:
    """What the ladder is asked about each urging (催办/督办): red (an urging goes out only while
    its deadline is red), the working days from the due day to the urging, and the escalations
    of that matter to that unit up to it (an escalation's own order: 1st, 2nd, …)."""
    chosen = list(urgings)
    if not chosen:
        return {}
    matter_ids = {u.matter_id for u in chosen}
    deadline_ids = {u.deadline_id for u in chosen if u.deadline_id is not None}
    final_due = dict(
        session.execute(select(Matter.id, Matter.final_due).where(Matter.id.in_(matter_ids))).all()
    )
    due_of = dict(
        session.execute(
            select(MatterDeadline.id, MatterDeadline.due).where(MatterDeadline.id.in_(deadline_ids))
        ).all()
    )
    escalations = session.execute(
        select(Urging.matter_id, Urging.unit_code, Urging.at, Urging.id).where(
            Urging.matter_id.in_(matter_ids), Urging.kind.in_(ESCALATIONS)
        )
    )
    ordered: dict[tuple[uuid.UUID, str], list[tuple[datetime, uuid.UUID]]] = {}
    for matter_id, unit, at, urging_id in escalations:
        ordered.setdefault((matter_id, unit), []).append((at, urging_id))
    calendar = default_calendar()
    out = {}
    for urging in chosen:
        due = due_of.get(urging.deadline_id) if urging.deadline_id else None
        since = due if due is not None else final_due[urging.matter_id]
        mine = (urging.at, urging.id)
        earlier = ordered.get((urging.matter_id, urging.unit_code), [])
        out[urging.id] = Facts(
            light="red",
            red_workdays=calendar.workdays_between(since, china_day(urging.at)),
            reds=sum(1 for e in earlier if e <= mine),
        )
    return out


def urging_steps(
    engine: Engine, session: Session, urgings: Iterable[Urging]
) -> dict[uuid.UUID, Step]:
    """The ladder's step for each urging (each distinct question asked once)."""
    answers: dict[Facts, Step] = {}
    out = {}
    for urging_id, facts in urging_facts(session, urgings).items():
        if facts not in answers:
            answers[facts] = decide(engine, session, facts)
        out[urging_id] = answers[facts]
    return out
