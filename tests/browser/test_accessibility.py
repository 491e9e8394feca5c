"""Accessibility (issue 17, item 6): axe-core finds no critical or serious violation on any page of
the console, in Chinese and in English, and the inbox's main flow works from the keyboard alone.

One service and one browser: a matter is registered over REST so the pages have content; the
office (王督查) visits its pages, the admin the modeler and the operations pages, the auditor the
audit trail. A failure names each violation's rule, impact, where it is and what to fix.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_helpers import as_user, axe_violations, chromium, console_service, require_browser
from serviceproc import ServiceProcess

TITLE = "关于加快推进城市更新行动的督办"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    require_browser()
    with console_service(tmp_path_factory.mktemp("a11y")) as running:
        yield running


@pytest.fixture(scope="module")
def page(service: ServiceProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("a11y-browser")) as browser_page:
        yield browser_page


@pytest.fixture(scope="module")
def matter(service: ServiceProcess) -> dict:
    """A matter registered by the office: its plan waits in 王督查's inbox."""
    body = {
        "title": TITLE,
        "content": "请住建厅牵头，年内完成城市更新年度任务。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-ZJT",
        "co_units": [],
    }
    response = as_user(service, "wang.dc").post("/matters", json=body)
    assert response.status_code == 201, response.text
    registered: dict = response.json()
    return registered


def sign_in(page: Any, service: ServiceProcess, sub: str) -> None:
    page.goto(f"{service.url}/login")
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()


# A drawer or dialog half faded in would be measured at half its contrast.
FINITE_ANIMATIONS_DONE = """document.getAnimations().every(
  (a) => a.playState !== "running" || a.effect.getTiming().iterations === Infinity)"""


def settle(page: Any) -> None:
    """The page's requests answered, its loading masks and transitions gone."""
    page.wait_for_load_state("networkidle")
    page.locator(".el-loading-mask:visible").first.wait_for(state="hidden")
    page.wait_for_function(FINITE_ANIMATIONS_DONE)


def check(page: Any, service: ServiceProcess, path: str, problems: dict[str, list[str]]) -> None:
    if path:
        page.goto(f"{service.url}{path}")
        page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))
    settle(page)
    found = axe_violations(page)
    if found:
        problems[f"{page.evaluate('document.documentElement.lang')} {path or page.url}"] = found


def pages(service: ServiceProcess, matter: dict) -> dict[str, list[str]]:
    """Every page of web/src/router.ts, under the demo user who sees it with content."""
    office = as_user(service, "wang.dc")
    instance = office.get(f"/process-instances/{matter['instance_id']}").json()
    tasks = office.get("/tasks", params={"mine": True, "limit": 500}).json()["items"]
    (draft,) = [t for t in tasks if t["instance_id"] == matter["instance_id"]]
    key = instance["process_key"]
    definitions = office.get("/process-definitions", params={"key": key, "latest": True}).json()
    (definition,) = [d for d in definitions["items"] if d["key"] == key]
    return {
        "wang.dc": [
            "/tasks",
            f"/tasks/{draft['id']}",  # the task open in the drawer
            "/matters",
            f"/matters/{matter['id']}",
            "/dashboard",
            "/definitions",
            f"/definitions/{key}",
            f"/instances/{matter['instance_id']}",
            "/look-backs",
        ],
        "admin": [
            "/modeler",
            f"/modeler/{definition['id']}",
            "/ops/incidents",
            "/ops/migrations",
            "/ops/jobs",
            "/ops/external-tasks",
            "/ops/webhooks",
            "/ops/units",
            "/audit",
        ],
        "chen.audit": ["/audit"],
    }


# In English, the pages whose labels and names come most from the catalogues (colours and
# structure do not change with the language, and every page twice would double the run).
ENGLISH = ("/tasks/", "/matters/", "/instances/", "/modeler/", "/ops/migrations", "/audit")


def use_language(page: Any, service: ServiceProcess, lang: str) -> None:
    """On the sign-in page, switch to `lang` (the choice stays for the browser's later pages)."""
    page.goto(f"{service.url}/login")
    page.locator('[data-test="demo-wang.dc"]').wait_for()
    if page.evaluate("document.documentElement.lang") != lang:
        page.get_by_role("button", name="English" if lang == "en" else "中文").click()
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")


def visit(page: Any, service: ServiceProcess, matter: dict, lang: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    use_language(page, service, lang)
    check(page, service, "/login", problems)
    for sub, paths in pages(service, matter).items():
        sign_in(page, service, sub)
        for path in paths:
            if lang == "zh-CN" or path.startswith(ENGLISH):
                check(page, service, path, problems)
        page.locator('[data-test="sign-out"]').click()
        page.wait_for_url(re.compile(r"/login"))
    return problems


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_critical_or_serious_violation_on_any_page(
    page: Any, service: ServiceProcess, matter: dict, lang: str
) -> None:
    problems = visit(page, service, matter, lang)
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"axe-core found critical or serious violations:\n{report}"


def tab_until(page: Any, condition: str, limit: int = 40) -> None:
    """Press Tab until `condition` (a JS expression on document.activeElement, `el`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!({condition}); }})()"
        ):
            return
    pytest.fail(f"Tab never reached {condition}")


def test_a_task_opens_fills_and_closes_from_the_keyboard(
    page: Any, service: ServiceProcess, matter: dict
) -> None:
    from playwright.sync_api import expect

    use_language(page, service, "zh-CN")  # the page is the module's: English may be left on
    sign_in(page, service, "wang.dc")
    page.goto(f"{service.url}/tasks")
    link = page.locator(".task-link", has_text="拟订督查方案").first
    link.wait_for()

    # From the page's top, Tab reaches the task's link; Enter opens it in the drawer.
    tab_until(page, "el && el.classList.contains('task-link')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]{36}"))
    panel = page.locator('[data-test="task-panel"]')
    panel.wait_for()
    drawer = page.locator(".task-drawer")
    expect(drawer).to_have_attribute("aria-modal", "true")
    close = drawer.locator(".el-drawer__close-btn")
    expect(close).to_be_visible()
    expect(close).to_have_attribute("aria-label", re.compile("关闭|Close"))

    # Claimed (or given back) from the keyboard: the toast leaves the drawer's title in view.
    tab_until(page, 'el && el.closest(\'[data-test="claim"], [data-test="unclaim"]\')')
    page.keyboard.press("Enter")
    toast = page.locator(".el-message--success").last
    toast.wait_for()
    page.wait_for_function(FINITE_ANIMATIONS_DONE)
    title = drawer.locator(".el-drawer__header").bounding_box()
    shown = toast.bounding_box()
    assert title and shown
    assert (
        shown["x"] + shown["width"] <= title["x"] or shown["y"] >= title["y"] + title["height"]
    ), f"the toast {shown} covers the drawer's title {title}"

    # The form's fields are reached by Tab, and typed into.
    field = panel.locator('[data-field="plan_content"] textarea')
    tab_until(page, "el && el.closest('[data-field=\"plan_content\"]')")
    page.keyboard.type("——键盘补充")
    expect(field).to_have_value(re.compile("——键盘补充$"))

    # Escape closes the drawer, back to the inbox.
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/tasks(\?.*)?$"))
    expect(panel).to_have_count(0)
    page.locator('[data-test="sign-out"]').click()
