"""Bodies of the identity API."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class MeOut(BaseModel):
    """The caller as the service sees them, and what they may see."""

    sub: str
    name: str
    unit: str
    roles: list[str]
    scope_everything: bool
    scope_subtrees: list[str]
    permissions: list[str]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_sub: str
    actor_name: str
    actor_unit: str
    actor_roles: list[str]
    address: str | None
    action: str
    object_type: str
    object_id: str | None
    instance_id: str | None
    unit_code: str | None
    data: Any
    hash: str

    @field_validator("data", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None
