"""Who may read which annual plans and activity proposals: the readable statements every plan
and proposal read starts from."""

import uuid

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.identity import readable as base
from app.identity.policy import Scope
from app.planning.models import ActivityProposal, AnnualPlan


def plans_clause(scope: Scope) -> ColumnElement[bool]:
    """Plans of an office in scope (or awaiting a government leader in scope)."""
    return base.any_unit(scope, AnnualPlan.owner_unit, AnnualPlan.leader_unit)


def readable_plans(session: Session, who: base.Who) -> Select[AnnualPlan]:
    """The annual plans `who` may read."""
    return select(AnnualPlan).where(plans_clause(base.scope(session, who)))


def readable_plan(session: Session, who: base.Who, plan_id: uuid.UUID) -> AnnualPlan:
    """One annual plan `who` may read, or 404."""
    statement = readable_plans(session, who).where(AnnualPlan.id == plan_id)
    return base.one(session, statement, "plan", plan_id)


def proposals_clause(scope: Scope) -> ColumnElement[bool]:
    """Proposals of a division in scope, or reviewed by an office in scope."""
    return base.any_unit(scope, ActivityProposal.division_unit, ActivityProposal.office_unit)


def readable_proposals(session: Session, who: base.Who) -> Select[ActivityProposal]:
    """The activity proposals `who` may read."""
    return select(ActivityProposal).where(proposals_clause(base.scope(session, who)))


def readable_proposal(session: Session, who: base.Who, proposal_id: uuid.UUID) -> ActivityProposal:
    """One activity proposal `who` may read, or 404."""
    statement = readable_proposals(session, who).where(ActivityProposal.id == proposal_id)
    return base.one(session, statement, "activity proposal", proposal_id)


def filtered_plans(
    session: Session, who: base.Who, *, year: int | None = None, status: str | None = None
) -> Select[AnnualPlan]:
    """The readable plans of a year, in a status (each filter only when given)."""
    query = readable_plans(session, who)
    if year is not None:
        query = query.where(AnnualPlan.year == year)
    if status is not None:
        query = query.where(AnnualPlan.status == status)
    return query


def filtered_proposals(
    session: Session, who: base.Who, *, status: str | None = None
) -> Select[ActivityProposal]:
    """The readable proposals in a status (when given)."""
    query = readable_proposals(session, who)
    if status is not None:
        query = query.where(ActivityProposal.status == status)
    return query
