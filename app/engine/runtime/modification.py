"""Instance modification (流程实例修改), as Camunda 7's `POST /process-instance/{id}/modification`:
cancel activity instances and start tokens before or after elements, in one step.

The instructions are checked first, all of them (`instructions.plan`), then applied to the
workflow in order, then the engine runs until it waits (`service.run_step`): the step's diffs
keep the task projection, timer jobs, message subscriptions and external tasks in step with
what the modification did. A subprocess a cancel leaves with nothing live is cancelled with it;
an instance left with nothing live ends `cancelled`.

A failure while applying or running on rolls everything back (422 `modification_failed`): an
operator's repair raises no incident of its own. An instance in `error` is repaired by a
modification that succeeds: it runs again and its open incidents are resolved.

A new token starts under a finished task of its own (a "carrier", the scope's start spec)
hung from the scope's root: SpiffWorkflow copies a task's data from its parent whenever it
updates the task, so the carrier holds what the token starts with — the instance's variables
(a subprocess's data inside one) and the instruction's variables.
"""

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.engine.parser import parsing
from app.engine.persist import history_row
from app.engine.persist.models import Incident, Job, ProcessDefinition, ProcessInstance
from app.engine.runtime import activities, advance, failures, instructions, notices, service
from app.engine.runtime import engine as runtime
from app.engine.runtime.advance import EngineFailure
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.instructions import Cancel, Flows, Move, Start
from app.engine.runtime.notices import Notice
from app.engine.runtime.service import Outcome
from app.engine.schemas import ModificationInstruction
from app.kit.clock import clock
from app.kit.errors import InstanceNotRunning, ModificationFailed

SEQUENCE_FLOW = f"{{{parsing.BPMN_NS}}}sequenceFlow"
EMPTIED = "the modification left nothing live"


def modify(
    engine: Engine,
    session: Session,
    *,
    instance_id: uuid.UUID,
    instructions_: Sequence[ModificationInstruction],
    reason: str,
    actor: str | None,
) -> Outcome:
    """Apply `instructions_` to a running (or failed) instance in one step, then run it until it
    waits; 409 for any other status, 422/409 naming each instruction that cannot apply."""
    loaded = runtime.load(engine, session, instance_id)
    row = loaded.row
    if row.status not in ("running", "error"):
        raise InstanceNotRunning(f"instance is {row.status}: only a running or failed one")
    moves = instructions.plan(loaded, list(instructions_), outgoing_flows(session, row))
    incidents = _run_again(session, row)
    applied = _apply(loaded, moves)
    record = {
        "reason": reason,
        "instructions": [i.model_dump(mode="json", exclude_defaults=True) for i in instructions_],
        "cancelled": applied.cancelled,
        "started": applied.started,
    }
    if applied.emptied:
        outcome = _cancel_instance(engine, session, loaded, actor, record)
    else:
        outcome = service.run_step(
            engine,
            session,
            loaded,
            _nothing,
            actor=actor,
            event="instance_modified",
            event_data=record,
        )
        if outcome.failure is not None:
            raise _failed(outcome.failure)
    _resolve(session, row, incidents, actor, reason)
    data = {"reason": reason, "instructions": record["instructions"]}
    notices.publish(session, Notice("instance.modified", instance=row, actor=actor, data=data))
    return outcome


def _nothing(_workflow: Any) -> None:
    """The step's own action: the modification is applied to the workflow already."""


def _cancel_instance(
    engine: Engine, session: Session, loaded: Loaded, actor: str | None, record: dict[str, Any]
) -> Outcome:
    """Nothing is live any more: the instance ends `cancelled`, and history says why."""
    row = loaded.row
    loaded.writes.history.append(history_row(row.id, "instance_modified", actor=actor, data=record))
    runtime.cancel(engine, session, loaded, actor=actor, note={"reason": EMPTIED})
    notices.publish(session, Notice("instance.cancelled", instance=row, actor=actor))
    return Outcome(row.id)


def _failed(failure: EngineFailure) -> ModificationFailed:
    return ModificationFailed(
        f"the process failed after the modification: {failure.message} (nothing was changed)",
        errors=[{"element_id": failure.element_id, "message": failure.message}],
    )


def outgoing_flows(session: Session, row: ProcessInstance) -> Flows:
    """The outgoing sequence flows of an element of the instance's diagram, as drawn (read
    from the stored file when first asked)."""
    read: list[Any] = []

    def flows(element_id: str) -> list[tuple[str, str]]:
        if not read:
            definition = session.get(ProcessDefinition, row.definition_id)
            assert definition is not None  # an instance's definition is never deleted
            read.append(parsing.parse_stored(definition.bpmn_xml))
        return [
            (str(flow.get("id")), str(flow.get("targetRef")))
            for flow in read[0].iter(SEQUENCE_FLOW)
            if flow.get("sourceRef") == element_id
        ]

    return flows


# --- applying the moves ---------------------------------------------------------------------


@dataclass
class Applied:
    """What the moves did, for history: each cancelled and started element instance."""

    cancelled: list[dict[str, Any]] = field(default_factory=list)
    started: list[dict[str, Any]] = field(default_factory=list)
    emptied: bool = False  # nothing of the instance is live any more


def _apply(loaded: Loaded, moves: list[Move]) -> Applied:
    """Apply the moves in order; 422 `modification_failed` when the engine refuses one (a new
    token's pre-script or input fails): the transaction then rolls back."""
    applied = Applied()

    def action(workflow: Any) -> None:
        touched: dict[int, Any] = {}
        if any(isinstance(m, Start) for m in moves):
            _skip_start(workflow)
        for move in moves:
            if isinstance(move, Cancel):
                for task in move.tasks:
                    touched[id(task.workflow)] = task.workflow
                    _cancel(task, move.index, applied)
            else:
                _start(loaded, move, applied)
        applied.emptied = _settle(workflow, touched, applied)
        _forget_gone_waits(workflow)

    try:
        advance.apply(loaded.workflow, action)
    except EngineFailure as failure:
        raise _failed(failure) from failure
    return applied


def _skip_start(workflow: Any) -> None:
    """An instance whose start failed was kept unstarted: the new tokens replace its start."""
    root = workflow.task_tree
    if root.has_state(TaskState.READY):
        root._drop_children()
        root._set_state(TaskState.COMPLETED)


def _cancel(task: Any, index: int, applied: Applied) -> None:
    """Cancel an element instance with what runs inside it and its waiting boundary events."""
    for target in [task, *activities.boundary_events(task)]:
        if target.has_state(TaskState.FINISHED_MASK):
            continue  # taken with an element an earlier instruction cancelled
        # What runs inside first, deepest first: SpiffWorkflow's cancel drops a task's
        # unfinished children from the tree unannounced, and a subprocess dropped so would
        # run on, unheld (a multi-instance subprocess's instances).
        inside = [t for t in target if t is not target and t.has_state(activities.LIVE)]
        for inner in reversed(inside):
            if not inner.has_state(TaskState.FINISHED_MASK):
                inner.cancel()
        target.cancel()
        applied.cancelled.append(_note(target, index))


def _start(loaded: Loaded, move: Start, applied: Applied) -> None:
    """A new token at the move's spec, under a carrier holding the data it starts with."""
    scope = move.scope
    if scope is loaded.workflow:
        data = copy.deepcopy(loaded.row.variables)
    else:
        data = copy.deepcopy((scope.last_task or scope.task_tree).data)
    data.update(copy.deepcopy(move.variables))
    root = scope.task_tree
    carrier = root._add_child(root.task_spec, TaskState.COMPLETED)
    carrier.triggered = True  # not part of the root's predicted outputs: never pruned by sync
    carrier.data = data
    token = carrier._add_child(move.spec, TaskState.FUTURE)
    token.task_spec._predict(token, mask=TaskState.NOT_FINISHED_MASK)
    token.task_spec._update(token)
    applied.started.append(_note(_element_of(token), move.index))


def _element_of(token: Any) -> Any:
    """The element's own task of a token (under the split of its boundary events, if any)."""
    if token.task_spec.bpmn_id is not None:
        return token
    return next(c for c in token.children if not isinstance(c.task_spec, BoundaryEvent))


def _note(task: Any, index: int | None) -> dict[str, Any]:
    return {
        "instruction": index,
        "activity_instance_id": str(task.id),
        "element_id": task.task_spec.bpmn_id,
    }


def _settle(top: Any, touched: dict[int, Any], applied: Applied) -> bool:
    """Scopes the cancels left with nothing live are cancelled, innermost first (a join that
    waited for a cancelled branch is asked again first); True when nothing of the instance is
    live any more."""
    pending = dict(touched)
    while pending:
        key = max(pending, key=lambda k: pending[k].depth)
        workflow = pending.pop(key)
        workflow.update_waiting_tasks()
        if activities.has_live(workflow):
            continue
        if workflow is top:
            return True
        holder = activities.holder(workflow.task_tree)
        if not holder.has_state(TaskState.FINISHED_MASK):
            holder.cancel()
            applied.cancelled.append({**_note(holder, None), "emptied": True})
        pending[id(holder.workflow)] = holder.workflow
    return False


def _forget_gone_waits(workflow: Any) -> None:
    """Catch events dropped from the tree with a cancelled parent (not cancelled themselves)
    leave SpiffWorkflow's event list: no job or subscription is kept for them."""
    manager = workflow.event_manager
    for task_id, task in list(manager.tasks.items()):
        if task.has_state(TaskState.FINISHED_MASK) or task.workflow.tasks.get(task_id) is not task:
            manager.remove_task(task)


# --- a failed instance runs again ------------------------------------------------------------


def _run_again(session: Session, row: ProcessInstance) -> list[Incident]:
    """An instance in `error` runs again (before the step, so that reaching the end completes
    it); its open incidents, resolved once the modification succeeded (`_resolve`)."""
    if row.status != "error":
        return []
    row.status = "running"
    row.updated_at = clock.now()
    session.flush()  # the version-checked UPDATE: a concurrent writer makes this one retry
    query = select(Incident).where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
    return list(session.scalars(query.order_by(Incident.created_at)))


def _resolve(
    session: Session,
    row: ProcessInstance,
    incidents: list[Incident],
    actor: str | None,
    reason: str,
) -> None:
    """The repaired instance's incidents are resolved (`modified`, the reason as the note); its
    failed timers wait again."""
    if not incidents:
        return
    for incident in incidents:
        failures.close(session, incident, actor=actor, resolution="modified", note=reason)
    session.execute(
        update(Job)
        .where(Job.instance_id == row.id, Job.status == "failed")
        .values(status="waiting", locked_by=None, locked_until=None)
    )
    session.flush()
