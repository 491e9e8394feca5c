"""Instance modification over REST (issue 16, item 3): subprocesses, multi-instances, called
processes and event subprocesses; what a matter's process keeps of a skipped step; validation
that changes nothing; who may; and a modification racing a task completion (one wins, the
other is 409, nothing half-done), on both backends."""

import uuid
from typing import Any

import pytest
from access.access_helpers import LEAD, OWNER, assigned_matter
from conftest import TESTER, login
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    forget_workflows,
    history,
    instance,
    jobs,
    only_ready,
    ready_ids,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from modification_helpers import at_draft, audit_rows, live, modified, modify, tree

from app.engine.api import use_cases
from app.engine.schemas import CompleteTask, ModifyInstance
from app.identity.principal import Principal

CITY, DISTRICT = "320100-DCS", "320102-DCS"


# --- subprocesses and called processes -------------------------------------------------------


def test_a_subprocess_left_with_nothing_live_is_cancelled_with_it(client: TestClient):
    deploy_file(client, "embedded_subprocess.bpmn")
    case = start_instance(client, "handle_case").json()
    [holder] = live(client, case["id"], "investigate")
    after = modified(
        client,
        case["id"],
        {"type": "cancel", "element_id": "gather_facts"},
        {"type": "start_before", "element_id": "decide_case"},
    )
    assert ready_ids(after) == ["decide_case"]
    assert live(client, case["id"], "investigate") == []
    [entry] = events(client, case["id"], "instance_modified")
    emptied = [c for c in entry["data"]["cancelled"] if c.get("emptied")]
    assert [c["activity_instance_id"] for c in emptied] == [holder["id"]]


def test_starting_inside_an_active_subprocess(client: TestClient):
    deploy_file(client, "embedded_subprocess.bpmn")
    case = start_instance(client, "handle_case").json()
    after = modified(
        client,
        case["id"],
        {"type": "cancel", "element_id": "gather_facts"},
        {"type": "start_before", "element_id": "summarise_facts", "variables": {"facts": "seen"}},
    )
    decide = only_ready(after, "decide_case")
    assert task(client, decide["id"])["input"]["summary"] == "seen (checked)"


def test_an_armed_event_subprocess_is_withdrawn_whole_not_by_its_start(client: TestClient):
    deploy_file(client, "ev_subprocess_timer.bpmn")
    started = start_instance(client, "answer_or_take_over").json()
    [holder] = live(client, started["id"], "on_deadline")
    [armed] = live(client, started["id"], "deadline_start")
    assert armed["parent_id"] == holder["id"] and armed["due_at"] is not None
    refused = modify(client, started["id"], {"type": "cancel", "activity_instance_id": armed["id"]})
    assert refused.status_code == 422 and holder["id"] in refused.json()["errors"][0]["message"]
    inside = modify(
        client, started["id"], {"type": "start_before", "element_id": "handle_deadline"}
    )
    assert inside.status_code == 422 and "not active" in inside.json()["errors"][0]["message"]
    start = modify(client, started["id"], {"type": "start_before", "element_id": "deadline_start"})
    assert start.status_code == 422 and "event subprocess" in start.json()["errors"][0]["message"]
    after = modified(
        client, started["id"], {"type": "cancel", "activity_instance_id": holder["id"]}
    )
    assert jobs(client, started["id"]) == [] and ready_ids(after) == ["prepare_answer"]
    done = complete_task(client, only_ready(after, "prepare_answer")["id"])
    assert done.json()["status"] == "completed"


def test_cancelling_a_multi_instance_subprocess_takes_every_instance(client: TestClient):
    deploy_file(client, "modification_mi_subprocess.bpmn")
    started = start_instance(client, "ask_each_unit", variables={"units": ["a", "b"]}).json()
    answers = [t["id"] for t in started["ready_tasks"]]
    assert len(answers) == 2 and len(jobs(client, started["id"])) == 2
    outer = live(client, started["id"], "ask_unit")[0]
    [second] = [a for a in live(client, started["id"], "answer") if a["id"] == answers[1]]
    one = modified(
        client,
        started["id"],
        {
            "type": "start_before",
            "element_id": "answer",
            "ancestor_activity_instance_id": second["parent_id"],
        },
    )
    assert len(one["ready_tasks"]) == 3 and len(jobs(client, started["id"])) == 3
    forget_workflows(client)
    after = modified(
        client,
        started["id"],
        {"type": "cancel", "activity_instance_id": outer["id"]},
        {"type": "start_before", "element_id": "sum_up"},
    )
    assert ready_ids(after) == ["sum_up"] and jobs(client, started["id"]) == []
    assert [a["element_id"] for a in tree(client, started["id"])["activities"]] == ["sum_up"]
    assert {task(client, i)["state"] for i in answers} == {"cancelled"}
    forget_workflows(client)
    done = complete_task(client, only_ready(after, "sum_up")["id"])
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_a_called_process_is_modified_as_one_call_activity(client: TestClient):
    deploy_file(client, "called_review.bpmn")
    deploy_file(client, "calling_process.bpmn")
    started = start_instance(client, "submit_document", variables={"title": "t"}).json()
    at_call = complete_task(client, only_ready(started, "draft")["id"]).json()
    [inner] = live(client, started["id"], "review")
    [call] = live(client, started["id"], "get_review")
    assert inner["parent_id"] == call["id"] and inner["scope"] == "review_document"
    refused = modify(
        client,
        started["id"],
        {"type": "cancel", "activity_instance_id": inner["id"]},
        {"type": "start_before", "element_id": "stamp_review"},
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["instructions/0", "instructions/1"]
    assert "called" in refused.json()["errors"][1]["message"]
    after = modified(
        client,
        at_call["id"],
        {"type": "cancel", "activity_instance_id": call["id"]},
        {"type": "start_after", "element_id": "get_review"},
    )
    assert ready_ids(after) == ["publish"] and live(client, started["id"], "review") == []


def test_one_instance_of_a_multi_instance_is_not_cancelled_alone(client: TestClient):
    deploy_file(client, "multi_instance_parallel.bpmn")
    opinions = start_instance(client, "collect_opinions", variables={"units": ["a", "b"]}).json()
    outer, *inner = live(client, opinions["id"], "give_opinion")
    refused = modify(
        client, opinions["id"], {"type": "cancel", "activity_instance_id": inner[0]["id"]}
    )
    assert refused.status_code == 422 and outer["id"] in refused.json()["errors"][0]["message"]
    after = modified(
        client,
        opinions["id"],
        {"type": "cancel", "activity_instance_id": outer["id"]},
        {"type": "start_after", "element_id": "give_opinion", "variables": {"opinions": ["x"]}},
    )
    assert after["status"] == "completed" and after["variables"]["opinion_count"] == 1


def _office(client: TestClient, who: str) -> dict[str, str]:
    unit, role = {"own_office": (OWNER, "supervision_office"), "own_head": (OWNER, "office_head")}[
        who
    ]
    return login(client, sub=who, unit=unit, roles=[role])


def test_skipping_a_marked_step_of_a_matter_writes_none_of_its_records(matter_client: TestClient):
    """docs/operations.md: the supervision domain records a step when its element completes;
    an element an operator skips (start_after) never completes, so the matter keeps the step
    as not done (here: the lead unit's receipt stays pending and its deadline open)."""
    client = matter_client
    matter = assigned_matter(client, _office)
    office = _office(client, "own_office")
    url = f"{API}/process-instances/{matter['instance_id']}"
    activities = client.get(f"{url}/activity-instances", headers=office).json()["activities"]
    holders = {a["id"] for a in activities if a["element_type"] == "SubWorkflowTask"}
    [lead_sign] = [
        a
        for a in activities
        if a["element_id"] == "sign_for"
        and a["parent_id"] in holders
        and client.get(f"{API}/tasks/{a['task_id']}", headers=office).json()["unit_code"] == LEAD
    ]
    skip = {"type": "start_after", "element_id": "sign_for", "variables": {"decision": "sign"}}
    cancel = {"type": "cancel", "activity_instance_id": lead_sign["id"]}
    ambiguous = modify(client, matter["instance_id"], cancel, skip, headers=office)
    assert (
        ambiguous.status_code == 422 and "runs 2 times" in ambiguous.json()["errors"][0]["message"]
    )
    skip["ancestor_activity_instance_id"] = lead_sign["parent_id"]
    done = modify(
        client, matter["instance_id"], cancel, skip, reason="签收 on paper", headers=office
    )
    assert done.status_code == 200, done.text
    detail = client.get(f"{API}/matters/{matter['id']}", headers=office).json()
    [lead] = [a for a in detail["assignments"] if a["unit_code"] == LEAD]
    assert lead["receipt"] == "pending"
    signing = [d for d in detail["deadlines"] if d["unit_code"] == LEAD and d["kind"] == "sign_for"]
    assert [d["done_on"] for d in signing] == [None]
    assert "signed_for" not in [t["event"] for t in detail["timeline"]]
    gone = client.get(f"{API}/tasks/{lead_sign['task_id']}", headers=office).json()
    assert gone["state"] == "cancelled"


# --- validation, access, status --------------------------------------------------------------


def test_every_refused_instruction_is_named_and_nothing_changes(client: TestClient):
    started = at_draft(client)
    before = (tree(client, started["id"]), history(client, started["id"]))
    response = modify(
        client,
        started["id"],
        {"type": "cancel", "element_id": "draft_report"},
        {"type": "start_before", "element_id": "no_such_element"},
        {"type": "start_before", "element_id": "report_overdue"},
        {"type": "start_before", "element_id": "start"},
        {"type": "start_after", "element_id": "end"},
        {"type": "start_before", "element_id": "review", "variables": {"_secret": 1}},
        {"type": "cancel", "element_id": "review"},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_modification"
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "instructions/1",
        "instructions/2",
        "instructions/3",
        "instructions/4",
        "instructions/5/variables/_secret",
        "instructions/6",
    ]
    messages = [e["message"] for e in body["errors"]]
    assert "no element" in messages[0] and "boundary event" in messages[1]
    assert "start event" in messages[2] and "no outgoing flow" in messages[3]
    assert (tree(client, started["id"]), history(client, started["id"])) == before
    assert audit_rows(client, started["id"]) == []


def test_a_gone_activity_instance_is_a_conflict(client: TestClient):
    started = at_draft(client, total=1, count=1)
    draft = only_ready(started, "draft_report")
    complete_task(client, draft["id"])
    response = modify(
        client, started["id"], {"type": "cancel", "activity_instance_id": draft["id"]}
    )
    assert response.status_code == 409 and response.json()["code"] == "activity_not_live"
    assert response.json()["errors"][0]["field"] == "instructions/0"


def test_malformed_instructions_and_a_missing_reason_are_refused(client: TestClient):
    started = at_draft(client)
    both = {"type": "cancel", "element_id": "draft_report", "activity_instance_id": started["id"]}
    assert modify(client, started["id"], both).status_code == 422
    flow = {"type": "start_before", "element_id": "review", "flow_id": "flow_cooled"}
    assert modify(client, started["id"], flow).status_code == 422
    no_reason = client.post(
        f"{API}/process-instances/{started['id']}/modification",
        json={"instructions": [{"type": "cancel", "element_id": "draft_report"}]},
    )
    assert no_reason.status_code == 422
    assert instance(client, started["id"])["status"] == "running"


def test_only_the_office_controlling_the_instance_modifies_it(client: TestClient):
    deploy_file(client, "modification_steps.bpmn")
    city = login(client, sub="city", unit=CITY, roles=["supervision_office"])
    district = login(client, sub="district", unit=DISTRICT, roles=["supervision_office"])
    handler = login(client, sub="handler", unit=CITY, roles=["unit_handler"])
    province = start_instance(client, "repair_report", variables={"unit": "320000-DCS"}).json()
    cancel = {"type": "cancel", "element_id": "draft_report"}
    unseen = modify(client, province["id"], cancel, headers=city)
    assert unseen.status_code == 404
    assert (
        client.get(
            f"{API}/process-instances/{province['id']}/activity-instances", headers=city
        ).status_code
        == 404
    )
    owned = client.post(
        f"{API}/process-instances",
        json={"process_key": "repair_report", "variables": {"unit": DISTRICT}},
        headers=city,
    ).json()
    refused = modify(client, owned["id"], cancel, headers=district)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["action"] == "instances.modify" and body["owner_unit"] == CITY
    assert body["object_id"] == owned["id"]
    assert modify(client, owned["id"], cancel, headers=handler).status_code == 403
    assert instance(client, owned["id"])["status"] == "running"
    assert modify(client, owned["id"], cancel, headers=city).json()["status"] == "cancelled"
    again = modify(client, owned["id"], {"type": "start_before", "element_id": "review"})
    assert again.status_code == 409 and again.json()["code"] == "instance_not_running"


# --- a modification racing a task completion -------------------------------------------------


def _principal() -> Principal:
    return Principal(
        sub=TESTER["sub"],
        name=TESTER["name"],
        unit=TESTER["unit"],
        roles=frozenset(TESTER["roles"]),
    )


def _once(client: TestClient, work) -> list:
    """Install a tracer that runs `work` once, inside the next step, before it is saved: a
    writer that commits between another's read and its write (same thread: SQLite's writer
    lock is this thread's)."""
    engine = client.app.state.engine
    results: list = []

    def tracer(_trace) -> None:
        if results:
            return
        results.append(None)
        results[0] = work(engine)

    engine.tracer = tracer
    return results


@pytest.fixture
def no_tracer(client: TestClient):
    yield
    client.app.state.engine.tracer = None


def test_a_completion_that_wins_the_race_makes_the_modification_a_conflict(
    client: TestClient, no_tracer
):
    started = at_draft(client, total=10, count=4)
    draft = only_ready(started, "draft_report")

    def complete(engine) -> Any:
        return engine.db.transaction(
            lambda s: use_cases.complete_task(
                s,
                engine=engine,
                actor=_principal(),
                task_id=uuid.UUID(draft["id"]),
                body=CompleteTask(),
            )
        )

    won = _once(client, complete)
    response = modify(
        client,
        started["id"],
        {"type": "cancel", "activity_instance_id": draft["id"]},
        {"type": "start_before", "element_id": "review"},
    )
    assert won and won[0][0].failure is None
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "activity_not_live"
    assert task(client, draft["id"])["state"] == "completed"
    assert [j["element_id"] for j in jobs(client, started["id"])] == ["cooling_off"]
    assert events(client, started["id"], "instance_modified") == []
    assert audit_rows(client, started["id"]) == []
    assert instance(client, started["id"])["ready_tasks"] == []


def test_a_modification_that_wins_the_race_makes_the_completion_a_conflict(
    client: TestClient, no_tracer
):
    started = at_draft(client, total=10, count=4)
    draft = only_ready(started, "draft_report")
    body = ModifyInstance.model_validate(
        {
            "instructions": [
                {"type": "cancel", "activity_instance_id": draft["id"]},
                {"type": "start_before", "element_id": "review"},
            ],
            "reason": "raced",
        }
    )

    def modify_now(engine) -> Any:
        return engine.db.transaction(
            lambda s: use_cases.modify_instance(
                s,
                engine=engine,
                actor=_principal(),
                instance_id=uuid.UUID(started["id"]),
                body=body,
            )
        )

    won = _once(client, modify_now)
    response = complete_task(client, draft["id"])
    assert won and won[0].status == "running"
    assert response.status_code == 409 and response.json()["code"] == "task_not_ready"
    assert task(client, draft["id"])["state"] == "cancelled"
    assert ready_ids(instance(client, started["id"])) == ["review"]
    assert jobs(client, started["id"]) == []
    assert events(client, started["id"], "task_completed") == []
    assert len(audit_rows(client, started["id"])) == 1
