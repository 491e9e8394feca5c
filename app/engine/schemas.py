"""Request and response bodies of the engine API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.kit.bounds import INT32_MAX, Input, Instant

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
    display_names: dict[str, str] = Field(
        default_factory=dict,
        description="the process name per language (zh-CN, en); the console shows its locale's",
    )


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
    names: dict[str, str] = Field(
        default_factory=dict,
        description="the task's element name per language (zh-CN, en); the console shows its "
        "locale's",
    )


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
    attempts: int = Field(default=1, description="runs of the failed step that failed")
    resolution: Literal["retried", "resolved", "modified"] | None = None


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
    element_names: dict[str, str] | None = Field(
        default=None,
        description="the element's display names (zh-CN, en); the process's for instance rows",
    )


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
    retries: int | None = Field(
        default=None,
        description="attempts left before an incident; null until the job first fails "
        "(then DUCHA_JOB_MAX_ATTEMPTS less the failures) or an operator sets them",
    )
    next_attempt_at: datetime | None = Field(
        default=None, description="after a failure: not fired again before this (backoff)"
    )


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


# --- instance modification (issue 16, item 3) ----------------------------------------------

ActivityState = Literal["READY", "WAITING", "STARTED"]


class ActivityInstanceOut(BaseModel):
    """One unfinished element instance (活动实例) of an instance: what an operator may cancel.

    `id` is the engine's task id (a human task's is also its id in `/tasks`); `parent_id` is the
    subprocess or multi-instance activity it runs in (none at the top level); `scope` is the
    process or subprocess that holds it; `attached_to` is the activity a boundary event waits on.
    """

    id: uuid.UUID
    element_id: str
    element_type: str
    name: str | None
    state: ActivityState
    parent_id: uuid.UUID | None
    scope: str
    attached_to: uuid.UUID | None = None
    task_id: uuid.UUID | None = Field(default=None, description="the ready human task it is")
    topic: str | None = Field(default=None, description="an external task's topic")
    due_at: datetime | None = Field(default=None, description="a waiting timer's due time")
    message_name: str | None = None
    signal_name: str | None = None


class ActivityTreeOut(BaseModel):
    """The live tree of an instance: every unfinished element instance, parents first."""

    instance_id: uuid.UUID
    process_key: str
    version: int
    status: InstanceStatus
    activities: list[ActivityInstanceOut]


ModificationType = Literal["cancel", "start_before", "start_after"]


class ModificationInstruction(Input):
    """One step of a modification.

    - `cancel`: an activity instance (`activity_instance_id`), or every live instance of an
      element (`element_id`);
    - `start_before`: a new token before `element_id`, as if a flow reached it;
    - `start_after`: a new token on the outgoing flow of `element_id` (`flow_id` when it has
      several).

    `variables` go into the new token's data; `ancestor_activity_instance_id` chooses the
    subprocess instance to start in when the element's subprocess runs more than once.
    """

    model_config = ConfigDict(extra="forbid")

    type: ModificationType
    activity_instance_id: uuid.UUID | None = None
    element_id: str | None = Field(default=None, min_length=1, max_length=255)
    flow_id: str | None = Field(default=None, min_length=1, max_length=255)
    ancestor_activity_instance_id: uuid.UUID | None = None
    variables: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_of_type(self) -> "ModificationInstruction":
        if self.type == "cancel":
            if (self.activity_instance_id is None) == (self.element_id is None):
                raise ValueError("cancel: give either activity_instance_id or element_id")
            if self.flow_id or self.ancestor_activity_instance_id or self.variables:
                raise ValueError(
                    "cancel: takes no flow_id, ancestor_activity_instance_id or variables"
                )
            return self
        if self.element_id is None or self.activity_instance_id is not None:
            raise ValueError(f"{self.type}: give element_id (not activity_instance_id)")
        if self.type == "start_before" and self.flow_id is not None:
            raise ValueError("start_before: flow_id is for start_after")
        return self


class ModifyInstance(Input):
    """Instructions applied in order in one atomic step, and why (kept in the audit)."""

    model_config = ConfigDict(extra="forbid")

    instructions: list[ModificationInstruction] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=2, max_length=500)


# --- operators' repairs: variables, incidents, jobs (issue 16) --------------------------------

JsonType = Literal["string", "integer", "number", "boolean", "null", "object", "array"]
VariableName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*$")
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]


class VariablesOut(BaseModel):
    """Variables with their JSON types."""

    variables: dict[str, Any]
    types: dict[str, JsonType]


class ChangeVariables(Input):
    """Set (`modifications`) and remove (`deletions`) variables, saying why (audited)."""

    model_config = ConfigDict(extra="forbid")

    modifications: dict[str, Any] = Field(default_factory=dict)
    deletions: list[VariableName] = Field(default_factory=list, max_length=1000)
    reason: Reason


class SetVariable(Input):
    """One variable's new value, and why."""

    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="any JSON value (null included)")
    reason: Reason


class VariableChange(BaseModel):
    """One variable before and after an operator's change."""

    name: str
    change: Literal["created", "updated", "deleted"]
    before: Any = None
    after: Any = None


class VariablesChanged(VariablesOut):
    """What a change did (`changes`) and the variables after it."""

    changes: list[VariableChange]


class IncidentDetail(IncidentOut):
    """An incident with its instance: where, why, when, and how it closed."""

    process_instance_id: uuid.UUID
    process_key: str | None
    version: int
    unit: str | None = Field(description="the instance's owner unit")
    business_key: str | None
    instance_status: InstanceStatus
    external_task_id: uuid.UUID | None
    state: Literal["open", "resolved"]
    trigger: str | None = Field(
        description="what set the failed step going (instance_started, task_completed, "
        "timer_fired, message_received, …): what a retry runs again"
    )
    resolved_by: str | None
    note: str | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        """An incident row loaded with its instance (`Incident.instance`)."""
        instance = getattr(data, "instance", None)
        if instance is None:
            return data
        fields = {name: getattr(data, name) for name in IncidentOut.model_fields}
        trigger = getattr(data, "trigger", None) or {}
        return {
            **fields,
            "process_instance_id": instance.id,
            "process_key": data.process_key or instance.process_key,
            "version": instance.version,
            "unit": instance.unit_code,
            "business_key": instance.business_key,
            "instance_status": instance.status,
            "external_task_id": data.external_task_id,
            "state": "open" if data.resolved_at is None else "resolved",
            "trigger": trigger.get("event"),
            "resolved_by": data.resolved_by,
            "note": data.note,
        }


class RetryIncident(Input):
    """Run the failed step again, with `variables` merged into what it ran with."""

    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict)
    reason: Reason


class ResolveIncident(Input):
    """Close an incident without running anything."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]


class SetJobRetries(Input):
    """The attempts a job has left; > 0 on a failed job makes it wait again."""

    model_config = ConfigDict(extra="forbid")

    retries: int = Field(ge=0, le=INT32_MAX)
    reason: Reason


class SetJobDueDate(Input):
    """A waiting timer's new due time (in the future)."""

    model_config = ConfigDict(extra="forbid")

    due_at: Instant
    reason: Reason


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


HistoricActivityState = Literal["active", "completed", "cancelled"]


class HistoricActivityOut(BaseModel):
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
    state: HistoricActivityState
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
