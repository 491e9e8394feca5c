"""The operators' repairs in the console (issue 16), driven in Chromium against the real service.

Diagrams are deployed and instances started and moved over REST (as a tester holding every role
in the province's supervision office, the instances' owner); the console's pages do the repairs
as the demo users: the office (王督查, `wang.dc`: no audit trail, so a repair's record is its
history event) and the admin (who reads the trail, so the audit entry). Each repair asks for its
reason first and shows what it recorded. Screenshots go to var/screenshots/.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_helpers import console_service, require_browser, screenshot
from serviceproc import ROOT, ServiceProcess

API = "/api/v1"
BPMN = ROOT / "tests" / "engine" / "bpmn"
OFFICE_UNIT = "320000-DCS"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    require_browser()
    # Workers on: a migration batch runs in the background as in production.
    with console_service(tmp_path, DUCHA_WORKERS_ENABLED="true") as running:
        yield running


@pytest.fixture
def tester(service: ServiceProcess) -> Iterator[httpx.Client]:
    with service.client(unit=OFFICE_UNIT) as client:
        yield client


def deploy(client: httpx.Client, name: str) -> dict:
    files = {"file": (name, (BPMN / name).read_bytes(), "application/xml")}
    response = client.post(f"{API}/process-definitions", files=files)
    assert response.status_code in (200, 201), response.text
    deployed: dict = response.json()
    return deployed


def start(client: httpx.Client, key: str, business_key: str, **variables: Any) -> str:
    body = {"process_key": key, "business_key": business_key, "variables": variables}
    response = client.post(f"{API}/process-instances", json=body)
    assert response.status_code == 201, response.text
    instance_id: str = response.json()["id"]
    return instance_id


def detail(client: httpx.Client, instance_id: str) -> dict:
    response = client.get(f"{API}/process-instances/{instance_id}")
    assert response.status_code == 200, response.text
    found: dict = response.json()
    return found


def complete(client: httpx.Client, instance_id: str, element: str) -> httpx.Response:
    (task,) = [t for t in detail(client, instance_id)["ready_tasks"] if t["element_id"] == element]
    return client.post(f"{API}/tasks/{task['id']}/complete", json={"variables": {}})


def live(client: httpx.Client, instance_id: str) -> list[str]:
    response = client.get(f"{API}/process-instances/{instance_id}/activity-instances")
    assert response.status_code == 200, response.text
    return sorted(a["element_id"] for a in response.json()["activities"])


def sign_in_at(page: Any, service: ServiceProcess, path: str, sub: str) -> None:
    page.goto(f"{service.url}{path}")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))


def give_reason(page: Any, reason: str) -> None:
    """The confirmation every repair asks for: its reason, then 确认执行."""
    box = page.locator(".repair-confirm")
    box.locator("textarea").fill(reason)
    box.get_by_role("button", name="确认执行").click()
    box.wait_for(state="hidden")


def click_element(page: Any, element_id: str) -> None:
    page.locator(f'[data-element-id="{element_id}"] .djs-hit').first.dispatch_event("click")


def test_an_incident_is_retried_after_its_variable_is_fixed(
    page: Any, service: ServiceProcess, tester: httpx.Client
) -> None:
    from playwright.sync_api import expect

    deploy(tester, "script_task.bpmn")  # add_up: total = price * quantity
    body = {"process_key": "compute_total", "business_key": "合计-001"}
    failed = tester.post(
        f"{API}/process-instances", json={**body, "variables": {"price": None, "quantity": 2}}
    )
    assert (failed.status_code, failed.json()["code"]) == (422, "process_error"), failed.text
    instance_id = failed.json()["instance_id"]

    # The office opens the process view: the failed script is marked, with a link on it.
    sign_in_at(page, service, f"/instances/{instance_id}", "wang.dc")
    expect(page.locator('[data-test="instance-status"]')).to_have_text("出错")
    expect(page.locator('.djs-element.bpmn-failed[data-element-id="add_up"]')).to_have_count(1)
    expect(page.locator('[data-overlay-for="add_up"]')).to_be_visible()

    # The price is fixed in the variables tab (kept for the retry: the instance is in error).
    page.get_by_role("tab", name=re.compile("流程变量")).click()
    page.locator('[data-test="variable-edit-price"]').click()
    dialog = page.locator('[data-test="variable-dialog"]')
    dialog.get_by_text("数字", exact=True).click()
    dialog.locator('[data-test="variable-value"]').fill("3")
    dialog.locator('[data-test="variable-save"]').click()
    expect(page.locator(".repair-confirm")).to_contain_text("price：null → 3")
    give_reason(page, "登记时单价漏填，应为 3 元")
    recorded = page.locator('[data-test="recorded"]')
    expect(recorded).to_have_attribute("data-action", "variables_set")
    expect(recorded).to_contain_text("登记时单价漏填，应为 3 元")
    expect(page.locator('[data-variable="price"]')).to_have_text("3")

    # The failed marker's link leads to the incidents page, filtered to this instance and element.
    page.locator('[data-overlay-for="add_up"]').click()
    page.wait_for_url(re.compile(r"/ops/incidents\?.*element_id=add_up"))
    incidents = page.locator('[data-test="incidents"]')
    expect(incidents).to_contain_text("流程执行出错")
    expect(incidents).to_contain_text("price")
    expect(incidents.locator('[data-test="incident-instance"]')).to_have_text("合计-001")
    expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
    screenshot(page, "console-ops-incidents")

    incidents.locator('[data-test="incident-retry"]').click()
    page.locator('[data-test="retry-submit"]').click()
    give_reason(page, "单价已更正，重新计算")
    recorded = page.locator('[data-test="recorded"]')
    expect(recorded).to_have_attribute("data-action", "incident_resolved")
    expect(recorded.locator('[data-test="recorded-actor"]')).to_have_text("wang.dc")
    expect(incidents.locator(".el-table__row")).to_have_count(0)  # no open incident left

    after = detail(tester, instance_id)
    assert (after["status"], after["variables"]["total"]) == ("running", 6)
    assert [t["element_id"] for t in after["ready_tasks"]] == ["confirm_total"]
    listed = tester.get(f"{API}/incidents", params={"process_instance_id": instance_id}).json()
    (closed,) = listed["items"]
    assert (closed["state"], closed["resolution"], closed["resolved_by"]) == (
        "resolved",
        "retried",
        "wang.dc",
    )


def test_a_modification_cancels_a_task_and_starts_before_another(
    page: Any, service: ServiceProcess, tester: httpx.Client
) -> None:
    from playwright.sync_api import expect

    deploy(tester, "five_steps.bpmn")
    instance_id = start(tester, "five_steps", "五步-001")
    assert live(tester, instance_id) == ["step_1"]

    sign_in_at(page, service, f"/instances/{instance_id}", "admin")
    page.get_by_role("tab", name="实例修改").click()
    tree = page.locator('[data-test="activity-tree"]')
    expect(tree.locator('[data-activity="step_1"]')).to_be_visible()

    # Cancel step 1; start before step 3, picked on the diagram.
    page.locator('[data-test="cancel-step_1"]').click()
    page.locator('[data-test="pick-on-diagram"]').click()
    click_element(page, "step_3")
    expect(page.locator('.djs-element.bpmn-picked[data-element-id="step_3"]')).to_have_count(1)
    page.locator('[data-test="add-start"]').click()
    instructions = page.locator('[data-test="instructions"]')
    expect(instructions).to_contain_text("取消“Step 1（step_1）”")
    expect(instructions).to_contain_text("在“Step 3（step_3）”之前启动")
    screenshot(page, "console-ops-modification")

    page.locator('[data-test="modification-submit"]').click()
    give_reason(page, "第一步已线下完成，直接进入第三步")
    recorded = page.locator('[data-test="recorded"]')
    expect(recorded).to_have_attribute("data-action", "instance.modify")
    expect(recorded).to_have_attribute("data-source", "audit")
    expect(recorded).to_contain_text("系统管理员（admin）")
    expect(recorded).to_contain_text("第一步已线下完成，直接进入第三步")
    expect(tree.locator('[data-activity="step_3"]')).to_be_visible()
    expect(tree.locator('[data-activity="step_1"]')).to_have_count(0)
    expect(page.locator('.djs-element.bpmn-active[data-element-id="step_3"]')).to_have_count(1)

    assert live(tester, instance_id) == ["step_3"]
    trail = tester.get(f"{API}/audit", params={"action": "instance.modify"}).json()["items"]
    assert [(r["object_id"], r["actor_sub"]) for r in trail] == [(instance_id, "admin")]
    assert [i["type"] for i in trail[0]["data"]["instructions"]] == ["cancel", "start_before"]


def test_the_migration_wizard_moves_instances_from_v1_to_v2(
    page: Any, service: ServiceProcess, tester: httpx.Client
) -> None:
    from playwright.sync_api import expect

    deploy(tester, "migration_called.bpmn")
    v1 = deploy(tester, "migration_v1.bpmn")
    waiting = [start(tester, "migration_case", f"案件-{n}", path="review") for n in range(3)]
    v2 = deploy(tester, "migration_v2.bpmn")  # renames review → check_report
    assert (v1["version"], v2["version"]) == (1, 2)

    sign_in_at(page, service, "/ops/migrations", "wang.dc")
    versions = page.locator('[data-test="migration-versions"]')
    versions.locator('[data-test="source-process"]').click()
    page.locator(".el-select-dropdown__item:visible", has_text="migration_case").click()
    expect(versions.locator('[data-test="source-version"]')).to_contain_text("v1")
    expect(versions.locator('[data-test="target-version"]')).to_contain_text("v2")
    versions.locator('[data-test="make-plan"]').click()

    # The plan: 'review' is unmapped (v2 has no such element); mapped by hand to check_report.
    plan = page.locator('[data-test="migration-plan"]')
    expect(plan.locator('[data-unmapped="review"]')).to_be_visible()
    plan.locator('[data-test="map-review"]').click()
    page.locator(".el-select-dropdown__item:visible", has_text="check_report").click()
    plan.locator('[data-test="add-map-review"]').click()
    expect(plan.locator('[data-test="explicit-mappings"]')).to_contain_text("check_report")
    expect(plan.locator('[data-unmapped="review"]')).to_have_count(0)
    instructions = plan.locator('[data-test="plan-instructions"]')
    expect(instructions.locator("tr", has_text="check_report")).to_contain_text("手工")
    page.locator('[data-test="migration-wizard"]').evaluate("wizard => wizard.scrollIntoView()")
    screenshot(page, "console-ops-migration-plan")
    plan.locator('[data-test="plan-next"]').click()

    # All instances of v1, a dry run: three migratable, review → check_report.
    selection = page.locator('[data-test="migration-selection"]')
    selection.locator('[data-test="dry-run"]').click()
    expect(selection.locator('[data-test="dry-run-counts"]')).to_contain_text("可迁移 3")
    expect(selection.locator('[data-test="dry-run-report"]')).to_contain_text("check_report")
    selection.locator('[data-test="selection-next"]').click()

    page.locator('[data-test="execute"]').click()
    give_reason(page, "第二版流程修正了审核环节")
    recorded = page.locator('[data-test="recorded"]')
    expect(recorded).to_have_attribute("data-action", "migration.create")
    expect(recorded).to_contain_text("第二版流程修正了审核环节")
    batch = page.locator('[data-test="migration-batch"]')
    expect(batch).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(batch.locator('[data-test="batch-counts"]')).to_contain_text("已迁移 3")
    expect(batch.locator('[data-test="batch-items"] .el-table__row')).to_have_count(3)
    expect(page.locator('[data-test="migration-batches"]')).to_contain_text("migration_case")
    expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
    screenshot(page, "console-ops-migration")

    for instance_id in waiting:
        moved = detail(tester, instance_id)
        assert (moved["version"], [t["element_id"] for t in moved["ready_tasks"]]) == (
            2,
            ["check_report"],
        )


def test_suspension_and_the_duration_heatmap(
    page: Any, service: ServiceProcess, tester: httpx.Client
) -> None:
    from playwright.sync_api import expect

    deploy(tester, "five_steps.bpmn")
    done = [start(tester, "five_steps", f"五步-{n}") for n in range(2)]
    for instance_id in done:
        assert complete(tester, instance_id, "step_1").status_code == 200
    instance_id = start(tester, "five_steps", "五步-挂起")

    # Suspend: its task cannot be completed; activate: it can.
    sign_in_at(page, service, f"/instances/{instance_id}", "admin")
    page.locator('[data-test="instance-suspend"]').click()
    give_reason(page, "等待省领导批示后再办理")
    expect(page.locator('[data-test="instance-status"]')).to_have_text("已挂起")
    recorded = page.locator('[data-test="recorded"]')
    expect(recorded).to_have_attribute("data-action", "instance.suspend")
    refused = complete(tester, instance_id, "step_1")
    assert (refused.status_code, refused.json()["code"]) == (409, "suspended"), refused.text
    page.locator('[data-test="instance-activate"]').click()
    give_reason(page, "已有批示，继续办理")
    expect(page.locator('[data-test="instance-status"]')).to_have_text("运行中")
    expect(recorded).to_have_attribute("data-action", "instance.activate")
    expect(recorded).to_contain_text("已有批示，继续办理")
    assert detail(tester, instance_id)["status"] == "running"

    # The heatmap over the instance's diagram: step 1 has completed twice.
    page.locator('[data-test="heatmap-switch"]').click()
    expect(page.locator('[data-overlay-for="step_1"]')).to_be_visible()
    expect(
        page.locator('.djs-element[data-element-id="step_1"][class*="bpmn-heat-"]')
    ).to_have_count(1)
    page.locator('[data-test="version-stats-link"]').click()

    # The definitions page opens that version with its heatmap and statistics.
    page.wait_for_url(re.compile(r"/definitions/five_steps\?.*heat=1"))
    right = page.locator('[data-test="version-right"]')
    expect(right.locator('[data-overlay-for="step_1"]')).to_be_visible()
    expect(right.locator('[data-test="heatmap-legend"]')).to_be_visible()
    stats = right.locator('[data-test="element-stats"]')
    expect(stats.locator("tr", has=page.locator('[data-stats="step_1"]'))).to_contain_text("2")
    expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
    screenshot(page, "console-ops-heatmap")

    # The version suspended: no new instance starts.
    right.locator('[data-test="version-suspend"]').click()
    page.locator('[data-test="version-suspension-next"]').click()
    give_reason(page, "流程修订期间暂停发起")
    expect(page.locator('[data-test="recorded"]')).to_have_attribute(
        "data-action", "definition.suspend"
    )
    expect(right.locator('[data-test="version-suspended"]')).to_be_visible()
    body = {"process_key": "five_steps", "business_key": "五步-新"}
    refused = tester.post(f"{API}/process-instances", json=body)
    assert (refused.status_code, refused.json()["code"]) == (409, "definition_suspended")
