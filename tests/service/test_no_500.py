"""Bad input gets a 4xx naming what is wrong, never a 500: every route that changes something,
with every kind of wrong body (issue: engine service, standards), and every route with numbers,
dates and instants at the edges of their types (issue "Say only what is true", point 4). The
routes, their parameters and their bodies are read from the OpenAPI document, so a new route is
covered without a change here; the OpenAPI document must show every bound (app/bounds.py)."""

import io
import re
import uuid

import pytest
from conftest import TESTER, login
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import BaseModel

from app.kit.bounds import FIRST_DAY, LAST_DAY, Input

BODIES = [
    None,
    b"",
    b"not json",
    b"[]",
    b"{}",
    b'{"title": 1, "items": "x", "units": {"a": 1}, "variables": [1]}',
    b'{"period_start": "2026-13-45", "due": "yesterday", "limit": -1}',
    ('{"title": "' + "长" * 20_000 + '"}').encode(),
    b'{"a": ' * 200 + b"1" + b"}" * 200,
    b"\xff\xfe{\x00not utf-8",
    b'{"title": "a\\u0000b", "variables": {"a\\u0000": [NaN, Infinity, "\\u0000"]}}',
]


def _operations(client, methods: set[str]) -> list[tuple[str, str]]:
    """(method, path) of every documented operation (the OpenAPI schema lists them all)."""
    return [
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
        if method.upper() in methods
    ]


def _path(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_id") or name == "id":
            return str(uuid.uuid4())
        if name == "year":
            return "2027"
        return "x"

    return re.sub(r"\{([^}:]+)(?::[^}]+)?\}", fill, path)


def test_no_route_answers_500_to_a_bad_body(client):
    operations = _operations(client, {"POST", "PUT", "PATCH", "DELETE"})
    assert len(operations) > 40
    failures = []
    for method, path in operations:
        for body in BODIES:
            response = client.request(
                method,
                _path(path),
                content=body,
                headers={"Content-Type": "application/json"} if body is not None else {},
            )
            if response.status_code >= 500:
                failures.append(
                    (
                        method,
                        path,
                        body[:40] if body else body,
                        response.status_code,
                        response.text[:200],
                    )
                )
            else:
                assert response.headers["content-type"].startswith("application/json"), (
                    method,
                    path,
                    response.status_code,
                )
                assert {"detail", "code"} <= response.json().keys(), (method, path, response.text)
    assert not failures, failures


@pytest.mark.parametrize(
    "query",
    [
        "limit=-1",
        "limit=abc",
        "after=zz",
        "period_start=2026-02-30",
        "offset=100000000000000000000",
        "period_start=0001-01-01&period_end=0002-01-02",
        "unit=a%00b&q=%00&status=%00&type=%00",
    ],
)
def test_no_list_answers_500_to_bad_query(client, query):
    failures = []
    for _method, path in _operations(client, {"GET"}):
        if not path.startswith("/api/"):
            continue
        response = client.get(f"{_path(path)}?{query}")
        if response.status_code >= 500:
            failures.append((path, response.status_code, response.text[:200]))
    assert not failures, failures


# Integers, numbers, dates and instants at the edges of their types (issue "Say only what is
# true", point 4). Values past every bound the API allows must be a 422 naming the field.
INT_EDGES = [0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**20]
INT_BEYOND = {2**63, 10**20}
NUMBER_EDGES = ["NaN", "inf", "-inf", "1e308", "-1"]
DATE_EDGES = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "1900-01-01", "2999-12-31"]
DATE_BEYOND = {"0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"}
INSTANT_EDGES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59",
    "1900-01-01T00:00:00Z",
    "2999-12-31T23:59:59Z",
]
INSTANT_BEYOND = {e for e in INSTANT_EDGES if e.startswith(("0001", "9999"))}


def _kind(schema: dict) -> str | None:
    """integer / number / date / date-time, looking through `anyOf` (optional parameters)."""
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") in ("integer", "number"):
            return str(option["type"])
        if option.get("format") in ("date", "date-time"):
            return str(option["format"])
    return None


def _edges(kind: str) -> list[tuple[object, bool]]:
    """(value, beyond every bound) for a kind of parameter."""
    if kind == "integer":
        return [(v, v in INT_BEYOND) for v in INT_EDGES]
    if kind == "number":
        return [(v, v in ("NaN", "inf", "-inf", "1e308")) for v in NUMBER_EDGES]
    if kind == "date":
        return [(v, v in DATE_BEYOND) for v in DATE_EDGES]
    return [(v, v in INSTANT_BEYOND) for v in INSTANT_EDGES]


SANE = {"integer": "1", "number": "0.5", "date": "2026-03-02", "date-time": "2026-03-02T09:00:00Z"}


def _bounded_parameters(client) -> list[tuple[str, str, dict, list[dict]]]:
    """(method, path, parameter, all parameters) of every numeric or date parameter."""
    found = []
    for path, operations in client.app.openapi()["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if _kind(parameter["schema"]):
                    found.append((method.upper(), path, parameter, parameters))
    return found


def _unchecked(client):
    """A client that answers 500 instead of raising, so that every failure is listed."""
    unchecked = TestClient(client.app, raise_server_exceptions=False)
    unchecked.headers.update(client.headers)
    return unchecked


def test_parameters_at_the_edges_of_their_types(client):
    """Every integer, number, date and instant parameter of every route (found in the OpenAPI
    document): no edge value answers 500; a value past every bound is a 422 naming it."""
    found = _bounded_parameters(client)
    assert len(found) > 30
    http = _unchecked(client)
    failures = []
    for method, path, parameter, parameters in found:
        kind = _kind(parameter["schema"])
        assert kind is not None
        for value, beyond in _edges(kind):
            query = {
                p["name"]: SANE.get(_kind(p["schema"]) or "", "x")
                for p in parameters
                if p["in"] == "query" and p.get("required") and p is not parameter
            }
            url = _path(path)
            if parameter["in"] == "path":
                url = path.replace("{" + parameter["name"] + "}", str(value))
                url = _path(url)
            else:
                query[parameter["name"]] = str(value)
            response = http.request(method, url, params=query, json={} if method != "GET" else None)
            where = (method, path, parameter["name"], value, response.status_code)
            if response.status_code >= 500:
                failures.append((*where, response.text[:200]))
                continue
            if not beyond or ("{" in path and response.status_code == 404):
                continue
            named = f"{parameter['in']}.{parameter['name']}"
            fields = [e.get("field") for e in response.json().get("errors", [])]
            if response.status_code != 422 or named not in fields:
                failures.append((*where, f"not refused naming {named}: {response.text[:200]}"))
    assert not failures, failures


def _leaves(schema: dict, components: dict, loc: tuple, seen: frozenset) -> list[tuple]:
    """(location, kind) of every numeric or date field of a request body schema."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name in seen:
            return []
        return _leaves(components[name], components, loc, seen | {name})
    kind = _kind(schema)
    if kind and loc:
        return [(loc, kind)]
    found = []
    for option in schema.get("anyOf", []):
        found += _leaves(option, components, loc, seen)
    for name, prop in schema.get("properties", {}).items():
        found += _leaves(prop, components, (*loc, name), seen)
    if "items" in schema:
        found += _leaves(schema["items"], components, (*loc, 0), seen)
    return found


def _body(loc: tuple, value: object) -> object:
    """The smallest body holding `value` at `loc`."""
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    return [_body(rest, value)] if isinstance(head, int) else {head: _body(rest, value)}


def test_bodies_at_the_edges_of_their_types(client):
    """Every integer, number, date and instant field of every JSON body: no edge value answers
    500; a value past every bound is a 422 naming the field."""
    document = client.app.openapi()
    components = document["components"]["schemas"]
    http = _unchecked(client)
    failures, checked = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            for loc, kind in _leaves(schema, components, (), frozenset()):
                checked += 1
                for value, beyond in _edges(kind):
                    number = kind == "number" or (kind == "integer" and isinstance(value, int))
                    raw = json_value(_body(loc, value if number else str(value)))
                    response = http.request(
                        method.upper(),
                        _path(path),
                        content=raw,
                        headers={"Content-Type": "application/json"},
                    )
                    where = (method, path, loc, value, response.status_code)
                    if response.status_code >= 500:
                        failures.append((*where, response.text[:200]))
                        continue
                    if not beyond or response.status_code == 404:
                        continue
                    named = ".".join(str(p) for p in ("body", *loc))
                    fields = [e.get("field") for e in response.json().get("errors", [])]
                    if response.status_code != 422 or named not in fields:
                        failures.append((*where, f"not refused naming {named}: {response.text}"))
    assert checked > 20
    assert not failures, failures


def json_value(body: object) -> bytes:
    """JSON with Python's NaN/Infinity literals left in, as a careless client sends them."""
    import json

    return json.dumps(body, allow_nan=True).replace('"NaN"', "NaN").replace('"inf"', "Infinity")


def test_the_openapi_document_shows_every_bound(client):
    """Clients see the bounds: every integer and number a request takes has a minimum and a
    maximum, every date and instant a `formatMinimum` and `formatMaximum`, every free string
    parameter a `maxLength` and a pattern (no NUL)."""
    document = client.app.openapi()
    components = document["components"]["schemas"]
    unbounded = []

    def check(where: tuple, schema: dict) -> None:
        for option in [schema, *schema.get("anyOf", [])]:
            if option.get("type") in ("integer", "number"):
                if "minimum" not in option and "exclusiveMinimum" not in option:
                    unbounded.append((*where, "minimum"))
                if "maximum" not in option and "exclusiveMaximum" not in option:
                    unbounded.append((*where, "maximum"))
            if option.get("format") in ("date", "date-time") and not (
                "formatMinimum" in option and "formatMaximum" in option
            ):
                unbounded.append((*where, "formatMinimum/formatMaximum"))

    def check_string(where: tuple, schema: dict) -> None:
        """A string parameter is an enum, a UUID, or has a maximum length and refuses NUL."""
        for option in [schema, *schema.get("anyOf", [])]:
            if "items" in option:
                check_string(where, option["items"])
            if option.get("type") != "string" or "enum" in option or "format" in option:
                continue
            if "maxLength" not in option or "pattern" not in option:
                unbounded.append((*where, "maxLength/pattern"))

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                check((method, path, parameter["name"]), parameter["schema"])
                check_string((method, path, parameter["name"]), parameter["schema"])
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                for loc, _ in _leaves(media["schema"], components, (), frozenset()):
                    leaf = _schema_at(media["schema"], components, loc)
                    check((method, path, loc), leaf)
    assert not unbounded, unbounded


def _schema_at(schema: dict, components: dict, loc: tuple) -> dict:
    """The schema of the field at `loc` (through references, `anyOf` and arrays)."""
    if "$ref" in schema:
        return _schema_at(components[schema["$ref"].split("/")[-1]], components, loc)
    if not loc:
        return schema
    head, rest = loc[0], loc[1:]
    options = [schema, *schema.get("anyOf", [])]
    for option in options:
        if "$ref" in option:
            option = components[option["$ref"].split("/")[-1]]
        if isinstance(head, int) and "items" in option:
            return _schema_at(option["items"], components, rest)
        if not isinstance(head, int) and head in option.get("properties", {}):
            return _schema_at(option["properties"][head], components, rest)
    raise AssertionError(f"no field at {loc}")


@pytest.mark.parametrize("assigned_on", [FIRST_DAY, LAST_DAY])
def test_a_matter_at_the_edges_of_the_date_window(matter_client, assigned_on):
    """The window is what deadline arithmetic and the calendar handle: a matter registered on
    its first or last day gets its deadlines (past the window's end, too) and its process."""
    headers = login(matter_client, **TESTER)
    body = {
        "title": "测试事项",
        "content": "内容",
        "lead_unit": "320000-FGW",
        "category": "key_work",
        "source_type": "annual_key_work",
        "assigned_on": assigned_on.isoformat(),
    }
    created = matter_client.post("/api/v1/matters", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["final_due"] >= assigned_on.isoformat()
    listed = matter_client.get(
        "/api/v1/matters", params={"due_after": FIRST_DAY.isoformat()}, headers=headers
    )
    assert listed.status_code == 200 and listed.json()["total"] == 1


def _models(base: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model class defined so far, by the name the OpenAPI document gives it."""
    found = {}
    for sub in base.__subclasses__():
        found[sub.__name__] = sub
        found.update(_models(sub))
    return found


def test_every_json_body_is_an_input(client):
    """Every JSON body model derives from `Input` (no NUL, no NaN or infinity, at any depth)."""
    document = client.app.openapi()
    models = _models(BaseModel)
    bodies = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                bodies.add(schema["$ref"].split("/")[-1])
    assert len(bodies) > 30
    assert not [name for name in sorted(bodies) if not issubclass(models[name], Input)]


def test_a_title_with_control_characters_still_exports(matter_client):
    """Found by Schemathesis: a stored title with a control character broke the .xlsx ledger
    (a worksheet cannot hold one); the ledger drops it, as the .docx documents do."""
    headers = login(matter_client, **TESTER)
    body = {
        "title": "测试\x06事项\x1f",
        "content": "内容",
        "lead_unit": "320000-FGW",
        "category": "key_work",
        "source_type": "annual_key_work",
    }
    created = matter_client.post("/api/v1/matters", json=body, headers=headers)
    assert created.status_code == 201, created.text
    ledger = matter_client.get("/api/v1/ledgers/matters.xlsx", headers=headers)
    assert ledger.status_code == 200, ledger.text
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    assert sheet is not None
    assert "测试事项" in [cell.value for cell in sheet[2]]
