"""What a step of a matter's process means for the matter: receipts, reports, urgings, lights.

Registered as step handlers (`register`, app.engine.steps); they run inside the step's
transaction. The diagram marks the elements it cares about with `matterStep` (user tasks) and
`matterEvent` (end events after timers and at the end) extension properties.
"""

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import CompletedElement, ElementHandler, StepContext, StepRegistry
from app.kit.clock import clock
from app.kit.errors import DomainError
from app.supervision import lights, urgings
from app.supervision.calendar import default_calendar
from app.supervision.matter_deadlines import deadlines_of
from app.supervision.matter_lights import refresh_light
from app.supervision.matters import LOOK_BACK_KEY, PROCESS_KEY, today
from app.supervision.models import Assignment, Matter, MatterDeadline, ProgressReport
from app.supervision.timeline import note, unit_label

Handler = Callable[[Session, Matter, CompletedElement, str | None], None]


PROPERTIES = ("matterStep", "matterEvent")


def register(steps: StepRegistry) -> None:
    """This domain's step handlers: one per marker of the matter diagrams; lights after."""
    domain = steps.domain("supervision", PROPERTIES, (PROCESS_KEY, LOOK_BACK_KEY))
    for value, handler in STEP_HANDLERS.items():
        domain.on("matterStep", value, _on_matter(handler))
    for value, handler in EVENT_HANDLERS.items():
        domain.on("matterEvent", value, _on_matter(handler))
    for kind in sorted(urgings.KINDS):
        domain.on("matterEvent", kind, _urging(kind))
    domain.after.append(_refresh_lights)


def _matter(context: StepContext, element: CompletedElement) -> Matter | None:
    """The matter an element is about (its `matter_id`), loaded once per step."""
    return context.row(Matter, element.data.get("matter_id"))


def _on_matter(handler: Handler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        matter = _matter(context, element)
        if matter is not None:
            handler(context.session, matter, element, context.actor)

    return run


def _urging(kind: str) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        matter = _matter(context, element)
        if matter is not None:
            early = urgings.Early.of(context.events)
            urgings.urge(context.session, matter, element, kind, early=early)

    return run


def _refresh_lights(context: StepContext) -> None:
    """Every matter the step touched gets its light refreshed."""
    for matter in context.rows(Matter):
        refresh_light(context.session, matter)


def _reopen(session: Session, matter: Matter, kind: str) -> None:
    """Sent back: the report of `kind` is due again, by the same deadline."""
    for deadline in deadlines_of(session, matter, None, kind):
        deadline.done_on = deadline.outcome = deadline.days_late = None
    matter.status = "handling"


def _close(deadline: MatterDeadline, on: date) -> bool:
    outcome, days_late = lights.closed_outcome(deadline.due, on)
    deadline.done_on, deadline.outcome, deadline.days_late = on, outcome, days_late
    deadline.light = lights.Light.GREEN
    return outcome == "on_time"


def _assignment(session: Session, matter: Matter, unit: str) -> Assignment | None:
    return session.scalars(
        select(Assignment)
        .where(Assignment.matter_id == matter.id, Assignment.unit_code == unit)
        .order_by(Assignment.sign_due.desc())
    ).first()


def _signed_for(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    unit, data = element.data["unit"], element.data
    assignment = _assignment(session, matter, unit)
    for deadline in deadlines_of(session, matter, unit, "sign_for"):
        if deadline.done_on is None:
            _close(deadline, today())
    if data.get("decision") == "sign":
        if assignment is not None:
            assignment.receipt, assignment.signed_at = "signed", clock.now()
        matter.status = "handling" if matter.status == "planning" else matter.status
        note(
            session,
            matter,
            "signed_for",
            f"{unit_label(session, unit)} 已签收",
            unit=unit,
            actor=actor,
        )
        return
    if assignment is not None:
        assignment.receipt, assignment.return_reason = "returned", data.get("reason")
    note(
        session,
        matter,
        "returned",
        f"{unit_label(session, unit)} 退回：{data.get('reason', '')}",
        unit=unit,
        actor=actor,
        data={"reason": data.get("reason")},
    )


def _reassigned(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    new_unit, role = element.data["unit"], element.data.get("role", "co")
    returned = session.scalars(
        select(Assignment).where(
            Assignment.matter_id == matter.id,
            Assignment.receipt == "returned",
            Assignment.role == role,
        )
    ).first()
    if returned is not None:
        returned.receipt = "reassigned"
        # The returned unit's open obligations pass to the unit that takes its part.
        for deadline in deadlines_of(session, matter, returned.unit_code):
            if deadline.done_on is None and deadline.kind != "sign_for":
                deadline.unit_code = new_unit
    sign_due = date.fromisoformat(element.data["sign_due"])
    session.add(
        Assignment(
            matter_id=matter.id, unit_code=new_unit, role=role, receipt="pending", sign_due=sign_due
        )
    )
    if role == "lead":
        matter.lead_unit = new_unit
        for deadline in deadlines_of(session, matter, None, "final_report"):
            deadline.unit_code = new_unit
    else:
        matter.co_units = [
            new_unit if c == (returned.unit_code if returned else None) else c
            for c in matter.co_units
        ]
    note(
        session,
        matter,
        "reassigned",
        f"改派给 {new_unit}",
        unit=new_unit,
        actor=actor,
        data={
            "from": returned.unit_code if returned else None,
            "comment": element.data.get("comment"),
        },
    )


def _reported(kind: str, deadline_kind: str) -> Handler:
    def handler(
        session: Session, matter: Matter, element: CompletedElement, actor: str | None
    ) -> None:
        data = element.data
        unit = data["unit"] if kind != "final" else matter.lead_unit
        open_deadlines = [
            d for d in deadlines_of(session, matter, unit, deadline_kind) if d.done_on is None
        ]
        if kind == "progress":
            due = data.get("period", {}).get("due")
            open_deadlines = [
                d for d in open_deadlines if d.due.isoformat() == due
            ] or open_deadlines
        deadline = open_deadlines[0] if open_deadlines else None
        finished = kind != "final" or bool(data.get("finished"))
        on_time = _close(deadline, today()) if deadline is not None and finished else True
        content = {
            k: data.get(k)
            for k in ("report", "percent", "finished", "reasons", "grade")
            if k in data
        }
        session.add(
            ProgressReport(
                matter_id=matter.id,
                unit_code=unit,
                kind=kind,
                content=content,
                submitted_by=actor,
                submitted_at=clock.now(),
                deadline_id=deadline.id if deadline else None,
                on_time=on_time,
            )
        )
        if kind == "final":
            matter.status = "reviewing"
        label = {
            "progress": "报告进展",
            "co_report": "向牵头单位报送意见",
            "final": "报送办理情况",
        }[kind]
        note(
            session,
            matter,
            f"reported_{kind}",
            f"{unit_label(session, unit)} {label}",
            unit=unit,
            actor=actor,
        )

    return handler


class SubMattersOpen(DomainError):
    """seed 二(四), three levels: a matter cannot close while its sub-matters are open."""

    status, code = 409, "sub_matters_open"


def _reviewed(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    accepted = element.data.get("decision") == "accept"
    if accepted:
        _check_sub_matters(session, matter, element.data.get("close_reason"), actor)
    for assignment in session.scalars(select(Assignment).where(Assignment.matter_id == matter.id)):
        if assignment.receipt == "signed":
            assignment.review = "passed" if accepted else "sent_back"
    if accepted:
        matter.status = "evaluating"
        note(session, matter, "accepted", "审核通过，办结销号", actor=actor)
        return
    _reopen(session, matter, "final_report")
    note(
        session,
        matter,
        "sent_back",
        f"审核退回：{element.data.get('comment', '')}",
        actor=actor,
        data={"comment": element.data.get("comment")},
    )


def _check_sub_matters(
    session: Session, matter: Matter, close_reason: str | None, actor: str | None
) -> None:
    children = session.scalars(
        select(Matter).where(Matter.parent_id == matter.id, Matter.status != "closed")
    )
    still_open = [c.code for c in children]
    if not still_open:
        return
    if not close_reason:
        raise SubMattersOpen(
            f"sub-matters are still open: {', '.join(still_open)}; give a close_reason to close "
            "the matter anyway",
            errors=[{"field": "close_reason", "message": ", ".join(still_open)}],
        )
    matter.close_reason = close_reason
    note(
        session,
        matter,
        "closed_over_open_sub_matters",
        f"子事项未办结（{', '.join(still_open)}），经督查室说明理由办结：{close_reason}",
        actor=actor,
    )


def _evaluated(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    for entry in element.data.get("evaluations", []):
        assignment = _assignment(session, matter, entry.get("unit", ""))
        if assignment is not None:
            assignment.timeliness, assignment.quality = (
                entry.get("timeliness"),
                entry.get("quality"),
            )
            assignment.evaluation_comment = entry.get("comment")
    note(
        session,
        matter,
        "evaluated",
        "办结评价",
        actor=actor,
        data={"evaluations": element.data.get("evaluations", [])},
    )


def _satisfaction(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    matter.satisfaction = element.data.get("satisfaction")
    labels = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
    reopen = matter.satisfaction == "dissatisfied" and not element.data.get("reopened")
    if reopen:
        _reopen(session, matter, "final_report")
    note(
        session,
        matter,
        "satisfaction",
        f"提案人意见：{labels.get(matter.satisfaction or '', '')}"
        + ("，重新办理" if reopen else ""),
        actor=actor,
    )


def _closed(session: Session, matter: Matter, element: CompletedElement, actor: str | None) -> None:
    matter.status, matter.closed_at = "closed", clock.now()
    note(session, matter, "closed", "事项办结", actor=actor)


def _look_back_passed(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    """回头看 passed (the end event after a passed check): the timeline says so."""
    findings = element.data.get("findings", "")
    note(session, matter, "look_back_passed", f"回头看：落实到位。{findings}", actor=actor)


def _looked_back(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    if element.data.get("result") == "passed":
        return  # the diagram ends at `look_back_passed`: _look_back_passed notes it
    findings = element.data.get("findings", "")
    # A failed check reopens the matter: the lead unit rectifies and reports again.
    matter.status, matter.closed_at = "handling", None
    due = date.fromisoformat(element.data["rectify_due"][:10])
    session.add(
        MatterDeadline(
            matter_id=matter.id,
            unit_code=matter.lead_unit,
            kind="look_back_report",
            label="回头看整改报告",
            due=due,
            rule="四(一)：回头看、再督查，整改到位后报告",
            basis="calendar",
            calendar_basis=default_calendar().basis(due),
            light="green",
        )
    )
    note(
        session,
        matter,
        "reopened",
        f"回头看：未落实到位，重新办理。{findings}",
        actor=actor,
        data={"findings": findings},
    )


def _look_back_reviewed(
    session: Session, matter: Matter, element: CompletedElement, actor: str | None
) -> None:
    if element.data.get("decision") == "accept":
        note(session, matter, "accepted", "整改审核通过", actor=actor)
        return
    _reopen(session, matter, "look_back_report")
    note(
        session,
        matter,
        "sent_back",
        f"整改审核退回：{element.data.get('comment', '')}",
        actor=actor,
    )


STEP_HANDLERS: dict[str, Handler] = {  # matterStep="…" (user tasks)
    "look_back_check": _looked_back,
    "look_back_report": _reported("final", "look_back_report"),
    "look_back_review": _look_back_reviewed,
    "sign_for": _signed_for,
    "reassign": _reassigned,
    "progress_report": _reported("progress", "quarterly_report"),
    "co_report": _reported("co_report", "co_report"),
    "final_report": _reported("final", "final_report"),
    "review": _reviewed,
    "evaluation": _evaluated,
    "satisfaction": _satisfaction,
}
EVENT_HANDLERS: dict[str, Handler] = {  # matterEvent="…" (end events); and `urgings.KINDS`
    "closed": _closed,
    "look_back_passed": _look_back_passed,
}
