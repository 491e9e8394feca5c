"""Bodies of the activity API."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.engine import TaskOut
from app.kit.bounds import Day, Input, Text

Method = Literal["on_site", "look_back", "invited_inspection", "third_party", "survey", "media"]
# 条例 Art. 14: comprehensive, special, incident investigation, routine follow-up, lead
# verification.
Kind = Literal["comprehensive", "special", "investigation", "follow_up", "lead_verification"]
METHOD_NAMES: dict[str, str] = {
    "on_site": "实地调查复核",
    "look_back": "回头看、再督查",
    "invited_inspection": "邀请视察检查",
    "third_party": "第三方评估",
    "survey": "民意调查",
    "media": "舆论监督",
}


class OfficeActivityIn(Input):
    """A routine follow-up or lead verification the office runs itself (条例 Art. 14)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=500)
    content: str = Field(default="", max_length=50_000)
    kind: Literal["follow_up", "lead_verification"]
    method: Method
    category: str | None = Field(default=None, max_length=40)
    target_units: list[Text] = Field(min_length=1, max_length=200)
    period_start: Day
    period_end: Day
    matter_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _period(self) -> "OfficeActivityIn":
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.method == "look_back" and not self.matter_ids:
            raise ValueError("a look back names the closed matters it re-checks (matter_ids)")
        return self


class ActivityOut(BaseModel):
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
    owner_unit: str
    origin: str
    plan_item_id: uuid.UUID | None
    proposal_id: uuid.UUID | None
    matter_ids: list[str]
    status: str
    instance_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    concluded_at: datetime | None


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    activity_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_unit: str
    uploaded_at: datetime


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: str
    unit_code: str | None
    findings: str
    problems: str | None
    attachment_ids: list[str]
    recorded_by: str | None
    recorded_at: datetime


class LookBackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    matter_id: uuid.UUID
    instance_id: uuid.UUID
    scheduled_at: datetime
    result: str | None
    findings: str | None
    checked_at: datetime | None


class OpinionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    invitee: str
    unit_code: str
    opinion: str
    suggestions: str | None
    attachment_ids: list[str]
    recorded_at: datetime


class EvaluationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evaluator: str | None
    unit_code: str
    report: str
    score: int
    attachment_ids: list[str]
    submitted_at: datetime
    decision: str | None
    comment: str | None
    reviewed_at: datetime | None


class CoverageIn(Input):
    """One media report (舆论监督)."""

    model_config = ConfigDict(extra="forbid")

    outlet: str = Field(min_length=1, max_length=200)
    published_on: Day
    title: str = Field(min_length=1, max_length=500)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    tone: Literal["positive", "neutral", "critical"]
    summary: str = Field(default="", max_length=20_000)


class CoverageOut(CoverageIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recorded_by: str | None
    recorded_at: datetime


class SurveyImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    encoding: str
    row_count: int
    questions: list[str]
    imported_by: str
    imported_at: datetime


class SurveyOut(BaseModel):
    imports: list[SurveyImportOut]
    aggregate: dict[str, Any]


class ObjectionIn(Input):
    """复核申请 (条例 Art. 17)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=20_000)


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_code: str
    applicant: str
    reason: str
    filed_at: datetime
    decide_due: date
    instance_id: uuid.UUID | None
    status: str
    decision: str | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class LookBackScheduleIn(Input):
    """回头看 of every linked matter (the matter look back's own deadlines)."""

    model_config = ConfigDict(extra="forbid")

    check_days: int = Field(default=15, ge=1, le=180)
    rectify_days: int = Field(default=30, ge=1, le=365)


class ActivityDetail(ActivityOut):
    content: str
    division_unit: str | None
    preparation: dict[str, Any] | None
    conclusion: str | None
    evidence: str | None
    concluded_by: str | None
    objection_due: date | None
    findings: list[FindingOut]
    look_backs: list[LookBackOut]
    opinions: list[OpinionOut]
    evaluations: list[EvaluationOut]
    survey: SurveyOut | None
    coverage: list[CoverageOut]
    attachments: list[AttachmentOut]
    objections: list[ObjectionOut]
    ready_tasks: list[TaskOut]
