"""Conditional start events of processes (条件启动事件), fired as Camunda 7 fires them: a caller
hands variables to `POST /conditions`, every latest process whose conditional start holds with
them starts, its instance holding those variables. Nothing else evaluates them: a condition
over no instance has no variables to change."""

from typing import Any

from sqlalchemy.orm import Session

from app.engine.persist.data import data_problems
from app.engine.persist.models import ProcessDefinition
from app.engine.runtime import deployment, events, service, suspension
from app.engine.runtime import engine as runtime
from app.engine.runtime.correlation import latest_definitions
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.service import Outcome
from app.engine.schemas import ConditionResult, ReachedInstance
from app.engine.script import expressions
from app.kit.errors import InvalidData, NotFound


def start_by_conditions(
    engine: Engine,
    session: Session,
    *,
    variables: dict[str, Any],
    process_key: str | None,
    actor: str | None,
    unit_code: str | None,
) -> tuple[ConditionResult, list[Outcome]]:
    """Start an instance (owned by `unit_code`, holding `variables`) of every latest process
    — or of `process_key` only — whose conditional start event holds with `variables`."""
    problems = data_problems(variables)
    if problems:
        raise InvalidData("submitted data is invalid", errors=problems)
    started: list[Loaded] = []
    outcomes = []
    for definition in _candidates(engine, session, process_key):
        if not _holds(engine, session, definition, variables):
            continue
        loaded = runtime.create(
            engine,
            session,
            definition,
            business_key=None,
            variables=variables,
            actor=actor,
            unit_code=unit_code,
        )
        outcomes.append(service.run_step(engine, session, loaded, lambda wf: None, actor=actor))
        started.append(loaded)
    return ConditionResult(
        started=[s.row.id for s in started],
        instances=[
            ReachedInstance(id=s.row.id, status=s.row.status, variables=s.row.variables)
            for s in started
        ],
    ), outcomes


def _candidates(
    engine: Engine, session: Session, process_key: str | None
) -> list[ProcessDefinition]:
    if process_key is None:  # a suspended latest version is skipped
        latest = suspension.startable(latest_definitions(session))
        return [d for d in latest if _starts(engine, session, d)]
    definition = deployment.latest_version(session, process_key)
    if definition is None:
        raise NotFound(f"process '{process_key}' is not deployed")
    suspension.require_startable(definition)
    if not _starts(engine, session, definition):
        message = f"process '{process_key}' has no conditional start event"
        raise InvalidData(message, errors=[{"field": "process_key", "message": message}])
    return [definition]


def _starts(engine: Engine, session: Session, definition: ProcessDefinition) -> bool:
    return bool(events.conditional_starts(engine.specs.get(session, definition.id).bundle.spec))


def _holds(
    engine: Engine, session: Session, definition: ProcessDefinition, variables: dict[str, Any]
) -> bool:
    """Whether one of the process's conditional starts holds; a variable a condition reads
    that is not given makes it false; another failure is 422 naming the element."""
    spec = engine.specs.get(session, definition.id).bundle.spec
    for element_id, condition in events.conditional_starts(spec):
        try:
            if expressions.evaluate(condition, variables):
                return True
        except expressions.NameUndefined:
            continue
        except (expressions.ExpressionError, expressions.ExpressionRefused) as exc:
            message = f"the condition of '{element_id}' of '{definition.key}' failed: {exc}"
            errors = [{"element_id": element_id, "message": message}]
            raise InvalidData(message, errors=errors) from exc
    return False
