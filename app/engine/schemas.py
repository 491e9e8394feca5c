"""Request and response bodies of the engine API."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.kit.bounds import INT32_MAX, Input

InstanceStatus = Literal["running", "suspended", "completed", "cancelled", "error"]
TaskState = Literal["ready", "completed", "cancelled"]


class DefinitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    version: int
    name: str | None
    file_name: str
    content_hash: str
    deployed_at: datetime
    deployed_by: str | None = None
    message_starts: list[str] = Field(default_factory=list)
    dependencies: dict[str, str] = Field(default_factory=dict)
    suspended: bool = Field(default=False, description="the version refuses new starts (挂起)")
    suspended_at: datetime | None = None
    suspended_by: str | None = None
    suspension_reason: str | None = None


class DeployWarning(BaseModel):
    """An attribute or extension that is read but changes nothing at run time (e.g. layout)."""

    element_id: str | None
    attribute: str
    message: str


class DecisionOut(BaseModel):
    """One deployed version of a DMN decision table (决策表)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    version: int
    name: str | None
    hit_policy: str
    file_name: str
    content_hash: str
    deployed_at: datetime
    deployed_by: str | None = None


class DecisionDeploymentOut(DecisionOut):
    """A deployed decision; `created` is false when the same file was already deployed."""

    created: bool


class DecisionDetailOut(DecisionOut):
    """A decision's latest version, with every version of it (newest first)."""

    versions: list[DecisionOut] = Field(default_factory=list)


class DeploymentOut(DefinitionOut):
    """The deployed definition; `created` is false when identical content already existed."""

    created: bool
    others: list[DefinitionOut] = Field(
        default_factory=list, description="other executable processes of the same file"
    )
    warnings: list[DeployWarning] = Field(
        default_factory=list, description="vendor attributes ignored because they change nothing"
    )
    decisions: list[DecisionDeploymentOut] = Field(
        default_factory=list, description="decision tables deployed with the diagram"
    )


class StartInstance(Input):
    model_config = ConfigDict(extra="forbid")

    process_key: str = Field(min_length=1, max_length=255)
    version: int | None = Field(default=None, ge=1, le=INT32_MAX)
    business_key: str | None = Field(default=None, max_length=255)
    unit: str | None = Field(
        default=None, max_length=64, description="owning unit (default: yours; must be in scope)"
    )
    variables: dict[str, Any] = Field(default_factory=dict)


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    instance_id: uuid.UUID
    process_key: str
    element_id: str
    name: str | None
    element_type: str
    lane: str | None
    state: str
    assignee: str | None
    candidate_groups: list[str]
    candidate_units: list[str]
    unit_code: str | None = Field(description="the unit that must do the task")
    form: str | None
    due_at: datetime | None
    light: str | None = Field(
        default=None, description="green / yellow / red by the due date (open tasks with one)"
    )
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    submitted: dict[str, Any] | None = None


class TaskDetail(TaskOut):
    documentation: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    form_schema: dict[str, Any] | None = None


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    element_id: str | None
    job_id: uuid.UUID | None
    message: str
    created_at: datetime
    resolved_at: datetime | None


class InstanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    definition_id: uuid.UUID
    process_key: str
    version: int
    status: str
    business_key: str | None
    variables: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    created_by: str | None
    unit_code: str | None = Field(description="the owning unit")


class InstanceDetail(InstanceOut):
    ready_tasks: list[TaskOut]
    completed_element_ids: list[str]
    incidents: list[IncidentOut]
    waiting_timers: list["JobOut"]


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    event: str
    element_id: str | None
    element_type: str | None
    task_id: uuid.UUID | None
    actor: str | None
    data: dict[str, Any] | None


class CompleteTask(Input):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict)


class AssignTask(Input):
    """Re-assign a task: to a person of its unit, and/or to another unit in your scope."""

    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(default=None, max_length=255)
    unit: str | None = Field(default=None, max_length=64)


class SendMessage(Input):
    """A message to correlate: every criterion given must hold. None given reaches only
    instances without a business key; `all` sends it to every match (else more than one
    match is 409 `ambiguous_correlation`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    correlation_key: str | None = Field(default=None, max_length=255)
    process_instance_id: uuid.UUID | None = None
    correlation_variables: dict[str, Any] = Field(default_factory=dict)
    all: bool = False
    variables: dict[str, Any] = Field(default_factory=dict)


class SendSignal(Input):
    """A signal to broadcast to every catcher in the caller's scope."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    variables: dict[str, Any] = Field(default_factory=dict)


class ReachedInstance(BaseModel):
    """An instance a message or signal reached, as the step left it."""

    id: uuid.UUID
    status: InstanceStatus
    variables: dict[str, Any]


class MessageResult(BaseModel):
    """Which instances the message (or signal) reached; `started` ones were created by a start
    event; `instances` are both, with their variables after the step."""

    delivered: list[uuid.UUID]
    started: list[uuid.UUID]
    instances: list[ReachedInstance] = Field(default_factory=list)


class EvaluateConditions(Input):
    """Variables to evaluate the conditional start events of the latest processes with."""

    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any]
    process_key: str | None = Field(default=None, min_length=1, max_length=255)


class ConditionResult(BaseModel):
    """The instances started because their process's conditional start held (none: empty)."""

    started: list[uuid.UUID]
    instances: list[ReachedInstance] = Field(default_factory=list)


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    instance_id: uuid.UUID
    element_id: str
    kind: str
    due_at: datetime
    status: str
    attempts: int
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None


class ExecuteJob(BaseModel):
    """Fire a timer now. Before its due time, a domain may ask why (supervision refuses an
    urging timer fired early unless `early` is true with a `reason`, which its notice states)."""

    model_config = ConfigDict(extra="forbid")

    early: bool = Field(default=False, description="fire before the due time, on purpose")
    reason: str | None = Field(
        default=None, min_length=2, max_length=500, description="why, when `early` is true"
    )

    @model_validator(mode="after")
    def _reason_with_early(self) -> "ExecuteJob":
        if self.early and self.reason is None:
            raise ValueError("reason: required when early is true")
        if self.reason is not None and not self.early:
            raise ValueError("reason: given only with early: true")
        return self


InstanceDetail.model_rebuild()


# --- operators' repairs: suspension and history across instances (issue 16) ---------------


class Suspension(Input):
    """Suspend (挂起) or activate (激活) an instance: why, for its history, event and audit."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=500)


class DefinitionSuspension(Suspension):
    """Suspend or activate a definition version; `include_instances` also suspends (activates)
    its running (suspended) instances that you control."""

    include_instances: bool = False


class DefinitionSuspensionOut(DefinitionOut):
    """The definition after the act, and how many of its instances changed with it."""

    instances: int = Field(description="instances suspended (activated) with it")


ActivityState = Literal["active", "completed", "cancelled"]


class ActivityInstanceOut(BaseModel):
    """One instance of one BPMN element (Camunda's historic activity instance, 活动实例)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: uuid.UUID
    definition_id: uuid.UUID
    process_key: str
    version: int
    element_id: str
    element_type: str
    element_name: str | None
    task_id: uuid.UUID = Field(description="the engine task (a human task's id in /tasks)")
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None = Field(description="from start to end; null while active")
    state: ActivityState
    actor: str | None = Field(description="who completed it (human tasks)")
    unit: str | None = Field(description="a human task's unit, else the instance's owner")


class DurationStats(BaseModel):
    """Durations of an element's completed instances, in seconds (null without any)."""

    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    max: float | None


class ElementStatistics(BaseModel):
    """One element of a definition version across the instances you may read."""

    element_id: str
    element_type: str | None
    element_name: str | None
    active: int
    completed: int
    cancelled: int
    incidents: int = Field(description="open incidents naming the element")
    duration: DurationStats


class ElementStatisticsOut(BaseModel):
    """Per-element statistics of one definition version: the data of a duration heatmap."""

    definition_id: uuid.UUID
    process_key: str
    version: int
    unit: str | None = Field(description="the unit filter applied, if any")
    elements: list[ElementStatistics]
