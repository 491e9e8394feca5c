"""Deploying BPMN: validation answers 422 naming elements, never 500; versions; forms."""

import json
import random
import uuid

import pytest
from engine_helpers import (
    API,
    bpmn,
    complete_task,
    deploy_file,
    form,
    only_ready,
    post_definition,
    start_instance,
)
from fastapi.testclient import TestClient

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://ducha.example/bpmn">\n'
)


def diagram(body: str, *, executable: str = "true", process_id: str = "probe") -> bytes:
    """A one-process BPMN document around `body`."""
    return (
        f'{HEADER}<bpmn:process id="{process_id}" isExecutable="{executable}">\n{body}\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def linear(middle: str, middle_id: str) -> str:
    """start -> `middle` (an element with id `middle_id`) -> end."""
    return (
        '<bpmn:startEvent id="start" />'
        f'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{middle_id}" />'
        f"{middle}"
        f'<bpmn:sequenceFlow id="f2" sourceRef="{middle_id}" targetRef="end" />'
        '<bpmn:endEvent id="end" />'
    )


def gateway_with_condition(condition: str) -> str:
    """start -> exclusive gateway `pick_route` with one conditional flow and a default."""
    return (
        '<bpmn:startEvent id="start" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pick_route" />'
        '<bpmn:exclusiveGateway id="pick_route" default="f_default" />'
        '<bpmn:sequenceFlow id="f_cond" sourceRef="pick_route" targetRef="end_a">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_default" sourceRef="pick_route" targetRef="end_b" />'
        '<bpmn:endEvent id="end_a" /><bpmn:endEvent id="end_b" />'
    )


def assert_refused(response, element_id: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """A 422 invalid_bpmn answer, naming `element_id` when given."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_bpmn"
    assert body["errors"], body
    if element_id is not None:
        assert element_id in [e.get("element_id") for e in body["errors"]], body
    return body


def test_a_valid_diagram_deploys(client: TestClient) -> None:
    response = post_definition(client, diagram(linear('<bpmn:userTask id="act" />', "act")))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["key"], body["version"], body["created"]) == ("probe", 1, True)


def test_not_bpmn_is_refused(client: TestClient) -> None:
    body = assert_refused(post_definition(client, b"<html><body>hello</body></html>"))
    assert "not a BPMN" in body["detail"]


@pytest.mark.parametrize("xml", [b"", b"<bpmn:definitions", b"\x00\x01", b"<a><b></a>"])
def test_not_well_formed_xml_is_refused(client: TestClient, xml: bytes) -> None:
    assert_refused(post_definition(client, xml))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="&lol3;" isExecutable="true" /></bpmn:definitions>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="&secret;" isExecutable="true" /></bpmn:definitions>"""

PLAIN_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://example.com/bpmn.dtd">
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" />"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, PLAIN_DTD], ids=["laughs", "xxe", "dtd"])
def test_dtds_and_entities_are_refused(client: TestClient, xml: bytes) -> None:
    response = post_definition(client, xml)
    assert_refused(response)
    assert "root:" not in response.text
    assert client.get(f"{API}/process-definitions").json()["total"] == 0


def test_a_diagram_without_an_executable_process_is_refused(client: TestClient) -> None:
    xml = diagram(linear('<bpmn:userTask id="act" />', "act"), executable="false")
    body = assert_refused(post_definition(client, xml))
    assert "executable" in body["detail"]


@pytest.mark.parametrize("element", ["serviceTask", "businessRuleTask", "complexGateway"])
def test_unsupported_elements_are_refused_by_id(client: TestClient, element: str) -> None:
    xml = diagram(linear(f'<bpmn:{element} id="call_the_tax_office" />', "call_the_tax_office"))
    body = assert_refused(post_definition(client, xml), "call_the_tax_office")
    assert "not supported" in json.dumps(body["errors"])


def test_unknown_elements_are_refused(client: TestClient) -> None:
    xml = diagram(linear('<bpmn:fooTask id="mystery" />', "mystery"))
    body = assert_refused(post_definition(client, xml))
    assert "fooTask" in json.dumps(body)


def test_a_broken_sequence_flow_reference_is_refused(client: TestClient) -> None:
    body = (
        '<bpmn:startEvent id="start" />'
        '<bpmn:sequenceFlow id="dangling_flow" sourceRef="start" targetRef="nowhere" />'
    )
    refused = assert_refused(post_definition(client, diagram(body)))
    assert "nowhere" in json.dumps(refused["errors"])


def test_a_diagram_without_a_start_event_is_refused(client: TestClient) -> None:
    assert_refused(post_definition(client, diagram('<bpmn:userTask id="alone" />')))


def test_a_conditional_flow_without_condition_is_refused(client: TestClient) -> None:
    body = (
        '<bpmn:startEvent id="start" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork_without_default" />'
        '<bpmn:exclusiveGateway id="fork_without_default" />'
        '<bpmn:sequenceFlow id="f_a" sourceRef="fork_without_default" targetRef="end_a" />'
        '<bpmn:sequenceFlow id="f_b" sourceRef="fork_without_default" targetRef="end_b" />'
        '<bpmn:endEvent id="end_a" /><bpmn:endEvent id="end_b" />'
    )
    refused = assert_refused(post_definition(client, diagram(body)))
    assert refused["errors"][0]["element_id"] in ("f_a", "f_b")
    assert "without condition" in refused["errors"][0]["message"]


ATTACKS = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd').read()",
    "'{0.__class__}'.format(amount)",
    "9**9**9 &gt; 1",
    "'x' * 10**10 == 'x'",
    "exec('import os')",
    "(lambda: 1)()",
    "amount.__class__",
    "getattr(amount, 'real')",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_in_gateway_conditions_are_refused(client: TestClient, attack: str) -> None:
    body = assert_refused(post_definition(client, diagram(gateway_with_condition(attack))))
    error = next(e for e in body["errors"] if e.get("element_id") == "pick_route")
    assert "refused" in error["message"]
    assert client.get(f"{API}/process-definitions").json()["total"] == 0


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "x = __import__('os')",
        "del amount",
        "x = open('/etc/passwd')",
        "class A: pass",
        "x = [].__class__",
    ],
)
def test_attack_scripts_are_refused(client: TestClient, script: str) -> None:
    task = f'<bpmn:scriptTask id="run_script"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
    assert_refused(post_definition(client, diagram(linear(task, "run_script"))), "run_script")


def test_attack_in_a_timer_expression_is_refused(client: TestClient) -> None:
    timer = (
        '<bpmn:intermediateCatchEvent id="wait_a_bit"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>__import__('os').getenv('HOME')</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    assert_refused(post_definition(client, diagram(linear(timer, "wait_a_bit"))), "wait_a_bit")


@pytest.mark.parametrize(
    ("kind", "text"),
    [("timeDate", "2026-13-45"), ("timeDate", "2026-02-30T10:00"), ("timeCycle", "R3/PX")],
)
def test_an_invalid_iso_timer_is_refused(client: TestClient, kind: str, text: str) -> None:
    timer = (
        '<bpmn:intermediateCatchEvent id="wait_a_bit"><bpmn:timerEventDefinition>'
        f"<bpmn:{kind}>{text}</bpmn:{kind}>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    assert_refused(post_definition(client, diagram(linear(timer, "wait_a_bit"))), "wait_a_bit")


def test_a_call_activity_to_an_undeployed_process_is_a_warning(client: TestClient) -> None:
    call = '<bpmn:callActivity id="ask_the_archive" calledElement="archive_lookup" />'
    response = post_definition(client, diagram(linear(call, "ask_the_archive")))
    assert response.status_code == 201, response.text
    (warning,) = response.json()["warnings"]
    assert warning["element_id"] == "ask_the_archive"
    assert "archive_lookup" in warning["message"]


def test_a_referenced_form_must_be_uploaded(client: TestClient) -> None:
    body = assert_refused(post_definition(client, bpmn("user_task_form.bpmn")), "write_report")
    assert body["errors"][0]["field"] == "report.json"


def test_a_versions_forms_are_read_back_to_deploy_it_again(client: TestClient) -> None:
    schema = {"type": "object", "properties": {"report": {"type": "string", "title": "报告"}}}
    xml = bpmn("user_task_form.bpmn")
    first = post_definition(client, xml, forms={"report.json": json.dumps(schema).encode()})
    assert first.status_code == 201, first.text
    forms = client.get(f"/api/v1/process-definitions/{first.json()['id']}/forms").json()
    assert forms == {"report.json": schema}
    edited = xml.replace(b"</bpmn:process>", b"<!-- edited --></bpmn:process>")
    again = post_definition(
        client, edited, forms={name: json.dumps(s).encode() for name, s in forms.items()}
    )
    assert again.status_code == 201 and again.json()["version"] == 2
    missing = client.get(f"/api/v1/process-definitions/{uuid.uuid4()}/forms")
    assert missing.status_code == 404


def test_a_form_that_is_not_json_or_not_a_schema_is_refused(client: TestClient) -> None:
    xml = bpmn("user_task_form.bpmn")
    not_json = post_definition(client, xml, forms={"report.json": b"{not json"})
    assert_refused(not_json)
    not_schema = post_definition(client, xml, forms={"report.json": b'{"type": 42}'})
    assert_refused(not_schema)
    assert "report.json" in not_schema.text


def test_a_file_over_the_size_limit_is_refused(client: TestClient) -> None:
    limit = client.app.state.settings.max_bpmn_bytes  # type: ignore[attr-defined]
    padding = b"<!--" + b"x" * limit + b"-->"
    xml = diagram(linear('<bpmn:userTask id="act" />', "act")).replace(
        b"</bpmn:definitions>", padding + b"</bpmn:definitions>"
    )
    body = assert_refused(post_definition(client, xml))
    assert "larger" in body["detail"]


@pytest.mark.parametrize(
    ("process_id", "task_id", "task_name", "file_name"),
    [
        ("p" * 300, "act", "Act", "long.bpmn"),
        ("probe", "t" * 300, "Act", "long.bpmn"),
        ("probe", "act", "n" * 600, "long.bpmn"),
        ("probe", "act", "Act", "f" * 600 + ".bpmn"),
    ],
    ids=["process-id", "task-id", "task-name", "file-name"],
)
def test_overlong_ids_and_names_are_refused(
    client: TestClient, process_id: str, task_id: str, task_name: str, file_name: str
) -> None:
    middle = f'<bpmn:userTask id="{task_id}" name="{task_name}" />'
    xml = diagram(linear(middle, task_id), process_id=process_id)
    body = assert_refused(post_definition(client, xml, name=file_name))
    assert "longer than" in body["errors"][0]["message"]
    fitting = diagram(linear('<bpmn:userTask id="act" name="Act" />', "act"))
    assert post_definition(client, fitting, name="f" * 400 + ".bpmn").status_code == 201


def _truncations() -> list[bytes]:
    xml = bpmn("exclusive_gateway.bpmn")
    step = max(len(xml) // 40, 1)
    return [xml[:cut] for cut in range(0, len(xml) - 1, step)]


def _mutations(count: int) -> list[bytes]:
    rng = random.Random(20260302)
    xml = bytearray(bpmn("parallel_gateway.bpmn"))
    mutated = []
    for _ in range(count):
        copy = bytearray(xml)
        for _ in range(rng.randint(1, 8)):
            copy[rng.randrange(len(copy))] = rng.randrange(256)
        mutated.append(bytes(copy))
    return mutated


def _garbage(count: int) -> list[bytes]:
    rng = random.Random(7)
    return [rng.randbytes(rng.randint(0, 4096)) for _ in range(count)]


def test_garbage_truncated_and_mutated_uploads_never_cause_a_500(client: TestClient) -> None:
    uploads = _garbage(30) + _truncations() + _mutations(120)
    statuses = {}
    for index, xml in enumerate(uploads):
        response = post_definition(client, xml, name=f"fuzz_{index}.bpmn")
        assert response.status_code in (200, 201, 422), (index, response.text)
        assert response.json()["code" if response.status_code == 422 else "key"]
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert statuses[422] >= 30 + len(_truncations())
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16", "ascii"])
def test_encodings_other_than_utf8_are_stored_as_utf8(client: TestClient, encoding: str) -> None:
    text = diagram(linear('<bpmn:userTask id="act" name="Prufung" />', "act")).decode()
    xml = text.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding)
    deployed = post_definition(client, xml)  # issue 15: any declared encoding is read
    assert deployed.status_code == 201, deployed.text
    stored = client.get(f"{API}/process-definitions/{deployed.json()['id']}/xml").text
    assert 'encoding="UTF-8"' in stored


def test_utf8_names_round_trip(client: TestClient) -> None:
    xml = diagram(linear('<bpmn:userTask id="act" name="督查 — Prüfung" />', "act"))
    assert post_definition(client, xml).status_code == 201
    started = start_instance(client, "probe").json()
    assert only_ready(started, "act")["name"] == "督查 — Prüfung"


def test_deeply_nested_xml_is_refused(client: TestClient) -> None:
    nested = "<bpmn:documentation>" * 5000 + "</bpmn:documentation>" * 5000
    xml = diagram(linear(f'<bpmn:userTask id="act">{nested}</bpmn:userTask>', "act"))
    assert_refused(post_definition(client, xml))


@pytest.mark.parametrize(
    "schema",
    [
        b'{"$ref": "https://example.com/schema.json"}',
        b'{"properties": {"a": {"$ref": "#/$defs/missing"}}}',
        b'{"properties": {"a": {"$ref": "file:///etc/passwd"}}}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"properties": {"a": ' * 400 + b"{}" + b"}}" * 400,
    ],
    ids=["remote-ref", "dangling-ref", "file-ref", "deep-json", "deep-schema"],
)
def test_forms_that_would_fail_at_run_time_are_refused(client: TestClient, schema: bytes) -> None:
    response = post_definition(client, bpmn("user_task_form.bpmn"), forms={"report.json": schema})
    assert_refused(response)


def test_forms_with_local_references_work(client: TestClient) -> None:
    schema = {
        "$defs": {"count": {"type": "integer", "minimum": 1}},
        "type": "object",
        "properties": {"pages": {"$ref": "#/$defs/count"}},
    }
    deploy_file(client, "user_task_form.bpmn", forms={"report.json": json.dumps(schema).encode()})
    started = start_instance(client, "file_report").json()
    task_id = only_ready(started, "write_report")["id"]
    refused = complete_task(client, task_id, {"pages": 0})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "pages"
    assert complete_task(client, task_id, {"pages": 2}).status_code == 200


def test_identical_content_returns_the_same_version(client: TestClient) -> None:
    first = post_definition(client, bpmn("five_steps.bpmn"), name="five_steps.bpmn")
    assert first.status_code == 201
    again = post_definition(client, bpmn("five_steps.bpmn"), name="five_steps.bpmn")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["version"], again.json()["created"]) == (1, False)


def test_changed_content_or_forms_make_a_new_version(client: TestClient) -> None:
    forms = {"report.json": form("report.json")}
    first = deploy_file(client, "user_task_form.bpmn", forms=forms)
    changed_form = json.loads(form("report.json"))
    changed_form["required"] = ["title"]
    second = post_definition(
        client,
        bpmn("user_task_form.bpmn"),
        name="user_task_form.bpmn",
        forms={"report.json": json.dumps(changed_form).encode()},
    )
    assert second.status_code == 201
    assert (second.json()["version"], second.json()["created"]) == (2, True)
    assert second.json()["id"] != first["id"]
    latest = client.get(f"{API}/process-definitions", params={"latest": True}).json()
    assert [d["version"] for d in latest["items"]] == [2]
    xml = client.get(f"{API}/process-definitions/{first['id']}/xml")
    assert xml.content == bpmn("user_task_form.bpmn")


def test_running_instances_stay_on_the_version_they_started_with(client: TestClient) -> None:
    v1 = deploy_file(client, "versioned_v1.bpmn")
    old = start_instance(client, "versioned_process").json()
    v2 = post_definition(client, bpmn("versioned_v2.bpmn"), name="versioned_process.bpmn")
    assert v2.status_code == 201
    assert v2.json()["version"] == 2
    new = start_instance(client, "versioned_process").json()
    assert (old["version"], old["definition_id"]) == (1, v1["id"])
    assert (new["version"], new["definition_id"]) == (2, v2.json()["id"])
    client.app.state.engine.specs._items.clear()  # type: ignore[attr-defined]
    client.app.state.engine.workflows.clear()  # type: ignore[attr-defined]
    old_next = complete_task(client, only_ready(old, "first_step")["id"]).json()
    assert [t["element_id"] for t in old_next["ready_tasks"]] == ["old_second_step"]
    new_next = complete_task(client, only_ready(new, "first_step")["id"]).json()
    assert [t["element_id"] for t in new_next["ready_tasks"]] == ["new_second_step"]
    pinned = start_instance(client, "versioned_process", version=1).json()
    assert pinned["definition_id"] == v1["id"]
    assert start_instance(client, "versioned_process", version=3).status_code == 404


def test_flows_into_a_start_or_out_of_an_end_are_refused(client: TestClient) -> None:
    body = (
        '<bpmn:startEvent id="start" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />'
        '<bpmn:endEvent id="end" />'
        '<bpmn:sequenceFlow id="back_to_start" sourceRef="end" targetRef="start" />'
    )
    refused = assert_refused(post_definition(client, diagram(body)), "back_to_start")
    assert len(refused["errors"]) == 2


def test_a_process_calling_itself_is_refused(client: TestClient) -> None:
    call = '<bpmn:callActivity id="call_myself" calledElement="probe" />'
    body = assert_refused(post_definition(client, diagram(linear(call, "call_myself"))))
    assert body["errors"][0]["element_id"] == "call_myself"
    assert "cycle" in body["errors"][0]["message"]


def test_a_call_back_from_an_embedded_subprocess_is_refused(client: TestClient) -> None:
    inner = linear('<bpmn:callActivity id="call_back" calledElement="probe" />', "call_back")
    inner = inner.replace('id="start"', 'id="inner_start"').replace('"start"', '"inner_start"')
    inner = inner.replace('id="end"', 'id="inner_end"').replace('"end"', '"inner_end"')
    inner = inner.replace('id="f1"', 'id="inner_f1"').replace('id="f2"', 'id="inner_f2"')
    sub = f'<bpmn:subProcess id="nested">{inner}</bpmn:subProcess>'
    body = assert_refused(post_definition(client, diagram(linear(sub, "nested"))), "call_back")
    assert "cycle" in json.dumps(body["errors"])


def test_two_processes_of_one_file_calling_each_other_are_refused(client: TestClient) -> None:
    def process(process_id: str, called: str) -> str:
        call = f"call_{called}"
        return (
            f'<bpmn:process id="{process_id}" isExecutable="true">'
            f'<bpmn:startEvent id="{process_id}_start" />'
            f'<bpmn:sequenceFlow id="{process_id}_f1" sourceRef="{process_id}_start" '
            f'targetRef="{call}" />'
            f'<bpmn:callActivity id="{call}" calledElement="{called}" />'
            f'<bpmn:sequenceFlow id="{process_id}_f2" sourceRef="{call}" '
            f'targetRef="{process_id}_end" />'
            f'<bpmn:endEvent id="{process_id}_end" /></bpmn:process>'
        )

    xml = f"{HEADER}{process('ping', 'pong')}{process('pong', 'ping')}</bpmn:definitions>"
    body = assert_refused(post_definition(client, xml.encode()))
    assert "cycle" in json.dumps(body["errors"])


def _one_task(task: str, *, lane: str | None = None) -> bytes:
    """A process whose one task is `task` (XML), in a lane named `lane` if given."""
    lanes = ""
    if lane is not None:
        lanes = (
            f'<bpmn:laneSet id="lanes"><bpmn:lane id="the_lane" name="{lane}">'
            "<bpmn:flowNodeRef>act</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
    targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="one_task" isExecutable="true">{lanes}
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="act"/>
    {task}
    <bpmn:sequenceFlow id="f2" sourceRef="act" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


SPIFF_GROUPS = (
    '<bpmn:userTask id="act"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="candidateGroups" value="supervision_office,office"/>'
    "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
)


@pytest.mark.parametrize(
    ("xml", "group", "said"),
    [
        (_one_task(SPIFF_GROUPS), "office", "candidate group 'office'"),
        (
            _one_task('<bpmn:userTask id="act" camunda:candidateGroups="office"/>'),
            "office",
            "candidate group 'office'",
        ),
        (_one_task('<bpmn:userTask id="act"/>', lane="督查室"), "督查室", "lane '督查室'"),
    ],
)
def test_a_candidate_group_that_is_no_role_is_refused_not_a_task_nobody_may_claim(
    client: TestClient, xml: bytes, group: str, said: str
) -> None:
    for route in ("/validate", ""):
        response = client.post(
            f"{API}/process-definitions{route}",
            files={"file": ("one_task.bpmn", xml, "application/xml")},
        )
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["element_id"] == "act" and error["candidate_group"] == group
        assert said in error["message"] and "supervision_office" in response.json()["detail"]
    assert client.get(f"{API}/process-definitions", params={"key": "one_task"}).json()["total"] == 0


def test_lanes_and_candidate_groups_naming_roles_deploy(client: TestClient) -> None:
    xml = _one_task('<bpmn:userTask id="act"/>', lane="supervision_office")
    assert post_definition(client, xml).status_code == 201


@pytest.mark.parametrize(
    ("definition", "said"),
    [
        ("<bpmn:messageEventDefinition/>", "names no message"),
        (
            '<bpmn:messageEventDefinition messageRef="nowhere"/>',
            "message 'nowhere' is not declared",
        ),
    ],
)
def test_a_message_event_without_its_message_is_refused_not_a_500_or_a_hang(
    client: TestClient, definition: str, said: str
) -> None:
    # MIWG C.2.0's message start event has an empty messageEventDefinition: deploy was a 500
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="by_message" isExecutable="true">
    <bpmn:startEvent id="start">{definition}</bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "start" and said in error["message"]
