"""One language at a time (一种语言): the service's refusals follow Accept-Language, process and
element names come per language, and the audit trail reads as who / when / which matter / what."""

import ast
import re
from pathlib import Path

from console.test_inbox import inbox as console_inbox
from console.test_inbox import register
from rest import API, as_, do, inbox

from app.engine.parser.names import display_names
from app.identity.actions import ACTIONS
from app.identity.policy import PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _sign_for(client) -> dict:
    register(client, "关于推进重点项目建设的督办事项")
    (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "sign_for"]
    return task


def _complete(client, task: dict, variables: dict, lang: str | None):
    headers = as_(client, "fgw")
    if lang is not None:
        headers = {**headers, "Accept-Language": lang}
    return client.post(
        f"{API}/tasks/{task['id']}/complete", json={"variables": variables}, headers=headers
    )


def test_form_field_messages_follow_the_request_language(matter_client):
    client = matter_client
    task = _sign_for(client)
    zh = _complete(client, task, {"decision": "maybe"}, "zh-CN,zh;q=0.9")
    en = _complete(client, task, {"decision": "maybe"}, "en")
    plain = _complete(client, task, {"decision": "maybe"}, None)
    for response in (zh, en, plain):
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_data"
        assert [e["field"] for e in response.json()["errors"]] == ["decision"]
        assert "_messages" not in response.json()["errors"][0]
    assert zh.json()["errors"][0]["message"] == "「签收或退回」只能取以下值之一：sign、return"
    assert zh.json()["detail"] == "提交的内容有误，请按各项提示修改"
    assert en.json()["errors"][0]["message"] == "'decision' must be one of: sign, return"
    assert plain.json()["errors"][0]["message"] == "'maybe' is not one of ['sign', 'return']"

    missing = _complete(client, task, {"decision": "return"}, "zh-CN")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "reason", "message": "「退回理由」为必填项"}]
    missing_en = _complete(client, task, {"decision": "return", "reason": "x"}, "en-GB")
    assert missing_en.json()["errors"] == [
        {"field": "reason", "message": "'reason' needs at least 2 characters"}
    ]


def test_request_validation_messages_follow_the_request_language(matter_client):
    client = matter_client
    headers = {**as_(client, "office"), "Accept-Language": "zh-CN"}
    response = client.post(f"{API}/matters", json={"title": "x"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and body["detail"] == "请求有误，请按各项提示修改"
    content = [e for e in body["errors"] if e["field"] == "body.content"]
    assert content and content[0]["message"] == "「content」为必填项"
    assert content[0]["type"] == "missing"


def test_definitions_carry_their_names_per_language(matter_client):
    client = matter_client
    response = client.get(
        f"{API}/process-definitions",
        params={"key": "supervision_matter"},
        headers=as_(client, "admin"),
    )
    (definition,) = response.json()["items"]
    assert definition["name"] == "督查事项办理"
    assert definition["display_names"] == {"zh-CN": "督查事项办理", "en": "Supervision matter"}
    one = client.get(
        f"{API}/process-definitions/{definition['id']}", headers=as_(client, "admin")
    ).json()
    assert one["display_names"]["en"] == "Supervision matter"
    everything = client.get(
        f"{API}/process-definitions", params={"limit": 200}, headers=as_(client, "admin")
    ).json()["items"]
    for d in everything:  # the shipped processes: Chinese names, an English one beside
        assert HAN.search(d["display_names"]["zh-CN"]) and not re.search(
            r"[A-Za-z]", d["display_names"]["zh-CN"]
        ), d
        assert not HAN.search(d["display_names"]["en"]), d


def test_history_rows_are_named_by_their_elements(matter_client):
    client = matter_client
    matter = register(client, "关于优化营商环境的督办事项")
    rows = client.get(
        f"{API}/process-instances/{matter['instance_id']}/history", headers=as_(client, "office")
    ).json()
    named = {}  # every named element of the process and the one it calls
    for name in ("supervision_matter", "supervision_plan_approval"):
        named.update(display_names((ROOT / "processes" / f"{name}.bpmn").read_bytes()))
    for row in rows:
        element = row["element_id"] or "supervision_matter"
        expected = named.get(element)
        assert row["element_names"] == expected, row
    assert {"zh-CN": "督查事项办理", "en": "Supervision matter"} in [
        r["element_names"] for r in rows
    ]
    started = [r for r in rows if r["element_id"] == "matter_registered"]
    assert started and started[0]["element_names"] == {
        "zh-CN": "事项已立项",
        "en": "Matter registered",
    }


SIGN_FOR = {"zh-CN": "签收或退回", "en": "Sign for or return"}


def test_tasks_carry_their_names_per_language_wherever_they_are_listed(matter_client):
    client = matter_client
    matter = register(client, "关于推进重点项目建设的督办事项")
    fgw, office = as_(client, "fgw"), as_(client, "office")
    (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "sign_for"]  # GET /tasks
    assert task["names"] == SIGN_FOR
    assert task["name"] == "签收或退回"  # the BPMN name, as before
    listed = client.get(f"{API}/tasks", params={"limit": 500}, headers=office).json()["items"]
    assert {t["element_id"]: t["names"] for t in listed}["sign_for"] == SIGN_FOR
    one = client.get(f"{API}/tasks/{task['id']}", headers=fgw).json()
    assert one["names"] == SIGN_FOR
    (row,) = [t for t in console_inbox(client, "fgw")["items"] if t["element_id"] == "sign_for"]
    assert row["names"] == SIGN_FOR and row["subject"]["title"] == matter["title"]
    detail = client.get(f"{API}/process-instances/{matter['instance_id']}", headers=office)
    assert [t["names"] for t in detail.json()["ready_tasks"]] == [SIGN_FOR]
    page = client.get(f"{API}/matters/{matter['id']}", headers=office).json()
    assert [t["names"] for t in page["ready_tasks"]] == [SIGN_FOR]
    claimed = client.post(f"{API}/tasks/{task['id']}/claim", headers=fgw)
    assert claimed.status_code == 200 and claimed.json()["names"] == SIGN_FOR
    # The completion's answer names the tasks it leaves ready (from the names cache).
    done = do(client, "fgw", "sign_for", {"decision": "sign"}, matter["instance_id"])
    ready = done["ready_tasks"]
    assert ready and all(
        t["names"]["en"] and t["names"]["zh-CN"] != t["names"]["en"] for t in ready
    )
    assert {t["element_id"] for t in ready} <= {"report_progress", "submit_final_report"}


def test_the_audit_trail_names_matter_step_action_and_changes(matter_client):
    client = matter_client
    task = _sign_for(client)
    assert _complete(client, task, {"decision": "sign"}, None).status_code == 200
    rows = client.get(f"{API}/audit", params={"limit": 50}, headers=as_(client, "admin")).json()
    by_action = {r["action"]: r for r in reversed(rows["items"])}  # the newest of each
    registered, completed = by_action["matter.register"], by_action["task.complete"]
    assert registered["action_names"] == {"zh-CN": "督查事项立项", "en": "Registered a matter"}
    assert registered["matter"]["title"] == "关于推进重点项目建设的督办事项"
    assert completed["matter"] == registered["matter"]
    assert completed["step_names"] == {"zh-CN": "签收或退回", "en": "Sign for or return"}
    assert completed["changes"] == []


def _audit_helpers(tree: ast.AST) -> set[str]:
    """Functions with an `action` parameter that hand it to the audit (record, record_change)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and "action" in [a.arg for a in node.args.args]:
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and _name(call) in ("record", "record_change"):
                    found.add(node.name)
    return found


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _constants(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def test_every_audit_action_the_code_writes_has_a_label():
    written: dict[str, str] = {}
    for path in (ROOT / "app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        callers = {"record", "record_change"} | _audit_helpers(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _name(call) not in callers:
                continue
            for arg in call.args[:4]:
                for text in _constants(arg):
                    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", text) and text not in PERMISSIONS:
                        written[text] = str(path.relative_to(ROOT))
    assert len(written) > 40, written  # the walk finds the code's actions
    unlabelled = {a: where for a, where in written.items() if a not in ACTIONS}
    assert unlabelled == {}, unlabelled
    for action, (zh, en) in ACTIONS.items():
        assert HAN.search(zh) and not HAN.search(en), action


def test_the_audit_filter_lists_every_action_with_its_labels(matter_client):
    client = matter_client
    listed = client.get(f"{API}/audit/actions", headers=as_(client, "admin")).json()
    assert [a["action"] for a in listed] == sorted(ACTIONS)
    deploy = next(a for a in listed if a["action"] == "definition.deploy")
    assert deploy["names"] == {"zh-CN": "发布流程", "en": "Deployed a process"}
    assert all(HAN.search(a["names"]["zh-CN"]) for a in listed)
    # the audit trail is the auditors' and admins' (audit.read): a unit's handler may not list it
    assert client.get(f"{API}/audit/actions", headers=as_(client, "fgw")).status_code == 403
