"""Embedded subprocesses, call activities across definitions, error and escalation events."""

from engine_helpers import (
    bpmn,
    complete_task,
    deploy_file,
    forget_workflows,
    form,
    instance,
    only_ready,
    post_definition,
    ready_ids,
    start_instance,
    task,
)
from fastapi.testclient import TestClient


def test_embedded_subprocess_runs_inside_the_parent(client: TestClient) -> None:
    deploy_file(client, "embedded_subprocess.bpmn")
    started = start_instance(client, "handle_case", variables={"case": "A-1"}).json()
    gather = only_ready(started, "gather_facts")
    assert task(client, gather["id"])["input"]["case"] == "A-1"
    forget_workflows(client)
    after = complete_task(client, gather["id"], {"facts": "two witnesses"}).json()
    decide = only_ready(after, "decide_case")
    assert task(client, decide["id"])["input"]["summary"] == "two witnesses (checked)"
    assert "summarise_facts" in after["completed_element_ids"]
    done = complete_task(client, decide["id"], {"decision": "closed"}).json()
    assert done["status"] == "completed"
    assert done["variables"]["summary"] == "two witnesses (checked)"
    assert done["variables"]["decision"] == "closed"


def test_call_activity_runs_the_called_definition(client: TestClient) -> None:
    callee = deploy_file(client, "called_review.bpmn")
    caller = deploy_file(client, "calling_process.bpmn")
    assert caller["dependencies"] == {"review_document": callee["id"]}
    started = start_instance(client, "submit_document").json()
    after_draft = complete_task(
        client, only_ready(started, "draft")["id"], {"title": "Annual plan"}
    ).json()
    review = only_ready(after_draft, "review")
    assert review["process_key"] == "submit_document"
    assert task(client, review["id"])["input"]["title"] == "Annual plan"
    forget_workflows(client)
    after_review = complete_task(client, review["id"], {"verdict": "fine"}).json()
    publish = only_ready(after_review, "publish")
    assert task(client, publish["id"])["input"]["review_stamp"] == "reviewed: Annual plan"
    done = complete_task(client, publish["id"]).json()
    assert done["status"] == "completed"
    assert done["variables"]["verdict"] == "fine"


def test_call_activity_keeps_the_callee_version_it_was_deployed_with(client: TestClient) -> None:
    deploy_file(client, "called_review.bpmn")
    deploy_file(client, "calling_process.bpmn")
    changed = bpmn("called_review.bpmn").replace(b'name="Review"', b'name="Review (v2)"')
    assert post_definition(client, changed, name="called_review.bpmn").json()["version"] == 2
    started = start_instance(client, "submit_document").json()
    after_draft = complete_task(client, only_ready(started, "draft")["id"], {"title": "T"}).json()
    assert only_ready(after_draft, "review")["name"] == "Review"


def test_call_activity_to_an_undeployed_process_deploys_with_a_warning(
    client: TestClient,
) -> None:
    response = post_definition(client, bpmn("calling_process.bpmn"), name="calling_process.bpmn")
    assert response.status_code == 201  # bound late (tests/engine/test_late_binding.py)
    (warning,) = response.json()["warnings"]
    assert warning["element_id"] == "get_review"
    assert "review_document" in warning["message"]


def test_error_end_event_is_caught_by_the_boundary_event(client: TestClient) -> None:
    deploy_file(client, "error_boundary.bpmn")
    started = start_instance(client, "check_documents").json()
    forget_workflows(client)
    after = complete_task(client, only_ready(started, "verify_documents")["id"], {"valid": False})
    assert after.status_code == 200, after.text
    assert ready_ids(after.json()) == ["fix_documents"]
    assert "on_documents_invalid" in after.json()["completed_element_ids"]
    done = complete_task(client, only_ready(after.json(), "fix_documents")["id"]).json()
    assert done["status"] == "completed"
    assert "archive" not in done["completed_element_ids"]


def test_without_an_error_the_subprocess_ends_normally(client: TestClient) -> None:
    deploy_file(client, "error_boundary.bpmn")
    started = start_instance(client, "check_documents").json()
    after = complete_task(client, only_ready(started, "verify_documents")["id"], {"valid": True})
    assert ready_ids(after.json()) == ["archive"]
    done = complete_task(client, only_ready(after.json(), "archive")["id"]).json()
    assert done["status"] == "completed"
    assert "on_documents_invalid" not in done["completed_element_ids"]


def test_escalation_is_caught_without_interrupting_the_subprocess(client: TestClient) -> None:
    deploy_file(client, "escalation_boundary.bpmn")
    started = start_instance(client, "handle_with_escalation").json()
    forget_workflows(client)
    after = complete_task(client, only_ready(started, "assess_unit")["id"], {"late": True}).json()
    assert ready_ids(after) == ["finish_handling", "inform_director"]
    forget_workflows(client)
    informed = complete_task(client, only_ready(after, "inform_director")["id"]).json()
    assert informed["status"] == "running"
    assert ready_ids(informed) == ["finish_handling"]
    done = complete_task(client, only_ready(informed, "finish_handling")["id"]).json()
    assert done["status"] == "completed"


def test_without_escalation_only_the_subprocess_runs(client: TestClient) -> None:
    deploy_file(client, "escalation_boundary.bpmn")
    started = start_instance(client, "handle_with_escalation").json()
    after = complete_task(client, only_ready(started, "assess_unit")["id"], {"late": False}).json()
    assert ready_ids(after) == ["finish_handling"]
    done = complete_task(client, only_ready(after, "finish_handling")["id"]).json()
    assert done["status"] == "completed"
    assert "inform_director" not in done["completed_element_ids"]
    assert instance(client, done["id"])["ready_tasks"] == []


def test_call_activities_nest_and_called_forms_apply(client: TestClient) -> None:
    deploy_file(client, "call_chain_leaf.bpmn", forms={"sign_off.json": form("sign_off.json")})
    deploy_file(client, "call_chain_middle.bpmn")
    deploy_file(client, "call_chain_top.bpmn")
    started = start_instance(client, "publish_report").json()
    top_check = only_ready(started, "check")
    assert top_check["name"] == "Check the draft"
    forget_workflows(client)
    after_top = complete_task(client, top_check["id"], {"draft": "v1"}).json()
    middle_check = only_ready(after_top, "check")
    assert middle_check["name"] == "Check"
    after_middle = complete_task(client, middle_check["id"]).json()
    sign_off = only_ready(after_middle, "sign_off")
    detail = task(client, sign_off["id"])
    assert (detail["form"], detail["form_schema"]["title"]) == ("sign_off.json", "Sign-off")
    refused = complete_task(client, sign_off["id"], {"signed_by": "x"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "signed_by"
    forget_workflows(client)
    signed = complete_task(client, sign_off["id"], {"signed_by": "director"}).json()
    done = complete_task(client, only_ready(signed, "publish")["id"]).json()
    assert done["status"] == "completed"
    assert done["variables"]["signed_by"] == "director"


def test_a_form_name_must_mean_one_schema_across_called_processes(client: TestClient) -> None:
    deploy_file(client, "call_chain_leaf.bpmn", forms={"sign_off.json": form("sign_off.json")})
    deploy_file(client, "call_chain_middle.bpmn")
    caller = bpmn("call_chain_top.bpmn").replace(
        b'<bpmn:userTask id="check" name="Check the draft"/>',
        b'<bpmn:userTask id="check" name="Check the draft"><bpmn:extensionElements>'
        b"<spiffworkflow:properties>"
        b'<spiffworkflow:property name="formJsonSchemaFilename" value="sign_off.json" />'
        b"</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>",
    )
    assert caller != bpmn("call_chain_top.bpmn")
    other = post_definition(client, caller, forms={"sign_off.json": b'{"type": "object"}'})
    assert other.status_code == 422
    assert "sign_off.json" in other.text
    same = post_definition(client, caller, forms={"sign_off.json": form("sign_off.json")})
    assert same.status_code == 201, same.text
    started = start_instance(client, "publish_report").json()
    top_check = only_ready(started, "check")
    assert top_check["form"] == "sign_off.json"
    after_top = complete_task(client, top_check["id"], {"signed_by": "clerk"}).json()
    middle_check = only_ready(after_top, "check")  # same element id, other process: no form
    assert middle_check["form"] is None
    assert complete_task(client, middle_check["id"], {"anything": 1}).status_code == 200
