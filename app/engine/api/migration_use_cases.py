"""The acts of instance migration (实例迁移), one function each, `fn(session, *, actor, …)`:
generate a plan, validate it against instances, execute it (a batch, or a dry run). Each checks
the caller's access inside its transaction: instances named by id must be seen (404) and
controlled (403); a selection by filter keeps only the instances the caller controls."""

import uuid
from typing import cast, get_args

from sqlalchemy.orm import Session

from app.engine.api import access
from app.engine.migration_schemas import (
    MAX_VALIDATED,
    ActiveElementOut,
    ExecuteMigration,
    GeneratePlan,
    InstanceValidation,
    InstructionOut,
    MigrationBatchOut,
    MigrationPlanIn,
    MigrationPlanOut,
    MigrationSelection,
    UnmappedOut,
    ValidateMigration,
    ValidationReport,
    ValidationResult,
)
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import migration, migration_batches
from app.engine.runtime.engine import Engine
from app.engine.runtime.migration import Migration
from app.engine.runtime.migration_plan import pairs_of
from app.identity import audit
from app.identity.principal import Principal
from app.kit.errors import InvalidData, NotFound

ACTION = "instances.migrate"


def generate_plan(
    s: Session, *, engine: Engine, actor: Principal, body: GeneratePlan
) -> MigrationPlanOut:
    """The plan between two versions: explicit mappings, then equal ids (nothing is stored)."""
    plan = migration.prepare(
        engine,
        s,
        source_id=body.source_definition_id,
        target_id=body.target_definition_id,
        pairs=pairs_of(body.mappings),
        generate=True,
        prefix="",
    )
    return plan_out(plan)


def validate(
    s: Session, *, engine: Engine, actor: Principal, body: ValidateMigration
) -> ValidationReport:
    """What the plan would do to each selected instance; nothing changes."""
    plan = _checked_plan(engine, s, body.plan)
    ids = _selected(s, actor, plan, body.selection)
    if len(ids) > MAX_VALIDATED:
        message = (
            f"the selection holds {len(ids)} instances; validate at most {MAX_VALIDATED} at "
            "once (a batch validates each instance as it migrates it)"
        )
        raise InvalidData(message, errors=[{"field": "selection", "message": message}])
    rows = [(i, migration.examine(engine, s, plan, i)) for i in ids]
    return _report(s, rows)


def execute(
    s: Session, *, engine: Engine, actor: Principal, body: ExecuteMigration
) -> MigrationBatchOut | ValidationReport:
    """A batch migrating the selection in the background (audited), or, for a dry run, the
    validation report (nothing changes)."""
    if body.dry_run:
        return validate(s, engine=engine, actor=actor, body=body)
    plan = _checked_plan(engine, s, body.plan)
    ids = _selected(s, actor, plan, body.selection)
    if not ids:
        message = "the selection holds no running instance of the source version you control"
        raise InvalidData(message, errors=[{"field": "selection", "message": message}])
    requester = migration_batches.Requester(actor.sub, actor.name, actor.unit, sorted(actor.roles))
    batch = migration_batches.create(
        s,
        plan,
        instance_ids=ids,
        selection=body.selection.model_dump(mode="json", exclude_none=True),
        reason=body.reason,
        requester=requester,
    )
    out = MigrationBatchOut.model_validate(batch)
    audit.record(
        s,
        actor,
        "migration.create",
        object_type="migration_batch",
        object_id=str(batch.id),
        data={
            "source_definition_id": str(batch.source_definition_id),
            "target_definition_id": str(batch.target_definition_id),
            "process_key": batch.process_key,
            "source_version": batch.source_version,
            "target_version": batch.target_version,
            "instructions": batch.instructions,
            "selection": batch.selection,
            "total": batch.total,
            "reason": body.reason,
        },
    )
    return out


def _checked_plan(engine: Engine, s: Session, plan: MigrationPlanIn) -> Migration:
    return migration.prepare(
        engine,
        s,
        source_id=plan.source_definition_id,
        target_id=plan.target_definition_id,
        pairs=pairs_of(plan.instructions),
        generate=False,
    )


def _selected(
    s: Session, actor: Principal, plan: Migration, selection: MigrationSelection
) -> list[uuid.UUID]:
    """The instances a selection names: by id (each seen, controlled and of the source
    version), else the source version's running ones the caller controls that pass the filter."""
    if selection.instance_ids is not None:
        return [_named(s, actor, plan, i, n) for n, i in enumerate(selection.instance_ids)]
    found = selection.filter
    return migration_batches.candidates(
        s,
        source_id=plan.source.id,
        controlled=access.controlled_instance_ids(s, actor),
        business_key=found.business_key if found else None,
        unit=found.unit if found else None,
        status=found.status if found else None,
    )


def _named(
    s: Session, actor: Principal, plan: Migration, instance_id: uuid.UUID, index: int
) -> uuid.UUID:
    field = f"selection.instance_ids[{index}]"
    try:
        row = access.instance_to_control(s, actor, instance_id, ACTION)
    except NotFound as exc:
        raise NotFound(exc.detail, errors=[{"field": field, "message": exc.detail}]) from exc
    if row.definition_id != plan.source.id:
        message = (
            f"instance {instance_id} is on version {row.version} of '{row.process_key}', not "
            f"on the plan's source (version {plan.source.version} of '{plan.source.key}')"
        )
        raise InvalidData(message, errors=[{"field": field, "message": message}])
    return instance_id


def _report(s: Session, results: list[tuple[uuid.UUID, migration.Result]]) -> ValidationReport:
    instances = []
    for instance_id, result in results:
        row = s.get(ProcessInstance, instance_id)
        instances.append(
            InstanceValidation(
                instance_id=instance_id,
                business_key=row.business_key if row else None,
                status=row.status if row else "deleted",
                version=row.version if row else 0,
                result=cast(ValidationResult, result.outcome),  # examine's three outcomes
                reason=result.reason,
                elements=[ActiveElementOut.model_validate(e) for e in result.elements],
            )
        )
    counts = {k: sum(1 for i in instances if i.result == k) for k in get_args(ValidationResult)}
    return ValidationReport(total=len(instances), instances=instances, **counts)


def plan_out(plan: Migration) -> MigrationPlanOut:
    """A checked plan as the API shows it."""
    return MigrationPlanOut(
        source_definition_id=plan.source.id,
        target_definition_id=plan.target.id,
        process_key=plan.source.key,
        source_version=plan.source.version,
        target_process_key=plan.target.key,
        target_version=plan.target.version,
        instructions=[InstructionOut.model_validate(i) for i in plan.plan.instructions],
        unmapped=[UnmappedOut.model_validate(u) for u in plan.plan.unmapped],
        target_only=plan.plan.target_only,
    )
