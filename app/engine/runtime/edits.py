"""An operator's changes to the data an instance's engine holds (变量修改).

Two ways to write them: a running instance is *stepped* (`variables.set_variables`: waiting
conditions and timers react), an instance in error is *edited* — its kept state changed and
saved without running anything (`save_edit`), so that a retry of its incident runs on the new
data. Either way the ready human tasks whose data changed show it (`refresh_ready`).
"""

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.engine.persist import history_row, state
from app.engine.persist.data import json_safe
from app.engine.persist.models import TaskRecord
from app.engine.runtime import engine as runtime
from app.engine.runtime import projection
from app.engine.runtime.advance import EngineFailure
from app.engine.runtime.engine import Engine, Loaded
from app.kit.clock import clock
from app.kit.errors import InvalidData


def change(
    data: dict[str, Any], modifications: Mapping[str, Any], deletions: Sequence[str]
) -> None:
    """Set `modifications` (deep copies: tasks must not share nested objects) and drop
    `deletions` in one task's data."""
    data.update(copy.deepcopy(dict(modifications)))
    for name in deletions:
        data.pop(name, None)


def apply(workflow: Any, modifications: Mapping[str, Any], deletions: Sequence[str]) -> list[Any]:
    """Change the data everywhere the process will still read it: every unfinished task, their
    parents (waiting tasks re-inherit a parent's data when refreshed) and the last completed
    task (the instance's variables are read from it); an instance not yet started, its root.
    Returns the unfinished tasks."""
    unfinished = workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)
    targets = {t.id: t for t in unfinished}
    for task in unfinished:
        if task.parent is not None:
            targets.setdefault(task.parent.id, task.parent)
    last = workflow.last_task
    if last is not None:
        targets.setdefault(last.id, last)
    else:
        targets.setdefault(workflow.task_tree.id, workflow.task_tree)
    for task in targets.values():
        change(task.data, modifications, deletions)
    return unfinished


def variables_of(workflow: Any, fallback: dict[str, Any]) -> dict[str, Any]:
    """The instance's variables as a step reads them: the last completed task's data (an
    instance not yet started: its root's)."""
    source = workflow.last_task or workflow.task_tree
    data = json_safe(source.data) if source is not None else fallback
    return data if isinstance(data, dict) else fallback


def save_edit(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    *,
    actor: str | None,
    event: str,
    data: dict[str, Any],
    task: Any = None,
) -> None:
    """Save the instance's changed state without running anything, with one history event
    (on `task`'s element when given); the row's variables follow."""
    row, workflow = loaded.row, loaded.workflow
    spec = getattr(task, "task_spec", None)
    loaded.writes.history.append(
        history_row(
            row.id,
            event,
            actor=actor,
            data=data,
            element_id=getattr(spec, "bpmn_id", None),
            element_type=type(spec).__name__ if spec is not None else None,
            task_id=getattr(task, "id", None),
        )
    )
    variables = variables_of(workflow, row.variables)
    if not state.same(variables, row.variables):
        loaded.changes["variables"] = variables
    loaded.changes["updated_at"] = clock.now()
    runtime.save(session, loaded, state.dump(workflow))
    lock_version = row.lock_version
    engine.db.after_commit(lambda: engine.workflows.put(row.id, lock_version, workflow))


def refresh_ready(session: Session, loaded: Loaded, tasks: Iterable[Any]) -> None:
    """Ready human tasks show their data as it is now (`input`), and their due dates follow it;
    data that breaks a due date is refused (422 naming the element; the transaction, step
    included, rolls back)."""
    for task in tasks:
        if not (task.has_state(TaskState.READY) and task.task_spec.manual):
            continue
        meta = loaded.definition.meta_for(task)
        element_id = task.task_spec.bpmn_id
        data = json_safe(task.data)
        try:
            due = projection.due_date(meta, data, clock.now(), element_id)
        except EngineFailure as exc:
            raise InvalidData(
                "with these variables a task's due date cannot be computed",
                errors=[{"element_id": element_id, "message": exc.message}],
            ) from exc
        values: dict[str, Any] = {"input": data}
        if due is not None:
            values["due_at"] = due
        session.execute(update(TaskRecord).where(TaskRecord.id == task.id).values(**values))
