"""Bodies of the results API: supervision reports, bulletins, accountability."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.engine import TaskOut
from app.kit.bounds import Day, Input, Text

Verdict = Literal["commend", "criticise"]
Measure = Literal["criticism", "admonitory_talk", "accountability_decision", "clue_transfer"]
UnitCode = Field(min_length=1, max_length=64)


class Period(Input):
    """A period of supervision, first and last day included."""

    period_start: Day
    period_end: Day

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class ReportIn(Period):
    """督查报告 / 专报: what the office asks the server to assemble."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["report", "special"] = "report"
    title: str = Field(min_length=2, max_length=500)
    matter_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=5000, description="default: the matters active in the period"
    )
    activity_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=1000, description="default: the activities in the period"
    )
    recipients: list[Text] = Field(min_length=1, max_length=100, description="leader units")


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    kind: str
    title: str
    period_start: date
    period_end: date
    owner_unit: str
    recipients: list[str]
    status: str
    doc_number: str | None
    instance_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None


class ReportDetail(ReportOut):
    matter_ids: list[str]
    activity_ids: list[str]
    situation: str
    analysis: str
    recommendations: str
    matter_rows: list[dict[str, Any]]
    comment: str | None
    instruction: str | None
    instructed_by: str | None
    instructed_at: datetime | None
    ready_tasks: list[TaskOut] = []


class EntryIn(Input):
    """One unit named in a bulletin."""

    model_config = ConfigDict(extra="forbid")

    unit_code: str = UnitCode
    verdict: Verdict
    reason: str = Field(min_length=2, max_length=5000)
    matter_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class BulletinIn(Period):
    """通报: the office's draft."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=500)
    body: str = Field(default="", max_length=200_000)
    entries: list[EntryIn] = Field(default_factory=list, max_length=5000)
    recipients: list[Text] = Field(min_length=1, max_length=500)


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_code: str
    verdict: str
    reason: str
    matter_ids: list[str]


class BulletinOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    title: str
    period_start: date | None
    period_end: date | None
    owner_unit: str
    recipients: list[str]
    status: str
    doc_number: str | None
    instance_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    issued_at: datetime | None


class BulletinDetail(BulletinOut):
    body: str
    comment: str | None
    entries: list[EntryOut]
    ready_tasks: list[TaskOut] = []


class Suggestion(BaseModel):
    """A proposed bulletin entry (or accountability measure) with the figures behind it."""

    unit_code: str
    unit_name: str
    verdict: str
    reason: str
    matter_ids: list[str]
    figures: dict[str, int]


class PersonIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    post: str = Field(min_length=1, max_length=200)


class AccountabilityIn(Input):
    """问责 proposal (seed 三(三)): the measure, whom, the facts and the basis."""

    model_config = ConfigDict(extra="forbid")

    measure: Measure
    unit_codes: list[Text] = Field(min_length=1, max_length=100)
    persons: list[PersonIn] = Field(default_factory=list, max_length=200)
    matter_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    facts: str = Field(min_length=2, max_length=100_000, description="事实")
    basis: str = Field(min_length=2, max_length=20_000, description="依据")
    proposal: str = Field(min_length=2, max_length=20_000, description="处理建议")


class AccountabilityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    measure: str
    unit_codes: list[str]
    owner_unit: str
    status: str
    doc_number: str | None
    instance_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    receiving_authority: str | None
    transferred_on: date | None


class AccountabilityDetail(AccountabilityOut):
    persons: list[dict[str, Any]]
    matter_ids: list[str]
    facts: str
    basis: str
    proposal: str
    comment: str | None
    ready_tasks: list[TaskOut] = []
