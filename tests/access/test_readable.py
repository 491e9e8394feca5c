"""One statement answers "who may read what" everywhere (docs/access.md, "Who may read what: one
statement per domain"): for each domain's readable statement and a few callers (the unit a
matter is assigned to, the owning office, the office above, a sibling unit, admin), the list,
every detail (200 inside, 404 outside), and the stats or the .xlsx ledger name exactly the rows
the statement selects."""

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from conftest import login
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from rectification.rectification_helpers import open_rectification
from rest import caught_up
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.engine.api import queries as engine_queries
from app.events import queries as event_queries
from app.external import queries as external_queries
from app.identity.principal import Principal
from app.notifications import queries as notification_queries
from app.planning import queries as planning_queries
from app.rectification import queries as rectification_queries
from app.results import queries as result_queries
from app.supervision import queries as matter_queries

API = "/api/v1"
PROVINCE_OFFICE, CITY_OFFICE = "320000-DCS", "320100-DCS"
CALLERS: dict[str, tuple[str, list[str]]] = {
    "own_unit": ("320000-FGW", ["unit_handler"]),  # the lead of the province's matter
    "owner_office": (CITY_OFFICE, ["supervision_office"]),  # owns the city's matter only
    "superior_office": (PROVINCE_OFFICE, ["supervision_office"]),  # above the city's office
    "leader": ("320000-GOV", ["leader"]),  # the province's subtree, and may export ledgers
    "sibling": ("320000-JYT", ["unit_handler"]),  # a department beside the lead: nothing
    "admin": ("320000-GO", ["admin"]),
}
# Who reads what, for the matters (the rule the statement carries, stated here once more).
SEES_MATTERS = {
    "own_unit": {"province"},
    "owner_office": {"city"},
    "superior_office": {"province", "city"},
    "leader": {"province", "city"},
    "sibling": set(),
    "admin": {"province", "city"},
}


def _headers(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = CALLERS[who]
    return login(client, sub=f"reader-{who}", unit=unit, roles=roles)


def _principal(who: str) -> Principal:
    unit, roles = CALLERS[who]
    return Principal(sub=f"reader-{who}", name=who, unit=unit, roles=frozenset(roles))


def _register(client: TestClient, office: str, lead: str) -> dict[str, Any]:
    body = {
        "title": f"{lead} 推进重点项目建设",
        "content": "请按期报送进展",
        "category": "key_work",
        "source_type": "major_decision",
        "explicit_due": "2026-06-30",
        "lead_unit": lead,
    }
    headers = login(client, sub=f"office-{office}", unit=office, roles=["supervision_office"])
    response = client.post(f"{API}/matters", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def world(matter_client: TestClient) -> dict[str, Any]:
    """A matter of the province (lead: 320000-FGW), one of the city (lead: 320100-FGW), and a
    rectification of the province (parts for 320000-FGW and 320000-ZJT)."""
    client = matter_client
    return {
        "province": _register(client, PROVINCE_OFFICE, "320000-FGW"),
        "city": _register(client, CITY_OFFICE, "320100-FGW"),
        "rectification": open_rectification(client),
    }


def _ids(session: Session, statement: Select[Any]) -> set[str]:
    return {str(row.id) for row in session.scalars(statement)}


def _listed(client: TestClient, url: str, headers: dict[str, str]) -> set[str] | None:
    """The ids a list shows; None when the caller's roles may not read it at all (403)."""
    response = client.get(url, params={"limit": 500}, headers=headers)
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (url, response.text)
    return {str(item["id"]) for item in response.json()["items"]}


def _ledger_column(response: Any, column: int) -> set[str]:
    assert response.status_code == 200, response.text
    rows = list(load_workbook(BytesIO(response.content)).worksheets[0].values)
    return {str(r[column]) for r in rows[1:]}


# domain → (its readable statement, its list, its detail by id); `None`: no such route.
Statement = Callable[[Session, Principal], Select[Any]]
DOMAINS: dict[str, tuple[Statement, str, str | None]] = {
    "matters": (matter_queries.readable, "/matters", "/matters/{}"),
    "rectifications": (
        rectification_queries.readable,
        "/rectifications",
        "/rectifications/{}",
    ),
    "process_instances": (
        engine_queries.readable_instances,
        "/process-instances",
        "/process-instances/{}",
    ),
    "tasks": (engine_queries.readable_tasks, "/tasks", "/tasks/{}"),
    "plans": (planning_queries.readable_plans, "/plans", "/plans/{}"),
    "proposals": (
        planning_queries.readable_proposals,
        "/activity-proposals",
        "/activity-proposals/{}",
    ),
    "reports": (
        result_queries.REPORTS.readable,
        "/supervision-reports",
        "/supervision-reports/{}",
    ),
    "bulletins": (result_queries.BULLETINS.readable, "/bulletins", "/bulletins/{}"),
    "accountability": (
        result_queries.CASES.readable,
        "/accountability",
        "/accountability/{}",
    ),
    "jobs": (engine_queries.readable_jobs, "/jobs", None),
    "external_tasks": (external_queries.readable, "/external-tasks", "/external-tasks/{}"),
    "notifications": (notification_queries.readable_notifications, "/notifications", None),
}


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_the_list_and_the_details_are_the_readable_statement(matter_client, world, domain):
    client = matter_client
    statement, list_url, detail_url = DOMAINS[domain]
    with client.app.state.engine.db.session() as s:
        everything = _ids(s, statement(s, _principal("admin")))
        readable = {who: _ids(s, statement(s, _principal(who))) for who in CALLERS}
    if domain in ("matters", "rectifications", "process_instances", "tasks"):
        assert everything, f"the world has no {domain}: the test would prove nothing"
    for who in CALLERS:
        headers = _headers(client, who)
        listed = _listed(client, API + list_url, headers)
        if detail_url is None:
            assert listed in (None, readable[who]), (domain, who)
            continue
        for row_id in everything:
            code = client.get(API + detail_url.format(row_id), headers=headers).status_code
            if listed is None:  # the role may not read this domain: the same 403 on a detail
                assert code == 403, (domain, who, row_id)
            else:
                assert code == (200 if row_id in readable[who] else 404), (domain, who, row_id)
        assert listed in (None, readable[who]), (domain, who)


def test_who_reads_which_matter_is_unchanged(matter_client, world):
    client = matter_client
    with client.app.state.engine.db.session() as s:
        for who, expected in SEES_MATTERS.items():
            ids = _ids(s, matter_queries.readable(s, _principal(who)))
            assert ids == {world[name]["id"] for name in expected}, who


def test_the_stats_and_the_ledgers_count_the_readable_rows(matter_client, world):
    client = matter_client
    with client.app.state.engine.db.session() as s:  # closed before the requests (SQLite)
        matters = {
            who: {m.code for m in s.scalars(matter_queries.readable(s, _principal(who)))}
            for who in CALLERS
        }
        rectifications = {
            who: {r.code for r in s.scalars(rectification_queries.readable(s, _principal(who)))}
            for who in CALLERS
        }
    assert matters["admin"] and rectifications["admin"]
    for who in CALLERS:
        headers = _headers(client, who)
        stats = client.get(f"{API}/console/matter-stats", headers=headers)
        assert stats.status_code == 200, stats.text
        assert stats.json()["total"] == len(matters[who]), who
        ledger = client.get(f"{API}/ledgers/matters.xlsx", headers=headers)
        parts = client.get(f"{API}/ledgers/rectifications.xlsx", headers=headers)
        if who in ("own_unit", "sibling"):  # no ledgers for a unit's handler
            assert (ledger.status_code, parts.status_code) == (403, 403)
            continue
        assert _ledger_column(ledger, 1) == matters[who], who
        assert _ledger_column(parts, 1) == rectifications[who], who


def test_the_event_feed_is_the_readable_statement(matter_client, world):
    client = matter_client
    with client.app.state.engine.db.session() as s:  # closed before the requests (SQLite)
        readable = {
            who: {str(e.event_id) for e in s.scalars(event_queries.readable(s, _principal(who)))}
            for who in CALLERS
        }
    assert readable["admin"], "the world published no events"
    caught_up(client)  # PostgreSQL: the feed shows an event once no older transaction runs
    for who in CALLERS:
        headers = _headers(client, who)
        response = client.get(f"{API}/events", params={"limit": 500}, headers=headers)
        assert response.status_code == 200, response.text
        assert {item["id"] for item in response.json()["items"]} == readable[who], who
