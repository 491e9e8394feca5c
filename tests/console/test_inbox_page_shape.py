"""The shape of an inbox page, pinned: an item is the task list's task (same fields, in order, same
values — the light and the names too) with its documentation and subject; a task of no domain
row has a null subject, one with no due date no light; the answer is the same in every language
(the names carry both). The page is read as plain columns and built without ORM entities
(`inbox.page_of`), so these hold it to what the task routes answer."""

import pytest
from console.test_inbox import inbox, register
from engine.engine_helpers import deploy_file, start_instance
from rest import API, as_
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.console import inbox as console_inbox
from app.console.inbox import InboxTask, Subject
from app.engine import TaskOut
from app.identity.principal import Principal

PAGE_KEYS = ["total", "overdue", "due_soon", "items", "limit", "offset"]


def test_an_item_is_the_task_lists_task_with_its_documentation_and_subject(matter_client):
    client = matter_client
    projects = register(client, "关于推进重点项目建设的督办事项")
    register(client, "关于优化营商环境的督办事项", assigned_on="2026-01-05")  # overdue
    response = client.get(f"{API}/console/inbox", headers=as_(client, "fgw"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == PAGE_KEYS
    assert [t["light"] for t in body["items"]] == ["red", "yellow"]
    listed = client.get(f"{API}/tasks", params={"mine": True}, headers=as_(client, "fgw")).json()
    by_id = {t["id"]: t for t in listed["items"]}
    for item in body["items"]:
        assert list(item) == list(InboxTask.model_fields)
        assert {key: item[key] for key in TaskOut.model_fields} == by_id[item["id"]]
        assert item["names"] == {"zh-CN": "签收或退回", "en": item["names"]["en"]}
        detail = client.get(f"{API}/tasks/{item['id']}", headers=as_(client, "fgw")).json()
        assert item["documentation"] == detail["documentation"] and item["documentation"]
        assert list(item["subject"]) == list(Subject.model_fields)
    (soon,) = [t for t in body["items"] if t["light"] == "yellow"]
    assert soon["subject"] == {
        "kind": "matter",
        "id": projects["id"],
        "code": projects["code"],
        "title": "关于推进重点项目建设的督办事项",
    }


def test_a_task_of_no_subject_and_no_due_date_has_neither(client):
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps")
    assert started.status_code == 201, started.text
    response = client.get(f"{API}/console/inbox", params={"scope": "all"})
    assert response.status_code == 200, response.text
    body = response.json()
    (item,) = body["items"]
    assert list(item) == list(InboxTask.model_fields)
    assert item["instance_id"] == started.json()["id"]
    assert (item["subject"], item["due_at"], item["light"]) == (None, None, None)
    assert item["names"] == {"zh-CN": "Step 1", "en": "Step 1"}
    assert (body["total"], body["overdue"], body["due_soon"]) == (1, 0, 0)
    # Nothing of the next page: no subjects to read, an empty list.
    empty = client.get(f"{API}/console/inbox", params={"scope": "all", "offset": 1}).json()
    assert empty["items"] == [] and empty["total"] == 1


def test_the_answer_is_the_same_in_every_language(matter_client):
    client = matter_client
    register(client, "关于推进重点项目建设的督办事项")
    answers = []
    for language in (None, "en", "en-US,en;q=0.9", "zh-CN"):
        headers = as_(client, "fgw")
        if language:
            headers["Accept-Language"] = language
        response = client.get(f"{API}/console/inbox", headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.content)
    assert len(set(answers)) == 1
    (item,) = inbox(client, "fgw")["items"]
    assert set(item["names"]) == {"zh-CN", "en"}


def test_the_page_reads_its_index_in_order_and_each_kept_rows_definition(database_url):
    # The definition (for the names) is a subquery of the page's rows, not a join: a join could
    # be made for every open task in scope before the sort and the LIMIT.
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's")
    handler = Principal(sub="li", name="李", unit="320000-FGW", roles=frozenset({"unit_handler"}))
    engine = create_engine(database_url)
    with Session(engine) as s:
        query = console_inbox.tasks_of(s, handler, scope="mine", process_key=None, q=None)
        page = console_inbox.page_query(query, 50, 0)
        compiled = page.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
        s.execute(text("SET LOCAL enable_seqscan = off"))
        rows = s.connection().exec_driver_sql(
            "EXPLAIN " + str(compiled), compiled.construct_params()
        )
        plan = "\n".join(r[0] for r in rows)
    engine.dispose()
    assert "ix_tasks_ready_unit_due" in plan and "Sort" not in plan, plan
    assert "SubPlan" in plan and "Join" not in plan, plan
