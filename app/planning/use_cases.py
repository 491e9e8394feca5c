"""Acts on annual plans and activity proposals, one function each: `fn(session, *, actor, …)` run
by a route in one transaction (`app.engine.run` / `run_step`). Each loads its plan inside that
transaction (404 unseen, 403 seen but not controlled), changes it through the domain's rules,
writes the audit record and answers with the schema the route returns."""

import uuid

from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity import audit
from app.identity.policy import require_control
from app.identity.principal import Principal
from app.planning import plans, proposals, queries
from app.planning.details import plan_detail, proposal_detail
from app.planning.schemas import PlanDetail, PlanIn, PlanItemsIn, ProposalDetail, ProposalIn


def draft_plan(
    s: Session, *, engine: Engine, actor: Principal, body: PlanIn
) -> tuple[Outcome, PlanDetail | None]:
    """年度督查计划: the office drafts the year's plan and starts its approval (seed 二(一))."""
    plan, outcome = plans.draft(engine, s, body, principal=actor)
    audit.record_change(
        s,
        actor,
        "plan.draft",
        plan,
        object_type="annual_plan",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else plan_detail(s, plan)


def revise_plan_items(
    s: Session, *, actor: Principal, plan_id: uuid.UUID, body: PlanItemsIn
) -> PlanDetail:
    """Revise the items of the caller's plan while drafting or after a return (409 otherwise)."""
    plan = queries.readable_plan(s, actor, plan_id)
    require_control(
        s, actor, "plans.revise", object_type="plan", object_id=plan.id, owner_unit=plan.owner_unit
    )
    plans.revise(s, plan, body.items, principal=actor)
    audit.record_change(
        s,
        actor,
        "plan.revise",
        plan,
        object_type="annual_plan",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return plan_detail(s, plan)


def submit_proposal(
    s: Session, *, engine: Engine, actor: Principal, body: ProposalIn
) -> tuple[Outcome, ProposalDetail | None]:
    """计划外督查事项报审: a division sends unplanned supervision to the office for review."""
    proposal, outcome = proposals.submit(engine, s, body, principal=actor)
    audit.record_change(
        s,
        actor,
        "proposal.submit",
        proposal,
        object_type="activity_proposal",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else proposal_detail(s, proposal)
