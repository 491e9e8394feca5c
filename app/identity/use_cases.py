"""Identity's acts on the unit tree, one function each: `fn(session, *, actor, …)` run by a route
in one transaction (`app.deps.run`), answering with the schema it returns."""

from sqlalchemy.orm import Session

from app.identity import audit
from app.identity.principal import Principal
from app.org import service
from app.org.schemas import UnitIn, UnitOut


def put_unit(s: Session, *, actor: Principal, body: UnitIn) -> tuple[UnitOut, bool]:
    """Create a unit, or update the one with this code: the unit and whether it was created."""
    unit, created = service.upsert(s, body)
    audit.record(
        s,
        actor,
        "unit.create" if created else "unit.update",
        object_type="unit",
        object_id=unit.code,
        unit_code=unit.code,
        data=body.model_dump(),
    )
    return UnitOut.model_validate(unit), created
