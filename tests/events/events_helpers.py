"""Read the event feed over REST as different users (shared by the events tests)."""

import json
from functools import cache
from pathlib import Path

from conftest import ROOT, login
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from rest import caught_up

API = "/api/v1"
READERS = {
    "admin": ("320000-DCS", ["admin"]),
    "province_office": ("320000-DCS", ["supervision_office"]),
    "city_office": ("320100-DCS", ["supervision_office"]),
    "fgw": ("320000-FGW", ["unit_handler"]),
    "zjt": ("320000-ZJT", ["unit_handler"]),
    "jyt": ("320000-JYT", ["unit_handler"]),
}


def reader(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = READERS[who]
    return login(client, sub=f"reader-{who}", unit=unit, roles=roles)


SCHEMAS = ROOT / "docs" / "events"


@cache
def validator(type_: str) -> Draft202012Validator:
    """The validator of one event type's JSON Schema (docs/events/<type>.schema.json)."""
    path: Path = SCHEMAS / f"{type_.removeprefix('ducha.')}.schema.json"
    return Draft202012Validator(json.loads(path.read_text()), format_checker=FormatChecker())


def page(client: TestClient, who: str, **params: object) -> dict:
    """One page of the feed; asserts it answered 200 and every event fits its schema."""
    response = client.get(f"{API}/events", params=params, headers=reader(client, who))
    assert response.status_code == 200, response.text
    body = response.json()
    for event in body["items"]:
        validator(event["type"]).validate(event)
    return body


def events(client: TestClient, who: str, after: str | None = None, **params: object) -> list:
    """Every event after `after` that `who` may see, following `next` to the end."""
    caught_up(client)
    found: list = []
    cursor = after
    while True:
        body = (
            page(client, who, after=cursor, limit=500, **params)
            if cursor
            else page(client, who, limit=500, **params)
        )
        found.extend(body["items"])
        if not body["items"] or body["next"] == cursor:
            return found
        cursor = body["next"]


def cursor_now(client: TestClient) -> str:
    """The feed's end, as the admin sees it: events after it are new."""
    caught_up(client)
    body = page(client, "admin", limit=500)
    while body["items"]:
        body = page(client, "admin", after=body["next"], limit=500)
    return str(body["next"])


def types(found: list) -> list[str]:
    return [e["type"].removeprefix("ducha.") for e in found]


def of(found: list, type_: str) -> list[dict]:
    """The data of the events of one type."""
    return [e["data"] for e in found if e["type"] == f"ducha.{type_}"]
