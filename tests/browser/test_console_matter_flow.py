"""A matter from registration to closure, driven through the console in Chromium.

The office registers it, the office head approves the plan, the lead unit signs for it and
reports through the rendered form (a validation error shown at the field, then fixed), the office
reviews and evaluates, and the matter page shows it closed. Screenshots go to var/screenshots/.
"""

import re
from datetime import date, timedelta
from typing import Any

from browser_helpers import screenshot
from serviceproc import ServiceProcess

TITLE = "关于推进老旧小区改造民生实事的督办"


def sign_in_as(page: Any, sub: str) -> None:
    """On the sign-in page: click a demo user."""
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()


def sign_out(page: Any) -> None:
    page.locator('[data-test="sign-out"]').click()
    page.wait_for_url(re.compile(r"/login"))


def choose(page: Any, field: Any, option: str) -> None:
    """Open an Element Plus select (or tree select) in `field` and click the visible option."""
    field.locator(".el-select__wrapper").click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def open_task(page: Any, name: str) -> Any:
    """From the inbox, open the task called `name`; returns its panel."""
    page.locator(".task-link", has_text=name).first.click()
    panel = page.locator('[data-test="task-panel"]')
    panel.wait_for()
    return panel


def submit_task(page: Any, panel: Any) -> None:
    """Submit the form; the drawer closes back to the inbox."""
    panel.locator('[data-test="submit-form"]').click()
    page.locator(".el-message--success", has_text="已提交").first.wait_for()
    page.wait_for_url(re.compile(r"/tasks(\?.*)?$"))


def test_a_matter_from_registration_to_closure(page: Any, service: ServiceProcess) -> None:
    from playwright.sync_api import expect

    # A shared link opens after sign-in.
    page.goto(f"{service.url}/matters")
    page.wait_for_url(re.compile(r"/login\?redirect=/matters"))
    page.locator('[data-test="demo-wang.dc"]').wait_for()
    screenshot(page, "console-login")
    sign_in_as(page, "wang.dc")
    page.wait_for_url(re.compile(r"/matters$"))
    expect(page.locator('[data-test="who"]')).to_contain_text("王督查")
    expect(page.locator('[data-test="who"]')).to_contain_text("江苏省人民政府督查室")

    # 立项 by the office.
    page.locator('[data-test="register"]').click()
    dialog = page.locator('[data-test="register-dialog"]')
    dialog.locator('[data-field="title"] input').fill(TITLE)
    content = dialog.locator('[data-field="content"] textarea')
    content.fill("请发改委牵头，年内完成老旧小区改造任务。")
    choose(page, dialog.locator('[data-field="category"]'), "重点工作、重大项目、民生实事")
    choose(page, dialog.locator('[data-field="source_type"]'), "其他")
    lead = dialog.locator('[data-field="lead_unit"]')
    lead.locator(".el-select__wrapper").click()
    lead.locator("input").fill("发展和改革委员会")
    page.locator(".el-select-dropdown__item:visible", has_text="江苏省发展和改革委员会").click()
    due = (date.today() + timedelta(days=45)).isoformat()
    due_input = dialog.locator('[data-field="explicit_due"] input')
    due_input.fill(due)
    due_input.press("Enter")
    dialog.locator('[data-test="register-submit"]').click()
    page.wait_for_url(re.compile(r"/matters/[0-9a-f-]{36}$"))
    matter_url = page.url
    expect(page.locator('[data-test="matter-title"]')).to_contain_text(TITLE)

    # The office drafts the plan: the form comes filled from the matter.
    page.locator(".tasks a").first.click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]{36}"))
    panel = page.locator('[data-test="task-panel"]')
    expect(panel.locator('[data-field="plan_title"] input')).to_have_value(TITLE)
    submit_task(page, panel)
    sign_out(page)

    # The office head follows the matter's link, signs in, and approves the plan from the inbox.
    page.goto(matter_url)
    page.wait_for_url(re.compile(r"/login\?redirect="))
    sign_in_as(page, "li.head")
    page.wait_for_url(matter_url)
    page.goto(f"{service.url}/tasks")
    # Each task shows its light, as the service computes it (domain.md §7): due within days.
    row = page.locator(".el-table__row", has_text="审批").first
    expect(row.locator("[data-light]")).to_have_attribute("data-light", re.compile("green|yellow"))
    panel = open_task(page, "审批")
    panel.get_by_text("同意", exact=True).click()
    submit_task(page, panel)
    sign_out(page)

    # The lead unit's handler signs for it, then reports through the rendered form.
    sign_in_as(page, "sun.fgw")
    panel = open_task(page, "签收")
    panel.get_by_text("签收", exact=True).last.click()
    submit_task(page, panel)
    page.goto(f"{service.url}/tasks")
    panel = open_task(page, "报送")
    panel.locator('[data-field="report"] textarea').fill("好")
    panel.locator('[data-field="finished"]').get_by_text("是", exact=True).click()
    panel.locator('[data-test="submit-form"]').click()
    error = panel.locator('[data-field="report"] .el-form-item__error')
    expect(error).to_be_visible()
    expect(panel.locator('[data-test="form-problem"]')).to_be_visible()
    screenshot(page, "console-task-form")
    panel.locator('[data-field="report"] textarea').fill("已完成老旧小区改造年度任务，居民满意。")
    submit_task(page, panel)
    expect(error).to_have_count(0)
    sign_out(page)

    # The office accepts the report and evaluates the unit: the matter closes.
    sign_in_as(page, "wang.dc")
    page.goto(f"{service.url}/tasks")
    panel = open_task(page, "审核")
    panel.get_by_text("通过", exact=True).click()
    submit_task(page, panel)
    page.goto(f"{service.url}/tasks")
    panel = open_task(page, "评价")
    panel.locator('[data-test="add-row"]').click()
    choose(page, panel.locator('[data-field="evaluations/0/unit"]'), "江苏省发展和改革委员会")
    panel.locator('[data-field="evaluations/0/timeliness"]').get_by_text("好", exact=True).click()
    panel.locator('[data-field="evaluations/0/quality"]').get_by_text("好", exact=True).click()
    submit_task(page, panel)

    page.goto(matter_url)
    expect(page.locator('[data-test="matter-status"]')).to_have_text("已办结")
    expect(page.locator('[data-test="timeline"]')).to_contain_text("评价")
    screenshot(page, "console-matter")
    page.goto(f"{service.url}/matters")
    expect(page.locator('[data-test="matters"]')).to_contain_text(TITLE)
    screenshot(page, "console-matters")
