"""What every engine-using route needs: the engine, the use-case runners, the failure mapping
(the read session, `SessionDep`, is `app.deps`'s, on the same database).

A route validates its input, takes these dependencies, calls one use case and returns a schema:

- reads take `SessionDep` (one session, committed and closed before the response is sent), and
  load their object with a dependency of their domain that answers 404 (`ReadableMatter`, …);
- writes call `run(engine, use_case, …)` (or `run_step` when the use case steps a process): the
  use case `fn(session, *, actor, …)` runs in one transaction, committed before the route returns
  and retried whole on a conflict. A write loads its object inside that transaction, never from
  a dependency's session: a retry must read it afresh.
"""

from collections.abc import Callable
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import deps
from app.engine.runtime.engine import Engine
from app.engine.runtime.incidents import StepRefused
from app.engine.runtime.service import Outcome
from app.kit.errors import ProcessError

D = TypeVar("D")
T = TypeVar("T")
P = ParamSpec("P")


async def get_engine(request: Request) -> Engine:
    """The app's engine (async: a sync dependency would cost a thread-pool hop per request)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def run(
    engine: Engine,
    use_case: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run `use_case(session, …)` in one transaction, committed before returning; retried whole
    on a conflict (`app.deps.run` on the engine's database)."""
    return deps.run(engine.db, use_case, *args, **kwargs)


def run_step(
    engine: Engine,
    use_case: Callable[Concatenate[Session, P], tuple[Outcome, D | None]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> D:
    """Run a use case that steps a process: its answer, or 422 `process_error` when the process
    failed (the failure and its incident are committed either way)."""
    return stepped(engine, lambda session: use_case(session, *args, **kwargs))


def run_step_noting(
    engine: Engine,
    use_case: Callable[..., tuple[Outcome, D | None]],
    note: Callable[..., None],
    /,
    **kwargs: Any,
) -> D:
    """`run_step` for a retry: when a domain refused the step it ran (`StepRefused`: that
    transaction rolled back), `note(session, refused=…, **kwargs)` records the failure in a
    transaction of its own, then the answer is 422 `process_error` naming the element."""
    try:
        return run_step(engine, use_case, **kwargs)
    except StepRefused as refused:
        run(engine, note, refused=refused, **kwargs)
        raise ProcessError(
            f"the process failed: {refused.message}",
            errors=refused.errors,
            instance_id=str(refused.instance_id),
            incident_id=str(refused.incident_id),
        ) from refused


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
