"""Bad input gets a 4xx naming what is wrong, never a 500: every route that changes something,
with every kind of wrong body (issue: engine service, standards)."""

import re
import uuid

import pytest

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
    assert not failures, failures


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "after=zz", "period_start=2026-02-30"])
def test_no_list_answers_500_to_bad_query(client, query):
    failures = []
    for _method, path in _operations(client, {"GET"}):
        if not path.startswith("/api/"):
            continue
        response = client.get(f"{_path(path)}?{query}")
        if response.status_code >= 500:
            failures.append((path, response.status_code, response.text[:200]))
    assert not failures, failures
