"""The annual supervision plan (年度督查计划) — seed 二(一), domain.md §6.1, 条例 Art. 11.

At the start of each year the supervision office proposes the plan around the government's
central work; the office head reviews it and the government's principal leader approves or
returns it. Once approved, every item becomes a supervision matter (registered like any other,
with the deadlines of seed 三(一)) or a supervision activity (条例 Art. 14).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.activities.service import ActivitySpec, create_activity
from app.engine import Engine, Outcome, start_instance
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.errors import DomainError, InvalidData
from app.planning import units
from app.planning.events import record
from app.planning.models import AnnualPlan, PlanItem
from app.planning.schemas import PlanIn, PlanItemIn
from app.supervision import deadlines as rules
from app.supervision import matters
from app.supervision.schemas import MatterIn

PROCESS_KEY = "annual_supervision_plan"
EDITABLE = frozenset({"drafting", "returned"})


class PlanExists(DomainError):
    status, code = 409, "plan_exists"


class PlanNotEditable(DomainError):
    status, code = 409, "plan_not_editable"


def draft(
    engine: Engine, session: Session, body: PlanIn, *, principal: Principal
) -> tuple[AnnualPlan, Outcome]:
    """Record the office's draft with its items and start the plan's approval process."""
    existing = session.scalars(
        select(AnnualPlan).where(
            AnnualPlan.owner_unit == principal.unit, AnnualPlan.year == body.year
        )
    ).first()
    if existing is not None:
        raise _exists(principal.unit, body.year, f"{existing.status}, {existing.id}")
    check_items(session, body.items, principal=principal)
    leader_unit = units.government_of(session, principal.unit) or principal.unit
    now = clock.now()
    plan = AnnualPlan(
        id=uuid.uuid4(),
        year=body.year,
        title=body.title,
        basis=body.basis,
        owner_unit=principal.unit,
        leader_unit=leader_unit,
        status="drafting",
        remind_after_days=body.remind_after_days,
        return_count=0,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    try:
        session.flush()
    except IntegrityError as exc:  # drafted by someone else just now (uq_annual_plans_owner_year)
        raise _exists(principal.unit, body.year, "just drafted") from exc
    _replace_items(session, plan, body.items)
    outcome = start_instance(
        engine,
        session,
        process_key=PROCESS_KEY,
        version=None,
        business_key=str(plan.id),
        variables={
            "plan_id": str(plan.id),
            "plan_title": plan.title,
            "year": plan.year,
            "owner_unit": plan.owner_unit,
            "leader_unit": plan.leader_unit,
            "leader_remind_days": plan.remind_after_days,
            "item_count": len(body.items),
        },
        actor=principal.sub,
        unit_code=principal.unit,
    )
    plan.instance_id = outcome.instance_id
    record(
        session,
        "drafted",
        f"拟订{plan.year}年度督查计划草案《{plan.title}》，共{len(body.items)}项",
        plan=plan,
        actor=principal.sub,
    )
    return plan, outcome


def _exists(office: str, year: int, which: str) -> PlanExists:
    return PlanExists(
        f"{office} already has the {year} annual plan ({which}): "
        "revise that one instead of drafting another",
        errors=[{"field": "year", "message": f"one annual plan per office and year ({which})"}],
    )


def revise(
    session: Session, plan: AnnualPlan, items: list[PlanItemIn], *, principal: Principal
) -> None:
    """Replace the items of a plan being drafted or returned for revision (409 otherwise)."""
    if plan.status not in EDITABLE:
        raise PlanNotEditable(
            f"the plan is {plan.status}: items change only while drafting or after a return"
        )
    check_items(session, items, principal=principal)
    _replace_items(session, plan, items)
    plan.updated_at = clock.now()
    record(session, "revised", f"修改计划事项，共{len(items)}项", plan=plan, actor=principal.sub)


def check_items(session: Session, items: list[PlanItemIn], *, principal: Principal) -> None:
    """Every item complete and consistent (422 naming `items/<i>/<field>`), every unit known
    and within the caller's government (403)."""
    errors: list[dict[str, str]] = []
    named: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        errors += _item_errors(index, item)
        at = f"items/{index}"
        named += [(f"{at}/target_units/{j}", c) for j, c in enumerate(item.target_units)]
        named += [(f"{at}/co_units/{j}", c) for j, c in enumerate(item.co_units)]
        named += [
            (f"{at}/{f}", c) for f in ("lead_unit", "division_unit") if (c := getattr(item, f))
        ]
    if errors:
        raise InvalidData("the plan's items are incomplete or inconsistent", errors=errors)
    units.check_named(session, principal, named)


def _item_errors(index: int, item: PlanItemIn) -> list[dict[str, str]]:
    at = f"items/{index}"

    def missing(field: str, what: str) -> dict[str, str]:
        return {
            "field": f"{at}/{field}",
            "message": f"{what} is required for {item.item_type} items",
        }

    errors = []
    if item.period_start and item.period_end and item.period_end < item.period_start:
        errors.append({"field": f"{at}/period_end", "message": "the period ends before it starts"})
    if item.item_type == "activity":
        for field, what in (
            ("activity_kind", "the activity type (条例 Art. 14)"),
            ("method", "the method (seed 四)"),
            ("period_start", "the start of the period"),
            ("period_end", "the end of the period"),
        ):
            if getattr(item, field) is None:
                errors.append(missing(field, what))
        if not item.target_units:
            errors.append(missing("target_units", "at least one target unit"))
        return errors
    if item.source_type is None:
        errors.append(missing("source_type", "the source (seed 三(一))"))
    if item.lead_unit is None:
        errors.append(missing("lead_unit", "the lead unit"))
    if item.lead_unit is not None and item.lead_unit in item.co_units:
        errors.append(
            {"field": f"{at}/co_units", "message": "the lead unit cannot also co-operate"}
        )
    if item.source_type is not None:
        try:
            rules.deadlines_for(item.source_type, matters.today(), explicit_due=item.explicit_due)
        except ValueError as exc:
            errors.append({"field": f"{at}/explicit_due", "message": str(exc)})
    return errors


def _replace_items(session: Session, plan: AnnualPlan, items: list[PlanItemIn]) -> None:
    for old in session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)):
        session.delete(old)
    session.flush()
    for seq, item in enumerate(items, start=1):
        session.add(
            PlanItem(
                plan_id=plan.id,
                seq=seq,
                **item.model_dump(exclude={"source_type"}),
                source_type=item.source_type.value if item.source_type else None,
            )
        )
    session.flush()


def items_of(session: Session, plan_id: uuid.UUID) -> list[PlanItem]:
    """A plan's items in order."""
    return list(
        session.scalars(select(PlanItem).where(PlanItem.plan_id == plan_id).order_by(PlanItem.seq))
    )


def carry_out(engine: Engine, session: Session, plan: AnnualPlan, *, actor: str | None) -> None:
    """The approved plan: each item becomes a matter (立项) or an activity; ids kept on items."""
    by = actor or plan.created_by
    created: dict[str, list[str]] = {"matters": [], "activities": []}
    for item in items_of(session, plan.id):
        if item.matter_id is not None or item.activity_id is not None:
            continue
        if item.item_type == "matter":
            matter, _ = matters.register(
                engine, session, _matter_body(plan, item), actor=by, owner_unit=plan.owner_unit
            )
            item.matter_id = matter.id
            created["matters"].append(matter.code)
        else:
            activity = create_activity(
                engine,
                session,
                _activity_spec(item),
                origin="plan",
                owner_unit=plan.owner_unit,
                actor=by,
                plan_item_id=item.id,
            )
            item.activity_id = activity.id
            created["activities"].append(activity.code)
    record(
        session,
        "items_created",
        f"计划批准后立项督查事项{len(created['matters'])}项、"
        f"安排督查活动{len(created['activities'])}项",
        plan=plan,
        actor=actor,
        data=created,
    )


def _matter_body(plan: AnnualPlan, item: PlanItem) -> MatterIn:
    return MatterIn(
        title=item.subject,
        content=item.content or item.subject,
        category=item.category,
        source_type=rules.SourceType(item.source_type or rules.SourceType.OTHER),
        source_ref=f"{plan.year}年度督查计划第{item.seq}项",
        lead_unit=item.lead_unit or "",
        co_units=list(item.co_units),
        explicit_due=item.explicit_due,
        division_unit=item.division_unit,
        joint=item.division_unit is not None,
    )


def _activity_spec(item: PlanItem) -> ActivitySpec:
    assert item.activity_kind and item.method and item.period_start and item.period_end
    return ActivitySpec(
        title=item.subject,
        kind=item.activity_kind,
        method=item.method,
        target_units=list(item.target_units),
        period_start=item.period_start,
        period_end=item.period_end,
        content=item.content,
        category=item.category,
        division_unit=item.division_unit,
    )


def variables_summary(plan: AnnualPlan) -> dict[str, Any]:
    """What an audit row says about a plan."""
    return {"year": plan.year, "title": plan.title, "status": plan.status}


def mark(plan: AnnualPlan, status: str, at: datetime | None = None) -> None:
    """Move the plan to `status`."""
    plan.status = status
    plan.updated_at = at or clock.now()
