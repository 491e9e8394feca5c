"""Migration of running instances to another version (实例迁移), over REST, on both backends.

`migration_v1.bpmn` routes each case by `path` to a renamed user task (with a boundary timer),
an intermediate timer, a message catch, a multi-instance task, a call activity, or a step that
`migration_v2.bpmn` drops; v2 adds an `archive` task before the end, so that an instance shows
it follows the new version by reaching it.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from conftest import ROOT, login
from engine_helpers import (
    API,
    bpmn,
    complete_task,
    deploy_file,
    events,
    instance,
    jobs,
    only_ready,
    post_definition,
    run_due,
    send_message,
    start_instance,
)
from events.events_helpers import events as feed
from fastapi.testclient import TestClient
from rest import as_, do
from sqlalchemy import Uuid, bindparam, text

from app.engine import start_instance as start_engine_instance
from app.engine.api import migration_runs
from app.kit.clock import clock
from app.main import create_app

RENAMED = [{"source_element_id": "review", "target_element_id": "check_report"}]
CITY_OFFICE = ("320100-DCS", ["supervision_office"])


@pytest.fixture
def versions(client: TestClient) -> tuple[dict, dict]:
    """The called process, then v1 and v2 of `migration_case` (both call the same version)."""
    deploy_file(client, "migration_called.bpmn")
    return deploy_file(client, "migration_v1.bpmn"), deploy_file(client, "migration_v2.bpmn")


def start_case(client: TestClient, path: str, **variables: Any) -> dict:
    response = start_instance(
        client,
        "migration_case",
        version=1,
        business_key=f"case-{path}",
        variables={"path": path, **variables},
    )
    assert response.status_code == 201, response.text
    return response.json()


def plan_of(client: TestClient, v1: dict, v2: dict, mappings: list[dict] = RENAMED) -> dict:
    body = {
        "source_definition_id": v1["id"],
        "target_definition_id": v2["id"],
        "mappings": mappings,
    }
    response = client.post(f"{API}/migrations/plan", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def execute(client: TestClient, plan: dict, selection: dict, **body: Any) -> Any:
    payload = {"plan": plan, "selection": selection, "reason": "the diagram was fixed", **body}
    return client.post(f"{API}/migrations", json=payload)


def run_batch(client: TestClient, batch_id: str) -> dict:
    """Run the batch to its end here (the background worker is off in tests); its progress."""
    app = client.app
    migration_runs.run_to_completion(app.state.engine, app.state.settings, uuid.UUID(batch_id))  # type: ignore[attr-defined]
    response = client.get(f"{API}/migrations/{batch_id}")
    assert response.status_code == 200, response.text
    return response.json()


def items(client: TestClient, batch_id: str, **params: Any) -> list[dict]:
    response = client.get(f"{API}/migrations/{batch_id}/instances", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ready_of(client: TestClient, instance_id: str, element_id: str) -> dict:
    return only_ready(instance(client, instance_id), element_id)


def finish_archive(client: TestClient, instance_id: str) -> None:
    """Complete v2's new last task; the instance ends."""
    done = complete_task(client, ready_of(client, instance_id, "archive")["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


# --- plans ----------------------------------------------------------------------------------


def test_a_plan_maps_equal_ids_and_renamed_elements_and_says_what_it_leaves_out(client, versions):
    v1, v2 = versions
    plan = plan_of(client, v1, v2)
    by_source = {i["source_element_id"]: i for i in plan["instructions"]}
    assert by_source["review"] == {
        "source_element_id": "review",
        "target_element_id": "check_report",
        "element_type": "UserTask",
        "target_element_type": "UserTask",
        "auto": False,
    }
    auto = {s for s, i in by_source.items() if i["auto"]}
    assert {"cool_down", "documents_arrived", "give_opinion", "get_review"} <= auto
    assert {"review_overdue", "escalate", "route", "merge", "start", "end"} <= auto
    assert all(i["target_element_id"] == s for s, i in by_source.items() if i["auto"])
    assert plan["unmapped"] == [
        {
            "element_id": "doomed_step",
            "element_type": "UserTask",
            "reason": "the target version has no element 'doomed_step'",
        }
    ]
    assert plan["target_only"] == ["archive", "note_cooled", "sign_off_report"]
    assert (plan["source_version"], plan["target_version"]) == (1, 2)

    bare = plan_of(client, v1, v2, mappings=[])
    left = {u["element_id"]: u["reason"] for u in bare["unmapped"]}
    assert left["review"] == "the target version has no element 'review'"
    # Its boundary event has nowhere to go without its activity.
    assert "review_overdue" in left and "attached to 'review'" in left["review_overdue"]


@pytest.mark.parametrize(
    ("mappings", "index", "words"),
    [
        (
            [*RENAMED, {"source_element_id": "no_such", "target_element_id": "archive"}],
            1,
            "no_such",
        ),
        ([{"source_element_id": "review", "target_element_id": "nowhere"}], 0, "nowhere"),
        ([{"source_element_id": "review", "target_element_id": "cool_down"}], 0, "cannot become"),
        ([*RENAMED, *RENAMED], 1, "mapped twice"),
        (
            [{"source_element_id": "review_overdue", "target_element_id": "review_overdue"}],
            0,
            "attached to",
        ),
    ],
)
def test_a_plan_refuses_unknown_elements_and_incompatible_types_naming_the_mapping(
    client, versions, mappings, index, words
):
    v1, v2 = versions
    body = {
        "source_definition_id": v1["id"],
        "target_definition_id": v2["id"],
        "mappings": mappings,
    }
    response = client.post(f"{API}/migrations/plan", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == f"mappings[{index}]" and words in e["message"] for e in errors), errors


def test_a_plan_needs_two_deployed_versions_and_the_migrate_permission(client, versions):
    v1, _v2 = versions
    same = {"source_definition_id": v1["id"], "target_definition_id": v1["id"]}
    response = client.post(f"{API}/migrations/plan", json=same)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "target_definition_id"
    unknown = {"source_definition_id": str(uuid.uuid4()), "target_definition_id": v1["id"]}
    response = client.post(f"{API}/migrations/plan", json=unknown)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "source_definition_id"
    handler = login(client, sub="handler", unit="320000-FGW", roles=["unit_handler"])
    response = client.post(f"{API}/migrations/plan", json=same, headers=handler)
    assert response.status_code == 403 and response.json()["action"] == "instances.migrate"


# --- validation and dry runs -------------------------------------------------------------------


def test_validation_reports_each_instance_and_a_dry_run_changes_nothing(client, versions):
    v1, v2 = versions
    plan = plan_of(client, v1, v2)
    review, timer, doomed = (start_case(client, p) for p in ("review", "timer", "doomed"))
    done = start_case(client, "review")
    complete_task(client, ready_of(client, done["id"], "review")["id"])
    assert instance(client, done["id"])["status"] == "completed"

    body = {"plan": plan, "selection": {"all": True}}
    report = client.post(f"{API}/migrations/validate", json=body).json()
    assert (report["total"], report["migratable"], report["not_migratable"]) == (3, 2, 1)
    by_id = {i["instance_id"]: i for i in report["instances"]}
    assert done["id"] not in by_id  # a filter keeps running instances only
    elements = {e["element_id"]: e["target_element_id"] for e in by_id[review["id"]]["elements"]}
    assert elements == {"review": "check_report", "review_overdue": "review_overdue"}
    refused = by_id[doomed["id"]]
    assert refused["result"] == "not_migratable"
    assert refused["elements"] == [
        {
            "element_id": "doomed_step",
            "element_type": "UserTask",
            "target_element_id": None,
            "reason": "no instruction of the plan maps 'doomed_step'",
            "called_process": None,
        }
    ]
    assert "doomed_step" in refused["reason"]

    before = {i["id"]: instance(client, i["id"]) for i in (review, timer, doomed, done)}
    named = {"instance_ids": [review["id"], doomed["id"], done["id"]]}
    response = execute(client, plan, named, dry_run=True)
    assert response.status_code == 200, response.text
    dry = response.json()
    assert (dry["migratable"], dry["not_migratable"], dry["skipped"]) == (1, 1, 1)
    skipped = next(i for i in dry["instances"] if i["instance_id"] == done["id"])
    assert skipped["reason"] == "the instance is completed"
    assert {i: instance(client, i) for i in before} == before
    assert client.get(f"{API}/migrations").json()["total"] == 0
    assert not events(client, review["id"], "instance_migrated")


def test_a_selection_by_filter_keeps_its_business_keys_and_statuses(client, versions):
    v1, v2 = versions
    plan = plan_of(client, v1, v2)
    start_case(client, "review")
    timer = start_case(client, "timer")
    body = {"plan": plan, "selection": {"filter": {"business_key": "case-timer"}}}
    report = client.post(f"{API}/migrations/validate", json=body).json()
    assert [i["instance_id"] for i in report["instances"]] == [timer["id"]]
    body["selection"] = {"filter": {"status": "error"}}
    assert client.post(f"{API}/migrations/validate", json=body).json()["total"] == 0
    body["selection"] = {"all": True, "instance_ids": [timer["id"]]}
    assert client.post(f"{API}/migrations/validate", json=body).status_code == 422


# --- batches ---------------------------------------------------------------------------------


def test_a_batch_migrates_every_kind_of_wait_and_each_case_ends_on_the_new_version(
    client, versions, frozen_clock
):
    v1, v2 = versions
    plan = plan_of(client, v1, v2)
    review = start_case(client, "review")
    review_task = ready_of(client, review["id"], "review")
    assert client.post(f"{API}/tasks/{review_task['id']}/claim").status_code == 200
    timer = start_case(client, "timer")
    message = start_case(client, "message")
    multi = start_case(client, "multi", units=["a", "b", "c"])
    first = instance(client, multi["id"])["ready_tasks"][0]
    complete_task(client, first["id"], {"opinion": "yes"})
    call = start_case(client, "call")
    cases = [review, timer, message, multi, call]
    timers_before = {c["id"]: jobs(client, c["id"]) for c in cases}
    clock.freeze(frozen_clock + timedelta(hours=1))

    response = execute(client, plan, {"all": True})
    assert response.status_code == 202, response.text
    batch = response.json()
    assert (batch["status"], batch["total"], batch["migrated"]) == ("pending", 5, 0)
    done = run_batch(client, batch["id"])
    assert done["status"] == "completed" and done["finished_at"] is not None
    assert (done["migrated"], done["failed"], done["skipped"]) == (5, 0, 0)
    assert {i["status"] for i in items(client, batch["id"])} == {"migrated"}

    for case in cases:
        detail = instance(client, case["id"])
        assert (detail["version"], detail["definition_id"]) == (2, v2["id"])
        (migrated,) = events(client, case["id"], "instance_migrated")
        assert migrated["data"]["from"]["version"] == 1 and migrated["data"]["to"]["version"] == 2
        kept = [(j["id"], j["due_at"], j["status"]) for j in jobs(client, case["id"])]
        assert kept == [(j["id"], j["due_at"], j["status"]) for j in timers_before[case["id"]]]

    # The activity history of what still waits names the target (a duration per version).
    query = {"process_instance_id": review["id"], "state": "active"}
    open_rows = client.get(f"{API}/history/activity-instances", params=query).json()["items"]
    assert {(a["element_id"], a["version"]) for a in open_rows} >= {("check_report", 2)}
    assert {a["definition_id"] for a in open_rows} == {v2["id"]}

    # The renamed task: same task, same assignee and times, the target's name.
    moved = ready_of(client, review["id"], "check_report")
    assert moved["id"] == review_task["id"] and moved["name"] == "Check the report"
    assert moved["assignee"] == "tester" and moved["created_at"] == review_task["created_at"]
    assert [j["element_id"] for j in jobs(client, review["id"])] == ["review_overdue"]
    complete_task(client, moved["id"])
    # What follows it is v2's: a step v1 did not have.
    complete_task(client, ready_of(client, review["id"], "sign_off_report")["id"])
    finish_archive(client, review["id"])

    # The timer fires once, at its original due time.
    (job,) = timers_before[timer["id"]]
    due = job["due_at"]
    clock.freeze(frozen_clock + timedelta(hours=2) - timedelta(seconds=1))
    assert run_due(client) == 0
    clock.freeze(frozen_clock + timedelta(hours=2))
    assert run_due(client) == 1
    assert run_due(client) == 0
    assert [e["data"]["due_at"] for e in events(client, timer["id"], "timer_fired")] == [
        due.replace("Z", "+00:00")
    ]
    assert instance(client, timer["id"])["variables"]["cooled"] is True  # v2's script ran
    finish_archive(client, timer["id"])

    assert (
        send_message(
            client, "migration_documents_arrived", correlation_key="case-message"
        ).status_code
        == 200
    )
    finish_archive(client, message["id"])

    for task in instance(client, multi["id"])["ready_tasks"]:
        assert task["element_id"] == "give_opinion"
        complete_task(client, task["id"], {"opinion": "no"})
    assert instance(client, multi["id"])["variables"]["opinions"] == ["yes", "no", "no"]
    finish_archive(client, multi["id"])

    called = ready_of(client, call["id"], "called_review")  # the called process, unchanged
    complete_task(client, called["id"])
    finish_archive(client, call["id"])


def test_a_batch_is_audited_and_told_as_events(client, versions):
    v1, v2 = versions
    case = start_case(client, "review")
    batch = execute(client, plan_of(client, v1, v2), {"instance_ids": [case["id"]]}).json()
    run_batch(client, batch["id"])
    audit = client.get(f"{API}/audit", params={"object_id": batch["id"]}).json()["items"]
    assert {a["action"] for a in audit} == {"migration.create", "migration.finish"}
    found = feed(client, "admin")  # each event checked against its schema (docs/events)
    migrated = [e for e in found if e["type"] == "ducha.instance.migrated"]
    assert [e["subject"] for e in migrated] == [case["id"]]
    assert migrated[0]["data"]["version"] == 2 and migrated[0]["data"]["from_version"] == 1
    (finished,) = [e for e in found if e["type"] == "ducha.migration.finished"]
    assert finished["data"]["migrated"] == 1 and finished["subject"] == batch["id"]


def test_an_instance_that_cannot_migrate_fails_alone(client, versions):
    v1, v2 = versions
    first, doomed, last = (start_case(client, p) for p in ("review", "doomed", "timer"))
    selection = {"instance_ids": [first["id"], doomed["id"], last["id"]]}
    batch = execute(client, plan_of(client, v1, v2), selection).json()
    done = run_batch(client, batch["id"])
    assert (done["migrated"], done["failed"], done["skipped"]) == (2, 1, 0)
    (failed,) = items(client, batch["id"], status="failed")
    assert failed["instance_id"] == doomed["id"]
    assert "'doomed_step'" in failed["message"]
    assert instance(client, doomed["id"])["version"] == 1
    step = ready_of(client, doomed["id"], "doomed_step")
    assert complete_task(client, step["id"]).json()["status"] == "completed"  # still on v1


def test_a_batch_interrupted_by_a_restart_is_finished_by_the_next_process(
    client, settings, versions, frozen_clock
):
    v1, v2 = versions
    cases = [start_case(client, "review") for _ in range(12)]
    batch = execute(client, plan_of(client, v1, v2), {"all": True}).json()
    engine = client.app.state.engine  # type: ignore[attr-defined]
    first = migration_runs.runner(engine, settings, chunk=5)
    assert first.round() == 5  # one chunk committed, then the process dies holding the lease
    progress = client.get(f"{API}/migrations/{batch['id']}").json()
    assert (progress["status"], progress["migrated"]) == ("running", 5)

    with TestClient(create_app(settings)) as restarted:
        later = migration_runs.runner(restarted.app.state.engine, settings, chunk=5)  # type: ignore[attr-defined]
        assert later.round() == 0  # the dead process's lease has not expired yet
        clock.freeze(frozen_clock + timedelta(seconds=settings.job_lease_seconds + 1))
        later.run(uuid.UUID(batch["id"]))
    done = client.get(f"{API}/migrations/{batch['id']}").json()
    assert (done["status"], done["migrated"], done["failed"]) == ("completed", 12, 0)
    for case in cases:
        assert len(events(client, case["id"], "instance_migrated")) == 1


# --- access ----------------------------------------------------------------------------------


def test_instances_named_by_id_must_be_seen_controlled_and_of_the_source(client, versions):
    v1, v2 = versions
    plan = plan_of(client, v1, v2)
    unseen = start_case(client, "review")
    seen = start_case(client, "timer")
    task = start_case(client, "message")
    involved = start_case(client, "review")
    city = login(client, "city", *CITY_OFFICE)
    # A task given to a city unit lets the city's office see the province's instance.
    review = ready_of(client, involved["id"], "review")
    assign = client.post(f"{API}/tasks/{review['id']}/assign", json={"unit": "320100-FGW"})
    assert assign.status_code == 200, assign.text

    body = {
        "plan": plan,
        "selection": {"instance_ids": [involved["id"], unseen["id"]]},
        "reason": "x",
    }
    response = client.post(f"{API}/migrations", json=body, headers=city)
    assert response.status_code == 403, response.text
    assert response.json()["action"] == "instances.migrate"
    assert response.json()["object_id"] == involved["id"]
    body["selection"] = {"instance_ids": [unseen["id"]]}
    response = client.post(f"{API}/migrations/validate", json=body, headers=city)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "selection.instance_ids[0]"
    # By filter, the city's office reaches none of the province's instances.
    body["selection"] = {"all": True}
    assert client.post(f"{API}/migrations/validate", json=body, headers=city).json()["total"] == 0
    assert client.post(f"{API}/migrations", json=body, headers=city).status_code == 422

    batch = execute(client, plan, {"instance_ids": [seen["id"]]}).json()
    run_batch(client, batch["id"])
    body["selection"] = {"instance_ids": [task["id"], seen["id"]]}
    response = client.post(f"{API}/migrations/validate", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "selection.instance_ids[1]"
    assert client.get(f"{API}/migrations/{batch['id']}", headers=city).status_code == 404
    assert client.get(f"{API}/migrations", headers=city).json()["total"] == 0


# --- what migration leans on, and what it leaves alone ------------------------------------------


def test_a_multi_instance_begun_in_another_process_completes(client, settings):
    """A loop's items report to the loop on specs parsed by any process (they reported only to
    the specs of the process that created them: a restart, another process or a migration left
    the loop waiting for ever)."""
    deploy_file(client, "multi_instance_parallel.bpmn")
    response = start_instance(client, "collect_opinions", variables={"units": ["a", "b"]})
    started = response.json()
    with TestClient(create_app(settings)) as other:  # its specs are parsed afresh
        other.headers.update(client.headers)
        for task in started["ready_tasks"]:
            assert complete_task(other, task["id"], {"opinion": "ok"}).status_code == 200
        detail = instance(other, started["id"])
    assert detail["status"] == "completed"
    assert detail["variables"]["opinion_count"] == 2


MATTER_TABLES = (
    "matters",
    "assignments",
    "matter_deadlines",
    "progress_reports",
    "urgings",
    "extension_requests",
    "matter_timeline",
)


def matter_rows(client: TestClient, matter_id: str) -> dict[str, list[str]]:
    """Every row of the matter in the supervision tables (as text, in a stable order)."""
    rows: dict[str, list[str]] = {}
    with client.app.state.db.session() as s:  # type: ignore[attr-defined]
        for table in MATTER_TABLES:
            column = "id" if table == "matters" else "matter_id"
            query = text(f"SELECT * FROM {table} WHERE {column} = :m")
            result = s.execute(
                query.bindparams(bindparam("m", type_=Uuid)), {"m": uuid.UUID(matter_id)}
            )
            rows[table] = sorted(repr(tuple(r)) for r in result)
    return rows


def test_migrating_a_matters_process_leaves_the_matter_untouched(matter_client):
    client = matter_client
    body = {
        "title": "关于加快推进城市更新项目的批示",
        "content": "请发改委牵头，住建厅配合，抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "source_ref": "省长批示〔2026〕12号",
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "division_unit": "320000-GO-ZH1",
    }
    registered = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()
    plan = {
        "plan_title": body["title"],
        "plan_content": "分工",
        "lead_unit": "320000-FGW",
        "joint": True,
    }
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    admin = as_(client, "admin")
    v1 = client.get(
        f"{API}/process-definitions", params={"key": "supervision_matter"}, headers=admin
    ).json()["items"][0]
    xml = (ROOT / "processes" / "supervision_matter.bpmn").read_text(encoding="utf-8")
    xml = xml.replace(
        'name="督查事项办理" isExecutable', 'name="督查事项办理（修订）" isExecutable'
    )
    forms = [
        ("forms", (p.name, p.read_bytes(), "application/json"))
        for p in (ROOT / "processes" / "forms").glob("*.json")
    ]
    files = [("file", ("supervision_matter.bpmn", xml.encode(), "application/xml")), *forms]
    v2 = client.post(f"{API}/process-definitions", files=files, headers=admin).json()
    assert v2["version"] == v1["version"] + 1
    before = matter_rows(client, registered["id"])
    assert before["matter_deadlines"] and before["matter_timeline"]

    mapping = {"source_definition_id": v1["id"], "target_definition_id": v2["id"]}
    plan = client.post(f"{API}/migrations/plan", json=mapping, headers=admin).json()
    assert plan["unmapped"] == [] and plan["target_only"] == []
    selection = {"instance_ids": [registered["instance_id"]]}
    payload = {"plan": plan, "selection": selection, "reason": "a name fixed"}
    batch = client.post(f"{API}/migrations", json=payload, headers=admin).json()
    app = client.app
    migration_runs.run_to_completion(app.state.engine, app.state.settings, uuid.UUID(batch["id"]))  # type: ignore[attr-defined]
    done = client.get(f"{API}/migrations/{batch['id']}", headers=admin).json()
    assert (done["migrated"], done["failed"]) == (1, 0), client.get(
        f"{API}/migrations/{batch['id']}/instances", headers=admin
    ).json()
    assert matter_rows(client, registered["id"]) == before
    detail = client.get(
        f"{API}/process-instances/{registered['instance_id']}", headers=admin
    ).json()
    assert detail["version"] == v2["version"]
    do(client, "fgw", "sign_for", {"decision": "sign"})  # the matter goes on, on the new version
    assert matter_rows(client, registered["id"]) != before


# --- a thousand ------------------------------------------------------------------------------


def start_many(client: TestClient, count: int, path: str) -> None:
    """`count` instances of v1, started by the service's own code, a hundred per transaction
    (REST would spend most of the test's time on HTTP and the audit chain)."""
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def hundred(session: Any, first: int) -> None:
        for n in range(first, min(first + 100, count)):
            start_engine_instance(
                engine,
                session,
                process_key="migration_case",
                version=1,
                business_key=f"many-{n}",
                variables={"path": path},
                actor="tester",
                unit_code="320000-DCS",
            )

    for first in range(0, count, 100):
        engine.db.transaction(lambda s, first=first: hundred(s, first))


def test_a_thousand_instances_with_waiting_timers_migrate_in_one_batch(
    client, versions, frozen_clock
):
    v1, v2 = versions
    start_many(client, 1_000, "timer")
    due = jobs(client, start_case(client, "timer")["id"])[0]["due_at"]
    batch = execute(client, plan_of(client, v1, v2), {"all": True}).json()
    assert batch["total"] == 1_001
    done = run_batch(client, batch["id"])
    assert (done["migrated"], done["failed"], done["skipped"]) == (1_001, 0, 0)
    waiting = client.get(
        f"{API}/jobs", params={"limit": 500, "due_before": "2999-01-01T00:00:00Z"}
    ).json()
    assert waiting["total"] == 1_001
    assert {j["due_at"] for j in waiting["items"]} == {due}
    listed = client.get(
        f"{API}/process-instances", params={"process_key": "migration_case", "limit": 1}
    ).json()
    assert listed["total"] == 1_001
    with client.app.state.db.session() as s:  # type: ignore[attr-defined]
        versions_now = s.execute(
            text("SELECT version, count(*) FROM process_instances GROUP BY version")
        ).all()
        migrated = s.scalar(
            text("SELECT count(*) FROM history_events WHERE event = 'instance_migrated'")
        )
    assert [tuple(v) for v in versions_now] == [(2, 1_001)] and migrated == 1_001
    clock.freeze(frozen_clock + timedelta(hours=2))
    assert run_due(client) == 50  # one round of the scheduler: the timers fire on v2
    fired = instance(
        client, client.get(f"{API}/jobs", params={"limit": 1}).json()["items"][0]["instance_id"]
    )
    assert fired["version"] == 2


def test_an_instance_may_move_to_another_process(client, versions):
    """The target may be another process (another key): the instance and its tasks take it."""
    v1, _v2 = versions
    xml = bpmn("migration_v2.bpmn").replace(b'id="migration_case"', b'id="migration_case_fixed"')
    response = post_definition(client, xml, name="migration_case_fixed.bpmn")
    assert response.status_code == 201, response.text
    fixed = response.json()
    case = start_case(client, "review")
    plan = plan_of(client, v1, fixed)
    assert plan["target_process_key"] == "migration_case_fixed"
    batch = execute(client, plan, {"instance_ids": [case["id"]]}).json()
    assert run_batch(client, batch["id"])["migrated"] == 1
    detail = instance(client, case["id"])
    assert (detail["process_key"], detail["version"]) == ("migration_case_fixed", 1)
    task = only_ready(detail, "check_report")
    listed = client.get(f"{API}/tasks", params={"process_key": "migration_case_fixed"}).json()
    assert [t["id"] for t in listed["items"]] == [task["id"]]
    complete_task(client, task["id"])
    complete_task(client, ready_of(client, case["id"], "sign_off_report")["id"])
    finish_archive(client, case["id"])


def test_an_external_task_takes_its_new_topic(client):
    """A service task waiting for a worker keeps its id and lock state; workers fetch it by the
    target's topic."""
    xml = (ROOT / "tests" / "external" / "bpmn" / "notify_by_sms.bpmn").read_bytes()
    v1 = post_definition(client, xml, name="notify_by_sms.bpmn").json()
    fixed = xml.replace(b'camunda:topic="sms"', b'camunda:topic="sms_v2"')
    fixed = fixed.replace("发送短信通知".encode(), "发送短信".encode())
    v2 = post_definition(client, fixed, name="notify_by_sms.bpmn").json()
    case = start_instance(client, "notify_by_sms", version=1).json()
    batch = execute(client, plan_of(client, v1, v2, []), {"instance_ids": [case["id"]]}).json()
    assert run_batch(client, batch["id"])["migrated"] == 1
    worker = login(client, sub="sms-gateway", unit="320000-GO", roles=["worker"])
    body = {"worker_id": "w1", "topics": [{"name": "sms", "lock_duration_ms": 60_000}]}
    fetched = client.post(f"{API}/external-tasks/fetch-and-lock", json=body, headers=worker)
    assert fetched.json() == []
    body["topics"][0]["name"] = "sms_v2"
    (task,) = client.post(f"{API}/external-tasks/fetch-and-lock", json=body, headers=worker).json()
    assert (task["element_id"], task["topic"], task["process_instance_id"]) == (
        "send_sms",
        "sms_v2",
        case["id"],
    )
    done = client.post(
        f"{API}/external-tasks/{task['id']}/complete", json={"worker_id": "w1"}, headers=worker
    )
    assert done.status_code == 200, done.text
    assert only_ready(instance(client, case["id"]), "confirm_receipt")
