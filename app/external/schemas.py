"""Request and response bodies of the external task API (the Camunda 7 REST shapes, snake_case)."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.bounds import INT32_MAX, Count, Input, Millis, Text

WorkerId = Field(min_length=1, max_length=255, description="the worker's own stable name")


class FetchTopic(Input):
    name: str = Field(min_length=1, max_length=255, description="the topic (camunda:topic)")
    lock_duration_ms: Millis = Field(description="how long the tasks stay locked for you")
    variables: list[Text] | None = Field(
        default=None, max_length=200, description="only these variables (default: all)"
    )


class FetchAndLock(Input):
    worker_id: str = WorkerId
    topics: list[FetchTopic] = Field(min_length=1, max_length=50)
    max_tasks: int = Field(default=10, ge=1, le=INT32_MAX)
    use_priority: bool = Field(default=False, description="highest priority first")


class Complete(Input):
    worker_id: str = WorkerId
    variables: dict[str, Any] = Field(default_factory=dict)


class Failure(Input):
    worker_id: str = WorkerId
    error_message: str = Field(min_length=1, max_length=4000)
    error_details: str | None = Field(default=None, max_length=100_000)
    retries: Count = Field(description="retries left; 0 raises an incident")
    retry_timeout_ms: Count = Field(default=0, description="fetchable again after this")


class BpmnError(Input):
    worker_id: str = WorkerId
    error_code: str = Field(min_length=1, max_length=255, description="bpmn:error errorCode")
    error_message: str | None = Field(default=None, max_length=4000)
    variables: dict[str, Any] = Field(default_factory=dict)


class ExtendLock(Input):
    worker_id: str = WorkerId
    new_duration_ms: Millis = Field(description="the lock now ends this long from now")


class SetRetries(Input):
    retries: int = Field(
        ge=1, le=INT32_MAX, description="retries the task has again (resolves its incident)"
    )


class ExternalTaskOut(BaseModel):
    """An external task as workers and operators see it."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    topic: str
    process_instance_id: uuid.UUID = Field(validation_alias="instance_id")
    process_key: str
    element_id: str
    name: str | None
    business_key: str | None
    unit_code: str | None
    variables: dict[str, Any]
    priority: int
    retries: int | None
    error_message: str | None
    worker_id: str | None
    lock_expires_at: datetime | None
    incident_id: uuid.UUID | None
    created_at: datetime


class ExternalTaskDetail(ExternalTaskOut):
    error_details: str | None


class ExternalTaskResult(BaseModel):
    """What a worker's or operator's call did."""

    id: uuid.UUID
    process_instance_id: uuid.UUID
    outcome: Literal[
        "completed", "failed", "error_caught", "incident", "lock_extended", "retries_set"
    ]
    retries: int | None = None
    lock_expires_at: datetime | None = None
    incident_id: uuid.UUID | None = None
    instance_status: str | None = None
