"""The dashboard (督查看板), the process view (流程视图) and the definitions page in Chromium.

Matters are registered and moved over REST as the demo users (their tokens from the service's
demo-user list); the console shows what the API says. Screenshots go to var/screenshots/.
"""

import re
from datetime import date, timedelta
from typing import Any

import httpx
from browser_helpers import (
    as_user,
    complete,
    screenshot,
    sign_in_at,
)
from serviceproc import ROOT, ServiceProcess

API = "/api/v1"


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def register(office: httpx.Client, **fields: Any) -> dict:
    body = {
        "title": "关于推进重点项目建设的督办事项",
        "content": "请按期办结并报送办理情况。",
        "category": "key_work",
        "source_type": "annual_key_work",
        "lead_unit": "320000-FGW",
        "co_units": [],
        **fields,
    }
    response = office.post("/matters", json=body)
    assert response.status_code == 201, response.text
    matter: dict = response.json()
    return matter


def test_dashboard_counts_follow_a_registration(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    office = as_user(service, "wang.dc")
    # Some matters to chart: categories, units, months, one overdue.
    register(office)
    register(office, category="reform", source_type="meeting", lead_unit="320000-ZJT")
    register(
        office,
        category="leader_instruction",
        source_type="leader_instruction",
        lead_unit="320000-JYT",
        assigned_on=days_ago(75),
    )
    register(
        office,
        category="meeting_document_policy",
        source_type="reform_deployment",
        lead_unit="320000-ZJT",
        assigned_on=days_ago(60),
        explicit_due=days_ago(20),
    )

    sign_in_at(page, service, "/dashboard", "wang.dc")
    expect(page.locator('[data-test="tile-total"]')).to_have_text("4")
    category = page.locator(
        '[data-test="table-by-category"] tr[data-key="key_work"] td[data-col="0"]'
    )
    expect(category).to_have_text("1")
    lights = {
        light: int(page.locator(f'[data-test="light-{light}"]').inner_text())
        for light in ("green", "yellow", "red")
    }
    expect(page.locator('[data-test="overdue-list"]')).to_contain_text("住房和城乡建设厅")
    expect(page.locator('[data-test="overdue-total"]')).not_to_have_text("0")

    # The office registers another key-work matter over REST; a reload counts it.
    added = register(office, lead_unit="320000-FGW")
    page.reload()
    expect(page.locator('[data-test="tile-total"]')).to_have_text("5")
    expect(category).to_have_text("2")
    light = added["light"]
    expect(page.locator(f'[data-test="light-{light}"]')).to_have_text(str(lights[light] + 1))
    unit = page.locator('[data-test="table-by-unit"] tr[data-key="320000-FGW"] td[data-col="0"]')
    expect(unit).to_have_text("2")
    page.locator('[data-test="chart-by-category"] canvas').first.wait_for()
    page.wait_for_timeout(800)  # the charts' entry animation
    screenshot(page, "console-dashboard")

    # A chart saves as PNG; the overdue list as .xlsx.
    with page.expect_download() as png:
        page.locator('[data-test="png-by-light"]').click()
    assert png.value.suggested_filename == "by-light.png"
    with page.expect_download() as xlsx:
        page.locator('[data-test="export-overdue"]').click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")


def test_the_process_view_marks_the_instance(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    office, head = as_user(service, "wang.dc"), as_user(service, "li.head")
    matter = register(office, title="关于加快城市更新项目建设的督办")
    instance_id = matter["instance_id"]
    plan = {
        "plan_title": "城市更新项目督查方案",
        "plan_content": "发改委牵头，按月报告。",
        "lead_unit": "320000-FGW",
        "joint": False,
    }
    complete(office, instance_id, "draft_plan", plan)
    complete(head, instance_id, "approve_plan", {"decision": "approve"})

    # From the matter page's link to the instance.
    sign_in_at(page, service, f"/matters/{matter['id']}", "wang.dc")
    page.locator('[data-test="matter-instance"]').click()
    page.wait_for_url(re.compile(rf"/instances/{instance_id}$"))

    def element(element_id: str) -> Any:
        return page.locator(f'g.djs-element[data-element-id="{element_id}"]')

    # The matter's diagram, and the plan approval it calls (run inside the same instance).
    expect(element("sign_for")).to_have_class(re.compile(r"\bbpmn-active\b"))
    expect(element("plan_approval")).to_have_class(re.compile(r"\bbpmn-completed\b"))
    expect(element("sign_for_overdue")).to_have_class(re.compile(r"\bbpmn-timer\b"))
    expect(element("draft_plan")).to_have_class(re.compile(r"\bbpmn-completed\b"))
    expect(element("approve_plan")).to_have_class(re.compile(r"\bbpmn-completed\b"))
    expect(element("submit_final_report")).not_to_have_class(re.compile(r"bpmn-"))
    expect(page.locator('[data-test="legend"]')).to_contain_text("已完成")

    history = page.locator('[data-test="history"]')
    for done in ("draft_plan", "approve_plan"):
        row = history.locator("tr", has=page.locator(f'[data-element="{done}"]')).filter(
            has_text="任务完成"
        )
        expect(row).to_have_count(1)
    expect(history.locator("tr", has_text="li.head").first).to_be_visible()
    screenshot(page, "console-process")

    # Clicking an element shows its history only.
    element("draft_plan").click()
    expect(history.locator('[data-element="draft_plan"]').first).to_be_visible()
    expect(history.locator('[data-element="approve_plan"]')).to_have_count(0)

    # The ready task links back to the inbox.
    page.get_by_role("tab", name=re.compile("当前任务")).click()
    expect(page.locator('[data-test="ready-tasks"]')).to_contain_text("签收或退回")


def test_definitions_side_by_side(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    designer = as_user(service, "designer")
    key = "supervision_plan_approval"
    (v1,) = designer.get("/process-definitions", params={"key": key}).json()["items"]
    source = designer.get(f"/process-definitions/{v1['id']}/xml").text
    # Version 2: the same elements under a new name.
    changed = source.replace(
        'name="督查方案审批" isExecutable', 'name="督查方案审批（修订）" isExecutable'
    )
    forms = ROOT / "processes" / "forms"
    files = [("file", (f"{key}.bpmn", changed.encode(), "application/xml"))]
    for form in ("plan_cosign.json", "plan_draft.json", "plan_review.json"):
        files.append(("forms", (form, (forms / form).read_bytes(), "application/json")))
    deployed = designer.post("/process-definitions", files=files)
    assert deployed.status_code == 201, deployed.text
    v2 = deployed.json()
    assert v2["version"] == 2

    sign_in_at(page, service, "/definitions", "designer")
    page.locator('[data-test="definitions"] span.mono', has_text=re.compile(f"^{key}$")).click()
    page.wait_for_url(re.compile(rf"/definitions/{key}$"))
    left, right = (
        page.locator('[data-test="version-left"]'),
        page.locator('[data-test="version-right"]'),
    )
    for side in (left, right):
        expect(side.locator('g.djs-element[data-element-id="draft_plan"]')).to_have_count(1)
    expect(left).to_contain_text("v1")
    expect(right).to_contain_text("v2")
    expect(page.locator('[data-test="added-count"]')).to_have_text("0")
    expect(page.locator('[data-test="removed-count"]')).to_have_text("0")
    expect(right.locator('[data-test="open-modeler-right"]')).to_have_attribute(
        "href", f"/modeler/{v2['id']}"
    )
