"""The console's weight budget in Chromium (issue 17, "Light and fast"): sizes, not timings.

Signed out, /login costs at most 300 KiB of JS+CSS as transferred (the service sends the brotli
files web/scripts/compress.mjs wrote at build); neither it nor the inbox fetches the diagram
library (bpmn-js) or the charts (ECharts), which only the pages drawing them load; nothing comes
from another host. The per-page figures: `python -m bench.console_pages` (docs/performance.md).
"""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from browser_helpers import CHROMIUM, FLAGS, VIEWPORT
from serviceproc import ServiceProcess

BUDGET = 300 * 1024
# Strings only these libraries' code carries (minification keeps string literals).
LIBRARIES = {"bpmn-js": "djs-container", "echarts": "ECharts"}


def loaded(service: ServiceProcess, path: str, token: str | None) -> list[dict[str, Any]]:
    """Every response of one cold load (fresh context, empty cache) until the network is idle."""
    from playwright.sync_api import sync_playwright

    seen: list[Any] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            if token:
                script = f"sessionStorage.setItem('ducha.token', {json.dumps(token)})"
                context.add_init_script(script)
            page = context.new_page()
            page.on("response", lambda response: seen.append(response))
            page.goto(service.url + path, wait_until="networkidle")
            assert urlsplit(page.url).path == path, page.url
            out = []
            for response in seen:
                response.finished()
                url = urlsplit(response.url)
                asset = url.path.endswith((".js", ".css"))
                out.append(
                    {
                        "host": url.netloc,
                        "path": url.path,
                        "sent": response.request.sizes()["responseBodySize"],
                        "coding": response.headers.get("content-encoding"),
                        "body": response.text() if asset else "",
                    }
                )
            return out
        finally:
            browser.close()


def assets(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in responses if r["path"].endswith((".js", ".css"))]


def libraries(responses: list[dict[str, Any]]) -> set[str]:
    return {name for r in assets(responses) for name, m in LIBRARIES.items() if m in r["body"]}


def test_sign_in_page_is_light_local_and_compressed(service: ServiceProcess) -> None:
    responses = loaded(service, "/login", None)
    host = urlsplit(service.url).netloc
    assert {r["host"] for r in responses} == {host}
    code = assets(responses)
    assert {Path(r["path"]).suffix for r in code} == {".js", ".css"}
    for r in code:
        size = len(r["body"].encode())
        if size < 1024:  # web/scripts/compress.mjs leaves files under 1 KiB as they are
            assert r["sent"] == size, r["path"]
            continue
        assert r["coding"] == "br", r["path"]  # as built by web/scripts/compress.mjs
        # The bytes counted are the compressed ones on the wire, not the decoded text.
        assert 0 < r["sent"] < size, r["path"]
    sent = sum(r["sent"] for r in code)
    assert sent <= BUDGET, f"/login loads {sent / 1024:.0f} KiB of JS+CSS (budget 300 KiB)"
    assert libraries(responses) == set()


def test_inbox_fetches_neither_diagrams_nor_charts_but_the_dashboard_does(
    service: ServiceProcess,
) -> None:
    users = httpx.get(f"{service.url}/api/v1/console/demo-users", timeout=30).json()
    (token,) = [u["token"] for u in users if u["sub"] == "wang.dc"]
    inbox = loaded(service, "/tasks", token)
    assert {r["host"] for r in inbox} == {urlsplit(service.url).netloc}
    assert libraries(inbox) == set()
    assert any(re.search(r"/InboxPage-[\w-]+\.js$", r["path"]) for r in inbox)
    # The markers do find the libraries where they are drawn: the check above can fail.
    assert libraries(loaded(service, "/dashboard", token)) == {"echarts"}
    assert libraries(loaded(service, "/definitions", token)) == {"bpmn-js"}
