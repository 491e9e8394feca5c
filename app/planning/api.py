"""REST routes of planning: annual supervision plans and unplanned activity proposals.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Query, status

from app.engine import EngineDep, SessionDep, run, run_step
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Year
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.planning import details, queries, use_cases
from app.planning.models import ActivityProposal, AnnualPlan
from app.planning.overlap import DEFAULT_THRESHOLD
from app.planning.schemas import (
    OverlapOut,
    PlanDetail,
    PlanIn,
    PlanItemsIn,
    PlanOut,
    PlanStatus,
    ProposalDetail,
    ProposalIn,
    ProposalOut,
    ProposalStatus,
)

plans_router = Router(
    prefix="/api/v1/plans",
    tags=["plans"],
    responses=ERRORS,
)
proposals_router = Router(
    prefix="/api/v1/activity-proposals",
    tags=["activity proposals"],
    responses=ERRORS,
)
routers: list[Router] = [plans_router, proposals_router]

PlanReader = Annotated[Principal, Depends(permission("plans.read"))]
Drafter = Annotated[Principal, Depends(permission("plans.draft"))]
Submitter = Annotated[Principal, Depends(permission("proposals.submit"))]


def readable_plan(plan_id: uuid.UUID, s: SessionDep, principal: PlanReader) -> AnnualPlan:
    """The plan of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    return queries.readable_plan(s, principal, plan_id)


def readable_proposal(
    proposal_id: uuid.UUID, s: SessionDep, principal: PlanReader
) -> ActivityProposal:
    """The proposal of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    return queries.readable_proposal(s, principal, proposal_id)


ReadablePlan = Annotated[AnnualPlan, Depends(readable_plan)]
ReadableProposal = Annotated[ActivityProposal, Depends(readable_proposal)]


# --- annual plans --------------------------------------------------------------------------


@plans_router.post("", response_model=PlanDetail, status_code=status.HTTP_201_CREATED)
def draft_plan(body: PlanIn, engine: EngineDep, principal: Drafter) -> PlanDetail:
    """年度督查计划: the office drafts the year's plan and starts its approval (seed 二(一))."""
    return run_step(engine, use_cases.draft_plan, engine=engine, actor=principal, body=body)


@plans_router.get("", response_model=Page[PlanOut])
def list_plans(
    s: SessionDep,
    principal: PlanReader,
    year: Year | None = None,
    status_: Annotated[PlanStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PlanOut]:
    """Annual plans in your scope, newest year first."""
    query = queries.filtered_plans(s, principal, year=year, status=status_)
    query = query.order_by(AnnualPlan.year.desc())  # then by office, below
    return page(s, query, AnnualPlan.owner_unit, PlanOut, limit, offset)


@plans_router.get("/{plan_id}", response_model=PlanDetail)
def get_plan(plan: ReadablePlan, s: SessionDep) -> PlanDetail:
    """One plan: its items (with the matters and activities they became), open tasks, history."""
    return details.plan_detail(s, plan)


@plans_router.put("/{plan_id}/items", response_model=PlanDetail)
def revise_plan_items(
    plan_id: uuid.UUID, body: PlanItemsIn, engine: EngineDep, principal: Drafter
) -> PlanDetail:
    """Revise the items while drafting or after a return (409 otherwise)."""
    return run(engine, use_cases.revise_plan_items, actor=principal, plan_id=plan_id, body=body)


# --- activity proposals --------------------------------------------------------------------


@proposals_router.post("", response_model=ProposalDetail, status_code=status.HTTP_201_CREATED)
def submit_proposal(body: ProposalIn, engine: EngineDep, principal: Submitter) -> ProposalDetail:
    """计划外督查事项报审: a division sends unplanned supervision to the office for review."""
    return run_step(engine, use_cases.submit_proposal, engine=engine, actor=principal, body=body)


@proposals_router.get("", response_model=Page[ProposalOut])
def list_proposals(
    s: SessionDep,
    principal: PlanReader,
    status_: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProposalOut]:
    """Activity proposals in your scope, newest first."""
    query = queries.filtered_proposals(s, principal, status=status_)
    return page(s, query, ActivityProposal.code.desc(), ProposalOut, limit, offset)


@proposals_router.get("/{proposal_id}", response_model=ProposalDetail)
def get_proposal(proposal: ReadableProposal, s: SessionDep) -> ProposalDetail:
    """One proposal: the overlaps found at submission, the review, the decision, the history."""
    return details.proposal_detail(s, proposal)


@proposals_router.get("/{proposal_id}/overlaps", response_model=list[OverlapOut])
def get_overlaps(
    proposal: ReadableProposal,
    s: SessionDep,
    principal: PlanReader,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
) -> list[OverlapOut]:
    """The overlapping supervisions now, ranked, each with its reasons (seed 二(一))."""
    return details.overlaps(s, proposal, viewer=principal, threshold=threshold)
