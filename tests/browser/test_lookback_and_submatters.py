"""回头看 and 分解 / 子事项 in the console (issue 17 item 7), in Chromium against the real service.

The office schedules a look-back at a closed matter from the look-back page (reached from the
matter page), and decomposes an open matter into sub-matters on the matter page — a row the
service refuses shows the refusal at its field — and the pages show what the REST API then says.
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
from serviceproc import ServiceProcess

BODY = {
    "content": "请按期办结并报送办理情况。",
    "category": "key_work",
    "source_type": "annual_key_work",
    "lead_unit": "320000-FGW",
}


def register(office: httpx.Client, title: str, **fields: Any) -> dict:
    response = office.post("/matters", json={"title": title, **BODY, **fields})
    assert response.status_code == 201, response.text
    matter: dict = response.json()
    return matter


def close(service: ServiceProcess, title: str) -> dict:
    """A matter driven to closure over REST, as the office, its head and the lead unit."""
    office, head, fgw = (as_user(service, s) for s in ("wang.dc", "li.head", "sun.fgw"))
    matter = register(office, title)
    iid = matter["instance_id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    complete(office, iid, "draft_plan", plan)
    complete(head, iid, "approve_plan", {"decision": "approve"})
    complete(fgw, iid, "sign_for", {"decision": "sign"})
    complete(fgw, iid, "submit_final_report", {"report": "已完成", "finished": True})
    complete(office, iid, "review_report", {"decision": "accept"})
    evaluation = {"unit": "320000-FGW", "timeliness": "good", "quality": "good"}
    complete(office, iid, "evaluate_units", {"evaluations": [evaluation]})
    state: dict = office.get(f"/matters/{matter['id']}").json()
    assert state["status"] == "closed", state["status"]
    return state


def choose(page: Any, field: Any, option: str) -> None:
    """Open an Element Plus select (or tree select) in `field` and click the visible option."""
    from playwright.sync_api import expect

    # On a loaded machine a click that lands while the list is still opening can leave it open
    # after choosing, or choose nothing: the list is closed by hand, and the choice is made
    # again (at most three times) until the field shows the option.
    for attempt in range(3):
        field.locator(".el-select__wrapper").click()
        page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
        # The list fades out: wait until it is gone, or the next select's search finds this one's.
        listed = page.locator(".el-select-dropdown:visible")
        try:
            expect(listed).to_have_count(0, timeout=3000)
        except AssertionError:
            page.keyboard.press("Escape")
            expect(listed).to_have_count(0)
        if attempt == 2:
            break
        try:
            expect(field).to_contain_text(option, timeout=2000)
            return
        except AssertionError:
            continue
    expect(field).to_contain_text(option)


def test_the_office_schedules_a_look_back_from_the_matter_page(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    office = as_user(service, "wang.dc")
    matter = close(service, "关于推进老旧小区改造的决策部署")
    sign_in_at(page, service, f"/matters/{matter['id']}", "wang.dc")
    page.locator('[data-test="matter-look-back"]').click()
    page.wait_for_url(re.compile(r"/look-backs\?matter="))
    expect(page.locator("aside, nav").get_by_text("回头看").first).to_be_visible()
    expect(page.locator('[data-test="lookbacks"]')).to_contain_text("暂无回头看")

    # The matter is chosen already; ten days to check, twenty to rectify.
    expect(page.locator('[data-test="lookback-matter"]')).to_contain_text(matter["code"])
    page.locator('[data-field="check_days"] input').fill("10")
    page.locator('[data-field="rectify_days"] input').fill("20")
    page.locator('[data-field="rectify_days"] input').press("Tab")
    page.locator('[data-test="lookback-submit"]').click()
    page.locator(".el-message--success", has_text="已安排回头看").wait_for()

    # The REST API has the look-back's process, with the dates the page shows.
    found = office.get(
        "/process-instances",
        params={"process_key": "matter_look_back", "business_key": matter["id"]},
    ).json()["items"]
    assert len(found) == 1 and found[0]["status"] == "running"
    variables = found[0]["variables"]
    check_due = date.fromisoformat(variables["check_due"])
    rectify_due = date.fromisoformat(variables["rectify_due"])
    assert rectify_due - check_due == timedelta(days=20)
    row = page.locator('[data-test="lookbacks"] tbody tr', has_text=matter["code"])
    expect(row).to_have_count(1)
    expect(row.locator('[data-test="lookback-check-due"]')).to_have_text(variables["check_due"])
    expect(row).to_contain_text(variables["rectify_due"])
    expect(row.locator("[data-status]")).to_have_text("运行中")
    timeline = office.get(f"/matters/{matter['id']}").json()["timeline"]
    assert any("回头看" in entry["summary"] for entry in timeline)
    screenshot(page, "console-look-backs")

    # Its process view opens from the row.
    row.locator('[data-test="lookback-process"]').click()
    page.wait_for_url(re.compile(rf"/instances/{found[0]['id']}$"))
    expect(page.locator('[data-test="instance-status"]')).to_have_text("运行中")


def test_the_office_decomposes_a_matter_and_sees_the_roll_up(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    office = as_user(service, "wang.dc")
    # A document's matter: its sub-matters (same source) may carry their own deadline.
    parent = register(
        office,
        "关于推进全省保障性住房建设的督办事项",
        category="meeting_document_policy",
        source_type="document",
        source_ref="苏政发〔2026〕12号",
    )
    due = (date.today() + timedelta(days=75)).isoformat()
    sign_in_at(page, service, f"/matters/{parent['id']}", "wang.dc")
    page.locator('[data-test="sub-matters-tab"]').click()
    subs = page.locator('[data-test="sub-matters"]')
    expect(subs.locator('[data-test="rollup"]')).to_contain_text("子事项 0 项")
    subs.locator('[data-test="decompose"]').click()
    dialog = page.locator('[data-test="decompose-dialog"]')
    first, second = dialog.locator('[data-row="0"]'), dialog.locator('[data-row="1"]')

    # Row 1 complete; row 2 without a title: row 1 is registered, row 2's title is refused.
    first.locator('[data-field="title"] input').fill("住建厅：保障性住房开工建设")
    choose(page, first.locator('[data-field="lead_unit"]'), "江苏省住房和城乡建设厅")
    first.locator('[data-field="explicit_due"] input').fill(due)
    first.locator('[data-field="explicit_due"] input').press("Enter")
    choose(page, second.locator('[data-field="lead_unit"]'), "江苏省教育厅")
    dialog.locator('[data-test="decompose-submit"]').click()
    expect(second.locator('[data-field="title"] .el-form-item__error')).to_be_visible()
    expect(dialog.locator('[data-test="decompose-problem"]')).to_contain_text("第 2 项")
    expect(first).to_contain_text("已立项")
    assert len(office.get(f"/matters/{parent['id']}").json()["sub_matters"]) == 1

    second.locator('[data-field="title"] input').fill("教育厅：配套学校建设")
    dialog.locator('[data-test="decompose-submit"]').click()
    expect(dialog).to_be_hidden()

    # The REST API has both, under the parent; the page lists them and the roll-up.
    state = office.get(f"/matters/{parent['id']}").json()
    by_title = {s["title"]: s for s in state["sub_matters"]}
    assert set(by_title) == {"住建厅：保障性住房开工建设", "教育厅：配套学校建设"}
    assert by_title["住建厅：保障性住房开工建设"]["lead_unit"] == "320000-ZJT"
    assert by_title["住建厅：保障性住房开工建设"]["final_due"] == due
    assert by_title["教育厅：配套学校建设"]["lead_unit"] == "320000-JYT"
    child = office.get(f"/matters/{by_title['教育厅：配套学校建设']['id']}").json()
    assert child["parent_id"] == parent["id"] and child["category"] == "meeting_document_policy"
    table = subs.locator('[data-test="sub-matters-table"]')
    for sub in state["sub_matters"]:
        expect(table.locator("tr", has_text=sub["code"])).to_contain_text(sub["title"])
    expect(table).to_contain_text(due)
    expect(subs.locator('[data-test="rollup"]')).to_contain_text("子事项 2 项，已办结 0 项")
    expect(subs.locator('[data-test="rollup-light"]')).to_have_attribute(
        "data-light", state["rolled_up_light"]
    )
    expect(page.locator('[data-test="sub-matters-tab"]')).to_contain_text("(2)")
    screenshot(page, "console-sub-matters")

    # A sub-matter's own page links nowhere new: it is a matter, opened from the list.
    table.locator("a", has_text="教育厅：配套学校建设").click()
    page.wait_for_url(re.compile(rf"/matters/{child['id']}$"))
    expect(page.locator('[data-test="matter-title"]')).to_contain_text("教育厅：配套学校建设")
