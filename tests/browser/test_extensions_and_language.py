"""Extension requests (延期申请) on the matter page, the English switch and keyboard sign-in.

A matter is registered and taken to handling over REST as the demo users (their tokens from the
service's demo-user list); in Chromium the unit's handler files an extension — a date before the
current due is refused at its field, then fixed — and the office approves it: the deadline moves.
Screenshots go to var/screenshots/.
"""

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from browser_helpers import (
    as_user,
    complete,
    screenshot,
    sign_in_at,
)
from serviceproc import ServiceProcess

API = "/api/v1"
TITLE = "关于加快推进城市燃气管道更新改造的督办"


def demo_token(service: ServiceProcess, sub: str) -> str:
    users = httpx.get(f"{service.url}{API}/console/demo-users", timeout=30).json()
    (token,) = [u["token"] for u in users if u["sub"] == sub]
    return str(token)


def matter_in_handling(service: ServiceProcess) -> dict:
    """Registered by the office, plan drafted and approved, signed for by the lead unit."""
    office, head = as_user(service, "wang.dc"), as_user(service, "li.head")
    unit = as_user(service, "sun.fgw")
    body = {
        "title": TITLE,
        "content": "请发改委牵头，年内完成城市燃气管道更新改造任务并报送办理情况。",
        "category": "key_work",
        "source_type": "other",
        "lead_unit": "320000-FGW",
        "co_units": [],
        "explicit_due": (date.today() + timedelta(days=40)).isoformat(),
    }
    response = office.post("/matters", json=body)
    assert response.status_code == 201, response.text
    matter: dict = response.json()
    instance_id = matter["instance_id"]
    plan = {
        "plan_title": "城市燃气管道更新改造督查方案",
        "plan_content": "发改委牵头，按月报告进展。",
        "lead_unit": "320000-FGW",
        "joint": False,
    }
    complete(office, instance_id, "draft_plan", plan)
    complete(head, instance_id, "approve_plan", {"decision": "approve"})
    complete(unit, instance_id, "sign_for", {"decision": "sign"})
    detail: dict = unit.get(f"/matters/{matter['id']}").json()
    assert detail["status"] == "handling"
    return detail


def pick_date(field: Any, value: str) -> None:
    box = field.locator("input")
    box.fill(value)
    box.press("Enter")


def test_a_unit_requests_an_extension_and_the_office_approves(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    matter = matter_in_handling(service)
    (open_deadline,) = [
        d for d in matter["deadlines"] if d["unit_code"] == "320000-FGW" and not d["done_on"]
    ]
    due = date.fromisoformat(open_deadline["due"])
    path = f"/matters/{matter['id']}"

    # The unit's handler opens the matter and asks for an extension of its open deadline.
    sign_in_at(page, service, path, "sun.fgw")
    expect(page.locator('[data-test="matter-title"]')).to_contain_text(TITLE)
    page.locator('[data-test="request-extension"]').click()
    dialog = page.locator('[data-test="extension-dialog"]')
    expect(dialog.locator('[data-test="current-due"]')).to_have_text(due.isoformat())
    dialog.locator('[data-field="reason"] textarea').fill("管道普查数据量大，施工需避开供暖季。")
    dialog.locator('[data-field="progress"] textarea').fill("已完成全部管线普查和一期改造设计。")
    # A date before the current due: the service refuses it at the field it names.
    requested = dialog.locator('[data-field="requested_due"]')
    pick_date(requested, (due - timedelta(days=3)).isoformat())
    dialog.locator('[data-test="extension-submit"]').click()
    error = requested.locator(".el-form-item__error")
    expect(error).to_be_visible()
    expect(error).to_have_text(f"须晚于现时限 {due.isoformat()}")
    expect(dialog.locator('[data-test="extension-problem"]')).to_contain_text("请按提示修改")
    screenshot(page, "console-extension-error")

    # Fixed: the request is filed and shows as pending.
    new_due = (due + timedelta(days=30)).isoformat()
    pick_date(requested, new_due)
    dialog.locator('[data-test="extension-submit"]').click()
    expect(dialog).to_be_hidden()
    extensions = page.locator('[data-test="extensions"]')
    expect(extensions).to_contain_text(new_due)
    expect(extensions.locator('[data-test="extension-status-pending"]')).to_have_text("待审批")
    # A unit may not decide.
    expect(page.locator('[data-test="extension-approve"]')).to_have_count(0)
    page.locator('[data-test="sign-out"]').click()
    page.wait_for_url(re.compile(r"/login"))

    # The office sees the pending request and approves it: the deadline moves.
    sign_in_at(page, service, path, "wang.dc")
    expect(page.locator('[data-test="request-extension"]')).to_have_count(0)
    page.locator('[data-test="extensions-tab"]').click()
    extensions.locator('[data-test="extension-approve"]').click()
    decision = page.locator('[data-test="decision-dialog"]')
    expect(decision).to_contain_text(new_due)
    decision.locator('[data-field="comment"] textarea').fill("同意延期，请抓紧推进。")
    page.wait_for_timeout(400)  # the dialog's fade-in
    screenshot(page, "console-extension")
    decision.locator('[data-test="decision-submit"]').click()
    expect(decision).to_be_hidden()
    deadlines = page.locator('[data-test="deadlines"]')
    expect(deadlines.locator('[data-test="deadline-due"]', has_text=new_due)).to_have_count(1)
    expect(deadlines.locator('[data-test="deadline-was"]')).to_have_text(f"原 {due.isoformat()}")
    expect(extensions.locator('[data-test="extension-status-approved"]')).to_have_text("已批准")
    expect(page.locator('[data-test="timeline"]')).to_contain_text("同意延期")
    deadlines.evaluate("table => table.scrollIntoView()")
    screenshot(page, "console-extension-approved")

    # The API agrees.
    detail = as_user(service, "wang.dc").get(f"/matters/{matter['id']}").json()
    (moved,) = [d for d in detail["deadlines"] if d["id"] == open_deadline["id"]]
    assert moved["due"] == new_due


def test_the_english_switch(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    sign_in_at(page, service, "/matters", "wang.dc")
    menu = page.locator(".aside .el-menu")
    title = page.locator(".page-title h1")
    expect(menu).to_contain_text("督查事项")
    expect(title).to_have_text("督查事项")

    page.locator(".header").get_by_role("button", name="English").click()
    expect(menu).to_contain_text("Matters")
    expect(menu).to_contain_text("My tasks")
    expect(title).to_have_text("Matters")
    expect(page.locator('[data-test="sign-out"]')).to_have_text("Sign out")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator(".header").get_by_role("button", name="中文").click()
    expect(menu).to_contain_text("督查事项")
    expect(menu).to_contain_text("我的待办")
    expect(title).to_have_text("督查事项")
    expect(page.locator('[data-test="sign-out"]')).to_have_text("退出")


def test_signing_in_from_the_keyboard(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    token = demo_token(service, "sun.fgw")
    page.goto(f"{service.url}/login")
    field = page.locator('[data-test="token"]')
    field.wait_for()
    page.locator('[data-test="demo-sun.fgw"]').wait_for()
    focused = "document.activeElement && document.activeElement.closest('[data-test=\"token\"]')"
    for _ in range(10):  # the language switch comes first; the token field soon after
        page.keyboard.press("Tab")
        if page.evaluate(f"!!({focused})"):
            break
    else:
        pytest.fail("Tab never reached the token field")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    who = page.locator('[data-test="who"]')
    expect(who).to_contain_text("孙承办")
    expect(who).to_contain_text("江苏省发展和改革委员会")
    page.wait_for_url(re.compile(r"/tasks$"))
