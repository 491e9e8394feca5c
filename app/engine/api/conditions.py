"""Route: conditional start events (条件启动事件), evaluated with the caller's variables as
Camunda 7's condition evaluation API does (`POST /api/v1/conditions`)."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.engine.api.deps import EngineDep, raise_failure, run
from app.engine.runtime import conditions
from app.engine.runtime.engine import Engine
from app.engine.runtime.service import Outcome
from app.engine.schemas import ConditionResult, EvaluateConditions
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1", responses=ERRORS)


@router.post("/conditions", response_model=ConditionResult, tags=["instances"])
def evaluate_conditions(
    body: EvaluateConditions,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.start"))],
) -> ConditionResult:
    """Start an instance, owned by your unit and holding `variables`, of every latest process
    (or of `process_key`) whose conditional start event holds with `variables`. None holding
    answers 200 with empty lists; a `process_key` without a conditional start is 422."""
    result, outcomes = run(engine, start_by_conditions, engine=engine, actor=principal, body=body)
    for outcome in outcomes:
        raise_failure(outcome)
    return result


def start_by_conditions(
    s: Session, *, engine: Engine, actor: Principal, body: EvaluateConditions
) -> tuple[ConditionResult, list[Outcome]]:
    """The use case: start what the conditions say, and audit it."""
    result, outcomes = conditions.start_by_conditions(
        engine,
        s,
        variables=body.variables,
        process_key=body.process_key,
        actor=actor.sub,
        unit_code=actor.unit,
    )
    audit.record(
        s,
        actor,
        "conditions.evaluate",
        object_type="process_definition",
        object_id=body.process_key or "*",
        data={**body.model_dump(), "started": [str(i) for i in result.started]},
    )
    return result, outcomes
