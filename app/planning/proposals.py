"""Unplanned activity proposals (计划外督查事项报审) — seed 二(一), 条例 Art. 15.

Supervision in the government's name that is not in the annual plan is sent by the business
division to the supervision office for review before approval, to avoid duplicate, cross and
multi-headed supervision (重复督查、交叉督查、多头督查). The office sees the overlapping
supervisions and recommends approval, merges the proposal into an existing activity, or rejects
it; the leader in charge approves a recommended proposal, which then becomes an activity.
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.activities.service import ActivitySpec, create_activity
from app.engine import Engine, Outcome, start_instance
from app.identity.policy import Scope
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.planning import overlap, units
from app.planning.events import record
from app.planning.models import ActivityProposal, AnnualPlan, PlanItem
from app.planning.overlap import Match, Supervision
from app.planning.schemas import ProposalIn
from app.sequences import next_code
from app.supervision.matters import today

PROCESS_KEY = "activity_proposal"
PENDING = ("reviewing", "approving")


def submit(
    engine: Engine, session: Session, body: ProposalIn, *, principal: Principal
) -> tuple[ActivityProposal, Outcome]:
    """Record the proposal with the overlaps found now, and start its review process."""
    if body.period_end < body.period_start:
        raise InvalidData(
            "the period ends before it starts",
            errors=[{"field": "period_end", "message": "before period_start"}],
        )
    units.check_named(
        session, principal, [(f"target_units/{i}", c) for i, c in enumerate(body.target_units)]
    )
    office = units.office_of(session, principal.unit)
    if office is None:
        raise InvalidData(
            "no supervision office serves your government to review the proposal",
            errors=[{"field": "division_unit", "message": principal.unit}],
        )
    proposal = ActivityProposal(
        id=uuid.uuid4(),
        code=_next_code(session),
        **body.model_dump(),
        division_unit=principal.unit,
        office_unit=office,
        leader_unit=units.government_of(session, principal.unit) or office,
        status="reviewing",
        created_by=principal.sub,
        created_at=clock.now(),
    )
    session.add(proposal)
    session.flush()
    found = overlaps(session, proposal)
    proposal.overlaps = [as_json(m) for m in found]
    outcome = start_instance(
        engine,
        session,
        process_key=PROCESS_KEY,
        version=None,
        business_key=str(proposal.id),
        variables={
            "proposal_id": str(proposal.id),
            "proposal_code": proposal.code,
            "title": proposal.title,
            "division_unit": proposal.division_unit,
            "office_unit": proposal.office_unit,
            "leader_unit": proposal.leader_unit,
            "overlaps": proposal.overlaps,
            "overlap_count": len(found),
        },
        actor=principal.sub,
        unit_code=principal.unit,
    )
    proposal.instance_id = outcome.instance_id
    record(
        session,
        "submitted",
        f"{proposal.division_unit} 报审计划外督查事项《{proposal.title}》，"
        f"发现可能重复的督查{len(found)}项",
        proposal=proposal,
        actor=principal.sub,
    )
    return proposal, outcome


def _next_code(session: Session) -> str:
    return next_code(session, ActivityProposal.code, f"BS-{today().year}-")


# --- overlaps ------------------------------------------------------------------------------


def overlaps(
    session: Session,
    proposal: ActivityProposal,
    *,
    viewer: Scope | None = None,
    threshold: float = overlap.DEFAULT_THRESHOLD,
) -> list[Match]:
    """Supervisions that overlap the proposal, ranked: existing activities (not cancelled),
    plan items not yet run, other pending proposals — those the reviewing office sees (and,
    when given, the viewer too)."""
    office = units.government_scope(session, proposal.office_unit)
    candidates = [
        c
        for c in _candidates(session, proposal)
        if c.seen_by(session, office) and (viewer is None or c.seen_by(session, viewer))
    ]
    paths = units.paths(
        session, {u for c in candidates for u in c.targets} | set(proposal.target_units)
    )

    def supervision(kind: str, id_: str, title: str, targets: list[str], *rest: Any) -> Supervision:
        return Supervision(kind, id_, title, {u: paths[u] for u in targets if u in paths}, *rest)

    subject = supervision(
        "proposal",
        str(proposal.id),
        proposal.title,
        proposal.target_units,
        proposal.period_start,
        proposal.period_end,
        proposal.code,
    )
    others = [
        supervision(c.kind, c.id, c.title, c.targets, c.start, c.end, c.label) for c in candidates
    ]
    return overlap.find_overlaps(subject, others, threshold=threshold)


@dataclass(frozen=True)
class _Candidate:
    """A supervision that might overlap, as read from its table."""

    kind: str
    id: str
    title: str
    label: str
    targets: list[str]
    start: date
    end: date
    owners: tuple[str, ...]

    def seen_by(self, session: Session, scope: Scope) -> bool:
        """Seen like the thing itself: plans and proposals by their owners' scope; activities
        also by the units they supervise."""
        if any(scope.contains(session, u) for u in self.owners):
            return True
        return self.kind == "activity" and any(scope.contains(session, u) for u in self.targets)


def _candidates(session: Session, proposal: ActivityProposal) -> list[_Candidate]:
    start, end = proposal.period_start, proposal.period_end
    found: list[_Candidate] = []
    activities = session.scalars(
        select(Activity).where(
            Activity.status != "cancelled",
            Activity.period_start <= end,
            Activity.period_end >= start,
        )
    )
    for a in activities:
        found.append(
            _Candidate(
                "activity", str(a.id), a.title, a.code, a.target_units, a.period_start,
                a.period_end, (a.owner_unit,),
            )
        )  # fmt: skip
    items = session.execute(
        select(PlanItem, AnnualPlan)
        .join(AnnualPlan, AnnualPlan.id == PlanItem.plan_id)
        .where(
            PlanItem.item_type == "activity",
            PlanItem.activity_id.is_(None),
            PlanItem.period_start <= end,
            PlanItem.period_end >= start,
        )
    )
    for item, plan in items:
        assert item.period_start is not None and item.period_end is not None
        found.append(
            _Candidate(
                "plan_item", str(item.id), item.subject, f"{plan.year}年度督查计划第{item.seq}项",
                item.target_units, item.period_start, item.period_end,
                (plan.owner_unit, plan.leader_unit),
            )
        )  # fmt: skip
    pending = session.scalars(
        select(ActivityProposal).where(
            ActivityProposal.status.in_(PENDING),
            ActivityProposal.id != proposal.id,
            ActivityProposal.period_start <= end,
            ActivityProposal.period_end >= start,
        )
    )
    for p in pending:
        found.append(
            _Candidate(
                "proposal", str(p.id), p.title, p.code, p.target_units, p.period_start,
                p.period_end, (p.division_unit, p.office_unit),
            )
        )  # fmt: skip
    return found


def as_json(match: Match) -> dict[str, Any]:
    """A match as the API and the review task show it."""
    c = match.candidate
    return {
        "kind": c.kind,
        "id": c.id,
        "label": c.label,
        "title": c.title,
        "target_units": sorted(c.units),
        "period_start": c.start.isoformat(),
        "period_end": c.end.isoformat(),
        "score": match.score,
        "subject_score": match.subject_score,
        "reasons": [asdict(r) for r in match.reasons],
    }


# --- decisions (called by the recorder inside the step) --------------------------------------


def merge(session: Session, proposal: ActivityProposal, target: str, *, actor: str | None) -> None:
    """合并: the proposal is folded into an existing activity the office can see (422 else)."""
    activity = _mergeable(session, proposal, target)
    proposal.status, proposal.merged_into = "merged", activity.id
    proposal.decided_by, proposal.decided_at = actor, clock.now()
    note = (
        f"【并入】计划外督查事项报审 {proposal.code}《{proposal.title}》"
        f"（{proposal.division_unit}）经督查机构审核并入本活动。"
    )
    activity.content = f"{activity.content}\n\n{note}" if activity.content else note
    record(
        session,
        "merged",
        f"督查机构审核：并入已有督查活动 {activity.code}《{activity.title}》",
        proposal=proposal,
        actor=actor,
        data={"activity_id": str(activity.id), "activity_code": activity.code},
    )


def _mergeable(session: Session, proposal: ActivityProposal, target: str) -> Activity:
    def refuse(message: str) -> InvalidData:
        return InvalidData(message, errors=[{"field": "merge_into", "message": message}])

    try:
        activity_id = uuid.UUID(str(target))
    except ValueError as exc:
        raise refuse("merge_into must be an activity id") from exc
    activity = session.get(Activity, activity_id)
    office = units.government_scope(session, proposal.office_unit)
    if activity is None or not (
        office.contains(session, activity.owner_unit)
        or any(office.contains(session, u) for u in activity.target_units)
    ):
        raise refuse(f"no activity {target} that your office can see")
    if activity.status == "cancelled":
        raise refuse(f"activity {activity.code} is cancelled")
    return activity


def approve(
    engine: Engine, session: Session, proposal: ActivityProposal, *, actor: str | None
) -> Activity:
    """The leader approved: the proposal becomes an activity (origin `proposal`)."""
    activity = create_activity(
        engine,
        session,
        ActivitySpec(
            title=proposal.title,
            kind=proposal.kind,
            method=proposal.method,
            target_units=list(proposal.target_units),
            period_start=proposal.period_start,
            period_end=proposal.period_end,
            content=proposal.content,
            category=proposal.category,
            division_unit=proposal.division_unit,
        ),
        origin="proposal",
        owner_unit=proposal.office_unit,
        actor=actor or proposal.created_by,
        proposal_id=proposal.id,
    )
    proposal.status, proposal.activity_id = "approved", activity.id
    proposal.decided_by, proposal.decided_at = actor, clock.now()
    record(
        session,
        "approved",
        f"领导批准，列为督查活动 {activity.code}",
        proposal=proposal,
        actor=actor,
        data={"activity_id": str(activity.id), "activity_code": activity.code},
    )
    return activity
