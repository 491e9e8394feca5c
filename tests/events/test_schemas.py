"""One JSON Schema (draft 2020-12) per event type, in docs/events; every event the tests read
from the feed is validated against its schema (events_helpers.page)."""

import json

from events_helpers import SCHEMAS, validator
from jsonschema import Draft202012Validator

from app.events.catalogue import TYPES


def test_every_type_in_the_catalogue_has_a_valid_schema_and_no_schema_is_left_over():
    names = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    assert names == set(TYPES)
    for type_ in TYPES:
        schema = json.loads((SCHEMAS / f"{type_}.schema.json").read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"] == {"const": f"ducha.{type_}"}


def test_a_schema_refuses_an_event_without_its_data():
    event = {
        "specversion": "1.0",
        "id": "0b8f5d0e-8d5b-4a5e-9d1c-6a1f0b1f2c3d",
        "source": "/ducha",
        "type": "ducha.matter.urged",
        "time": "2026-04-02T01:00:00Z",
        "datacontenttype": "application/json",
        "data": {"matter_id": "0b8f5d0e-8d5b-4a5e-9d1c-6a1f0b1f2c3d"},
    }
    errors = list(validator("matter.urged").iter_errors(event))
    assert errors and any("notice" in e.message for e in errors)
