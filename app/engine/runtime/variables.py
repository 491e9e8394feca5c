"""Change the variables of a running instance (Camunda's "set variables"): every unfinished task
sees the new values, waiting timers re-read their time from them, ready tasks' due dates follow."""

import copy
import uuid
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.engine.persist.data import data_problems, json_safe
from app.engine.persist.models import TaskRecord
from app.engine.runtime import engine as runtime
from app.engine.runtime import projection, service, suspension
from app.engine.runtime.advance import EngineFailure
from app.engine.runtime.engine import Engine
from app.kit.clock import clock
from app.kit.errors import InvalidData


def set_variables(
    engine: Engine,
    session: Session,
    *,
    instance_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
) -> service.Outcome:
    """Update `variables` everywhere the process will still read them, in one step."""
    problems = data_problems(variables)
    if problems:
        raise InvalidData("variables are invalid", errors=problems)
    loaded = runtime.load(engine, session, instance_id)
    suspension.require_running(loaded.row)  # a suspended instance's tokens may not move
    ready: list[Any] = []

    def action(workflow: Any) -> None:
        unfinished = workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)
        # Waiting tasks re-inherit their parent's data when refreshed: parents need it too.
        parents = {t.parent.id: t.parent for t in unfinished if t.parent is not None}
        for parent in parents.values():
            parent.data.update(copy.deepcopy(variables))
        for task in unfinished:
            task.data.update(copy.deepcopy(variables))
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition) and task.has_state(TaskState.WAITING):
                task.internal_data.pop("event_value", None)  # re-evaluated on the next refresh
            if task.has_state(TaskState.READY) and task.task_spec.manual:
                ready.append(task)
        workflow.refresh_timers()

    outcome = service.run_step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="variables_set",
        event_data={"variables": variables},
    )
    if outcome.failure is None:
        _refresh_due_dates(session, loaded, ready)
    return outcome


def _refresh_due_dates(session: Session, loaded: runtime.Loaded, tasks: list[Any]) -> None:
    """Ready tasks' due dates follow the new variables; variables that break one are refused
    (422 naming the element; the transaction, step included, rolls back)."""
    for task in tasks:
        meta = loaded.definition.meta_for(task)
        element_id = task.task_spec.bpmn_id
        try:
            due = projection.due_date(meta, json_safe(task.data), clock.now(), element_id)
        except EngineFailure as exc:
            raise InvalidData(
                "with these variables a task's due date cannot be computed",
                errors=[{"element_id": element_id, "message": exc.message}],
            ) from exc
        if due is not None:
            session.execute(update(TaskRecord).where(TaskRecord.id == task.id).values(due_at=due))
