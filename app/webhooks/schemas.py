"""Shapes of the webhook API."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.bounds import Input, Text

DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookIn(Input):
    """A subscription: where to POST, which event types, about which units."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http(s) URL on the allow-list")
    event_types: list[Text] = Field(
        min_length=1,
        max_length=100,
        description='types such as "task.created" or "ducha.matter.urged", families such as '
        '"matter.*", or ["*"] for every type',
    )
    unit_scope: list[Text] = Field(
        default_factory=list,
        max_length=200,
        description="unit codes: an event about one of them or a unit below matches "
        "(empty: every unit)",
    )
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="whsec_ + base64 of 24–64 random bytes; generated when not given",
    )
    active: bool = True
    description: str | None = Field(default=None, max_length=500)


class WebhookPatch(Input):
    """Fields to change; the others stay."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[Text] | None = Field(default=None, min_length=1, max_length=100)
    unit_scope: list[Text] | None = Field(default=None, max_length=200)
    secret: str | None = Field(default=None, max_length=200, description="a new secret")
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class WebhookOut(BaseModel):
    """A subscription as shown after creation: the secret only as a hint."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    unit_scope: list[str]
    secret_hint: str = Field(description="the secret's first characters, masked")
    active: bool
    description: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    """The answer to a subscription: the only time the secret is shown."""

    secret: str


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status: Literal["delivered", "failed"]
    response_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryOut(BaseModel):
    """One event to one subscription, with every attempt (oldest first)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    webhook_id: str = Field(description="the `webhook-id` header: the event's CloudEvent id")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut] = Field(default_factory=list)
