"""Request and response shapes of contacts and notifications."""

import re
import uuid
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.identity.principal import KNOWN_ROLES
from app.kit.bounds import Input, Text

ChannelName = Literal["email", "http"]
Status = Literal["pending", "sent", "failed", "deferred"]
# Deliberately plain: one @, no spaces, a dot in the domain (the SMTP server has the last word).
EMAIL_PATTERN = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


class ContactIn(Input):
    """How a signed-in user wants to be reached (their unit and roles come from their token)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    im_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="IM account or mobile number"
    )
    channels: list[ChannelName] = Field(default=["email"], max_length=2)
    quiet_start: time | None = Field(default=None, description="China time, e.g. 22:00")
    quiet_end: time | None = Field(default=None, description="China time, e.g. 07:00")
    active: bool = True

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not EMAIL_PATTERN.match(value):
            raise ValueError(f"'{value[:60]}' is not an e-mail address")
        return value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is named twice")
        return value


class ContactAdminIn(ContactIn):
    """A contact kept by an administrator: whose unit and roles it serves are set here."""

    name: str = Field(min_length=1, max_length=200)
    unit_code: str = Field(min_length=1, max_length=64)
    roles: list[Text] = Field(min_length=1, max_length=20)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN_ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(unknown)}")
        return sorted(set(value))


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sub: str
    name: str
    unit_code: str
    roles: list[str]
    email: str | None
    im_id: str | None
    channels: list[str]
    quiet_start: time | None
    quiet_end: time | None
    active: bool
    updated_by: str
    updated_at: datetime
    redacted: bool = Field(
        default=False,
        description="true: e-mail and IM id are withheld (null) from you (docs/access.md)",
    )


class NotificationOut(BaseModel):
    """One message: to whom, over which channel, what it said, and what became of it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID | None
    event_type: str
    matter_id: uuid.UUID | None
    rectification_id: uuid.UUID | None
    unit_code: str
    kind: str
    urgent: bool
    recipient_unit: str
    recipient_role: str
    recipient_sub: str | None
    recipient_name: str | None
    channel: str | None
    address: str | None
    subject: str
    body: str
    status: Status
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    redacted: bool = Field(
        default=False,
        description="true: the recipient's address is withheld (null, and masked in the "
        "subject and body) from you (docs/access.md)",
    )
