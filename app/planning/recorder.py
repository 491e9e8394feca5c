"""What a step of a planning process means for its records (an engine step listener).

The diagrams mark the elements that matter: `planStep` / `planEvent` in
`annual_supervision_plan.bpmn`, `proposalStep` / `proposalEvent` in `activity_proposal.bpmn`.
Runs inside the step's transaction; an error here (a merge target the office cannot see)
rolls the step back and answers 422.
"""

import uuid
from collections.abc import Callable
from contextvars import ContextVar

from sqlalchemy.orm import Session

from app.engine import CompletedElement, Engine, StepEvents
from app.events.results import plan_approved
from app.kit.clock import clock
from app.planning import plans, proposals
from app.planning.events import record
from app.planning.models import ActivityProposal, AnnualPlan

PlanHandler = Callable[[Session, AnnualPlan, CompletedElement, str | None], None]
ProposalHandler = Callable[[Session, ActivityProposal, CompletedElement, str | None], None]

# The engine of the step being recorded: approving a plan or a proposal starts other processes.
_STEP_ENGINE: ContextVar[Engine] = ContextVar("planning_step_engine")


def on_step(session: Session, events: StepEvents) -> None:
    """Record the marked elements of one step (runs inside the step's transaction)."""
    key = events.instance.process_key
    if key not in (plans.PROCESS_KEY, proposals.PROCESS_KEY) or not events.completed:
        return
    token = _STEP_ENGINE.set(events.engine)
    try:
        for element in events.completed:
            if key == plans.PROCESS_KEY:
                _plan_element(session, element, events.actor)
            else:
                _proposal_element(session, element, events.actor)
    finally:
        _STEP_ENGINE.reset(token)


def _plan_element(session: Session, element: CompletedElement, actor: str | None) -> None:
    marker = element.properties.get("planStep") or element.properties.get("planEvent")
    handler = PLAN_HANDLERS.get(marker or "")
    plan_id = element.data.get("plan_id")
    if handler is None or not plan_id:
        return
    plan = session.get(AnnualPlan, uuid.UUID(plan_id))
    if plan is not None:
        handler(session, plan, element, actor)


def _proposal_element(session: Session, element: CompletedElement, actor: str | None) -> None:
    marker = element.properties.get("proposalStep") or element.properties.get("proposalEvent")
    handler = PROPOSAL_HANDLERS.get(marker or "")
    proposal_id = element.data.get("proposal_id")
    if handler is None or not proposal_id:
        return
    proposal = session.get(ActivityProposal, uuid.UUID(proposal_id))
    if proposal is not None:
        handler(session, proposal, element, actor)


# --- the annual plan -----------------------------------------------------------------------


def _submitted(
    session: Session, plan: AnnualPlan, element: CompletedElement, actor: str | None
) -> None:
    again = plan.status == "returned"
    plans.mark(plan, "reviewing")
    plan.submitted_at = clock.now()
    note = element.data.get("submit_note")
    record(
        session,
        "resubmitted" if again else "submitted",
        ("修改后重新报送年度督查计划" if again else "报送年度督查计划，提请督查室负责人审核")
        + (f"：{note}" if note else ""),
        plan=plan,
        actor=actor,
    )


def _head_reviewed(
    session: Session, plan: AnnualPlan, element: CompletedElement, actor: str | None
) -> None:
    if element.data.get("head_decision") == "pass":
        plans.mark(plan, "approving")
        record(
            session,
            "head_passed",
            "督查室负责人审核通过，报政府主要负责同志审批",
            plan=plan,
            actor=actor,
        )
        return
    _returned(session, plan, element.data.get("head_comment", ""), actor, by="督查室负责人")


def _leader_decided(
    session: Session, plan: AnnualPlan, element: CompletedElement, actor: str | None
) -> None:
    if element.data.get("leader_decision") == "approve":
        plans.mark(plan, "approved")
        plan.approved_by, plan.approved_at = actor, clock.now()
        comment = element.data.get("leader_comment")
        record(
            session,
            "approved",
            "政府主要负责同志批准年度督查计划" + (f"：{comment}" if comment else ""),
            plan=plan,
            actor=actor,
        )
        plan_approved(session, plan, actor=actor, comment=comment)
        return
    _returned(session, plan, element.data.get("leader_comment", ""), actor, by="政府主要负责同志")


def _returned(
    session: Session, plan: AnnualPlan, comment: str, actor: str | None, *, by: str
) -> None:
    plans.mark(plan, "returned")
    plan.returned_comment = comment
    plan.return_count += 1
    record(
        session,
        "returned",
        f"{by}退回修改：{comment}",
        plan=plan,
        actor=actor,
        data={"by": by, "comment": comment},
    )


def _reminded(
    session: Session, plan: AnnualPlan, element: CompletedElement, actor: str | None
) -> None:
    days = element.data.get("leader_remind_days", plan.remind_after_days)
    record(
        session,
        "reminded",
        f"年度督查计划报请审批已逾{days}日未批，提醒政府主要负责同志审批",
        plan=plan,
        data={"leader_unit": plan.leader_unit, "days": days},
    )


def _carried_out(
    session: Session, plan: AnnualPlan, element: CompletedElement, actor: str | None
) -> None:
    plans.carry_out(_STEP_ENGINE.get(), session, plan, actor=actor)


PLAN_HANDLERS: dict[str, PlanHandler] = {
    "submit": _submitted,
    "head_review": _head_reviewed,
    "leader_decision": _leader_decided,
    "remind": _reminded,
    "approved": _carried_out,
}


# --- unplanned activity proposals ----------------------------------------------------------


def _office_reviewed(
    session: Session,
    proposal: ActivityProposal,
    element: CompletedElement,
    actor: str | None,
) -> None:
    data = element.data
    decision = data.get("review_decision")
    proposal.review_decision, proposal.reviewed_by = decision, actor
    proposal.review_comment = data.get("review_comment")
    if decision == "merge":
        proposals.merge(session, proposal, data.get("merge_into", ""), actor=actor)
    elif decision == "reject":
        proposal.status = "rejected"
        proposal.decided_by, proposal.decided_at = actor, clock.now()
        record(
            session,
            "rejected",
            f"督查机构审核不同意开展：{proposal.review_comment}",
            proposal=proposal,
            actor=actor,
        )
    else:
        proposal.status = "approving"
        record(
            session,
            "recommended",
            "督查机构审核同意，报分管负责同志审批" + _suffix(proposal.review_comment),
            proposal=proposal,
            actor=actor,
        )


def _leader_decided_proposal(
    session: Session,
    proposal: ActivityProposal,
    element: CompletedElement,
    actor: str | None,
) -> None:
    comment = element.data.get("leader_comment")
    if element.data.get("leader_decision") == "approve":
        proposals.approve(_STEP_ENGINE.get(), session, proposal, actor=actor)
        return
    proposal.status = "rejected"
    proposal.decided_by, proposal.decided_at = actor, clock.now()
    record(
        session,
        "rejected",
        "分管负责同志不同意开展" + _suffix(comment),
        proposal=proposal,
        actor=actor,
    )


def _suffix(comment: str | None) -> str:
    return f"：{comment}" if comment else ""


PROPOSAL_HANDLERS: dict[str, ProposalHandler] = {
    "office_review": _office_reviewed,
    "leader_decision": _leader_decided_proposal,
}
