"""One language at a time (一种语言): zh-CN pages show no English word, English ones no Chinese.

The visible text of each main page is read from Chromium (text nodes that are shown), leaving out
what is not UI: codes and identifiers (`.code`, `[data-code]`, `.mono`, `code`), the collapsed
technical details (`[data-tech]`), what users typed (`[data-user-text]`: matter titles, names,
units) and the diagram (`.djs-container`: the designer's labels as drawn, lanes named by role).
The language switch names the other language in its own script ("English", "中文"). In zh-CN
each Latin word ([A-Za-z]{2,}) outside ALLOWED fails the test, listed by page with its line; in
English each line with Han characters outside the user data does, on the office's pages and on a
unit's inbox (its tasks named in English).
"""

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from browser_helpers import as_user, chromium, screenshot
from serviceproc import ServiceProcess

TITLE = "关于加快推进城市燃气管道更新改造的督办"
NOT_UI = (
    ".code, [data-code], .mono, code, [data-tech], [data-user-text], .djs-container, script, style"
)
# Words officials read as they are: abbreviations, file kinds, product names and the units of
# a percentile.
ALLOWED = {
    "BPMN", "ID", "API", "JSON", "PDF", "Excel", "Word", "OIDC", "p50", "p95", "p99",
    "Webhook", "docx", "xlsx", "csv", "PNG", "SVG", "JWT", "URL", "English",
}  # fmt: skip
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]+")
HAN = re.compile(r"[\u4e00-\u9fff]+")
VISIBLE_TEXT = """(skip) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest(skip)) continue;
    if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out.join("\\n");
}"""


def matter_in_handling(service: ServiceProcess) -> dict:
    office, head, unit = (as_user(service, s) for s in ("wang.dc", "li.head", "sun.fgw"))
    body = {
        "title": TITLE,
        "content": "请发改委牵头，年内完成更新改造任务并报送办理情况。",
        "category": "key_work",
        "source_type": "other",
        "lead_unit": "320000-FGW",
        "co_units": [],
        "explicit_due": (date.today() + timedelta(days=40)).isoformat(),
    }
    response = office.post("/matters", json=body)
    assert response.status_code == 201, response.text
    matter: dict = response.json()
    for who, element, variables in (
        (office, "draft_plan", {"plan_title": "督查方案", "plan_content": "按月报告进展。",
                                "lead_unit": "320000-FGW", "joint": False}),
        (head, "approve_plan", {"decision": "approve"}),
        (unit, "sign_for", {"decision": "sign"}),
    ):  # fmt: skip
        tasks = who.get("/tasks", params={"mine": True, "limit": 500}).json()["items"]
        (task,) = [t for t in tasks if t["element_id"] == element]
        done = who.post(f"/tasks/{task['id']}/complete", json={"variables": variables})
        assert done.status_code == 200, done.text
    return matter


def visible_text(page: Any, service: ServiceProcess, path: str) -> str:
    page.goto(f"{service.url}{path}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the last render after the answers
    return str(page.evaluate(VISIBLE_TEXT, NOT_UI))


def sign_in(page: Any, service: ServiceProcess, sub: str, lang: str) -> None:
    page.goto(f"{service.url}/login")
    page.evaluate("lang => localStorage.setItem('ducha.lang', lang)", lang)
    page.goto(f"{service.url}/login")
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()


def test_zh_cn_pages_show_no_english_word(service: ServiceProcess, tmp_path: Path) -> None:
    matter = matter_in_handling(service)
    paths = [
        "/tasks",
        "/matters",
        f"/matters/{matter['id']}",
        "/dashboard",
        "/definitions",
        f"/instances/{matter['instance_id']}",
        "/audit",
        "/ops/incidents",
        "/look-backs",
    ]
    found: dict[str, list[str]] = {}
    with chromium(tmp_path) as page:
        sign_in(page, service, "admin", "zh-CN")
        for path in paths:
            lines = visible_text(page, service, path).splitlines()
            bad = [line for line in lines if set(LATIN.findall(line)) - ALLOWED]
            if bad:  # the lines, so a failure shows where each word stands
                found[path] = bad
            if path in ("/audit", f"/instances/{matter['instance_id']}"):
                screenshot(page, "console-one-language-" + path.split("/")[1])
    assert found == {}, found


def test_english_pages_show_no_chinese(service: ServiceProcess, tmp_path: Path) -> None:
    matter = matter_in_handling(service)
    found: dict[str, list[str]] = {}
    with chromium(tmp_path) as page:
        sign_in(page, service, "admin", "en")
        for path in ("/definitions", "/audit", f"/instances/{matter['instance_id']}"):
            text = visible_text(page, service, path)
            bad = [line for line in text.splitlines() if HAN.search(line) and line != "中文"]
            if bad:
                found[path] = bad
    # The unit's inbox: its tasks by their English names (the matter's title is user data).
    tasks = as_user(service, "sun.fgw").get("/tasks", params={"mine": True}).json()["items"]
    assert tasks and all(HAN.search(t["names"]["zh-CN"]) for t in tasks), tasks
    with chromium(tmp_path / "unit") as page:
        sign_in(page, service, "sun.fgw", "en")
        text = visible_text(page, service, "/tasks")
        bad = [line for line in text.splitlines() if HAN.search(line) and line != "中文"]
        if bad:
            found["/tasks"] = bad
        for task in tasks:
            assert task["names"]["en"] in text.splitlines(), (task["names"], text)
        screenshot(page, "console-one-language-inbox-en")
    assert found == {}, found
