"""Request and response shapes of performance scores (绩效考评)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.kit.bounds import Input


class WeightsIn(Input):
    """A weight per indicator (non-negative, summing to 100); missing indicators weigh 0."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, Any] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)


class IndicatorOut(BaseModel):
    name: str
    label: str
    clause: str
    rule: str


class WeightsOut(BaseModel):
    """The weights a government's scores use; `default` when none were set."""

    government_code: str
    weights: dict[str, float]
    default: bool
    note: str
    updated_by: str | None
    updated_at: datetime | None
    indicators: list[IndicatorOut]


class IndicatorScoreOut(BaseModel):
    """One line of the breakdown: what was counted, its weight, the points and why."""

    indicator: str
    label: str
    value: float
    weight: float
    points: float
    explanation: str
    evidence: list[str]


class UnitScoreOut(BaseModel):
    rank: int
    unit_code: str
    unit_name: str | None
    total: float
    breakdown: list[IndicatorScoreOut]


class ScoresOut(BaseModel):
    period_start: date
    period_end: date
    government_code: str
    weights: dict[str, float]
    items: list[UnitScoreOut]
