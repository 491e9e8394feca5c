"""The office's acts on rectifications, one function each: `fn(session, *, engine, actor, …)` run
by a route in one transaction (`app.engine.run_step`), answering with the schema it returns."""

from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity import audit
from app.identity.policy import scope_of
from app.identity.principal import Principal
from app.rectification import queries, service
from app.rectification.schemas import RectificationDetail, RectificationIn


def open_rectification(
    s: Session, *, engine: Engine, actor: Principal, body: RectificationIn
) -> tuple[Outcome, RectificationDetail | None]:
    """下达限期整改: order units to rectify problems by a deadline (seed 三(三), 条例 Art. 18)."""
    rectification, outcome = service.open_rectification(
        engine, s, body, scope=scope_of(s, actor), actor=actor.sub, owner_unit=actor.unit
    )
    audit.record(
        s,
        actor,
        "rectification.open",
        object_type="rectification",
        object_id=str(rectification.id),
        instance_id=str(outcome.instance_id),
        unit_code=actor.unit,
        data=body.model_dump(mode="json"),
    )
    return outcome, None if outcome.failure else queries.detail(s, rectification)
