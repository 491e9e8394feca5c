"""Bodies of the identity API."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MeOut(BaseModel):
    """The caller as the service sees them, and what they may see."""

    sub: str
    name: str
    unit: str
    roles: list[str]
    scope_everything: bool
    scope_subtrees: list[str]
    permissions: list[str]


class AuditMatter(BaseModel):
    """The matter an audit row concerns (the matter itself, or a task or step of its process)."""

    id: str
    code: str
    title: str


class AuditChange(BaseModel):
    """One field a change touched: its value before and after."""

    field: str
    before: Any = None
    after: Any = None


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
    action_names: dict[str, str] = Field(
        default_factory=dict, description="the action's label per language (zh-CN, en)"
    )
    matter: AuditMatter | None = Field(default=None, description="the matter concerned, if any")
    step_names: dict[str, str] | None = Field(
        default=None, description="the process step's display names (a task's element)"
    )
    changes: list[AuditChange] = Field(
        default_factory=list, description="fields changed, before → after (from data)"
    )

    @field_validator("data", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class AuditActionOut(BaseModel):
    """An action the audit trail records (审计操作), with its label per language."""

    action: str
    names: dict[str, str]


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None
    archived: int = Field(
        0, description="rows of archived months stepped over by their anchors (not re-hashed)"
    )
