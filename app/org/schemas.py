"""Bodies of the unit API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.bounds import Input

UnitKind = Literal["government", "general_office", "division", "supervision_office", "department"]
UnitLevel = Literal["province", "city", "county"]


class UnitIn(Input):
    """A unit to create (or update, when the code exists)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind
    level: UnitLevel
    parent_code: str | None = Field(default=None, max_length=64)
    active: bool = True


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    level: str
    parent_code: str | None
    path: str
    active: bool
    created_at: datetime
    updated_at: datetime


class UnitDetail(UnitOut):
    children: list[UnitOut]
