"""One annual plan or activity proposal with everything about it: the answer of a read and of
every change."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import TaskOut, TaskRecord, task_outs
from app.identity.policy import scope_of
from app.identity.principal import Principal
from app.planning import events, plans, proposals
from app.planning.models import ActivityProposal, AnnualPlan
from app.planning.schemas import (
    EventOut,
    OverlapOut,
    PlanDetail,
    PlanItemOut,
    PlanOut,
    ProposalDetail,
    ProposalOut,
)


def _ready_tasks(s: Session, instance_id: uuid.UUID | None) -> list[TaskOut]:
    """The ready tasks of the plan's or proposal's process, oldest first."""
    if instance_id is None:
        return []
    rows = s.scalars(
        select(TaskRecord)
        .where(TaskRecord.instance_id == instance_id, TaskRecord.state == "ready")
        .order_by(TaskRecord.created_at)
    )
    return task_outs(s, rows)


def plan_detail(s: Session, plan: AnnualPlan) -> PlanDetail:
    """Items (with the matters and activities they became), open tasks, returns and history."""
    history = [EventOut.model_validate(e) for e in events.history(s, plan_id=plan.id)]
    return PlanDetail(
        **PlanOut.model_validate(plan).model_dump(),
        basis=plan.basis,
        remind_after_days=plan.remind_after_days,
        items=[PlanItemOut.model_validate(i) for i in plans.items_of(s, plan.id)],
        ready_tasks=_ready_tasks(s, plan.instance_id),
        returns=[e for e in history if e.kind == "returned"],
        history=history,
    )


def proposal_detail(s: Session, proposal: ActivityProposal) -> ProposalDetail:
    """The overlaps found at submission, the review, the decision, open tasks and history."""
    return ProposalDetail(
        **ProposalOut.model_validate(proposal).model_dump(),
        content=proposal.content,
        reason=proposal.reason,
        review_comment=proposal.review_comment,
        reviewed_by=proposal.reviewed_by,
        decided_by=proposal.decided_by,
        decided_at=proposal.decided_at,
        overlaps=[OverlapOut.model_validate(o) for o in proposal.overlaps],
        ready_tasks=_ready_tasks(s, proposal.instance_id),
        history=[EventOut.model_validate(e) for e in events.history(s, proposal_id=proposal.id)],
    )


def overlaps(
    s: Session, proposal: ActivityProposal, *, viewer: Principal, threshold: float
) -> list[OverlapOut]:
    """The supervisions overlapping the proposal now, ranked, as far as `viewer` may see them."""
    found = proposals.overlaps(s, proposal, viewer=scope_of(s, viewer), threshold=threshold)
    return [OverlapOut.model_validate(proposals.as_json(m)) for m in found]
