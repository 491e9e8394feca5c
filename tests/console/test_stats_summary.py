"""The dashboard's summary of closed matters (app.supervision.tally): the counts are the same
whether a closed matter is counted live or from the summary, the moment a look-back reopens one
(seed 四(一)) and after the summary is built anew."""

import uuid

from console.test_stats import stats
from rest import API, as_, do
from sqlalchemy import event, select

from app.supervision import tally
from app.supervision.models import Matter, MatterTally

READERS = ("office", "city_office", "fgw", "zjt", "admin")
FILTERS = ({}, {"category": "reform"}, {"status": "closed"}, {"overdue": True}, {"overdue": False})


def register(client, who: str = "office", **fields) -> dict:
    body = {
        "title": "测试事项",
        "content": "内容",
        "category": "key_work",
        "source_type": "major_decision",
        "lead_unit": "320000-FGW",
        "explicit_due": "2026-04-30",
        **fields,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def close(client, **fields) -> str:
    """A matter registered and driven to closed (plan, sign for, report, accept, evaluate)."""
    mid = register(client, **fields)["id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    evaluation = {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]}
    do(client, "office", "evaluate_units", evaluation)
    return mid


def refresh(client) -> int:
    """Rounds of the tally worker until the summary is up to date; the matters moved."""
    db = client.app.state.db
    moved = 0
    while done := db.transaction(tally.refresh):
        moved += done
    return moved


def every_count(client) -> dict:
    """Every reader's counts, per grouping and filter."""
    return {
        (who, group_by, tuple(f.items())): [
            (g["key"], g["count"], g["closed"], g["overdue"])
            for g in stats(client, who, group_by, **f)["groups"]
        ]
        for who in READERS
        for group_by in tally.DIMENSIONS
        for f in FILTERS
    }


def test_counts_are_the_same_live_and_from_the_summary(matter_client):
    client = matter_client
    first = close(client)
    close(client, category="reform")
    register(client)  # open
    register(client, "city_office", lead_unit="320100-FGW")  # another government's, open
    live = every_count(client)
    assert stats(client, "office", "status")["summary_as_of"] is None  # never refreshed

    assert refresh(client) == 2
    summarised = every_count(client)
    assert summarised == live
    status = stats(client, "office", "status")
    assert status["summary_as_of"] is not None
    # the province's office sees the city's matter too (its government's subtree)
    assert {g["key"]: g["count"] for g in status["groups"]} == {"closed": 2, "planning": 2}
    with client.app.state.db.session() as s:
        assert set(s.scalars(select(Matter.id).where(Matter.tallied))) == {
            m for m in s.scalars(select(Matter.id).where(Matter.status == "closed"))
        }
        assert s.scalar(select(MatterTally.count).where(MatterTally.scope_key == "*").limit(1))

    # seed 四(一): a look-back that fails reopens the matter — counted open at once, before
    # the summary is refreshed.
    scheduled = client.post(
        f"{API}/matters/{first}/look-back", json={"check_days": 10}, headers=as_(client, "office")
    )
    assert scheduled.status_code == 201, scheduled.text
    do(client, "office", "verify_implementation", {"result": "failed", "findings": "未解决"})
    status = stats(client, "office", "status")
    assert {g["key"]: g["count"] for g in status["groups"]} == {
        "closed": 1,
        "handling": 1,
        "planning": 2,
    }
    reopened = every_count(client)
    assert refresh(client) == 1  # taken out of the summary
    assert every_count(client) == reopened


def test_scope_keys_name_everyone_who_sees_a_matter():
    paths = {"320102-FGJ": "320000-GOV/320100-GOV/320102-GOV/320102-FGJ/"}
    assert tally.scope_keys(["320102-FGJ", "320000-DCS"], paths) == [
        "*",
        "tree:320000-GOV/",
        "tree:320000-GOV/320100-GOV/",
        "tree:320000-GOV/320100-GOV/320102-GOV/",
        "tree:320000-GOV/320100-GOV/320102-GOV/320102-FGJ/",
        "unit:320000-DCS",  # a unit outside the tree: seen by its own unit only
        "unit:320102-FGJ",
    ]


def test_a_refresh_between_the_reads_neither_doubles_nor_drops_a_matter(matter_client, monkeypatch):
    client = matter_client
    close(client)
    db = client.app.state.db
    real = tally.held
    refreshed = []

    def held_then_refresh(*args, **kwargs):
        counts = real(*args, **kwargs)
        if not refreshed:  # the worker commits while the request counts
            refreshed.append(db.transaction(tally.refresh))
        return counts

    monkeypatch.setattr(tally, "held", held_then_refresh)
    status = stats(client, "office", "status")
    assert refreshed == [1]
    assert {g["key"]: g["count"] for g in status["groups"]} == {"closed": 1}


def test_a_new_matter_is_not_marked_to_leave_a_summary_it_was_never_in(matter_client):
    # Registration inserts the matter, then its assignments and lights in later flushes of the
    # same transaction: no refresh can have counted it, so none of them writes `tallied`.
    client = matter_client
    written: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.startswith("UPDATE matters"):
            written.append(statement)

    engine = client.app.state.db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        mid = register(client)["id"]
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert written and not [s for s in written if "tallied" in s], written
    with client.app.state.db.session() as s:
        assert s.get(Matter, uuid.UUID(mid)).tallied is False  # open: counted live
    groups = stats(client, "office", "status")["groups"]
    assert [(g["key"], g["count"]) for g in groups] == [("planning", 1)]
