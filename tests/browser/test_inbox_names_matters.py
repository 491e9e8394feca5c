"""The inbox names what each task is about, in Chromium: a unit handler with two matters sees two
groups told apart by number and title, finds one by its number, and signs for the right one.

The matters are registered and planned over REST as the demo users; the console shows what the
inbox API (`GET /api/v1/console/inbox`) says. Screenshots go to var/screenshots/.
"""

import re
from datetime import date, timedelta
from typing import Any

from browser_helpers import (
    as_user,
    complete,
    screenshot,
)
from serviceproc import ServiceProcess

API = "/api/v1"
PROJECTS = "关于推进重点项目建设的督办事项"
BUSINESS = "关于优化营商环境的督办事项"


def assigned(service: ServiceProcess, title: str, **fields: Any) -> dict:
    """A matter registered by the office, its plan approved: 发改委 has to sign for it."""
    office, head = as_user(service, "wang.dc"), as_user(service, "li.head")
    body = {
        "title": title,
        "content": "请按期办结并报送办理情况。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "co_units": [],
        **fields,
    }
    response = office.post("/matters", json=body)
    assert response.status_code == 201, response.text
    matter: dict = response.json()
    plan = {"plan_title": title, "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    complete(office, matter["instance_id"], "draft_plan", plan)
    complete(head, matter["instance_id"], "approve_plan", {"decision": "approve"})
    return matter


def receipt(service: ServiceProcess, matter: dict) -> str:
    detail = as_user(service, "wang.dc").get(f"/matters/{matter['id']}").json()
    (lead,) = [a for a in detail["assignments"] if a["unit_code"] == "320000-FGW"]
    return str(lead["receipt"])


def test_two_matters_are_two_groups_and_the_right_one_is_signed_for(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    projects = assigned(service, PROJECTS)
    overdue_since = (date.today() - timedelta(days=60)).isoformat()
    business = assigned(service, BUSINESS, assigned_on=overdue_since)

    page.goto(f"{service.url}/tasks")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    page.locator('[data-test="demo-sun.fgw"]').click()
    page.wait_for_url(re.compile(r"/tasks(\?.*)?$"))
    groups = page.locator('[data-test="inbox-group"]')
    expect(groups).to_have_count(2)
    # Overdue first: the matter assigned two months ago, its sign-for red.
    expect(groups.nth(0).locator('[data-test="subject-code"]')).to_have_text(business["code"])
    expect(groups.nth(0).locator('[data-test="subject-title"]')).to_have_text(BUSINESS)
    expect(groups.nth(0).locator("[data-light]")).to_have_attribute("data-light", "red")
    expect(groups.nth(1).locator('[data-test="subject-code"]')).to_have_text(projects["code"])
    expect(groups.nth(1).locator('[data-test="subject-title"]')).to_have_text(PROJECTS)
    for n in (0, 1):
        expect(groups.nth(n).locator(".task-link")).to_have_text("签收或退回")
        expect(groups.nth(n)).to_contain_text("承办单位签收交办事项")
    expect(groups.nth(1).locator('[data-test="subject-link"]')).to_have_attribute(
        "href", f"/matters/{projects['id']}"
    )
    expect(page.locator('[data-test="inbox-badge"]')).to_contain_text("2")
    expect(page.locator('[data-test="inbox-tally"]')).to_contain_text("已逾期 1 项")
    screenshot(page, "console-inbox")

    # Found by its number, the matter is signed for from its own group.
    page.locator('[data-test="inbox-q"]').fill(projects["code"])
    page.locator('[data-test="inbox-search"]').click()
    expect(groups).to_have_count(1)
    expect(groups.first.locator('[data-test="subject-code"]')).to_have_text(projects["code"])
    groups.first.locator(".task-link", has_text="签收或退回").click()
    panel = page.locator('[data-test="task-panel"]')
    panel.wait_for()
    panel.get_by_text("签收", exact=True).last.click()
    panel.locator('[data-test="submit-form"]').click()
    page.locator(".el-message--success", has_text="已提交").first.wait_for()
    page.wait_for_url(re.compile(r"/tasks(\?.*)?$"))

    assert receipt(service, projects) == "signed"
    assert receipt(service, business) == "pending"
    # The signed matter now asks for its report; the other still waits to be signed for.
    page.locator('[data-test="inbox-q"]').fill("")
    page.locator('[data-test="inbox-search"]').click()
    expect(groups).to_have_count(2)
    late = groups.filter(has_text=business["code"])
    expect(late.locator(".task-link")).to_have_text("签收或退回")
    expect(groups.filter(has_text=projects["code"]).locator(".task-link")).not_to_have_text(
        "签收或退回"
    )
