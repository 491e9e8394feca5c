"""The modeler and the operations pages, driven in Chromium against the real service.

A process designer opens a deployed diagram, breaks a flow's condition in the properties panel,
validates and sees the error on the element it names, fixes it, sets a user task's due date and
deploys version 2. An admin goes through the operations pages (timers, external tasks, a webhook
subscription, units, the audit trail with its verification); an auditor sees the audit page.
Screenshots go to var/screenshots/.
"""

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from browser_helpers import screenshot
from serviceproc import ROOT, ServiceProcess

DIAGRAM = ROOT / "tests" / "engine" / "bpmn" / "exclusive_gateway.bpmn"
KEY = "route_by_amount"


def api(
    service: ServiceProcess,
    path: str,
    sub: str,
    *,
    data: bytes | None = None,
    content_type: str | None = None,
) -> Any:
    """Call /api/v1 as a demo user (their token from the demo-users endpoint)."""
    with urllib.request.urlopen(f"{service.url}/api/v1/console/demo-users") as response:
        users = json.load(response)
    token = next(u["token"] for u in users if u["sub"] == sub)
    request = urllib.request.Request(f"{service.url}/api/v1{path}", data=data)
    request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return json.loads(body) if body[:1] in (b"{", b"[") else body.decode()


def deploy(service: ServiceProcess, path: Path) -> dict:
    boundary = "----ducha-test-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/xml\r\n\r\n"
    )
    body = head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return api(
        service,
        "/process-definitions",
        "designer",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def sign_in_as(page: Any, sub: str) -> None:
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()


def sign_out(page: Any) -> None:
    page.locator('[data-test="sign-out"]').click()
    page.wait_for_url(re.compile(r"/login"))


def select_element(page: Any, element_id: str) -> None:
    # A horizontal flow has a zero-height box, which Playwright will not click: send the click
    # to the element's hit area as bpmn-js listens for it.
    page.locator(f'[data-element-id="{element_id}"] .djs-hit').first.dispatch_event("click")
    page.locator(f'.djs-element.selected[data-element-id="{element_id}"]').wait_for(
        state="attached"
    )


def test_a_designer_validates_fixes_and_deploys(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    first = deploy(service, DIAGRAM)
    assert (first["key"], first["version"]) == (KEY, 1)

    page.goto(f"{service.url}/modeler/{first['id']}")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    sign_in_as(page, "designer")
    page.wait_for_url(re.compile(rf"/modeler/{first['id']}$"))
    expect(page.locator('[data-test="modeler-title"]')).to_contain_text("版本 1")
    page.locator('[data-element-id="flow_large"]').first.wait_for(state="attached")

    # Break the flow's condition in the properties panel.
    select_element(page, "flow_large")
    condition = page.locator('[data-test="prop-condition"]')
    expect(condition).to_have_value("amount > 1000")
    condition.fill("amount.__class__ > 1000")
    condition.press("Tab")
    page.locator('[data-test="validate"]').click()

    # The 422 names the gateway: a red marker and a badge on it, the message in the list.
    errors = page.locator('[data-test="errors"]')
    expect(errors).to_contain_text("amount_is_large")
    expect(errors).to_contain_text("refused")
    expect(
        page.locator('.djs-element.ducha-invalid[data-element-id="amount_is_large"]')
    ).to_have_count(1)
    expect(page.locator('[data-error-for="amount_is_large"]')).to_be_visible()
    errors.locator('[data-error-element="amount_is_large"]').first.click()
    page.locator('.djs-element.selected[data-element-id="amount_is_large"]').wait_for(
        state="attached"
    )
    screenshot(page, "console-modeler-error")

    # Fix it; give the director's task a due date (a spiffworkflow property); validate again.
    select_element(page, "flow_large")
    condition = page.locator('[data-test="prop-condition"]')
    condition.fill("amount > 2000")
    condition.press("Tab")
    select_element(page, "director_approves")
    due = page.locator('[data-test="prop-dueDate"]')
    due.fill("P3D")
    due.press("Tab")
    page.locator('[data-test="validate"]').click()
    expect(page.locator('[data-test="valid"]')).to_be_visible()
    expect(page.locator(".djs-element.ducha-invalid")).to_have_count(0)
    expect(page.locator('[data-test="warnings"]')).to_have_count(0)  # nothing ignored here
    expect(page.locator('[data-test="properties-panel"]')).to_contain_text("dueDate")
    screenshot(page, "console-modeler")

    # Deploy: version 2, and the service has it with both changes.
    page.locator('[data-test="deploy"]').click()
    page.locator(".el-message--success", has_text="版本 2").first.wait_for()
    expect(page.locator('[data-test="modeler-title"]')).to_contain_text("版本 2")
    listed = api(service, f"/process-definitions?key={KEY}", "designer")
    assert sorted(d["version"] for d in listed["items"]) == [1, 2]
    second = next(d for d in listed["items"] if d["version"] == 2)
    assert page.url.endswith(f"/modeler/{second['id']}")
    xml = api(service, f"/process-definitions/{second['id']}/xml", "designer")
    assert "amount &gt; 2000" in xml
    assert re.search(r'<spiffworkflow:property name="dueDate" value="P3D"\s*/>', xml), xml


def test_the_modeler_says_which_attributes_deploy_reads_but_does_not_use(
    page: Any, service: ServiceProcess, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # Camunda Modeler's asynchronous continuation changes nothing in Ducha: a warning, not silence.
    xml = (
        DIAGRAM.read_text(encoding="utf-8")
        .replace(
            'xmlns:spiffworkflow="',
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow="',
        )
        .replace(
            '<bpmn:userTask id="director_approves"',
            '<bpmn:userTask id="director_approves" camunda:asyncBefore="true"',
        )
    )
    diagram = tmp_path / "exclusive_gateway.bpmn"
    diagram.write_text(xml, encoding="utf-8")
    deployed = deploy(service, diagram)
    assert [w["attribute"] for w in deployed["warnings"]] == ["camunda:asyncBefore"]

    page.goto(f"{service.url}/modeler/{deployed['id']}")
    sign_in_as(page, "designer")
    page.locator('[data-element-id="director_approves"]').first.wait_for(state="attached")
    page.locator('[data-test="validate"]').click()
    expect(page.locator('[data-test="valid"]')).to_be_visible()
    warnings = page.locator('[data-test="warnings"]')
    expect(warnings).to_contain_text("camunda:asyncBefore")
    warnings.locator('[data-warning-element="director_approves"]').click()
    page.locator('.djs-element.selected[data-element-id="director_approves"]').wait_for(
        state="attached"
    )


def test_operations_for_an_admin_and_audit_for_an_auditor(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{service.url}/ops")
    sign_in_as(page, "admin")
    page.wait_for_url(re.compile(r"/ops/jobs$"))
    page.locator('[data-test="jobs"]').wait_for()
    expect(page.locator('[data-test="ops-tabs"]')).to_contain_text("外部任务")

    page.locator('[data-test="ops-tabs"] a', has_text="外部任务").click()
    page.wait_for_url(re.compile(r"/ops/external-tasks"))
    page.locator('[data-test="external-tasks"]').wait_for()

    # A webhook subscription: the secret is shown once; then deactivated.
    page.locator('[data-test="ops-tabs"] a', has_text="Webhook").click()
    page.locator('[data-test="new-webhook"]').click()
    page.locator('[data-test="webhook-url"]').fill("http://127.0.0.1:9/ducha-events")
    page.locator('[data-test="webhook-types"]').fill("matter.*, task.created")
    page.locator('[data-test="create-webhook"]').click()
    expect(page.locator('[data-test="webhook-secret"]')).to_have_value(re.compile(r"^whsec_"))
    page.keyboard.press("Escape")
    hooks = page.locator('[data-test="webhooks"]')
    expect(hooks).to_contain_text("http://127.0.0.1:9/ducha-events")
    expect(hooks).to_contain_text("启用")
    hooks.get_by_role("button", name="停用").click()
    expect(hooks).to_contain_text("已停用")
    hooks.get_by_role("link", name="投递记录").click()
    page.locator('[data-test="deliveries"]').wait_for()

    page.locator('[data-test="ops-tabs"] a', has_text="单位").click()
    expect(page.locator('[data-test="units"]')).to_contain_text("江苏省人民政府")

    page.locator('[data-test="ops-tabs"] a', has_text="审计日志").click()
    page.wait_for_url(re.compile(r"/audit$"))
    expect(page.locator('[data-test="audit-verify"]')).to_contain_text("审计链完整")
    expect(page.locator('[data-test="audit"] [data-action="webhook.create"]').first).to_have_text(
        "新建 Webhook 订阅"
    )
    expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
    screenshot(page, "console-ops")
    sign_out(page)

    # The auditor: the audit page, and no operations menu.
    page.goto(f"{service.url}/audit")
    sign_in_as(page, "chen.audit")
    page.wait_for_url(re.compile(r"/audit$"))
    expect(page.locator('[data-test="audit-verify"]')).to_contain_text("审计链完整")
    expect(page.locator('[data-test="audit"] [data-action="webhook.update"]').first).to_have_text(
        "修改 Webhook 订阅"
    )
    expect(page.locator(".el-menu")).not_to_contain_text("运维")
