"""Migrating one instance (实例迁移): its workflow onto the target version (`migration_state`),
and every row that names its elements (`migration_rows`), in the caller's transaction. Domain
records (matters, deadlines, timelines) are not touched: they name the instance, never its
elements.

What the instance waits for does not change: the same tasks stay ready (same ids, assignees,
units, due times, creation times), the same timers wait with the same due times, the same
subscriptions wait. Only what they are elements of changes, and what follows them.
"""

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.engine.persist import state
from app.engine.persist.models import ProcessDefinition, ProcessInstance
from app.engine.runtime import engine as runtime
from app.engine.runtime import migration_plan, migration_rows, migration_state
from app.engine.runtime.caches import CachedDefinition, called_definitions
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.migration_rows import Waiting
from app.engine.runtime.migration_state import ActiveElement, Retarget
from app.kit.errors import InvalidData, NotFound

log = logging.getLogger(__name__)

MIGRATABLE = ("running", "error")

Outcome = Literal["migrated", "migratable", "not_migratable", "failed", "skipped"]


@dataclass(frozen=True)
class Result:
    """What became of one instance (or would, for a validation)."""

    outcome: Outcome
    reason: str | None = None
    elements: list[ActiveElement] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    """The target's specs as one instance runs them (its late bindings) and the called
    processes the target calls at the same version as the source."""

    cached: CachedDefinition
    bindings: dict[str, str]
    same_called: frozenset[str]


@dataclass
class Migration:
    """A checked plan between two versions, ready to apply to instances."""

    source: ProcessDefinition
    target: ProcessDefinition
    plan: migration_plan.Plan
    _targets: dict[frozenset[tuple[str, str]], _Target] = field(default_factory=dict)

    @property
    def elements(self) -> dict[str, str]:
        return self.plan.elements

    def target_for(self, engine: Engine, session: Session, row: ProcessInstance) -> _Target:
        """The target's specs for this instance: a called process the source bound late stays
        bound where the target does not pin it."""
        key = frozenset(row.bindings.items())
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._resolve(engine, session, row.bindings)
        return found

    def _resolve(self, engine: Engine, session: Session, bindings: dict[str, str]) -> _Target:
        unbound = engine.specs.get(session, self.target.id).bundle.missing
        kept = {k: v for k, v in bindings.items() if k in unbound}
        cached, target_bindings = engine.specs.bind(session, self.target.id, kept)
        before = {d.key: d.id for d in called_definitions(session, self.source, bindings)}
        after = {d.key: d.id for d in called_definitions(session, self.target, target_bindings)}
        same = frozenset(k for k, v in before.items() if after.get(k) == v)
        return _Target(cached, target_bindings, same)


def prepare(
    engine: Engine,
    session: Session,
    *,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    pairs: list[tuple[str, str]],
    generate: bool,
    prefix: str = "plan.",
) -> Migration:
    """The plan between two deployed versions: generated from `pairs` (explicit mappings, the
    rest by equal ids), or checked as given; 404/422 naming what is wrong (fields named
    with `prefix`)."""
    source = _definition(session, source_id, f"{prefix}source_definition_id")
    target = _definition(session, target_id, f"{prefix}target_definition_id")
    if source.id == target.id:
        message = "the source and the target are the same version"
        raise InvalidData(
            message, errors=[{"field": f"{prefix}target_definition_id", "message": message}]
        )
    old = engine.specs.get(session, source.id).bundle
    new = engine.specs.get(session, target.id).bundle
    if generate:
        plan = migration_plan.generate(old, new, pairs)
    else:
        plan = migration_plan.check(old, new, pairs)
    return Migration(source, target, plan)


def _definition(session: Session, definition_id: uuid.UUID, name: str) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        message = f"process definition {definition_id} not found"
        raise NotFound(message, errors=[{"field": name, "message": message}])
    return definition


# --- one instance ------------------------------------------------------------------------------


def examine(
    engine: Engine, session: Session, migration: Migration, instance_id: uuid.UUID
) -> Result:
    """Whether the instance would migrate, and what each of its active elements would become;
    nothing changes."""
    checked = _checked(engine, session, migration, instance_id)
    if isinstance(checked, Result):
        failed = checked.outcome == "failed"
        return Result("not_migratable", checked.reason) if failed else checked
    loaded, _target, retarget = checked
    engine.workflows.put(loaded.row.id, loaded.row.lock_version, loaded.workflow)  # unchanged
    outcome: Outcome = "migratable" if retarget.migratable else "not_migratable"
    return Result(outcome, _refusal(retarget), retarget.active)


def migrate(
    engine: Engine,
    session: Session,
    migration: Migration,
    instance_id: uuid.UUID,
    *,
    actor: str | None,
    batch_id: uuid.UUID | None,
    reason: str,
    pending: migration_rows.Pending,
) -> Result:
    """Move one instance onto the target version, in the caller's transaction (its rows go
    into `pending`, which the caller sends); `failed` (with the reason, nothing written) when
    an active element does not map."""
    checked = _checked(engine, session, migration, instance_id)
    if isinstance(checked, Result):
        return checked
    loaded, target, retarget = checked
    if not retarget.migratable:
        engine.workflows.put(loaded.row.id, loaded.row.lock_version, loaded.workflow)
        return Result("failed", _refusal(retarget), retarget.active)
    moved = _move(loaded.workflow, retarget, target)
    if isinstance(moved, str):
        return Result("failed", moved, retarget.active)
    stored, waiting = moved
    written = migration_rows.Written(
        migration.target, target.cached, target.bindings, actor, batch_id, reason, retarget.active
    )
    migration_rows.write(engine, session, loaded, stored, waiting, written, pending)
    return Result("migrated", None, retarget.active)


def _checked(
    engine: Engine, session: Session, migration: Migration, instance_id: uuid.UUID
) -> Result | tuple[Loaded, _Target, Retarget]:
    """The instance loaded and examined, or why it is skipped."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        return Result("skipped", "the instance no longer exists")
    if row.definition_id == migration.target.id:
        return Result("skipped", "the instance is on the target version already")
    if row.definition_id != migration.source.id:
        return Result(
            "skipped",
            f"the instance is on version {row.version} of '{row.process_key}', not the source",
        )
    if row.status not in MIGRATABLE:
        return Result("skipped", f"the instance is {row.status}")
    loaded = runtime.load(engine, session, instance_id)
    target = migration.target_for(engine, session, loaded.row)
    try:
        retarget = migration_state.examine(
            loaded.workflow, target.cached, migration.elements, target.same_called
        )
    except Exception as exc:  # a workflow shape the alignment does not know: logged, and
        # the instance's result names it (nothing was changed)
        log.exception("instance migration could not examine instance %s", instance_id)
        return Result("failed", f"the engine could not examine the instance: {exc!r}")
    return loaded, target, retarget


def _refusal(retarget: Retarget) -> str | None:
    missing = [a for a in retarget.active if a.target_element_id is None]
    if not missing:
        return None
    named = ", ".join(f"'{a.element_id}'" for a in missing)
    return f"active elements that do not map: {named}"


def _move(workflow: Any, retarget: Retarget, target: _Target) -> tuple[str, "Waiting"] | str:
    """The state on the target's specs and what the workflow, as the target restores it, waits
    for; or why it cannot be moved."""
    before = Waiting.of(workflow)
    try:
        migration_state.apply(retarget)
        stored = state.dump(workflow)
        moved = state.load(stored, target.cached.bundle.spec, target.cached.bundle.subprocess_specs)
    except Exception as exc:  # whatever SpiffWorkflow raises on a shape it cannot move: logged,
        # and the instance's result (failed, nothing written) names it
        log.exception("instance migration failed in the engine")
        return f"the engine could not move the instance: {type(exc).__name__}: {exc}"
    after = Waiting.of(moved)
    if after.key != before.key:
        return "after the migration the instance would not wait for the same tasks and events"
    return stored, after
