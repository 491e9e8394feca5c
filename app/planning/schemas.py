"""Bodies of the planning API: annual plans with their items, activity proposals, overlaps."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.engine import TaskOut
from app.kit.bounds import Day, Input, Text, Year
from app.supervision.deadlines import SourceType
from app.supervision.schemas import Category

# 条例 Art. 14: comprehensive, special, incident investigation, follow-up, lead verification.
ActivityKind = Literal[
    "comprehensive", "special", "investigation", "follow_up", "lead_verification"
]
# seed 四: on-site, look back, invited inspection, third-party evaluation, survey, media.
Method = Literal["on_site", "look_back", "invited_inspection", "third_party", "survey", "media"]
PlanStatus = Literal["drafting", "reviewing", "approving", "returned", "approved"]
ProposalStatus = Literal["reviewing", "approving", "approved", "merged", "rejected"]

Units = list[Text]


class PlanItemIn(Input):
    """计划事项: a matter to register, or an activity to run, once the plan is approved."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=2, max_length=500)
    content: str = Field(default="", max_length=20_000)
    category: Category
    item_type: Literal["matter", "activity"]
    # activities
    activity_kind: ActivityKind | None = None
    method: Method | None = None
    target_units: Units = Field(default_factory=list, max_length=200)
    period_start: Day | None = None
    period_end: Day | None = None
    # matters
    source_type: SourceType | None = None
    lead_unit: str | None = Field(default=None, max_length=64)
    co_units: Units = Field(default_factory=list, max_length=100)
    division_unit: str | None = Field(default=None, max_length=64)
    explicit_due: Day | None = None


class PlanIn(Input):
    """年度督查计划草案: the office's draft around the government's central work."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    title: str = Field(min_length=2, max_length=500)
    basis: str = Field(min_length=2, max_length=20_000, description="政府中心工作")
    items: list[PlanItemIn] = Field(min_length=1, max_length=500)
    remind_after_days: int = Field(
        default=5, ge=1, le=60, description="remind the leader after this many days undecided"
    )


class PlanItemsIn(Input):
    """Revised items of a plan that is being drafted or was returned."""

    model_config = ConfigDict(extra="forbid")

    items: list[PlanItemIn] = Field(min_length=1, max_length=500)


class PlanItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    seq: int
    subject: str
    content: str
    category: str
    item_type: str
    activity_kind: str | None
    method: str | None
    target_units: list[str]
    period_start: date | None
    period_end: date | None
    source_type: str | None
    lead_unit: str | None
    co_units: list[str]
    division_unit: str | None
    explicit_due: date | None
    matter_id: uuid.UUID | None
    activity_id: uuid.UUID | None


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    year: int
    title: str
    owner_unit: str
    leader_unit: str
    status: str
    instance_id: uuid.UUID | None
    return_count: int
    returned_comment: str | None
    approved_by: str | None
    approved_at: datetime | None
    created_by: str
    created_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    summary: str
    actor: str | None
    at: datetime
    data: dict[str, Any] | None


class PlanDetail(PlanOut):
    basis: str
    remind_after_days: int
    items: list[PlanItemOut]
    ready_tasks: list[TaskOut]
    returns: list[EventOut] = Field(
        description="退回记录: who returned it, when, with what comment"
    )
    history: list[EventOut]


class ProposalIn(Input):
    """计划外督查事项报审: what a business division proposes to run in the government's name."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=500)
    content: str = Field(min_length=2, max_length=20_000)
    reason: str = Field(min_length=2, max_length=5_000, description="为何需要计划外开展")
    kind: ActivityKind
    method: Method
    category: Category | None = None
    target_units: Units = Field(min_length=1, max_length=200)
    period_start: Day
    period_end: Day


class ReasonOut(BaseModel):
    kind: str
    detail: str
    detail_en: str


class OverlapOut(BaseModel):
    """A supervision that overlaps the proposal, ranked by score, with every reason."""

    kind: str = Field(description="activity | plan_item | proposal")
    id: str
    label: str
    title: str
    target_units: list[str]
    period_start: date
    period_end: date
    score: float
    subject_score: float
    reasons: list[ReasonOut]


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    kind: str
    method: str
    category: str | None
    target_units: list[str]
    period_start: date
    period_end: date
    division_unit: str
    office_unit: str
    leader_unit: str
    status: str
    instance_id: uuid.UUID | None
    review_decision: str | None
    merged_into: uuid.UUID | None
    activity_id: uuid.UUID | None
    created_by: str
    created_at: datetime


class ProposalDetail(ProposalOut):
    content: str
    reason: str
    review_comment: str | None
    reviewed_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    overlaps: list[OverlapOut] = Field(description="as found when it was submitted")
    ready_tasks: list[TaskOut]
    history: list[EventOut]
