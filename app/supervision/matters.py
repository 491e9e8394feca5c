"""Register a matter (立项): compute its deadlines, record its parts, start its process."""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.config import get_settings
from app.engine import Engine, Outcome, start_instance
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData
from app.kit.timezone import CHINA
from app.org.models import Unit
from app.sequences import next_code
from app.supervision import deadlines as rules
from app.supervision import reach, tally  # noqa: F401 (kept with every matter written)
from app.supervision.calendar import default_calendar
from app.supervision.deadlines import Deadline, FollowUp, SourceType
from app.supervision.lights import deadline_light
from app.supervision.matter_deadlines import none_yet
from app.supervision.matter_lights import refresh_light
from app.supervision.models import Assignment, Matter, MatterDeadline
from app.supervision.schemas import MatterIn
from app.supervision.timeline import note

PROCESS_KEY = "supervision_matter"
LOOK_BACK_KEY = "matter_look_back"
# seed 二(二): leaders' instructions and important meetings/documents are planned jointly.
JOINT_SOURCES = frozenset({SourceType.LEADER_INSTRUCTION, SourceType.MEETING, SourceType.DOCUMENT})


def today() -> date:
    """Today in China."""
    return clock.now().astimezone(CHINA).date()


def at(day: date, hour: int = 0) -> str:
    """An ISO instant in China time, as BPMN timers read it."""
    return datetime.combine(day, time(hour), CHINA).isoformat()


def register(
    engine: Engine, session: Session, body: MatterIn, *, actor: str, owner_unit: str
) -> tuple[Matter, Outcome]:
    """Create the matter, its assignments and deadlines, and start its BPMN process."""
    _check_units(session, body)
    assigned = body.assigned_on or today()
    try:
        computed = rules.deadlines_for(
            body.source_type,
            assigned,
            explicit_due=body.explicit_due,
            complex_npc=body.complex_npc,
        )
    except ValueError as exc:
        raise InvalidData(
            str(exc), errors=[{"field": "explicit_due", "message": str(exc)}]
        ) from exc
    final, periodic = computed[-1], computed[:-1]
    matter = Matter(
        id=uuid.uuid4(),
        code=_next_code(session, assigned),
        title=body.title,
        content=body.content,
        category=body.category,
        source_type=body.source_type.value,
        source_ref=body.source_ref,
        lead_unit=body.lead_unit,
        co_units=list(body.co_units),
        owner_unit=owner_unit,
        assigned_on=assigned,
        final_due=final.due,
        status="planning",
        light="green",
        parent_id=body.parent_id,
        complex_npc=body.complex_npc,
        created_by=actor,
        created_at=clock.now(),
    )
    none_yet(session, matter)  # before its flush: the rows that refer to it are kept with it
    session.add(matter)
    session.flush()
    plan = _assignments(session, matter, final, periodic, assigned)
    outcome = start_instance(
        engine,
        session,
        process_key=PROCESS_KEY,
        version=None,
        business_key=str(matter.id),
        variables=_variables(matter, body, final, plan),
        actor=actor,
        unit_code=owner_unit,
    )
    matter.instance_id = outcome.instance_id
    note(
        session,
        matter,
        "registered",
        f"立项：{matter.title}（{final.label}时限 {final.due}）",
        actor=actor,
        data={"deadlines": [d.as_variables() for d in computed]},
    )
    # domain.md §7: lit at once — a sign-for due in 3 working days is yellow on the first day.
    refresh_light(session, matter)
    return matter, outcome


def _check_units(session: Session, body: MatterIn) -> None:
    codes = [("lead_unit", body.lead_unit)] + [
        (f"co_units/{i}", c) for i, c in enumerate(body.co_units)
    ]
    if body.division_unit:
        codes.append(("division_unit", body.division_unit))
    unknown = [
        {"field": f, "message": f"unknown unit '{c}'"}
        for f, c in codes
        if session.get(Unit, c) is None
    ]
    if body.lead_unit in body.co_units:
        unknown.append({"field": "co_units", "message": "the lead unit cannot also co-operate"})
    if unknown:
        raise InvalidData("the matter names units that cannot take it", errors=unknown)


def _next_code(session: Session, assigned: date) -> str:
    return next_code(session, Matter.code, f"DC-{assigned.year}-")


def _assignments(
    session: Session, matter: Matter, final: Deadline, periodic: list[Deadline], assigned: date
) -> list[dict[str, Any]]:
    """One assignment per unit with its deadlines; returns them as BPMN variables."""
    sign = rules.follow_up_due(FollowUp.REMIT_OBJECTION, assigned)
    co_opinion = rules.follow_up_due(FollowUp.CO_UNIT_OPINION, assigned)
    plan = []
    units = [(matter.lead_unit, "lead")] + [(c, "co") for c in matter.co_units]
    for unit, role in units:
        assignment = Assignment(
            matter_id=matter.id, unit_code=unit, role=role, receipt="pending", sign_due=sign.due
        )
        session.add(assignment)
        _deadline(session, matter, unit, sign, kind="sign_for")
        reports = [_deadline(session, matter, unit, d) for d in periodic]
        co_due = min(co_opinion.due, final.due)
        if role == "co":
            _deadline(
                session,
                matter,
                unit,
                co_opinion if co_opinion.due <= final.due else final,
                kind="co_report",
                label="向牵头单位报送意见",
            )
        plan.append(
            {
                "unit": unit,
                "role": role,
                "sign_due": sign.due.isoformat(),
                "sign_overdue_at": at(sign.due + timedelta(days=1)),
                "co_due": co_due.isoformat(),
                "reports": [_report_variables(d) for d in reports],
            }
        )
    _deadline(session, matter, matter.lead_unit, final, kind="final_report")
    return plan


def _deadline(
    session: Session,
    matter: Matter,
    unit: str,
    deadline: Deadline,
    *,
    kind: str | None = None,
    label: str | None = None,
) -> MatterDeadline:
    row = MatterDeadline(
        matter_id=matter.id,
        unit_code=unit,
        kind=kind or deadline.kind,
        label=label or deadline.label,
        due=deadline.due,
        rule=deadline.rule,
        basis=deadline.basis,
        calendar_basis=deadline.calendar_basis,
        rolled_from=deadline.rolled_from,
        nominal_due=deadline.nominal,
        # Lit as the matter's lights will find it (domain.md §7), so that they change nothing.
        light=deadline_light(deadline.due, None, today()).value,
    )
    session.add(row)
    return row


def _report_variables(row: MatterDeadline) -> dict[str, str]:
    return {
        "label": row.label,
        "due": row.due.isoformat(),
        "due_at": at(row.due + timedelta(days=1)),
        "warn_at": at(warning_at(row.due), 9),
    }


def warning_at(due: date) -> date:
    """domain.md §7: the yellow window opens N (default 3) working days before the due date."""
    window = get_settings().warning_window_days
    return rules.warning_start(due, window=window, calendar=default_calendar())


def timer_variables(due: date) -> dict[str, str]:
    """The final report's timers (domain.md §7): yellow, red the day after due, 督办 to the unit
    head after N working days still red, then to the leader in charge after M."""
    settings, calendar = get_settings(), default_calendar()
    escalate = calendar.add_workdays(due, settings.escalate_after_workdays)
    escalate_leader = calendar.add_workdays(due, settings.escalate_leader_after_workdays)
    return {
        "final_due": due.isoformat(),
        "final_warn_at": at(warning_at(due), 9),
        "final_due_at": at(due + timedelta(days=1)),
        "final_escalate_at": at(escalate, 9),
        "final_escalate_leader_at": at(escalate_leader, 9),
    }


def _variables(
    matter: Matter, body: MatterIn, final: Deadline, plan: list[dict[str, Any]]
) -> dict[str, Any]:
    joint = body.joint if body.joint is not None else body.source_type in JOINT_SOURCES
    return {
        "matter_id": str(matter.id),
        "matter_code": matter.code,
        "title": matter.title,
        "source_type": matter.source_type,
        "category": matter.category,
        "plan_title": matter.title,
        "plan_content": matter.content,
        "lead_unit": matter.lead_unit,
        "matter_lead_unit": matter.lead_unit,
        "co_units": list(matter.co_units),
        "joint": joint,
        "division_unit": body.division_unit,
        "assignments": plan,
        "reopened": False,
        **timer_variables(final.due),
    }


class NotClosed(DomainError):
    status, code = 409, "matter_not_closed"


def schedule_look_back(
    engine: Engine,
    session: Session,
    matter: Matter,
    *,
    check_days: int,
    rectify_days: int,
    actor: str,
    owner_unit: str,
) -> Outcome:
    """seed 四(一): 回头看 — re-check a closed matter; a failed check reopens its handling."""
    if matter.status != "closed":
        raise NotClosed("only a closed matter can be looked back at")
    start = today()
    check_due = rules.add_days(start, check_days)
    rectify_due = rules.add_days(check_due, rectify_days)
    variables = {
        "matter_id": str(matter.id),
        "matter_code": matter.code,
        "title": matter.title,
        "matter_lead_unit": matter.lead_unit,
        "check_due": check_due.isoformat(),
        "rectify_due": rectify_due.isoformat(),
    }
    outcome = start_instance(
        engine,
        session,
        process_key=LOOK_BACK_KEY,
        version=None,
        business_key=str(matter.id),
        variables=variables,
        actor=actor,
        unit_code=owner_unit,
    )
    note(
        session,
        matter,
        "look_back_scheduled",
        f"安排回头看，复核时限 {check_due}",
        actor=actor,
        data={"instance_id": str(outcome.instance_id)},
    )
    return outcome
