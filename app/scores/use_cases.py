"""The scores' acts, one function each: `fn(session, *, actor, …)` run by a route in one
transaction (`app.engine.run`), answering with the schema it returns."""

from sqlalchemy.orm import Session

from app.identity import audit
from app.identity.principal import Principal
from app.scores import service
from app.scores.schemas import WeightsIn, WeightsOut


def set_weights(s: Session, *, actor: Principal, body: WeightsIn) -> WeightsOut:
    """Set the caller's government's weights: known indicators, non-negative, summing to 100."""
    government = service.government_of(s, actor.unit)
    service.set_weights(s, government, body, actor=actor.sub)
    audit.record(
        s,
        actor,
        "scores.weights",
        object_type="score_weight_set",
        object_id=government,
        unit_code=government,
        data=body.model_dump(mode="json"),
    )
    return service.weights_out(s, government)
