"""Request and response shapes of rectification with a deadline (限期整改)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.engine import TaskOut
from app.kit.bounds import Day, Input, Text


class SourceIn(Input):
    """Where the problems were found: a matter, a supervision activity or a bulletin."""

    model_config = ConfigDict(extra="forbid")

    matter_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None
    bulletin_id: uuid.UUID | None = None


class RectificationIn(Input):
    """下达限期整改: the problems, the units that must rectify them, and the deadline."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=500)
    problems: str | Annotated[list[str], Field(max_length=500)] = Field(
        description="the problems found: one text or a list"
    )
    source: SourceIn = Field(default_factory=SourceIn)
    units: list[Text] = Field(min_length=1, max_length=100)
    due: Day | None = Field(default=None, description="the deadline; or give `days`")
    days: int | None = Field(default=None, ge=1, le=366, description="calendar days from today")
    verify_on_site: bool = False
    head_sign_off: bool = Field(default=False, description="the unit head signs the plan off")

    @field_validator("problems")
    @classmethod
    def _problems(cls, value: str | list[str]) -> list[str]:
        items = [value] if isinstance(value, str) else value
        cleaned = [p.strip() for p in items if p.strip()]
        if not cleaned:
            raise ValueError("name at least one problem")
        if any(len(p) > 5000 for p in cleaned):
            raise ValueError("a problem is at most 5000 characters")
        return cleaned

    @field_validator("units")
    @classmethod
    def _units(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a unit is named twice")
        return value

    def problem_list(self) -> list[str]:
        """The problems, as the validator normalised them."""
        return self.problems if isinstance(self.problems, list) else [self.problems]


class RectificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    problems: list[str]
    source_matter_id: uuid.UUID | None
    source_activity_id: uuid.UUID | None
    source_bulletin_id: uuid.UUID | None
    owner_unit: str
    due: date
    verify_on_site: bool
    head_sign_off: bool
    status: str
    light: str
    instance_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    closed_at: datetime | None


class UrgingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    part_id: uuid.UUID
    unit_code: str
    kind: str
    notice: str
    at: datetime


class PartOut(BaseModel):
    """One unit's part: status, plan, report, verification, light and outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    status: str
    plan: dict[str, Any] | None
    report: dict[str, Any] | None
    verification: dict[str, Any] | None
    plan_returns: int
    send_backs: int
    light: str
    due: date
    done_on: date | None
    outcome: str | None
    days_late: int | None
    accepted_at: datetime | None
    urgings: list[UrgingOut] = Field(default_factory=list)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    event: str
    part_id: uuid.UUID | None
    unit_code: str | None
    actor: str | None
    summary: str
    data: dict[str, Any] | None


class RectificationDetail(RectificationOut):
    parts: list[PartOut]
    ready_tasks: list[TaskOut]
    history: list[EventOut]
