"""The task list (`GET /tasks`, the inbox) keeps one statement per shape of its filters and sends
each request's values as parameters (app.engine.api.queries.task_list): every filter still
selects by the request's own value, and every caller by their own scope."""

from pathlib import Path

from conftest import login
from fastapi.testclient import TestClient
from sql_sent import sent

from app.engine.api import queries
from app.kit import paging

API = "/api/v1"
UNIT_TASK = Path(__file__).parent.parent / "access" / "unit_task.bpmn"
FGW, CITY_FGW = "320000-FGW", "320100-FGW"
NO_INSTANCE = "00000000-0000-4000-8000-0000000000aa"


def _started(client: TestClient, unit: str) -> dict:
    body = {"process_key": "unit_task", "variables": {"unit": unit}}
    response = client.post(f"{API}/process-instances", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _listed(client: TestClient, headers: dict | None = None, **params: str) -> list[str]:
    response = client.get(f"{API}/tasks", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return sorted(t["instance_id"] for t in body["items"])


def _list_statements(seen: list[tuple[str, object]]) -> list[str]:
    return [s for s, _ in seen if s.lstrip().startswith("SELECT tasks.id")]


def test_each_filter_selects_by_its_own_value_through_one_kept_statement(
    client: TestClient,
) -> None:
    files = {"file": ("unit_task.bpmn", UNIT_TASK.read_bytes(), "application/xml")}
    assert client.post(f"{API}/process-definitions", files=files).status_code == 201
    province, city = _started(client, FGW), _started(client, CITY_FGW)
    (task,) = province["ready_tasks"]
    claimed = client.post(f"{API}/tasks/{task['id']}/assign", json={"assignee": "li"})
    assert claimed.status_code == 200, claimed.text
    both = sorted([province["id"], city["id"]])

    p, c = [province["id"]], [city["id"]]
    cases = [  # a filter and its values, each with the instances whose tasks it selects
        ("process_instance_id", {province["id"]: p, city["id"]: c, NO_INSTANCE: []}),
        ("unit", {FGW: p, CITY_FGW: c, "320000-JYT": []}),
        ("assignee", {"li": p, "wang": []}),
        ("element_id", {"handle": both, "approve": []}),
        ("process_key", {"unit_task": both, "review_loop": []}),
        ("due_before", {"2000-01-01T00:00:00+08:00": []}),
    ]
    for name, selects in cases:
        before = queries._task_template.cache_info()
        with sent(client) as seen:
            for value, expected in selects.items():
                assert _listed(client, **{name: value}) == sorted(expected), (name, value)
        after = queries._task_template.cache_info()
        # one statement built (at most) for the shape, whatever the values: they are parameters
        assert after.misses - before.misses <= 1, name
        assert after.hits - before.hits >= len(selects) - 1, name
        texts = _list_statements(seen)
        assert len(texts) == len(selects) and len(set(texts)) == 1, (name, set(texts))
    assert _listed(client, state="completed") == []
    assert _listed(client) == both


def test_a_kept_statement_is_each_callers_own_scope(client: TestClient) -> None:
    files = {"file": ("unit_task.bpmn", UNIT_TASK.read_bytes(), "application/xml")}
    assert client.post(f"{API}/process-definitions", files=files).status_code == 201
    province, city = _started(client, FGW), _started(client, CITY_FGW)
    handler = login(client, "li", FGW, ["unit_handler"])
    city_handler = login(client, "zhou", CITY_FGW, ["unit_handler"])
    city_office = login(client, "wang", "320100-DCS", ["supervision_office"])
    for _ in range(2):  # the second round reads the statements kept by the first
        assert _listed(client, handler, mine="true") == [province["id"]]
        assert _listed(client, city_handler, mine="true") == [city["id"]]
        assert _listed(client, city_office) == [city["id"]]
        assert _listed(client, handler, candidate_group="unit_handler") == [province["id"]]
        assert _listed(client, handler, candidate_group="unit_head") == []


def test_a_kept_statements_estimate_is_known_by_its_parameters_values() -> None:
    from sqlalchemy import bindparam, select

    from app.supervision.models import Matter

    template = select(Matter.id).where(Matter.status == bindparam("status"))

    def key(status: str) -> object:
        return paging._estimate_key("db", template, {"status": status})

    assert key("closed") == key("closed")
    assert key("closed") != key("handling")


def test_a_list_whose_session_fails_to_end_answers_503_not_200(client: TestClient) -> None:
    """The list ends its read session inside the route (`app.deps.read`): a failure there is the
    request's, answered as a database fault, never a 200 sent ahead of it (style.md §2)."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    files = {"file": ("unit_task.bpmn", UNIT_TASK.read_bytes(), "application/xml")}
    assert client.post(f"{API}/process-definitions", files=files).status_code == 201
    _started(client, FGW)
    db = client.app.state.db  # type: ignore[attr-defined]

    def fail(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    event.listen(db.sessions, "before_commit", fail)
    try:
        response = client.get(f"{API}/tasks")
    finally:
        event.remove(db.sessions, "before_commit", fail)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_error"
    assert len(_listed(client)) == 1
