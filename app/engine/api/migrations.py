"""Routes: migrate running instances to another version (实例迁移), as Camunda 7's migration API
does — generate a plan, validate it, execute it as a background batch — and watch the batches.

Routes validate, take their dependencies, call one use case (`migration_use_cases.py`) or read
and return a schema."""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Response, status

from app.deps import SessionDep
from app.engine.api import migration_queries, migration_use_cases
from app.engine.api.deps import EngineDep, model_response, run
from app.engine.migration_schemas import (
    ExecuteMigration,
    GeneratePlan,
    MigrationBatchOut,
    MigrationItemOut,
    MigrationPlanOut,
    ValidateMigration,
    ValidationReport,
)
from app.engine.persist.models import MigrationBatch, MigrationItem
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/migrations", tags=["migrations"], responses=ERRORS)
Migrator = Annotated[Principal, Depends(permission("instances.migrate"))]


def readable_batch(batch_id: uuid.UUID, s: SessionDep, principal: Migrator) -> MigrationBatch:
    """The batch of the path, if the caller may see it; 404 otherwise."""
    return migration_queries.readable_batch(s, principal, batch_id)


ReadableBatch = Annotated[MigrationBatch, Depends(readable_batch)]


@router.post("/plan", response_model=MigrationPlanOut)
def generate_plan(
    body: GeneratePlan, s: SessionDep, engine: EngineDep, principal: Migrator
) -> MigrationPlanOut:
    """The plan from one version to another: your `mappings` for renamed elements, every other
    element by equal id when its type is compatible; the elements left unmapped and why. 422
    naming `mappings[i]` for an unknown element or incompatible types."""
    return migration_use_cases.generate_plan(s, engine=engine, actor=principal, body=body)


@router.post("/validate", response_model=ValidationReport)
def validate(
    body: ValidateMigration, s: SessionDep, engine: EngineDep, principal: Migrator
) -> ValidationReport:
    """Each selected instance against the plan: which active elements map (to what), which do
    not and why, which instances are skipped; counts. Nothing changes."""
    return migration_use_cases.validate(s, engine=engine, actor=principal, body=body)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MigrationBatchOut,
    responses={200: {"model": ValidationReport, "description": "a dry run's report"}},
)
def execute(body: ExecuteMigration, engine: EngineDep, principal: Migrator) -> Response:
    """Migrate the selection in the background: 202 with the batch (follow it at
    `/migrations/{id}`). With `dry_run` the validation report (200), and nothing changes."""
    result = run(engine, migration_use_cases.execute, engine=engine, actor=principal, body=body)
    if isinstance(result, ValidationReport):
        return model_response(result)
    return model_response(result, status.HTTP_202_ACCEPTED)


@router.get("", response_model=Page[MigrationBatchOut])
def list_batches(
    s: SessionDep,
    principal: Migrator,
    status_: Annotated[
        Literal["pending", "running", "completed"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MigrationBatchOut]:
    """Batches asked for by units in your scope, newest first."""
    query = migration_queries.filtered_batches(s, principal, status=status_)
    return page(s, query, MigrationBatch.created_at.desc(), MigrationBatchOut, limit, offset)


@router.get("/{batch_id}", response_model=MigrationBatchOut)
def get_batch(batch: ReadableBatch) -> MigrationBatchOut:
    """A batch's progress: status, total, migrated, failed, skipped, started and finished."""
    return MigrationBatchOut.model_validate(batch)


@router.get("/{batch_id}/instances", response_model=Page[MigrationItemOut])
def list_batch_instances(
    batch: ReadableBatch,
    s: SessionDep,
    status_: Annotated[
        Literal["pending", "migrated", "failed", "skipped"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MigrationItemOut]:
    """The batch's instances in order, each with its result and why (failed, skipped)."""
    query = migration_queries.batch_items(batch.id, status=status_)
    return page(s, query, MigrationItem.position, MigrationItemOut, limit, offset)
