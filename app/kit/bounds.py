"""The bounds of everything the API takes: numbers that fit their columns, dates in one window,
strings without NUL. Defined once here and used by every query, path and body parameter, so a
value out of range is a 422 naming the field, never a database error (issue "Say only what is
true", point 4).

- **Dates and instants**: 1900-01-01 to 2999-12-31 (`FIRST_DAY`, `LAST_DAY`). Deadline and
  calendar arithmetic (at most a few hundred days added) stays far from `date.max`, and every
  backend stores these dates.
- **Years** an office plans or loads a calendar for: 2000–2100 (`Year`).
- **Integers**: within the 32-bit INTEGER column (`Count`, `Offset`, `Millis`); nothing the API
  takes needs more.
- **Strings**: never a NUL character (PostgreSQL text cannot hold one); query filters at most
  `FILTER_MAX` characters. Body models derive from `Input`, which refuses NUL anywhere in the body
  (process variables included) and non-finite numbers (JSON columns cannot hold them).

The bounds are in the OpenAPI document: `minimum`/`maximum` on integers, `formatMinimum`/
`formatMaximum` on dates and instants, `maxLength` and `pattern` on strings.
"""

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le, Lt
from fastapi import Query
from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
FIRST_INSTANT = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)
END_INSTANT = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)
FIRST_YEAR = 2000
LAST_YEAR = 2100
INT32_MAX = 2**31 - 1
FILTER_MAX = 200
NO_NUL = r"^[^\x00]*$"

_DAY_SCHEMA = {"formatMinimum": FIRST_DAY.isoformat(), "formatMaximum": LAST_DAY.isoformat()}
_INSTANT_SCHEMA = {
    "formatMinimum": FIRST_INSTANT.isoformat().replace("+00:00", "Z"),
    "formatMaximum": "2999-12-31T23:59:59.999999Z",
}

Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY), Field(json_schema_extra=_DAY_SCHEMA)]
"""A calendar date between 1900-01-01 and 2999-12-31."""
Instant = Annotated[
    datetime, Ge(FIRST_INSTANT), Lt(END_INSTANT), Field(json_schema_extra=_INSTANT_SCHEMA)
]
"""A date and time from 1900-01-01 to the end of 2999, UTC (a naive time is compared as UTC)."""
Year = Annotated[int, Ge(FIRST_YEAR), Le(LAST_YEAR)]
"""A year an office plans for or loads a holiday schedule for."""
Count = Annotated[int, Ge(0), Le(INT32_MAX)]
"""A non-negative number that fits an INTEGER column."""
Millis = Annotated[int, Ge(1), Le(INT32_MAX)]
"""A positive duration in milliseconds (at most ~24.8 days)."""
Limit = Annotated[int, Query(ge=1, le=500)]
"""How many items a page holds."""
Offset = Annotated[int, Query(ge=0, le=INT32_MAX)]
"""How many items a page skips."""
Cursor = Annotated[
    str | None,
    Query(
        max_length=FILTER_MAX,
        pattern=NO_NUL,
        description="the `next_cursor` of the page before: the page after it, however deep "
        "(instead of `offset`)",
    ),
]
"""Where a page starts: after the last row of the page that gave this cursor."""


Text = Annotated[str, StringConstraints(max_length=FILTER_MAX, pattern=NO_NUL)]
"""A string a query or path parameter filters or looks up by: short, without NUL."""
Search = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]
"""Words a list searches its titles for."""


def _problems(value: Any, loc: tuple[str | int, ...]) -> list[InitErrorDetails]:
    """Every NUL-bearing string and non-finite number inside a decoded JSON body."""
    if isinstance(value, str):
        if "\x00" in value:
            error = PydanticCustomError("string_nul", "a NUL character is not allowed")
            return [InitErrorDetails(type=error, loc=loc, input=value)]
        return []
    if isinstance(value, float) and not math.isfinite(value):
        error = PydanticCustomError("finite_number", "the number must be finite")
        return [InitErrorDetails(type=error, loc=loc, input=value)]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _problems(key, (*loc, str(key)))
            found += _problems(item, (*loc, str(key)))
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _problems(item, (*loc, i))]
    return []


class Input(BaseModel):
    """A request body: no NUL character in any string and no NaN or infinity, at any depth."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        problems = _problems(data, ())
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data
