"""What identity keeps warm between requests: the unit tree for scoping, verified tokens."""

import time

import jwt
from conftest import TEST_SECRET, login

from app.org import service as units


def _office_scope(client, unit: str) -> list[str]:
    me = client.get("/api/v1/me", headers=login(client, "wu", unit, ["supervision_office"]))
    assert me.status_code == 200, me.text
    return me.json()["scope_subtrees"]


def test_a_moved_unit_changes_the_scope_at_once(client):
    admin = login(client, "root", "320000-GO", ["admin"])
    office = {
        "code": "320100-T1",
        "name": "测试督查室",
        "kind": "supervision_office",
        "level": "city",
        "parent_code": "320100-GOV",
    }
    assert client.post("/api/v1/units", json=office, headers=admin).status_code == 201
    before = _office_scope(client, "320100-T1")
    assert before == ["320000-GOV/320100-GOV/"]
    assert _office_scope(client, "320100-T1") == before  # now from the cache
    moved = {**office, "parent_code": "320200-GOV"}
    assert client.post("/api/v1/units", json=moved, headers=admin).status_code == 200
    assert _office_scope(client, "320100-T1") == ["320000-GOV/320200-GOV/"]


def test_the_unit_cache_keeps_values_for_its_time_only(monkeypatch):
    cache = units.UnitTreeCache(seconds=10)
    reads: list[str] = []

    def read() -> str:
        reads.append("x")
        return f"path-{len(reads)}/"

    assert cache.lookup(("path", "u"), read) == "path-1/"
    assert cache.lookup(("path", "u"), read) == "path-1/"
    now = time.monotonic()
    monkeypatch.setattr(units.time, "monotonic", lambda: now + 11)
    assert cache.lookup(("path", "u"), read) == "path-2/"
    cache.clear()
    assert cache.lookup(("path", "u"), read) == "path-3/"


def test_a_value_read_during_a_change_is_not_kept():
    cache = units.UnitTreeCache(seconds=10)

    def read_while_changing() -> str:
        cache.clear()  # a unit was written while this value was being read
        return "old/"

    assert cache.lookup(("path", "u"), read_while_changing) == "old/"
    assert cache.lookup(("path", "u"), lambda: "new/") == "new/"


def test_a_remembered_token_is_refused_once_expired(client):
    now = int(time.time())
    claims = {"sub": "li", "name": "李", "unit": "320000-DCS", "roles": ["auditor"]}
    token = jwt.encode({**claims, "iat": now, "exp": now + 600}, TEST_SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    authenticator = client.app.state.authenticator
    principal, expires = authenticator._verified[token]
    assert expires == now + 600 + 30  # exp plus the leeway, as PyJWT reads it
    # A token remembered while it was valid, whose time has run out since.
    expired = jwt.encode({**claims, "iat": now - 700, "exp": now - 100}, TEST_SECRET, "HS256")
    authenticator._verified[expired] = (principal, now - 70)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert expired not in authenticator._verified
