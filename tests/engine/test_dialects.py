"""Modelers' dialects over REST: Camunda 7 `camunda:` and Camunda 8 `zeebe:` attributes are
honoured (who does a task, what runs) or refused naming the element and the attribute; what
changes nothing at run time comes back as warnings from deploy and validate."""

import pytest
from conftest import TESTER, login
from engine_helpers import (
    API,
    bpmn,
    complete_task,
    deploy_file,
    form,
    instance,
    only_ready,
    post_definition,
    start_instance,
)
from fastapi.testclient import TestClient
from test_deploy import assert_refused
from test_validate import nothing_stored, validate

REPORT = {"report.json": form("report.json")}
EXT = f"{API}/external-tasks"


def _warned(body: dict) -> set[tuple[str | None, str]]:
    return {(w["element_id"], w["attribute"]) for w in body["warnings"]}


def _person(client: TestClient, sub: str, *roles: str) -> dict[str, str]:
    return login(client, sub=sub, unit=TESTER["unit"], roles=list(roles))


def test_camunda_candidate_groups_decide_who_may_claim_and_the_process_runs(
    client: TestClient,
) -> None:
    deployed = deploy_file(client, "dialect_camunda_review.bpmn", forms=REPORT)
    warned = _warned(deployed)
    # bpmn:definitions' exporter (which tool wrote the file) is BPMN's own: nothing to warn of
    assert not any(attribute == "exporter" for _, attribute in warned)
    assert {
        ("camunda_review", "camunda:versionTag"),
        ("camunda_review", "camunda:historyTimeToLive"),
        ("review_report", "camunda:asyncBefore"),
        ("review_report_di", "bioc:fill"),
    } <= warned
    variables = {"unit": "east", "review_due": "2026-12-31", "pages": 0}
    started = start_instance(client, "camunda_review", variables=variables)
    assert started.status_code == 201, started.text
    task = only_ready(started.json(), "review_report")
    assert task["candidate_groups"] == ["supervision_office"]
    assert task["form"] == "report.json"
    assert task["due_at"] is not None
    detail = client.get(f"{API}/tasks/{task['id']}").json()
    assert (detail["input"]["label"], detail["input"]["from_unit"]) == ("审核报告", "east")

    handler = _person(client, "hu", "unit_handler")
    refused = client.post(f"{API}/tasks/{task['id']}/claim", headers=handler)
    assert refused.status_code == 403, refused.text
    office = _person(client, "li", "supervision_office")
    claimed = client.post(f"{API}/tasks/{task['id']}/claim", headers=office)
    assert claimed.status_code == 200, claimed.text
    done = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": {"title": "Visit", "pages": 2}},
        headers=office,
    )
    assert done.status_code == 200, done.text

    after = instance(client, started.json()["id"])
    assert after["status"] == "completed"
    assert {"review_report", "count_pages", "EndEvent_1"} <= set(after["completed_element_ids"])
    assert after["variables"]["reviewed_title"] == "Visit"  # camunda:outputParameter
    assert after["variables"]["total_pages"] == 3  # camunda:resultVariable


def test_zeebe_assignment_mappings_called_element_and_job_type_run(client: TestClient) -> None:
    deploy_file(client, "called_review.bpmn")
    deployed = deploy_file(client, "dialect_zeebe_review.bpmn")
    assert {
        ("check_request", "zeebe:userTask"),
        ("check_request", "zeebe:taskSchedule followUpDate"),
        ("call_review", "zeebe:calledElement propagateAllChildVariables"),
        ("archive_document", "zeebe:taskDefinition retries"),
    } <= _warned(deployed)
    variables = {"unit": "east", "check_due": "P3D"}
    started = start_instance(client, "zeebe_review", variables=variables).json()
    check = only_ready(started, "check_request")
    assert check["candidate_groups"] == ["office_head"]
    assert check["due_at"] is not None
    assert client.get(f"{API}/tasks/{check['id']}").json()["input"]["from_unit"] == "east"
    handler = _person(client, "hu", "unit_handler")
    assert client.post(f"{API}/tasks/{check['id']}/claim", headers=handler).status_code == 403
    head = _person(client, "wang", "office_head")
    done = client.post(
        f"{API}/tasks/{check['id']}/complete", json={"variables": {"title": "T"}}, headers=head
    )
    assert done.status_code == 200, done.text

    review = only_ready(instance(client, started["id"]), "review")
    assert complete_task(client, review["id"]).status_code == 200
    worker = login(client, sub="archiver", unit="320000-GO", roles=["worker"])
    body = {"worker_id": "a-1", "topics": [{"name": "archive", "lock_duration_ms": 60_000}]}
    fetched = client.post(f"{EXT}/fetch-and-lock", json=body, headers=worker)
    assert fetched.status_code == 200, fetched.text
    (job,) = fetched.json()
    assert job["element_id"] == "archive_document"
    done = client.post(f"{EXT}/{job['id']}/complete", json={"worker_id": "a-1"}, headers=worker)
    assert done.status_code == 200, done.text

    after = instance(client, started["id"])
    assert after["status"] == "completed"
    assert {"check_request", "call_review", "archive_document"} <= set(
        after["completed_element_ids"]
    )
    assert after["variables"]["checked_title"] == "T"  # zeebe:output
    assert after["variables"]["review_stamp"] == "reviewed: T"  # the called process ran


def test_camunda_call_activity_in_and_out_mappings(client: TestClient) -> None:
    deploy_file(client, "called_review.bpmn")
    deployed = deploy_file(client, "dialect_camunda_call.bpmn")
    assert ("call_review", "camunda:calledElementBinding") in _warned(deployed)
    started = start_instance(client, "camunda_call", variables={"subject": "S"}).json()
    review = only_ready(started, "review")
    assert complete_task(client, review["id"]).status_code == 200
    after = instance(client, started["id"])
    assert after["status"] == "completed"
    assert after["variables"]["stamp"] == "reviewed: S"  # camunda:in source, camunda:out
    assert after["variables"]["priority_label"] == "urgent"  # camunda:in sourceExpression


HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:flowable="http://flowable.org/bpmn" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://ducha.example/bpmn">\n'
)


def _one_task(element: str) -> bytes:
    """start -> `element` (id `act`) -> end, in a document declaring the dialects."""
    return (
        f'{HEADER}<bpmn:process id="probe" isExecutable="true">'
        '<bpmn:startEvent id="start" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="act" />'
        f"{element}"
        '<bpmn:sequenceFlow id="f2" sourceRef="act" targetRef="end" />'
        '<bpmn:endEvent id="end" />'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


def _extended(tag: str, extensions: str, attributes: str = "") -> str:
    return (
        f'<bpmn:{tag} id="act" {attributes}><bpmn:extensionElements>{extensions}'
        f"</bpmn:extensionElements></bpmn:{tag}>"
    )


REFUSED = {
    "camunda:candidateUsers": '<bpmn:userTask id="act" camunda:candidateUsers="alice" />',
    "camunda:assignee": '<bpmn:userTask id="act" camunda:assignee="${initiator}" />',
    "camunda:candidateGroups": '<bpmn:userTask id="act" camunda:candidateGroups="${groups}" />',
    "camunda:formKey": '<bpmn:userTask id="act" camunda:formKey="embedded:app:forms/a.html" />',
    "camunda:dueDate": '<bpmn:userTask id="act" camunda:dueDate="${dateTime().plusDays(3)}" />',
    "camunda:formRef": '<bpmn:userTask id="act" camunda:formRef="review_form" />',
    "camunda:class": '<bpmn:sendTask id="act" camunda:class="org.example.Send" />',
    "camunda:taskListener": _extended(
        "userTask", '<camunda:taskListener event="create" class="org.example.Assign" />'
    ),
    "camunda:inputParameter due": _extended(
        "userTask",
        '<camunda:inputOutput><camunda:inputParameter name="due">${a.plus(b)}'
        "</camunda:inputParameter></camunda:inputOutput>",
    ),
    "camunda:executionListener": _extended(
        "task", '<camunda:executionListener event="start" expression="${bean.go()}" />'
    ),
    "zeebe:assignmentDefinition assignee": _extended(
        "userTask", '<zeebe:assignmentDefinition assignee="=initiator" />'
    ),
    "zeebe:assignmentDefinition candidateGroups": _extended(
        "userTask", '<zeebe:assignmentDefinition candidateGroups="=groups_of(unit)" />'
    ),
    "zeebe:input total": _extended(
        "userTask",
        '<zeebe:ioMapping><zeebe:input source="=a + b" target="total" /></zeebe:ioMapping>',
    ),
    "zeebe:formDefinition formId": _extended(
        "userTask", '<zeebe:formDefinition formId="review-form" />'
    ),
    "zeebe:taskDefinition type": _extended(
        "serviceTask", '<zeebe:taskDefinition type="=topic_var" />'
    ),
    "flowable:candidateGroups": '<bpmn:userTask id="act" flowable:candidateGroups="office" />',
    "camunda:candidateGroups conflict": _extended(
        "userTask",
        '<spiffworkflow:properties><spiffworkflow:property name="candidateGroups" '
        'value="leader" /></spiffworkflow:properties>',
        'camunda:candidateGroups="office_head"',
    ),
}


@pytest.mark.parametrize("attribute", list(REFUSED))
def test_what_cannot_be_honoured_is_refused_naming_element_and_attribute(
    client: TestClient, attribute: str
) -> None:
    xml = _one_task(REFUSED[attribute])
    body = assert_refused(post_definition(client, xml), "act")
    named = attribute.removesuffix(" conflict")
    assert any(e["element_id"] == "act" and named in e["message"] for e in body["errors"]), body
    assert validate(client, xml).json() == body  # the dry run refuses alike
    nothing_stored(client)


def test_a_service_task_running_java_is_refused_naming_the_attribute(client: TestClient) -> None:
    xml = _one_task('<bpmn:serviceTask id="act" camunda:delegateExpression="${sender}" />')
    body = assert_refused(post_definition(client, xml), "act")
    assert "camunda:delegateExpression" in body["errors"][0]["message"]


def test_a_form_the_diagram_names_must_be_given(client: TestClient) -> None:
    xml = _one_task('<bpmn:userTask id="act" camunda:formKey="missing.json" />')
    body = assert_refused(post_definition(client, xml), "act")
    assert "missing.json" in body["errors"][0]["message"]


def test_validate_answers_the_warnings_deploy_gives(client: TestClient) -> None:
    xml = bpmn("dialect_camunda_review.bpmn")
    checked = validate(client, xml, forms=REPORT)
    assert checked.status_code == 200, checked.text
    assert checked.json()["valid"] is True
    nothing_stored(client)
    deployed = deploy_file(client, "dialect_camunda_review.bpmn", forms=REPORT)
    assert checked.json()["warnings"] == deployed["warnings"]
    assert ("review_report", "camunda:asyncBefore") in _warned(checked.json())


def test_a_spiff_diagram_has_no_warnings(client: TestClient) -> None:
    assert deploy_file(client, "task_properties.bpmn")["warnings"] == []


def test_a_zeebe_called_process_not_deployed_is_a_warning(client: TestClient) -> None:
    response = post_definition(client, bpmn("dialect_zeebe_review.bpmn"))
    assert response.status_code == 201, response.text
    (warning,) = [w for w in response.json()["warnings"] if w["attribute"] == "calledElement"]
    assert (warning["element_id"], warning["attribute"]) == ("call_review", "calledElement")
    assert "review_document" in warning["message"]
