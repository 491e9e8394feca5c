"""Advance a workflow until it waits: the engine part of a step, its limits and its failures."""

import time
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.util.task import TaskState

from app.engine.runtime import events
from app.engine.script import expressions
from app.engine.specs import compensation
from app.kit.clock import clock

# Engine-only tasks (scripts, gateways, events) one step may run; loops past this never wait,
# and past ~1,000 levels of one step SpiffWorkflow's task iterator stops finding tasks anyway.
MAX_ENGINE_TASKS_PER_STEP = 1_000


class EngineFailure(Exception):
    """The process itself failed in a step (refused or failing expression): needs an incident."""

    def __init__(self, message: str, element_id: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


def run(workflow: Any, action: Callable[[Any], None]) -> list[Any]:
    """Run `action`, then the engine until it waits; the tasks it completed.

    Any failure is an EngineFailure; the workflow is then half-advanced and must be discarded.
    """
    completed: list[Any] = []
    guard = _RunawayGuard()
    try:
        events.collapse_missed_cycles(workflow, clock.now())
        since = time.time()  # SpiffWorkflow stamps state changes with time.time()
        action(workflow)
        workflow.do_engine_steps(will_complete_task=guard, did_complete_task=completed.append)
        # A fired timer may make further tasks ready only on a second pass.
        workflow.refresh_timers()
        workflow.do_engine_steps(will_complete_task=guard, did_complete_task=completed.append)
        for _ in range(MAX_ENGINE_TASKS_PER_STEP):  # each round runs a task: the guard bounds it
            if not events.fire_conditions(workflow, since):
                break
            since = time.time()
            workflow.do_engine_steps(will_complete_task=guard, did_complete_task=completed.append)
        _check_progress(workflow)
        completed[:] = [h for t in completed for h in (*compensation.handlers_run(t), t)]
    except Exception as exc:
        raise _failure(exc, guard.current) from exc
    return completed


def apply(workflow: Any, action: Callable[[Any], None]) -> None:
    """Run `action` alone, without running the engine after it: an operator's change to the
    task tree (instance modification), whose failures are the process's as in `run`.

    Any failure is an EngineFailure; the workflow is then half-changed and must be discarded.
    """
    try:
        action(workflow)
    except Exception as exc:  # as in `run`: whatever the engine raised, named and passed on
        raise _failure(exc) from exc


class RunawayStep(Exception):
    """One step ran more engine tasks than any process needs: a loop that never waits."""

    def __init__(self, task: Any) -> None:
        super().__init__(
            f"more than {MAX_ENGINE_TASKS_PER_STEP} engine tasks ran without waiting for "
            "a person, a timer or a message: a loop that never waits?"
        )
        self.task = task


class _RunawayGuard:
    """Counts the engine tasks of one step; stops the step past the limit."""

    def __init__(self) -> None:
        self.count = 0
        self.current: Any = None  # the engine task being completed (where a failure arose)

    def __call__(self, task: Any) -> None:
        self.current = task
        self.count += 1
        if self.count > MAX_ENGINE_TASKS_PER_STEP:
            raise RunawayStep(task)


def _check_progress(workflow: Any) -> None:
    """An unfinished process must wait for something: else it can never move again."""
    if workflow.completed or workflow.event_manager.tasks:
        return
    ready = workflow.get_next_task(state=TaskState.READY)
    if ready is None or not ready.task_spec.manual:
        raise ProcessStuck("the process can go no further: no task is ready and nothing awaited")


class ProcessStuck(Exception):
    """The process is neither finished nor waiting for anything (a dead end in the diagram)."""


def _failure(exc: Exception, current: Any = None) -> EngineFailure:
    """An incident-ready failure: the element that failed and the innermost reason.

    SpiffWorkflow names the task in its own errors; a bare Python error (e.g. a multi-instance
    collection that is None) is charged to the element whose completion was under way
    (`current`), so that no incident names no element.
    """
    task = getattr(exc, "task", None)
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    if element_id is None:
        element_id = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
    if element_id is None:
        element_id = getattr(getattr(current, "task_spec", None), "bpmn_id", None)
    cause = _root_cause(exc)
    if isinstance(cause, expressions.ExpressionRefused):
        return EngineFailure(f"expression refused: {cause.reason}", element_id)
    if isinstance(cause, expressions.ExpressionError):
        return EngineFailure(str(cause), element_id)
    if cause is not exc:
        return EngineFailure(f"{exc}: {type(cause).__name__}: {cause}", element_id)
    return EngineFailure(str(exc), element_id)


def _root_cause(exc: BaseException) -> BaseException:
    """Our expression error inside `exc` (SpiffWorkflow wraps it without `from`), else the
    innermost exception."""
    seen = {id(exc)}
    while not isinstance(exc, expressions.ExpressionRefused | expressions.ExpressionError):
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner
    return exc
