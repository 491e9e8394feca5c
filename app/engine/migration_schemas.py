"""Request and response bodies of instance migration (实例迁移): plans, validation reports,
batches and their per-instance results."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.kit.bounds import NO_NUL, Input

ElementId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]
# How many instances one request may name, and one validation (or dry run) may examine: a
# batch (execute) examines each instance as it migrates, so it has no such bound.
MAX_NAMED = 10_000
MAX_VALIDATED = 5_000

ValidationResult = Literal["migratable", "not_migratable", "skipped"]


class ElementMapping(Input):
    """One instruction: an element of the source version and what it becomes in the target."""

    source_element_id: ElementId
    target_element_id: ElementId


class GeneratePlan(Input):
    """What a plan is generated from: two versions and the mappings of renamed elements."""

    source_definition_id: uuid.UUID
    target_definition_id: uuid.UUID
    mappings: list[ElementMapping] = Field(default_factory=list, max_length=1_000)


class MigrationPlanIn(Input):
    """A plan as validate and execute take it: the generated plan, given back (its other
    fields are ignored), or written by hand. Only these instructions map: none is added."""

    source_definition_id: uuid.UUID
    target_definition_id: uuid.UUID
    instructions: list[ElementMapping] = Field(max_length=1_000)


class InstructionOut(BaseModel):
    """Source element → target element; `auto` when mapped because the ids are equal."""

    model_config = ConfigDict(from_attributes=True)

    source_element_id: str
    target_element_id: str
    element_type: str
    target_element_type: str
    auto: bool


class UnmappedOut(BaseModel):
    """A source element no instruction maps: an instance at it cannot migrate."""

    model_config = ConfigDict(from_attributes=True)

    element_id: str
    element_type: str
    reason: str


class MigrationPlanOut(BaseModel):
    """A plan: what each source element becomes; pass it back to validate and execute."""

    source_definition_id: uuid.UUID
    target_definition_id: uuid.UUID
    process_key: str
    source_version: int
    target_process_key: str
    target_version: int
    instructions: list[InstructionOut]
    unmapped: list[UnmappedOut] = Field(description="source elements no instruction maps")
    target_only: list[str] = Field(description="target elements nothing maps onto (new ones)")


class SelectionFilter(Input):
    """Running instances of the source version by business key, owner unit or status."""

    business_key: Annotated[str, StringConstraints(max_length=255, pattern=NO_NUL)] | None = None
    unit: Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)] | None = None
    status: Literal["running", "error"] | None = None


class MigrationSelection(Input):
    """Which instances: by id, by filter, or all; always only those of the plan's source
    version that are running (or in error) and that the caller controls."""

    instance_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_NAMED)
    filter: SelectionFilter | None = None
    all: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> "MigrationSelection":
        given = [self.instance_ids is not None, self.filter is not None, self.all]
        if sum(given) != 1:
            raise ValueError("give exactly one of instance_ids, filter or all: true")
        return self


class ValidateMigration(Input):
    """A plan and the instances to check it against."""

    plan: MigrationPlanIn
    selection: MigrationSelection


class ExecuteMigration(ValidateMigration):
    """Migrate the selection in the background (202, a batch), or only report (`dry_run`)."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2_000, pattern=NO_NUL)]
    dry_run: bool = False


class ActiveElementOut(BaseModel):
    """An element an instance is at, what it becomes, or why it cannot."""

    model_config = ConfigDict(from_attributes=True)

    element_id: str
    element_type: str
    target_element_id: str | None
    reason: str | None = None
    called_process: str | None = Field(
        default=None, description="the called process the element is in (it keeps its version)"
    )


class InstanceValidation(BaseModel):
    """One instance against a plan: migratable, not (its elements say why), or skipped."""

    instance_id: uuid.UUID
    business_key: str | None
    status: str
    version: int
    result: ValidationResult
    reason: str | None = None
    elements: list[ActiveElementOut] = Field(default_factory=list)


class ValidationReport(BaseModel):
    """A plan checked against a selection; nothing was changed."""

    total: int
    migratable: int
    not_migratable: int
    skipped: int
    instances: list[InstanceValidation]


class MigrationBatchOut(BaseModel):
    """A migration batch and its progress."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source_definition_id: uuid.UUID
    target_definition_id: uuid.UUID
    process_key: str
    source_version: int
    target_process_key: str
    target_version: int
    status: Literal["pending", "running", "completed"]
    total: int
    migrated: int
    failed: int
    skipped: int
    reason: str
    instructions: list[dict[str, Any]]
    selection: dict[str, Any]
    created_by: str
    created_unit: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class MigrationItemOut(BaseModel):
    """One instance of a batch: pending, migrated, failed or skipped, and why."""

    model_config = ConfigDict(from_attributes=True)

    instance_id: uuid.UUID
    position: int
    status: Literal["pending", "migrated", "failed", "skipped"]
    message: str | None
    elements: list[dict[str, Any]] | None
    finished_at: datetime | None
