"""Bodies of the matter API."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from app.engine import TaskOut
from app.kit.bounds import Day, Input, Search, Text
from app.supervision.deadlines import SourceType

# seed 一(二): the eight kinds of supervised work.
CATEGORIES: dict[str, str] = {
    "reform": "改革部署",
    "law": "法律法规规章",
    "meeting_document_policy": "重要会议、重要文件、重大政策措施",
    "key_work": "重点工作、重大项目、民生实事",
    "efficiency": "职能转变、行政效能、行风建设",
    "leader_instruction": "领导批示交办、考察调研、现场办公",
    "proposal": "建议提案办理",
    "performance_audit": "绩效管理、预算执行、审计整改",
}
Category = Literal[
    "reform", "law", "meeting_document_policy", "key_work", "efficiency",
    "leader_instruction", "proposal", "performance_audit",
]  # fmt: skip


class MatterIn(Input):
    """立项: what the office registers."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=500)
    content: str = Field(min_length=2, max_length=50_000)
    category: Category
    source_type: SourceType
    source_ref: str | None = Field(default=None, max_length=500, description="文号或批示内容")
    lead_unit: str = Field(min_length=1, max_length=64)
    co_units: list[Text] = Field(default_factory=list, max_length=100)
    assigned_on: Day | None = Field(default=None, description="default: today (China)")
    explicit_due: Day | None = Field(default=None, description="when the source sets one")
    complex_npc: bool = Field(default=False, description="代表法 Art. 51: 6 months")
    joint: bool | None = Field(
        default=None,
        description="draft the plan with a business division (default: leader instructions, "
        "meetings and documents, seed 二(二))",
    )
    division_unit: str | None = Field(default=None, max_length=64)
    parent_id: uuid.UUID | None = Field(default=None, description="the matter this decomposes")


class DeadlineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str | None
    kind: str
    label: str
    due: date
    rule: str
    basis: str
    calendar_basis: str
    rolled_from: date | None
    original_due: date | None
    done_on: date | None
    outcome: str | None
    days_late: int | None
    light: str


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    role: str
    receipt: str
    sign_due: date
    signed_at: datetime | None
    return_reason: str | None
    review: str
    timeliness: str | None
    quality: str | None


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    kind: str
    content: dict[str, Any]
    submitted_by: str | None
    submitted_at: datetime
    on_time: bool


class UrgingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    kind: str
    notice: str
    at: datetime


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    deadline_id: uuid.UUID
    requested_due: Day
    reason: str
    progress: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    event: str
    unit_code: str | None
    actor: str | None
    summary: str


class MatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    category: str
    source_type: str
    source_ref: str | None
    lead_unit: str
    co_units: list[str]
    owner_unit: str
    assigned_on: date
    final_due: date
    status: str
    light: str
    instance_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    satisfaction: str | None
    created_at: datetime
    closed_at: datetime | None


class SubMatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    lead_unit: str
    owner_unit: str
    status: str
    light: str
    final_due: date


class MatterDetail(MatterOut):
    content: str
    sub_matters: list[SubMatterOut] = Field(description="decomposed at the level below")
    rolled_up_light: str = Field(description="the worst of its own and its open sub-matters'")
    deadlines: list[DeadlineOut]
    assignments: list[AssignmentOut]
    reports: list[ReportOut]
    urgings: list[UrgingOut]
    extensions: list[ExtensionOut]
    ready_tasks: list[TaskOut]
    timeline: list[TimelineOut]


class ExtensionIn(Input):
    """延期申请: filed by the unit before the deadline, with reasons and progress."""

    model_config = ConfigDict(extra="forbid")

    deadline_id: uuid.UUID
    requested_due: Day
    reason: str = Field(min_length=2, max_length=5000)
    progress: str = Field(min_length=2, max_length=20_000)


class ExtensionDecision(Input):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    comment: str | None = Field(default=None, max_length=5000)


class LookBackIn(Input):
    """回头看: when to check (calendar days from today), and how long a rectification may take."""

    model_config = ConfigDict(extra="forbid")

    check_days: int = Field(default=15, ge=1, le=365)
    rectify_days: int = Field(default=30, ge=1, le=365)


@dataclass
class MatterFilters:
    """The filters of the matter list (and of its .xlsx ledger and its stats), as query
    parameters; `app.supervision.queries.filtered` applies them to the readable matters."""

    status_: Annotated[
        Literal["planning", "handling", "reviewing", "evaluating", "closed"] | None,
        Query(alias="status"),
    ] = None
    light: Literal["green", "yellow", "red"] | None = None
    category: Category | None = None
    source_type: SourceType | None = None
    unit: Annotated[Text | None, Query(description="assigned to this unit or a unit below")] = None
    overdue: bool | None = None
    due_before: Day | None = None
    due_after: Day | None = None
    q: Annotated[
        Search | None,
        Query(description="part of the number, title or content, or of the lead unit's name"),
    ] = None
