"""问责 (seed 三(三); 条例 Art. 21, 23): proposals with facts and basis, approved by the
government's leader, and suggestions drawn from repeated reds (domain.md §7)."""

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity.policy import Scope
from app.kit.clock import clock
from app.kit.timezone import CHINA
from app.results import ladder
from app.results.bulletins import URGINGS
from app.results.common import check_units, next_code, readable_matters, start_process, unit_names
from app.results.models import AccountabilityCase
from app.results.schemas import AccountabilityIn, Suggestion
from app.supervision import queries as matter_queries
from app.supervision.matters import today
from app.supervision.models import Matter, Urging

PROCESS_KEY = "accountability"
MEASURES = {
    "criticism": "批评",
    "admonitory_talk": "约谈",
    "accountability_decision": "问责决定",
    "clue_transfer": "移送监察机关线索",
}


def create(
    engine: Engine,
    session: Session,
    scope: Scope,
    body: AccountabilityIn,
    *,
    actor: str,
    owner_unit: str,
) -> tuple[AccountabilityCase, Outcome]:
    """Record the proposal and start the `accountability` process at the office's draft."""
    check_units(session, scope, body.unit_codes, "unit_codes")
    readable_matters(session, scope, body.matter_ids, "matter_ids")
    case = AccountabilityCase(
        id=uuid.uuid4(),
        code=next_code(session, AccountabilityCase, "WZ", today()),
        measure=body.measure,
        unit_codes=list(dict.fromkeys(body.unit_codes)),
        persons=[p.model_dump() for p in body.persons],
        matter_ids=[str(m) for m in body.matter_ids],
        facts=body.facts,
        basis=body.basis,
        proposal=body.proposal,
        owner_unit=owner_unit,
        status="drafting",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(case)
    session.flush()
    outcome = start_process(
        engine,
        session,
        PROCESS_KEY,
        object_id=case.id,
        variables={"code": case.code, "measure": case.measure},
        actor=actor,
        owner_unit=owner_unit,
    )
    case.instance_id = outcome.instance_id
    return case, outcome


def suggestions(
    engine: Engine,
    session: Session,
    scope: Scope,
    *,
    threshold: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Suggestion]:
    """domain.md §7: units whose obligations turned red (each deadline urged or escalated counts
    once) as often as the escalation ladder's table proposes a talk or accountability (as
    shipped: 3 times) — `threshold`, when given, overrides the table's count. The combined
    proposal becomes an accountability decision when the lateness reached the leader in charge
    (督办 to the leader), else an admonitory talk."""
    query = (
        select(Urging)
        .join(Matter, Matter.id == Urging.matter_id)
        .where(
            matter_queries.readable_clause(scope),
            scope.clause(Urging.unit_code),
            Urging.kind.in_(URGINGS),
        )
    )
    if start is not None:
        query = query.where(Urging.at >= datetime.combine(start, time(), CHINA))
    if end is not None:
        query = query.where(Urging.at < datetime.combine(end + timedelta(days=1), time(), CHINA))
    urgings = session.scalars(query).all()
    facts = ladder.urging_facts(session, urgings)
    reds: dict[str, set[str]] = defaultdict(set)
    red_workdays: dict[str, int] = {}
    matters: dict[str, dict[str, None]] = defaultdict(dict)
    leader_level: set[str] = set()
    for urging in urgings:
        unit = urging.unit_code
        reds[unit].add(str(urging.deadline_id or urging.matter_id))
        matters[unit][str(urging.matter_id)] = None
        days = facts[urging.id].red_workdays
        red_workdays[unit] = max(red_workdays.get(unit, days), days)
        if urging.kind == ladder.ESCALATIONS[1]:
            leader_level.add(unit)
    names = unit_names(session, reds)
    out = []
    for unit, deadlines in sorted(reds.items()):
        count = len(deadlines)
        proposal = _proposal(engine, session, count, red_workdays[unit], threshold)
        if proposal is None:
            continue
        measure = _measure(proposal, leader_level=unit in leader_level)
        basis = f"达到{threshold}次" if threshold is not None else "按督办升级规则"
        out.append(
            Suggestion(
                unit_code=unit,
                unit_name=names.get(unit, unit),
                verdict=measure,
                reason=f"累计{count}个办理时限超期亮红灯（{basis}），建议{MEASURES[measure]}",
                matter_ids=list(matters[unit]),
                figures={"reds": count, "matters": len(matters[unit])},
            )
        )
    return out


def _proposal(
    engine: Engine, session: Session, reds: int, red_workdays: int, threshold: int | None
) -> str | None:
    """The escalation ladder's proposal for a unit red `reds` times, the longest for
    `red_workdays` working days when urged; with `threshold`, the caller's count instead."""
    if threshold is not None:
        return ladder.TALK_OR_ACCOUNTABILITY if reds >= threshold else None
    facts = ladder.Facts(light="red", red_workdays=red_workdays, reds=reds)
    return ladder.decide(engine, session, facts).proposal


def _measure(proposal: str, *, leader_level: bool) -> str:
    if proposal != ladder.TALK_OR_ACCOUNTABILITY:
        return proposal
    return "accountability_decision" if leader_level else "admonitory_talk"
