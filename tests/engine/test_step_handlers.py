"""Step handlers and the diagrams' markers agree (app.engine.steps): checked, not assumed."""

import re
from pathlib import Path

from engine_helpers import API, post_definition
from fastapi.testclient import TestClient

from app.engine import StepRegistry
from app.main import register_step_handlers

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
PROPERTY = re.compile(r'<spiffworkflow:property name="(\w+(?:Step|Event))" value="([^"]*)"')


def registry() -> StepRegistry:
    steps = StepRegistry()
    register_step_handlers(steps)
    return steps


def diagram_markers() -> set[tuple[str, str]]:
    return {m for path in PROCESSES.glob("*.bpmn") for m in PROPERTY.findall(path.read_text())}


def test_every_marker_in_processes_has_a_handler() -> None:
    assert diagram_markers() - registry().handled == set()


def test_every_registered_handler_is_used_by_some_diagram() -> None:
    assert registry().handled - diagram_markers() == set()


UNKNOWN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"
  targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="marked_wrongly" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign_it"/>
    <bpmn:userTask id="sign_it"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="matterStep" value="sign_for_it"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="sign_it" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_deploy_and_validate_refuse_a_marker_no_handler_knows(client: TestClient) -> None:
    for url in (f"{API}/process-definitions", f"{API}/process-definitions/validate"):
        files = [("file", ("marked.bpmn", UNKNOWN, "application/xml"))]
        response = client.post(url, files=files)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "invalid_bpmn"
        (error,) = body["errors"]
        assert error["element_id"] == "sign_it"
        assert "matterStep='sign_for_it'" in error["message"]
    assert (
        client.get(f"{API}/process-definitions", params={"key": "marked_wrongly"}).json()["items"]
        == []
    )
    known = UNKNOWN.replace(b"sign_for_it", b"sign_for")
    assert post_definition(client, known, name="marked.bpmn").status_code == 201
