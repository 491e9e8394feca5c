"""Legible diagrams (issue 17 item 4): at 1366×768 the process view opens on the active
elements at a zoom whose labels are readable, with zoom buttons and a minimap.

The supervision matter's diagram is too wide to fit readable, so the view opens at 1:1 centred on
the ready task (sign_for) instead of shrinking every label to a few pixels.
"""

import re
from typing import Any

from browser_helpers import (
    as_user,
    complete,
    screenshot,
)
from serviceproc import ServiceProcess


def zoom_of(viewer: Any) -> float:
    return float(viewer.get_attribute("data-zoom"))


def test_the_process_view_opens_readable_on_the_active_task(
    page: Any, service: ServiceProcess
) -> None:
    from playwright.sync_api import expect

    office, head = as_user(service, "wang.dc"), as_user(service, "li.head")
    body = {
        "title": "关于推进老旧小区改造的督办事项",
        "content": "请按期办结并报送办理情况。",
        "category": "key_work",
        "source_type": "annual_key_work",
        "lead_unit": "320000-FGW",
    }
    response = office.post("/matters", json=body)
    assert response.status_code == 201, response.text
    instance_id = response.json()["instance_id"]
    plan = {"plan_title": "改造方案", "plan_content": "按月报告。", "lead_unit": "320000-FGW"}
    complete(office, instance_id, "draft_plan", {**plan, "joint": False})
    complete(head, instance_id, "approve_plan", {"decision": "approve"})
    detail = office.get(f"/process-instances/{instance_id}").json()
    assert [t["element_id"] for t in detail["ready_tasks"]] == ["sign_for"]

    page.goto(f"{service.url}/instances/{instance_id}")
    page.locator('[data-test="demo-wang.dc"]').click()
    page.wait_for_url(re.compile(rf"/instances/{instance_id}$"))
    section = page.locator('[data-test="diagram-supervision_matter"]')
    viewer = section.locator('[data-test="bpmn-viewer"]')
    active = section.locator('g.djs-element[data-element-id="sign_for"]')
    expect(active).to_have_class(re.compile(r"\bbpmn-active\b"))

    # Readable: the zoom is at least 0.8 and the active task's label, as drawn, at least 11 px.
    zoom = zoom_of(viewer)
    assert zoom >= 0.8, zoom
    label_px = active.evaluate(
        "g => parseFloat(getComputedStyle(g.querySelector('text')).fontSize)"
    )
    assert label_px * zoom >= 11, (label_px, zoom)
    # The whole diagram would not fit at that zoom: the view chose the active task over fitting.
    inner = viewer.evaluate("v => v.querySelector('.djs-container svg .viewport').getBBox().width")
    canvas = section.locator('[data-test="bpmn-canvas"]').bounding_box()
    assert inner * 0.8 > canvas["width"], (inner, canvas)

    # The active task is inside the visible canvas (the window is 1366×768).
    box = active.bounding_box()
    assert box is not None and canvas is not None
    assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
    assert canvas["y"] <= box["y"] and box["y"] + box["height"] <= canvas["y"] + canvas["height"]

    # The minimap is open; its toolbar button (named for screen readers) hides and shows it.
    minimap = section.locator(".djs-minimap")
    expect(minimap).to_have_class(re.compile(r"\bopen\b"))
    expect(minimap.locator(".map svg")).to_be_visible()
    screenshot(page, "console-process-legible")
    toggle = section.get_by_role("button", name="显示或隐藏缩略图")
    toggle.click()
    expect(minimap).not_to_have_class(re.compile(r"\bopen\b"))
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(minimap).to_have_class(re.compile(r"\bopen\b"))

    # Zoom in by click, out by keyboard; fit shows the whole diagram; "go to active" comes back.
    section.get_by_role("button", name="放大").click()
    expect(viewer).not_to_have_attribute("data-zoom", f"{zoom:.3f}")
    assert zoom_of(viewer) > zoom
    section.get_by_role("button", name="缩小").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([el, z]) => parseFloat(el.dataset.zoom) < z", arg=[viewer.element_handle(), zoom]
    )
    section.get_by_role("button", name="适应窗口（显示全图）").click()
    page.wait_for_function(
        "([el, z]) => parseFloat(el.dataset.zoom) < z", arg=[viewer.element_handle(), 0.6]
    )
    section.get_by_role("button", name="定位到当前环节").click()
    page.wait_for_function(
        "([el, z]) => parseFloat(el.dataset.zoom) >= z", arg=[viewer.element_handle(), 0.8]
    )
    box = active.bounding_box()
    assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
