"""A list's total is exact whether or not it is counted: a short first page is its own count,
a full page or a later one asks the database (app.kit.paging)."""

import pytest
from conftest import deploy, login, start

from app.kit import paging


def test_the_total_is_exact_for_short_full_and_later_pages(client):
    definition = deploy(client, "review_loop.bpmn")
    instances = [start(client, definition["key"]) for _ in range(3)]
    assert all(len(i["ready_tasks"]) == 1 for i in instances)

    def listed(**params: int) -> dict:
        response = client.get("/api/v1/tasks", params={"state": "ready", **params})
        assert response.status_code == 200, response.text
        return response.json()

    short = listed(limit=10)  # the whole list in one page: counted by the page
    assert (short["total"], len(short["items"])) == (3, 3)
    full = listed(limit=3)  # a full page cannot tell whether more follow: counted
    assert (full["total"], len(full["items"])) == (3, 3)
    first = listed(limit=2)
    assert (first["total"], len(first["items"])) == (3, 2)
    later = listed(limit=2, offset=2)  # a short page after others: counted
    assert (later["total"], len(later["items"])) == (3, 1)
    past = listed(limit=2, offset=5)  # past the end: nothing, but the total still
    assert (past["total"], past["items"]) == (3, [])
    one = client.get(
        "/api/v1/tasks", params={"process_instance_id": instances[0]["id"], "limit": 10}
    ).json()
    assert (one["total"], len(one["items"])) == (1, 1)


def _walk(client, path: str, params: dict, limit: int) -> list[dict]:
    """Every item of a list, page after page by `next_cursor`."""
    items: list[dict] = []
    cursor = None
    for _ in range(50):
        response = client.get(
            path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert len(body["items"]) == limit
    raise AssertionError("the cursor never ended")


def test_a_cursor_walks_every_list_in_its_order_without_repeats_or_gaps(client):
    definition = deploy(client, "review_loop.bpmn")
    for _ in range(5):
        start(client, definition["key"])
    for path, params in [
        ("/api/v1/tasks", {"state": "ready"}),
        ("/api/v1/process-instances", {}),
        ("/api/v1/audit", {}),
    ]:
        whole = client.get(path, params={**params, "limit": 100}).json()
        assert whole["next_cursor"] is None and len(whole["items"]) >= 5
        walked = _walk(client, path, params, limit=2)
        assert [i["id"] for i in walked] == [i["id"] for i in whole["items"]], path


def test_a_cursor_is_refused_with_an_offset_or_when_it_is_not_one_the_list_gave(client):
    definition = deploy(client, "review_loop.bpmn")
    for _ in range(3):
        start(client, definition["key"])
    first = client.get("/api/v1/tasks", params={"limit": 1}).json()
    both = client.get(
        "/api/v1/tasks", params={"limit": 1, "offset": 1, "cursor": first["next_cursor"]}
    )
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "offset"
    for bad in ["not-a-cursor", "WyJ4Il0", "W10"]:  # garbage, ["x"], []
        refused = client.get("/api/v1/tasks", params={"cursor": bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "cursor"


def test_past_the_count_cap_the_total_is_an_estimate_and_says_so(client, monkeypatch):
    definition = deploy(client, "review_loop.bpmn")
    for _ in range(5):
        start(client, definition["key"])
    exact = client.get("/api/v1/tasks", params={"limit": 2}).json()
    assert (exact["total"], exact["total_is_estimate"]) == (5, False)
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    capped = client.get("/api/v1/tasks", params={"limit": 2}).json()
    # more than the cap: PostgreSQL's planner estimate (never below what was counted), SQLite's
    # lower bound (the cap + 1)
    assert capped["total_is_estimate"] is True and capped["total"] >= 4
    short = client.get("/api/v1/tasks", params={"limit": 10}).json()
    assert (short["total"], short["total_is_estimate"]) == (5, False)  # the page holds it all


def test_an_estimate_holds_for_scoped_callers_and_every_capped_list(client, monkeypatch):
    """The estimate is planned on the caller's own query: scope clauses (unit subtrees, lists of
    units) and filters included — on each list whose total is capped."""
    definition = deploy(client, "review_loop.bpmn")
    for _ in range(4):
        start(client, definition["key"])
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    office = login(client, "wang", "320100-DCS", ["supervision_office"])
    for headers, path, params in [
        (auditor, "/api/v1/audit", {}),
        (auditor, "/api/v1/audit", {"object_type": "process_instance"}),
        (None, "/api/v1/process-instances", {"status": "running"}),
        (None, "/api/v1/tasks", {"state": "ready", "mine": "true"}),
        (office, "/api/v1/matters", {"q": "事项"}),
    ]:
        response = client.get(path, params={**params, "limit": 1}, headers=headers)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert body["total"] >= len(body["items"]), path
        assert body["total_is_estimate"] is (body["total"] > 1), (path, body["total"])


def test_an_estimate_is_reused_for_a_minute_and_no_longer(monkeypatch):
    from app.kit import paging

    now = [1000.0]
    monkeypatch.setattr(paging.time, "monotonic", lambda: now[0])
    recent = paging._Recent(size=2)
    recent.put("a", 5)
    assert recent.get("a") == 5
    now[0] += paging.ESTIMATE_SECONDS + 1
    assert recent.get("a") is None  # expired: planned again
    recent.put("a", 6)
    recent.put("b", 7)
    recent.put("c", 8)  # bounded: the oldest goes
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (None, 7, 8)


def test_an_estimate_is_known_by_its_query_and_values_without_compiling_it():
    from sqlalchemy import select

    from app.supervision.models import Matter

    def key(*where):
        return paging._estimate_key("db", select(Matter.id).where(*where))

    assert key(Matter.status == "closed") == key(Matter.status == "closed")
    assert key(Matter.status == "closed") != key(Matter.status == "handling")  # its values
    assert key(Matter.status == "closed") != key(Matter.light == "closed")  # its shape
    assert key(Matter.owner_unit.in_(["a", "b"])) == key(Matter.owner_unit.in_(["a", "b"]))
    assert key(Matter.owner_unit.in_(["a", "b"])) != key(Matter.owner_unit.in_(["a", "c"]))
    assert paging._estimate_key("other db", select(Matter.id)) != key()


def test_a_capped_list_plans_its_estimate_once_a_minute(client, monkeypatch):
    if client.app.state.db.is_sqlite:
        pytest.skip("SQLite gives the cap, not an estimate")
    from sqlalchemy import event

    definition = deploy(client, "review_loop.bpmn")
    for _ in range(3):
        start(client, definition["key"])
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    monkeypatch.setattr(paging, "_ESTIMATES", paging._Recent())
    explained: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.startswith("EXPLAIN"):
            explained.append(statement)

    event.listen(client.app.state.db.engine, "before_cursor_execute", seen)
    try:
        for status in ("running", "running", "completed", "running"):
            params = {"status": status, "limit": 1}
            assert client.get("/api/v1/process-instances", params=params).status_code == 200
    finally:
        event.remove(client.app.state.db.engine, "before_cursor_execute", seen)
    assert len(explained) == 1  # "running", planned once; "completed" is not capped
