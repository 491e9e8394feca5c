"""What a step of a planning process means for its records (step handlers: app.engine.steps).

The diagrams mark the elements that matter: `planStep` / `planEvent` in
`annual_supervision_plan.bpmn`, `proposalStep` / `proposalEvent` in `activity_proposal.bpmn`.
Runs inside the step's transaction; an error here (a merge target the office cannot see)
rolls the step back and answers 422.
"""

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.engine import CompletedElement, ElementHandler, StepContext, StepRegistry
from app.kit.clock import clock
from app.planning import plans, proposals
from app.planning.events import plan_approved, record
from app.planning.models import ActivityProposal, AnnualPlan

PlanHandler = Callable[[StepContext, AnnualPlan, CompletedElement], None]
ProposalHandler = Callable[[StepContext, ActivityProposal, CompletedElement], None]


def register(steps: StepRegistry) -> None:
    """This domain's step handlers: the plan's and the proposal's markers."""
    plan = steps.domain("planning.plan", ("planStep", "planEvent"), (plans.PROCESS_KEY,))
    for (prop, value), handler in PLAN_HANDLERS.items():
        plan.on(prop, value, _on_plan(handler))
    proposal = steps.domain(
        "planning.proposal", ("proposalStep", "proposalEvent"), (proposals.PROCESS_KEY,)
    )
    for (prop, value), proposal_handler in PROPOSAL_HANDLERS.items():
        proposal.on(prop, value, _on_proposal(proposal_handler))


def _on_plan(handler: PlanHandler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        plan_id = element.data.get("plan_id")
        plan = context.session.get(AnnualPlan, uuid.UUID(plan_id)) if plan_id else None
        if plan is not None:
            handler(context, plan, element)

    return run


def _on_proposal(handler: ProposalHandler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        proposal_id = element.data.get("proposal_id")
        proposal = (
            context.session.get(ActivityProposal, uuid.UUID(proposal_id)) if proposal_id else None
        )
        if proposal is not None:
            handler(context, proposal, element)

    return run


# --- the annual plan -----------------------------------------------------------------------


def _submitted(context: StepContext, plan: AnnualPlan, element: CompletedElement) -> None:
    session, actor = context.session, context.actor
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


def _head_reviewed(context: StepContext, plan: AnnualPlan, element: CompletedElement) -> None:
    session, actor = context.session, context.actor
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


def _leader_decided(context: StepContext, plan: AnnualPlan, element: CompletedElement) -> None:
    session, actor = context.session, context.actor
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


def _reminded(context: StepContext, plan: AnnualPlan, element: CompletedElement) -> None:
    session = context.session
    days = element.data.get("leader_remind_days", plan.remind_after_days)
    record(
        session,
        "reminded",
        f"年度督查计划报请审批已逾{days}日未批，提醒政府主要负责同志审批",
        plan=plan,
        data={"leader_unit": plan.leader_unit, "days": days},
    )


def _carried_out(context: StepContext, plan: AnnualPlan, element: CompletedElement) -> None:
    session, actor = context.session, context.actor
    plans.carry_out(context.engine, session, plan, actor=actor)


PLAN_HANDLERS: dict[tuple[str, str], PlanHandler] = {
    ("planStep", "submit"): _submitted,
    ("planStep", "head_review"): _head_reviewed,
    ("planStep", "leader_decision"): _leader_decided,
    ("planEvent", "remind"): _reminded,
    ("planEvent", "approved"): _carried_out,
}


# --- unplanned activity proposals ----------------------------------------------------------


def _office_reviewed(
    context: StepContext, proposal: ActivityProposal, element: CompletedElement
) -> None:
    session, actor = context.session, context.actor
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
    context: StepContext, proposal: ActivityProposal, element: CompletedElement
) -> None:
    session, actor = context.session, context.actor
    comment = element.data.get("leader_comment")
    if element.data.get("leader_decision") == "approve":
        proposals.approve(context.engine, session, proposal, actor=actor)
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


PROPOSAL_HANDLERS: dict[tuple[str, str], ProposalHandler] = {
    ("proposalStep", "office_review"): _office_reviewed,
    ("proposalStep", "leader_decision"): _leader_decided_proposal,
}
