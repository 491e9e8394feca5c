"""Late binding: a call activity to a process not deployed yet deploys with a warning, fails
with an incident naming it while the process is missing, and binds once it is deployed."""

from engine_helpers import (
    API,
    bpmn,
    complete_task,
    deploy_file,
    forget_workflows,
    form,
    instance,
    only_ready,
    post_definition,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from httpx import Response
from test_validate import validate

NOT_YET = "called process 'review_document' is not deployed yet"


def _draft(client: TestClient, started: dict, title: str = "Annual plan") -> Response:
    return complete_task(client, only_ready(started, "draft")["id"], {"title": title})


def _through_the_call(client: TestClient, started: dict) -> dict:
    """Draft, review (inside the called process), publish: the instance's end."""
    review = only_ready(_draft(client, started).json(), "review")
    assert review["process_key"] == "submit_document"
    forget_workflows(client)  # the call's state comes back from the database
    publish = only_ready(complete_task(client, review["id"], {"verdict": "fine"}).json(), "publish")
    return complete_task(client, publish["id"]).json()


def test_a_caller_deploys_before_its_callee_with_a_warning(client: TestClient) -> None:
    response = post_definition(client, bpmn("calling_process.bpmn"), name="calling_process.bpmn")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dependencies"] == {}
    (warning,) = body["warnings"]
    assert (warning["element_id"], warning["attribute"]) == ("get_review", "calledElement")
    assert warning["message"].startswith(NOT_YET)
    assert "fails with an incident" in warning["message"]
    checked = validate(client, bpmn("calling_process.bpmn")).json()
    assert checked["valid"] is True
    assert [w["element_id"] for w in checked["warnings"]] == ["get_review"]


def test_the_call_fails_with_an_incident_until_the_callee_is_deployed(
    client: TestClient,
) -> None:
    deploy_file(client, "calling_process.bpmn")
    started = start_instance(client, "submit_document").json()
    response = _draft(client, started)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["errors"][0]["element_id"]) == ("process_error", "get_review")
    failed = instance(client, started["id"])
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert (incident["kind"], incident["element_id"]) == ("process_error", "get_review")
    assert incident["message"].startswith("called process 'review_document' is not deployed")
    assert "get_review" not in failed["completed_element_ids"]

    callee = deploy_file(client, "called_review.bpmn")
    again = start_instance(client, "submit_document").json()
    done = _through_the_call(client, again)
    assert done["status"] == "completed"
    assert done["variables"]["review_stamp"] == "reviewed: Annual plan"
    assert {"draft", "get_review", "publish"} <= set(done["completed_element_ids"])
    assert instance(client, again["id"])["incidents"] == []
    assert callee["version"] == 1
    # the failed instance stays failed: nothing retries a call that failed
    assert instance(client, started["id"])["status"] == "error"


def test_an_instance_started_before_the_callee_binds_it_at_its_next_step(
    client: TestClient,
) -> None:
    deploy_file(client, "calling_process.bpmn")
    early = start_instance(client, "submit_document").json()  # waits at `draft`
    forget_workflows(client)
    deploy_file(client, "called_review.bpmn")
    assert _through_the_call(client, early)["status"] == "completed"


def test_a_late_bound_instance_keeps_the_callee_version_it_bound(client: TestClient) -> None:
    deploy_file(client, "calling_process.bpmn")
    deploy_file(client, "called_review.bpmn")
    started = start_instance(client, "submit_document").json()
    after_draft = _draft(client, started).json()
    review = only_ready(after_draft, "review")
    assert review["name"] == "Review"
    changed = bpmn("called_review.bpmn").replace(b'name="Review"', b'name="Review (v2)"')
    assert post_definition(client, changed, name="called_review.bpmn").json()["version"] == 2
    forget_workflows(client)
    publish = only_ready(complete_task(client, review["id"], {"verdict": "ok"}).json(), "publish")
    assert complete_task(client, publish["id"]).json()["status"] == "completed"
    # a new instance binds the callee's latest version
    newer = only_ready(
        _draft(client, start_instance(client, "submit_document").json()).json(), "review"
    )
    assert newer["name"] == "Review (v2)"


def test_a_callee_deployed_first_stays_pinned(client: TestClient) -> None:
    callee = deploy_file(client, "called_review.bpmn")
    caller = deploy_file(client, "calling_process.bpmn")
    assert caller["warnings"] == []
    assert caller["dependencies"] == {"review_document": callee["id"]}
    changed = bpmn("called_review.bpmn").replace(b'name="Review"', b'name="Review (v2)"')
    assert post_definition(client, changed, name="called_review.bpmn").json()["version"] == 2
    started = start_instance(client, "submit_document").json()
    assert only_ready(_draft(client, started).json(), "review")["name"] == "Review"
    listed = client.get(f"{API}/process-definitions", params={"key": "submit_document"}).json()
    assert listed["total"] == 1


def test_a_call_missing_in_a_pinned_callee_binds_late_with_its_forms(client: TestClient) -> None:
    middle = deploy_file(client, "call_chain_middle.bpmn")
    assert [w["element_id"] for w in middle["warnings"]] == ["get_sign_off"]
    top = deploy_file(client, "call_chain_top.bpmn")
    assert top["dependencies"] == {"check_report": middle["id"]}  # pinned
    (warning,) = top["warnings"]  # the pinned callee's own call, bound late
    assert warning["element_id"] == "get_sign_off"
    assert warning["message"].endswith("(in called process 'check_report')")
    deploy_file(client, "call_chain_leaf.bpmn", forms={"sign_off.json": form("sign_off.json")})
    started = start_instance(client, "publish_report").json()
    after_top = complete_task(client, only_ready(started, "check")["id"], {"draft": "v1"}).json()
    forget_workflows(client)
    after_middle = complete_task(client, only_ready(after_top, "check")["id"]).json()
    sign_off = only_ready(after_middle, "sign_off")
    detail = task(client, sign_off["id"])
    assert (detail["form"], detail["form_schema"]["title"]) == ("sign_off.json", "Sign-off")
    assert complete_task(client, sign_off["id"], {"signed_by": "x"}).status_code == 422
    signed = complete_task(client, sign_off["id"], {"signed_by": "director"}).json()
    done = complete_task(client, only_ready(signed, "publish")["id"]).json()
    assert (done["status"], done["variables"]["signed_by"]) == ("completed", "director")
