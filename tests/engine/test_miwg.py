"""Constructs of the BPMN MIWG reference models that Ducha refused for its own reasons (issue 15,
`bench/miwg.py`): minimal diagrams written after them, deployed and run over REST."""

from engine_helpers import complete_task, only_ready, post_definition, start_instance
from fastapi.testclient import TestClient
from test_deploy import assert_refused

# MIWG C.5.0 draws a bank's database beside the flow: a task writes to it, another reads it
# (the input association's target as bpmn.io writes it: a placeholder property).
_DATA_STORE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://ducha.example/bpmn">
  <bpmn:dataStore id="bank_system" name="Bank System"/>
  <bpmn:process id="miwg_data_store" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="record"/>
    <bpmn:userTask id="record">
      <bpmn:dataOutputAssociation id="record_writes">
        <bpmn:targetRef>bank_ref</bpmn:targetRef>
      </bpmn:dataOutputAssociation>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_recorded" sourceRef="record" targetRef="check"/>
    <bpmn:userTask id="check">
      <bpmn:property id="check_input" name="__targetRef_placeholder"/>
      <bpmn:dataInputAssociation id="check_reads">
        <bpmn:sourceRef>bank_ref</bpmn:sourceRef>
        <bpmn:targetRef>check_input</bpmn:targetRef>
      </bpmn:dataInputAssociation>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_checked" sourceRef="check" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:dataStoreReference id="bank_ref" name="Bank System" dataStoreRef="bank_system"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_data_store_is_drawn_only_and_the_process_runs(client: TestClient) -> None:
    response = post_definition(client, _DATA_STORE, name="miwg_data_store.bpmn")
    assert response.status_code == 201, response.text
    warned = {(w["element_id"], w["attribute"]) for w in response.json()["warnings"]}
    assert ("bank_ref", "dataStoreReference") in warned
    started = start_instance(client, "miwg_data_store", variables={"amount": 3})
    assert started.status_code == 201, started.text
    recorded = complete_task(client, only_ready(started.json(), "record")["id"], {"paid": True})
    assert recorded.status_code == 200, recorded.text
    checked = complete_task(client, only_ready(recorded.json(), "check")["id"])
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "completed"


# MIWG C.1.0/C.1.1 bind the prefix `camunda` to Activiti's namespace, which Camunda 7 reads as
# its own: the attributes mean what their camunda: twins mean.
_ACTIVITI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:{prefix}="http://activiti.org/bpmn" id="defs" targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="miwg_activiti" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="prepare_transfer"/>
    <bpmn:userTask id="prepare_transfer" {prefix}:candidateGroups="supervision_office"{extra}/>
    <bpmn:sequenceFlow id="flow_prepared" sourceRef="prepare_transfer" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _activiti(prefix: str, extra: str = "") -> bytes:
    return _ACTIVITI.format(prefix=prefix, extra=extra).encode()


def test_activiti_attributes_are_read_as_camunda_7_reads_them(client: TestClient) -> None:
    for prefix in ("camunda", "activiti"):
        response = post_definition(client, _activiti(prefix), name="miwg_activiti.bpmn")
        assert response.status_code in (200, 201), response.text
    started = start_instance(client, "miwg_activiti")
    assert started.status_code == 201, started.text
    task = only_ready(started.json(), "prepare_transfer")
    assert task["candidate_groups"] == ["supervision_office"]
    done = complete_task(client, task["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


def test_activiti_attributes_ducha_cannot_honour_are_refused_as_camunda_ones(
    client: TestClient,
) -> None:
    xml = _activiti("activiti", ' activiti:assignee="kermit"')
    body = assert_refused(post_definition(client, xml), "prepare_transfer")
    assert [e["attribute"] for e in body["errors"]] == ["camunda:assignee"]
    assert "Activiti" not in body["errors"][0]["message"]
