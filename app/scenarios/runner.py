"""Run one scenario through the engine's own use cases, as the REST routes and the scheduler do.

The instance starts with `start_instance`, a task completes with `complete_task` (its form
validates the data as the REST API does), timers fire through the scheduler's own round
(`Scheduler.run_due`, after the clock moves), messages correlate with `correlate_message`.
Step handlers are off: the engine the runner drives has none (see `command`).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import (
    Engine,
    HistoryEvent,
    Incident,
    Outcome,
    ProcessInstance,
    Scheduler,
    TaskRecord,
    cancel_instance,
    complete_task,
    correlate_message,
    start_instance,
)
from app.kit.clock import clock
from app.kit.errors import DomainError
from app.scenarios.files import Scenario, Step

ACTOR = "scenario"
# A timer that keeps making timers due at once (a cycle far behind) stops here.
MAX_TIMER_ROUNDS = 100


class Mismatch(Exception):
    """What the scenario expected and what happened instead."""


@dataclass(frozen=True)
class Result:
    """One scenario's verdict: `failure` is None when it passed."""

    file: str
    name: str
    failure: str | None = None
    step: int | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass
class Observed:
    """The instance as the database shows it after a step."""

    status: str
    variables: dict[str, Any]
    ready: list[tuple[str, str | None]]  # element id, unit, oldest first
    path: list[tuple[str, str | None]]  # element id, element type, in completion order
    incidents: list[tuple[str | None, str]]  # element id, message

    @property
    def ready_ids(self) -> list[str]:
        return sorted(element for element, _ in self.ready)

    @property
    def path_ids(self) -> list[str]:
        return [element for element, _ in self.path]


@dataclass
class Run:
    """One scenario in progress: the engine, its main instance, every instance it made."""

    engine: Engine
    scheduler: Scheduler
    scenario: Scenario
    instance_id: uuid.UUID | None = None
    made: list[uuid.UUID] = field(default_factory=list)

    def transaction(self, work: Callable[[Session], Any]) -> Any:
        """`work` in one transaction; a refusal (a form's 422, a task not ready) is a mismatch."""
        try:
            return self.engine.db.transaction(work)
        except DomainError as exc:
            details = "; ".join(_error_text(e) for e in exc.errors)
            raise Mismatch(f"{exc.detail}: {details}" if details else exc.detail) from exc

    def observe(self) -> Observed:
        """The main instance's status, variables, ready tasks, path and incidents."""
        assert self.instance_id is not None
        with self.engine.db.session() as s:
            return observe(s, self.instance_id)


def run(engine: Engine, scheduler: Scheduler, scenario: Scenario) -> Result:
    """Start the scenario's instance, run its steps; the first mismatch fails it.

    The clock is frozen at the scenario's `now` and moved only by its steps; instances the
    scenario leaves running are cancelled, so that the next one's messages and timers meet
    only its own.
    """
    clock.freeze(scenario.now)
    current = Run(engine, scheduler, scenario)
    step: Step | None = None
    try:
        _start(current)
        for step in scenario.steps:
            ACTIONS[step.kind](current, step)
            _check(current, step)
    except Mismatch as mismatch:
        where = f"{step.label}: " if step is not None else "start: "
        return Result(
            scenario.file, scenario.name, where + str(mismatch), step.index if step else None
        )
    finally:
        _cancel_running(current)
        clock.reset()
    return Result(scenario.file, scenario.name)


def _start(current: Run) -> None:
    scenario = current.scenario

    def work(s: Session) -> Outcome:
        return start_instance(
            current.engine,
            s,
            process_key=scenario.process,
            version=None,
            business_key=scenario.business_key,
            variables=scenario.variables,
            actor=ACTOR,
            unit_code=scenario.unit,
        )

    outcome: Outcome = current.transaction(work)
    current.instance_id = outcome.instance_id
    current.made.append(outcome.instance_id)
    if outcome.failure is not None:
        raise Mismatch(f"the process failed at {outcome.failure.element_id}: {outcome.failure}")


def _complete(current: Run, step: Step) -> None:
    data = step.options.get("data") or {}

    def work(s: Session) -> Outcome:
        record = _ready_task(s, current, step.target, step.options.get("unit"))
        return complete_task(current.engine, s, task_id=record.id, variables=data, actor=ACTOR)

    current.transaction(work)


def _ready_task(s: Session, current: Run, element_id: str, unit: str | None) -> TaskRecord:
    """The oldest ready task of `element_id` (of `unit`, when named) in the main instance."""
    query = select(TaskRecord).where(
        TaskRecord.instance_id == current.instance_id,
        TaskRecord.state == "ready",
        TaskRecord.element_id == element_id,
    )
    if unit is not None:
        query = query.where(TaskRecord.unit_code == str(unit))
    record = s.scalars(query.order_by(TaskRecord.created_at, TaskRecord.id)).first()
    if record is None:
        ready = current.observe().ready
        of_unit = f" of unit {unit}" if unit is not None else ""
        raise Mismatch(
            f"no ready task {element_id}{of_unit}; ready: "
            + (", ".join(f"{e} ({u})" if u else e for e, u in ready) or "none")
        )
    return record


def _advance(current: Run, step: Step) -> None:
    clock.advance(step.target)
    _fire_due(current)


def _advance_to(current: Run, step: Step) -> None:
    now = clock.now()
    if step.target < now:
        raise Mismatch(f"the clock is already at {now.isoformat()}: it only moves forward")
    clock.advance(step.target - now)
    _fire_due(current)


def _fire_due(current: Run) -> None:
    """Every due timer, fired by the scheduler's own round, until none is due."""
    for _ in range(MAX_TIMER_ROUNDS):
        if current.scheduler.run_due() == 0:
            return
    raise Mismatch(f"timers were still due after {MAX_TIMER_ROUNDS} rounds")


def _message(current: Run, step: Step) -> None:
    def work(s: Session) -> Any:
        return correlate_message(
            current.engine,
            s,
            name=step.target,
            correlation_key=_text(step.options.get("correlation")),
            variables=step.options.get("payload") or {},
            actor=ACTOR,
        )

    result, _outcomes = current.transaction(work)
    current.made.extend(result.started)


def _expect_only(_current: Run, _step: Step) -> None:
    """An `expect` step acts on nothing: its assertions are checked like any step's."""


# What each step kind does. A `signal` (when the engine broadcasts signals) or a `decision`
# (when business rule tasks evaluate DMN) is one more entry here calling the engine's use
# case, and one more kind in files.STEP_KINDS.
ACTIONS: dict[str, Callable[[Run, Step], None]] = {
    "complete": _complete,
    "advance": _advance,
    "advance_to": _advance_to,
    "message": _message,
    "expect": _expect_only,
}


def _check(current: Run, step: Step) -> None:
    """The step's assertions; a process failure is a mismatch unless the step expects it."""
    seen = current.observe()
    if seen.status == "error" and "error" not in step.expect:
        where, message = seen.incidents[-1] if seen.incidents else (None, "unknown")
        raise Mismatch(f"the process failed at {where}: {message}")
    for key, expected in step.expect.items():
        CHECKS[key](seen, expected)


def observe(s: Session, instance_id: uuid.UUID) -> Observed:
    """What the database says of an instance (the projection and the history the API shows)."""
    row = s.get(ProcessInstance, instance_id)
    assert row is not None
    ready = s.execute(
        select(TaskRecord.element_id, TaskRecord.unit_code)
        .where(TaskRecord.instance_id == instance_id, TaskRecord.state == "ready")
        .order_by(TaskRecord.created_at, TaskRecord.id)
    ).all()
    path = s.execute(
        select(HistoryEvent.element_id, HistoryEvent.element_type)
        .where(
            HistoryEvent.instance_id == instance_id,
            HistoryEvent.event.in_(("element_completed", "task_completed")),
        )
        .order_by(HistoryEvent.id)
    ).all()
    incidents = s.execute(
        select(Incident.element_id, Incident.message)
        .where(Incident.instance_id == instance_id)
        .order_by(Incident.created_at)
    ).all()
    return Observed(
        status=row.status,
        variables=dict(row.variables or {}),
        ready=[(e, u) for e, u in ready],
        path=[(e, t) for e, t in path if e is not None],
        incidents=[(e, m) for e, m in incidents],
    )


def _cancel_running(current: Run) -> None:
    for instance_id in current.made:
        with current.engine.db.session() as s:
            row = s.get(ProcessInstance, instance_id)
            running = row is not None and row.status in ("running", "error")
        if running:
            current.engine.db.transaction(_canceller(current.engine, instance_id))


def _canceller(engine: Engine, instance_id: uuid.UUID) -> Callable[[Session], None]:
    def work(s: Session) -> None:
        cancel_instance(engine, s, instance_id=instance_id, actor=ACTOR)

    return work


# --- assertions: each raises Mismatch naming what it expected and what it saw ---------------


def _ready(seen: Observed, expected: Any) -> None:
    want = sorted(str(e) for e in _listed(expected))
    if want != seen.ready_ids:
        raise Mismatch(f"expected ready {want}, got {seen.ready_ids}")


def _path(seen: Observed, expected: Any) -> None:
    want = [str(e) for e in _listed(expected)]
    if want != seen.path_ids:
        raise Mismatch(f"expected path {want}, got {seen.path_ids}")


def _path_includes(seen: Observed, expected: Any) -> None:
    remaining = iter(seen.path_ids)
    for element in _listed(expected):
        if str(element) not in remaining:  # consumes up to the match: order is kept
            raise Mismatch(
                f"expected the path to pass {_listed(expected)} in this order, got {seen.path_ids}"
            )


def _passed(seen: Observed, expected: Any) -> None:
    missing = [e for e in _listed(expected) if str(e) not in seen.path_ids]
    if missing:
        raise Mismatch(f"expected {missing} completed, got path {seen.path_ids}")


def _not_passed(seen: Observed, expected: Any) -> None:
    found = [e for e in _listed(expected) if str(e) in seen.path_ids]
    if found:
        raise Mismatch(f"expected {found} not completed, got path {seen.path_ids}")


def _variables(seen: Observed, expected: Any) -> None:
    problem = _subset_problem(expected, seen.variables, "")
    if problem:
        raise Mismatch(problem)


def _status(seen: Observed, expected: Any) -> None:
    if str(expected) != seen.status:
        raise Mismatch(f"expected status {expected}, got {seen.status} (ready {seen.ready_ids})")


def _end(seen: Observed, expected: Any) -> None:
    ends = [e for e, kind in seen.path if kind == "EndEvent"]
    if seen.status != "completed" or str(expected) not in ends:
        raise Mismatch(
            f"expected the instance completed at {expected}, got {seen.status} "
            f"(end events {ends}, ready {seen.ready_ids})"
        )


def _error(seen: Observed, expected: Any) -> None:
    at = [e for e, _ in seen.incidents]
    if seen.status != "error" or str(expected) not in at:
        raise Mismatch(f"expected an error at {expected}, got {seen.status} (incidents at {at})")


CHECKS: dict[str, Callable[[Observed, Any], None]] = {
    "ready": _ready,
    "path": _path,
    "path_includes": _path_includes,
    "passed": _passed,
    "not_passed": _not_passed,
    "variables": _variables,
    "status": _status,
    "end": _end,
    "error": _error,
}


def _subset_problem(expected: Any, actual: Any, where: str) -> str | None:
    """Why `actual` does not hold `expected` (mappings: the keys named, recursively)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"expected variable {where or '.'} to be a mapping, got {actual!r}"
        for key, value in expected.items():
            name = f"{where}.{key}" if where else str(key)
            if key not in actual:
                return f"expected variable {name} = {value!r}, it is not set"
            problem = _subset_problem(value, actual[key], name)
            if problem:
                return problem
        return None
    if expected != actual:
        return f"expected variable {where} = {expected!r}, got {actual!r}"
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _error_text(error: dict[str, Any]) -> str:
    where = error.get("field") or error.get("element_id")
    return f"{where}: {error.get('message')}" if where else str(error.get("message"))
