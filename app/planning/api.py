"""REST routes of planning: annual supervision plans and unplanned activity proposals."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import EngineDep, Outcome, TaskOut, TaskRecord, stepped
from app.identity import audit
from app.identity.policy import permission, require_control, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Year
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.planning import events, plans, proposals, queries
from app.planning.models import ActivityProposal, AnnualPlan
from app.planning.overlap import DEFAULT_THRESHOLD
from app.planning.schemas import (
    EventOut,
    OverlapOut,
    PlanDetail,
    PlanIn,
    PlanItemOut,
    PlanItemsIn,
    PlanOut,
    PlanStatus,
    ProposalDetail,
    ProposalIn,
    ProposalOut,
    ProposalStatus,
)

plans_router = APIRouter(
    prefix="/api/v1/plans",
    tags=["plans"],
    responses=ERRORS,
)
proposals_router = APIRouter(
    prefix="/api/v1/activity-proposals",
    tags=["activity proposals"],
    responses=ERRORS,
)
routers: list[APIRouter] = [plans_router, proposals_router]

PlanReader = Annotated[Principal, Depends(permission("plans.read"))]
Drafter = Annotated[Principal, Depends(permission("plans.draft"))]


def _ready_tasks(s: Session, instance_id: uuid.UUID | None) -> list[TaskOut]:
    if instance_id is None:
        return []
    rows = s.scalars(
        select(TaskRecord)
        .where(TaskRecord.instance_id == instance_id, TaskRecord.state == "ready")
        .order_by(TaskRecord.created_at)
    )
    return [TaskOut.model_validate(t) for t in rows]


# --- annual plans --------------------------------------------------------------------------


def _plan_detail(s: Session, plan: AnnualPlan) -> PlanDetail:
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


@plans_router.post("", response_model=PlanDetail, status_code=status.HTTP_201_CREATED)
def draft_plan(body: PlanIn, engine: EngineDep, principal: Drafter) -> PlanDetail:
    """年度督查计划: the office drafts the year's plan and starts its approval (seed 二(一))."""

    def work(s: Session) -> tuple[Outcome, PlanDetail | None]:
        plan, outcome = plans.draft(engine, s, body, principal=principal)
        audit.record_change(
            s,
            principal,
            "plan.draft",
            plan,
            object_type="annual_plan",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else _plan_detail(s, plan)

    return stepped(engine, work)


@plans_router.get("", response_model=Page[PlanOut])
def list_plans(
    engine: EngineDep,
    principal: PlanReader,
    year: Year | None = None,
    status_: Annotated[PlanStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PlanOut]:
    """Annual plans in your scope, newest year first."""
    with engine.db.session() as s:
        query = queries.readable_plans(s, principal)
        if year is not None:
            query = query.where(AnnualPlan.year == year)
        if status_ is not None:
            query = query.where(AnnualPlan.status == status_)
        query = query.order_by(AnnualPlan.year.desc())  # then by office, below
        return page(s, query, AnnualPlan.owner_unit, PlanOut, limit, offset)


@plans_router.get("/{plan_id}", response_model=PlanDetail)
def get_plan(plan_id: uuid.UUID, engine: EngineDep, principal: PlanReader) -> PlanDetail:
    """One plan: its items (with the matters and activities they became), open tasks, history."""
    with engine.db.session() as s:
        return _plan_detail(s, queries.readable_plan(s, principal, plan_id))


@plans_router.put("/{plan_id}/items", response_model=PlanDetail)
def revise_plan_items(
    plan_id: uuid.UUID, body: PlanItemsIn, engine: EngineDep, principal: Drafter
) -> PlanDetail:
    """Revise the items while drafting or after a return (409 otherwise)."""

    def work(s: Session) -> PlanDetail:
        plan = queries.readable_plan(s, principal, plan_id)
        require_control(
            s,
            principal,
            "plans.revise",
            object_type="plan",
            object_id=plan.id,
            owner_unit=plan.owner_unit,
        )
        plans.revise(s, plan, body.items, principal=principal)
        audit.record_change(
            s,
            principal,
            "plan.revise",
            plan,
            object_type="annual_plan",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return _plan_detail(s, plan)

    return engine.db.transaction(work)


# --- activity proposals --------------------------------------------------------------------


def _proposal_detail(s: Session, proposal: ActivityProposal) -> ProposalDetail:
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


@proposals_router.post("", response_model=ProposalDetail, status_code=status.HTTP_201_CREATED)
def submit_proposal(
    body: ProposalIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("proposals.submit"))],
) -> ProposalDetail:
    """计划外督查事项报审: a division sends unplanned supervision to the office for review."""

    def work(s: Session) -> tuple[Outcome, ProposalDetail | None]:
        proposal, outcome = proposals.submit(engine, s, body, principal=principal)
        audit.record_change(
            s,
            principal,
            "proposal.submit",
            proposal,
            object_type="activity_proposal",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else _proposal_detail(s, proposal)

    return stepped(engine, work)


@proposals_router.get("", response_model=Page[ProposalOut])
def list_proposals(
    engine: EngineDep,
    principal: PlanReader,
    status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProposalOut]:
    """Activity proposals in your scope, newest first."""
    with engine.db.session() as s:
        query = queries.readable_proposals(s, principal)
        if status_ is not None:
            query = query.where(ActivityProposal.status == status_)
        return page(s, query, ActivityProposal.code.desc(), ProposalOut, limit, offset)


@proposals_router.get("/{proposal_id}", response_model=ProposalDetail)
def get_proposal(
    proposal_id: uuid.UUID, engine: EngineDep, principal: PlanReader
) -> ProposalDetail:
    """One proposal: the overlaps found at submission, the review, the decision, the history."""
    with engine.db.session() as s:
        return _proposal_detail(s, queries.readable_proposal(s, principal, proposal_id))


@proposals_router.get("/{proposal_id}/overlaps", response_model=list[OverlapOut])
def get_overlaps(
    proposal_id: uuid.UUID,
    engine: EngineDep,
    principal: PlanReader,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
) -> list[OverlapOut]:
    """The overlapping supervisions now, ranked, each with its reasons (seed 二(一))."""
    with engine.db.session() as s:
        proposal = queries.readable_proposal(s, principal, proposal_id)
        found = proposals.overlaps(s, proposal, viewer=scope_of(s, principal), threshold=threshold)
        return [OverlapOut.model_validate(proposals.as_json(m)) for m in found]
