"""What every engine route needs: the engine, the step runner, the failure mapping."""

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.engine.runtime.engine import Engine
from app.engine.runtime.service import Outcome
from app.kit.errors import ProcessError

D = TypeVar("D")


async def get_engine(request: Request) -> Engine:
    """The app's engine (async: a sync dependency would cost a thread-pool hop per request)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """A schema as JSON, serialized once by pydantic-core.

    Returned by the hot routes instead of the model itself: FastAPI would validate the model
    against the response model again (in another thread-pool hop) before serializing it.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")


def raise_failure(outcome: Outcome) -> None:
    """A committed process failure becomes 422 `process_error` naming the element."""
    if outcome.failure is not None:
        raise ProcessError(
            f"the process failed: {outcome.failure.message}",
            errors=[{"element_id": outcome.failure.element_id, "message": outcome.failure.message}],
            instance_id=str(outcome.instance_id),
            incident_id=str(outcome.incident_id),
        )


def stepped(engine: Engine, work: Callable[[Session], tuple[Outcome, D | None]]) -> D:
    """Run a step's `work` in one transaction (committed either way), then answer with its
    result, or 422 `process_error` when the process failed (the incident is committed)."""
    outcome, result = engine.db.transaction(work)
    raise_failure(outcome)
    assert result is not None  # work returns a result whenever the step did not fail
    return result
