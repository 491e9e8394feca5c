"""Diagrams as common modelers export them: encodings, plain tasks, uncontrolled splits and
merges, start-less subprocesses and the timer texts designers write (issue 15)."""

from datetime import datetime, timedelta

import pytest
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    history,
    instance,
    jobs,
    only_ready,
    post_definition,
    ready_ids,
    run_due,
    start_instance,
)
from fastapi.testclient import TestClient

from app.kit.clock import clock


def _completed(client: TestClient, instance_id: str) -> list[str]:
    """Elements completed, in order: by the engine and by people."""
    done = ("element_completed", "task_completed")
    return [e["element_id"] for e in history(client, instance_id) if e["event"] in done]


def _finish(client: TestClient, detail: dict, element_id: str) -> dict:
    response = complete_task(client, only_ready(detail, element_id)["id"])
    assert response.status_code == 200, response.text
    result: dict = response.json()
    return result


# --- encodings -----------------------------------------------------------------------------

_NAMED = """<?xml version="1.0" encoding="{encoding}"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="mf_encoded" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="{name}"/>
    <bpmn:sequenceFlow id="flow_reviewed" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(
    ("declared", "codec", "bom", "name"),
    [
        ("UTF-8", "utf-8", b"\xef\xbb\xbf", "督办审核"),
        ("UTF-16", "utf-16-le", b"\xff\xfe", "督办审核"),
        ("UTF-16", "utf-16-be", b"", "督办审核"),
        ("ISO-8859-1", "latin-1", b"", "Prüfung à la carte"),
        ("windows-1252", "cp1252", b"", "Prüfung – “review”"),
        ("GB18030", "gb18030", b"", "督办审核"),
        ("GBK", "gbk", b"", "督办审核"),
    ],
)
def test_any_declared_encoding_deploys_runs_and_is_stored_as_utf8(
    client: TestClient, declared: str, codec: str, bom: bytes, name: str
) -> None:
    xml = bom + _NAMED.format(encoding=declared, name=name).encode(codec)
    response = post_definition(client, xml)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    stored = client.get(f"{API}/process-definitions/{response.json()['id']}/xml")
    assert stored.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f'name="{name}"' in stored.text
    started = start_instance(client, "mf_encoded").json()
    assert only_ready(started, "review")["name"] == name
    assert _finish(client, started, "review")["status"] == "completed"
    again = post_definition(client, xml)  # re-reading the stored text gives the same definition
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False


@pytest.mark.parametrize(
    ("declared", "content"),
    [
        ("windows-1252", b"Pr\x81fung"),  # 0x81 is not a windows-1252 character
        ("UTF-8", b"Pr\xfcfung"),  # a Latin-1 byte in a file that says UTF-8
        ("GBK", b"\x81\x20"),  # half a GBK character
        ("x-no-such-encoding", b"plain"),
    ],
)
def test_bytes_that_do_not_decode_as_declared_are_refused_naming_the_encoding(
    client: TestClient, declared: str, content: bytes
) -> None:
    text = _NAMED.format(encoding=declared, name="NAME").encode("ascii")
    response = post_definition(client, text.replace(b"NAME", content))
    assert response.status_code == 422, response.text
    assert declared in response.json()["errors"][0]["message"]


# --- plain tasks ---------------------------------------------------------------------------


def test_a_plain_task_passes_through_unless_it_has_human_task_properties(
    client: TestClient,
) -> None:
    deploy_file(client, "mf_plain_task.bpmn")
    started = start_instance(client, "mf_plain_task").json()
    assert ready_ids(started) == ["check_paper"]  # note_receipt did not wait
    assert only_ready(started, "check_paper")["candidate_groups"] == ["supervision_office"]
    done = _finish(client, started, "check_paper")
    assert done["status"] == "completed"
    assert _completed(client, started["id"]) == [
        "start",
        "note_receipt",
        "check_paper",
        "file_away",
        "end",
    ]


# --- uncontrolled splits and merges --------------------------------------------------------


def test_several_flows_out_of_a_task_all_start_and_each_arrival_runs_the_merge(
    client: TestClient,
) -> None:
    deploy_file(client, "mf_uncontrolled_split.bpmn")
    started = start_instance(client, "mf_uncontrolled_split").json()
    split = _finish(client, started, "register")
    assert ready_ids(split) == ["notify_finance", "notify_legal"]
    one = _finish(client, split, "notify_legal")
    assert one["status"] == "running"
    assert ready_ids(one) == ["notify_finance"]
    done = _finish(client, one, "notify_finance")
    assert done["status"] == "completed"
    completed = _completed(client, started["id"])
    assert completed.count("count_notice") == 2  # the uncontrolled merge runs once per arrival
    assert completed.count("end") == 2


@pytest.mark.parametrize(
    ("score", "taken"),
    [(90, ["audit_review", "urgent_review"]), (60, ["audit_review"]), (10, ["routine_review"])],
)
def test_conditional_flows_out_of_a_task_take_each_true_one_or_the_default(
    client: TestClient, score: int, taken: list[str]
) -> None:
    deploy_file(client, "mf_conditional_split.bpmn")
    started = start_instance(client, "mf_conditional_split", variables={"score": score}).json()
    assert ready_ids(started) == taken
    current = started
    for element_id in taken:
        current = _finish(client, current, element_id)
    assert current["status"] == "completed"
    completed = _completed(client, started["id"])
    assert set(completed) & {"urgent_review", "audit_review", "routine_review"} == set(taken)


# --- start-less subprocesses ---------------------------------------------------------------


def test_a_subprocess_without_start_event_starts_its_elements_without_incoming_flows(
    client: TestClient,
) -> None:
    deploy_file(client, "mf_startless_subprocess.bpmn")
    started = start_instance(client, "mf_startless_subprocess").json()
    assert ready_ids(started) == ["collect_east", "collect_west"]
    east = _finish(client, started, "collect_east")
    assert ready_ids(east) == ["collect_west"]  # the subprocess waits for every branch
    west = _finish(client, east, "collect_west")
    assert ready_ids(west) == ["summarise"]
    assert _finish(client, west, "summarise")["status"] == "completed"
    completed = _completed(client, started["id"])
    assert {"collect_east", "east_noted", "collect_west", "collect", "end"} <= set(completed)
    assert completed.index("collect") > completed.index("east_noted")


# --- timers --------------------------------------------------------------------------------

_TIMER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://ducha.example/bpmn">
  <bpmn:process id="mf_timer" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="wait_for_it"/>
    <bpmn:userTask id="wait_for_it"/>
    <bpmn:boundaryEvent id="the_timer" attachedToRef="wait_for_it" cancelActivity="{cancel}">
      <bpmn:timerEventDefinition id="the_timer_definition">
        <bpmn:{kind}>{text}</bpmn:{kind}>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="flow_fired" sourceRef="the_timer" targetRef="after_timer"/>
    <bpmn:scriptTask id="after_timer"><bpmn:script>fired = True</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="flow_after" sourceRef="after_timer" targetRef="timer_end"/>
    <bpmn:endEvent id="timer_end"/>
    <bpmn:sequenceFlow id="flow_done" sourceRef="wait_for_it" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _timer(kind: str, text: str) -> bytes:
    cancel = "false" if kind == "timeCycle" else "true"
    return _TIMER.format(kind=kind, text=text, cancel=cancel).encode()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# (kind, text, first due after the frozen clock 2026-03-02T01:00Z = Monday 09:00 China time)
ACCEPTED = [
    ("timeDuration", "P2D", "2026-03-04T01:00:00+00:00"),
    ("timeDuration", "PT1.5H", "2026-03-02T02:30:00+00:00"),
    ("timeDuration", "P1W", "2026-03-09T01:00:00+00:00"),
    ("timeDate", "2026-03-05T08:00:00+08:00", "2026-03-05T00:00:00+00:00"),
    ("timeDate", "2026-03-05T08:00:00+0800", "2026-03-05T00:00:00+00:00"),
    ("timeDate", "2026-03-05T08:00:00Z", "2026-03-05T08:00:00+00:00"),
    ("timeDate", "2026-03-05T08:00", "2026-03-05T00:00:00+00:00"),  # naive: China time
    ("timeCycle", "R/PT1H", "2026-03-02T02:00:00+00:00"),
    ("timeCycle", "R3/PT1H", "2026-03-02T02:00:00+00:00"),
    ("timeCycle", "R/2026-03-03T08:00:00+08:00/P1D", "2026-03-03T00:00:00+00:00"),
    ("timeCycle", "R2/2026-03-03T08:00:00Z/2026-03-04T08:00:00Z", "2026-03-03T08:00:00+00:00"),
    ("timeCycle", "0 0 9 ? * MON-FRI", "2026-03-03T01:00:00+00:00"),  # Camunda 7 (Quartz)
    ("timeCycle", "0 30 8 * * SAT", "2026-03-07T00:30:00+00:00"),  # Camunda 8 (Spring)
    ("timeCycle", "0 9 * * 1-5", "2026-03-03T01:00:00+00:00"),  # 5 fields: unix cron
    ("timeCycle", "0 0 9 * * MON-FRI 2027", "2027-01-01T01:00:00+00:00"),  # 7: with a year
    ("timeCycle", "*/15 * * * *", "2026-03-02T01:15:00+00:00"),
]


@pytest.mark.parametrize(("kind", "text", "due"), ACCEPTED)
def test_timer_texts_designers_write_deploy_and_wait_until_due(
    client: TestClient, frozen_clock: datetime, kind: str, text: str, due: str
) -> None:
    response = post_definition(client, _timer(kind, text))
    assert response.status_code == 201, response.text
    started = start_instance(client, "mf_timer").json()
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at(due)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", "P2Y3"),
        ("timeDuration", "P1DT"),
        ("timeDate", "2026-02-30T08:00:00Z"),
        ("timeCycle", "R/PT0S"),
        ("timeCycle", "R/2026-03-04T08:00:00Z/2026-03-03T08:00:00Z"),
        ("timeCycle", "0 0 9 ? * 2-6"),  # numbered weekdays differ between Camunda 7 and 8
        ("timeCycle", "0 0 9 L * ?"),
        ("timeCycle", "0 61 9 * * ?"),
        ("timeCycle", "0 0 0 30 2 ?"),  # names no time
        ("timeDuration", "0 9 * * 1-5"),  # cron only for cycles
        ("timeDate", "P3D"),  # a duration where a date belongs
        ("timeDuration", "2026-03-05T08:00:00Z"),
    ],
)
def test_an_invalid_timer_text_is_refused_naming_the_element(
    client: TestClient, frozen_clock: datetime, kind: str, text: str
) -> None:
    response = post_definition(client, _timer(kind, text))
    assert response.status_code == 422, response.text
    assert [e["element_id"] for e in response.json()["errors"]] == ["the_timer"]


def test_a_cron_cycle_fires_at_each_named_time_once_even_when_late(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "mf_cron_reminder.bpmn")
    started = start_instance(client, "mf_cron_reminder").json()
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at("2026-03-03T01:00:00Z")  # Tuesday 09:00 China time
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 1
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at("2026-03-04T01:00:00Z")
    clock.advance(timedelta(days=3))  # Friday morning: Wednesday's and Thursday's are late
    assert run_due(client) == 1
    assert run_due(client) == 0
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at("2026-03-09T01:00:00Z")  # over the weekend to Monday
    reminders = [e for e in _completed(client, started["id"]) if e == "send_reminder"]
    assert len(reminders) == 2
    done = _finish(client, instance(client, started["id"]), "write_reply")
    assert done["status"] == "completed"
    assert jobs(client, started["id"]) == []
