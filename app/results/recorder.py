"""What a step of a results process means for its records (step handlers: app.engine.steps).

The diagrams mark their user tasks with `resultStep` (`draft`, `review`, `approval`, `issue`,
`instruction`, `transfer`); the process key says which record (`result_id`) the step is about.
Runs inside the step's transaction: a refused edit rolls the step back.
"""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.engine import CompletedElement, ElementHandler, StepContext, StepRegistry
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.results import bulletins
from app.results.common import doc_number, publish
from app.results.events import accountability_decided, bulletin_issued
from app.results.models import AccountabilityCase, Bulletin, SupervisionReport
from app.supervision.matters import today

Record = Bulletin | SupervisionReport | AccountabilityCase
Handler = Callable[[Session, Any, dict[str, Any], str | None], None]


def register(steps: StepRegistry) -> None:
    """This domain's step handlers: `resultStep` of each results process, on its record."""
    for key, (model, handlers) in PROCESSES.items():
        domain = steps.domain(f"results.{key}", ("resultStep",), (key,))
        for value, handler in handlers.items():
            domain.on("resultStep", value, _on_record(model, handler))


def _on_record(model: type[Record], handler: Handler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        record_id = element.data.get("result_id")
        record = context.session.get(model, uuid.UUID(record_id)) if record_id else None
        if record is not None:
            handler(context.session, record, element.data, context.actor)

    return run


def _reviewed(session: Session, record: Any, data: dict[str, Any], actor: str | None) -> None:
    """督查室负责人审核: on to the leader (or approved), or back to the drafter."""
    if data.get("decision") == "approve":
        record.status = "approving"
        return
    record.status, record.comment = "drafting", data.get("comment")


# --- bulletins ----------------------------------------------------------------------------


def _bulletin_drafted(
    session: Session, bulletin: Bulletin, data: dict[str, Any], actor: str | None
) -> None:
    bulletins.apply_edits(session, bulletin, data)
    bulletin.status = "withdrawn" if data.get("withdraw") else "reviewing"


def _bulletin_approval(
    session: Session, bulletin: Bulletin, data: dict[str, Any], actor: str | None
) -> None:
    """条例 Art. 21: only the leader's approval lets a bulletin be issued."""
    decision = data.get("decision")
    if decision == "approve":
        bulletin.status, bulletin.approved_by, bulletin.approved_at = "approved", actor, clock.now()
        return
    bulletin.status = "rejected" if decision == "reject" else "drafting"
    bulletin.comment = data.get("comment")


def _bulletin_issued(
    session: Session, bulletin: Bulletin, data: dict[str, Any], actor: str | None
) -> None:
    if bulletin.status != "approved":  # the diagram only reaches 印发 after approval
        raise InvalidData("an unapproved bulletin cannot be issued (条例 Art. 21)")
    bulletin.doc_number = data.get("doc_number") or doc_number(
        session, Bulletin, bulletin.owner_unit, "督通", today()
    )
    bulletin.status, bulletin.issued_at = "issued", clock.now()
    bulletins.issued(session, bulletin, actor)
    bulletin_issued(session, bulletin, actor=actor)


# --- supervision reports -------------------------------------------------------------------


def _report_drafted(
    session: Session, report: SupervisionReport, data: dict[str, Any], actor: str | None
) -> None:
    for field in ("title", "situation", "analysis", "recommendations"):
        if isinstance(data.get(field), str):
            setattr(report, field, data[field])
    report.status = "withdrawn" if data.get("withdraw") else "reviewing"


def _report_reviewed(
    session: Session, report: SupervisionReport, data: dict[str, Any], actor: str | None
) -> None:
    if data.get("decision") != "approve":
        report.status, report.comment = "drafting", data.get("comment")
        return
    report.approved_by, report.approved_at = actor, clock.now()
    report.status = "with_leader" if report.kind == "special" else "approved"
    word = "督专" if report.kind == "special" else "督报"
    report.doc_number = doc_number(session, SupervisionReport, report.owner_unit, word, today())
    if report.kind != "special":
        publish(session, "report", report.id, report.recipients)


def _report_instructed(
    session: Session, report: SupervisionReport, data: dict[str, Any], actor: str | None
) -> None:
    """The leader read the special report (专报) and may have given an instruction (批示)."""
    instruction = (data.get("instruction") or "").strip()
    if instruction:
        report.instruction, report.instructed_by, report.instructed_at = (
            instruction,
            actor,
            clock.now(),
        )
    report.status = "approved"
    publish(session, "report", report.id, report.recipients)


# --- accountability ------------------------------------------------------------------------


def _case_drafted(
    session: Session, case: AccountabilityCase, data: dict[str, Any], actor: str | None
) -> None:
    for field in ("facts", "basis", "proposal"):
        if isinstance(data.get(field), str):
            setattr(case, field, data[field])
    case.status = "withdrawn" if data.get("withdraw") else "reviewing"


def _case_approval(
    session: Session, case: AccountabilityCase, data: dict[str, Any], actor: str | None
) -> None:
    """条例 Art. 21: accountability needs the government's or its head's approval."""
    decision = data.get("decision")
    if decision != "approve":
        case.status = "rejected" if decision == "reject" else "drafting"
        case.comment = data.get("comment")
        return
    case.status, case.decided_by, case.decided_at = "decided", actor, clock.now()
    case.doc_number = doc_number(session, AccountabilityCase, case.owner_unit, "督责", today())
    publish(session, "accountability", case.id, case.unit_codes)
    accountability_decided(session, case, actor=actor)


def _clues_transferred(
    session: Session, case: AccountabilityCase, data: dict[str, Any], actor: str | None
) -> None:
    """条例 Art. 23: the clues went to the supervisory authority (监察机关) on a date."""
    try:
        transferred_on = date.fromisoformat(str(data.get("transferred_on")))
    except ValueError as exc:
        raise InvalidData(
            "transferred_on is not a date",
            errors=[{"field": "transferred_on", "message": str(exc)}],
        ) from exc
    case.receiving_authority, case.transferred_on = data["receiving_authority"], transferred_on
    case.status = "transferred"


PROCESSES: dict[str, tuple[type[Record], dict[str, Handler]]] = {
    "bulletin": (
        Bulletin,
        {
            "draft": _bulletin_drafted,
            "review": _reviewed,
            "approval": _bulletin_approval,
            "issue": _bulletin_issued,
        },
    ),
    "supervision_report": (
        SupervisionReport,
        {
            "draft": _report_drafted,
            "review": _report_reviewed,
            "instruction": _report_instructed,
        },
    ),
    "accountability": (
        AccountabilityCase,
        {
            "draft": _case_drafted,
            "review": _reviewed,
            "approval": _case_approval,
            "transfer": _clues_transferred,
        },
    ),
}
