"""The history of plans and proposals (one entry per meaningful event, in Chinese) and the
planning events integrators read (plan.approved)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.outbox import emit, optional_id
from app.kit.clock import clock
from app.planning.models import ActivityProposal, AnnualPlan, PlanningEvent


def record(
    session: Session,
    kind: str,
    summary: str,
    *,
    plan: AnnualPlan | None = None,
    proposal: ActivityProposal | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one history entry to a plan or a proposal."""
    session.add(
        PlanningEvent(
            plan_id=plan.id if plan else None,
            proposal_id=proposal.id if proposal else None,
            kind=kind,
            summary=summary,
            actor=actor,
            at=clock.now(),
            data=data,
        )
    )


def history(
    session: Session, *, plan_id: Any = None, proposal_id: Any = None
) -> list[PlanningEvent]:
    """A plan's or a proposal's history, oldest first."""
    query = select(PlanningEvent)
    if plan_id is not None:
        query = query.where(PlanningEvent.plan_id == plan_id)
    else:
        query = query.where(PlanningEvent.proposal_id == proposal_id)
    return list(session.scalars(query.order_by(PlanningEvent.at, PlanningEvent.id)))


def plan_approved(session: Session, plan: AnnualPlan, *, actor: str | None, comment: Any) -> None:
    """年度督查计划 approved by the government's leader."""
    emit(
        session,
        "plan.approved",
        subject=str(plan.id),
        data={
            "plan_id": str(plan.id),
            "year": plan.year,
            "title": plan.title,
            "instance_id": optional_id(plan.instance_id),
            "owner_unit": plan.owner_unit,
            "leader_unit": plan.leader_unit,
            "actor": actor,
            "comment": comment,
        },
        units=[plan.owner_unit, plan.leader_unit],
        instance_id=plan.instance_id,
    )
