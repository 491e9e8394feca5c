"""The shared bounds (app/bounds.py) as pure rules: what each type refuses, and where it says."""

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from app.kit.bounds import INT32_MAX, Count, Day, Input, Instant, Text, Year


class Body(Input):
    title: str = ""
    variables: dict[str, Any] = Field(default_factory=dict)


@pytest.mark.parametrize(
    ("raw", "locations"),
    [
        ({"title": "a\x00b"}, [("title",)]),
        ({"variables": {"a": [1, "\x00"]}}, [("variables", "a", 1)]),
        ({"variables": {"k\x00": 1}}, [("variables", "k\x00")]),
        (
            {"variables": {"x": float("nan"), "y": {"z": float("inf")}}},
            [("variables", "x"), ("variables", "y", "z")],
        ),
    ],
)
def test_a_body_refuses_nul_and_non_finite_numbers_at_any_depth(raw, locations):
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(raw)
    assert [e["loc"] for e in refused.value.errors()] == locations


def test_a_body_keeps_what_it_can_store():
    body = Body.model_validate({"title": "督查", "variables": {"n": 2**70, "f": 1.5, "s": "ok"}})
    assert body.variables["n"] == 2**70


@pytest.mark.parametrize(
    ("kind", "inside", "outside"),
    [
        (Day, [date(1900, 1, 1), date(2999, 12, 31)], ["1899-12-31", "3000-01-01", "0001-01-01"]),
        (
            Instant,
            ["1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z"],
            ["1899-12-31T23:59:59Z", "2999-12-31T23:00:00-05:00", "9999-12-31T23:59:59"],
        ),
        (Year, [2000, 2100], [1999, 2101, -1]),
        (Count, [0, INT32_MAX], [-1, INT32_MAX + 1, 2**63, 10**20]),
        (Text, ["", "x" * 200], ["x" * 201, "a\x00"]),
    ],
)
def test_each_type_keeps_its_window(kind, inside, outside):
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    for value in inside:
        adapter.validate_python(value)
    for value in outside:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_instants_compare_across_offsets():
    adapter: TypeAdapter[datetime] = TypeAdapter(Instant)
    assert adapter.validate_python("1900-01-01T08:00:00+08:00").year == 1900
    with pytest.raises(ValidationError):
        adapter.validate_python("1900-01-01T07:59:59+08:00")
