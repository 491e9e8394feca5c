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
from app.results.bulletins import ESCALATIONS, URGINGS
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
# domain.md §7: repeated reds (default 3) → a proposal of an admonitory talk or accountability.
REPEATED_REDS = 3


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
    session: Session,
    scope: Scope,
    *,
    threshold: int = REPEATED_REDS,
    start: date | None = None,
    end: date | None = None,
) -> list[Suggestion]:
    """Units whose obligations turned red `threshold` times or more (each deadline urged or
    escalated counts once): an admonitory talk, or an accountability decision when the
    lateness reached the leader in charge (督办 to the leader)."""
    query = (
        select(Urging.unit_code, Urging.kind, Urging.matter_id, Urging.deadline_id)
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
    reds: dict[str, set[str]] = defaultdict(set)
    matters: dict[str, dict[str, None]] = defaultdict(dict)
    leader_level: set[str] = set()
    for unit, kind, matter_id, deadline_id in session.execute(query):
        reds[unit].add(str(deadline_id or matter_id))
        matters[unit][str(matter_id)] = None
        if kind == ESCALATIONS[1]:
            leader_level.add(unit)
    names = unit_names(session, reds)
    out = []
    for unit, deadlines in sorted(reds.items()):
        if len(deadlines) < threshold:
            continue
        measure = "accountability_decision" if unit in leader_level else "admonitory_talk"
        out.append(
            Suggestion(
                unit_code=unit,
                unit_name=names.get(unit, unit),
                verdict=measure,
                reason=f"累计{len(deadlines)}个办理时限超期亮红灯（达到{threshold}次），"
                f"建议{MEASURES[measure]}",
                matter_ids=list(matters[unit]),
                figures={"reds": len(deadlines), "matters": len(matters[unit])},
            )
        )
    return out
