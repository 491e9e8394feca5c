"""The real service and Debian's Chromium for the console's browser tests.

Playwright drives /usr/bin/chromium (no browser can be downloaded here). Under CI=true a missing
Chromium, Playwright or an unbuilt console fails the run instead of skipping it.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from serviceproc import ROOT, ServiceProcess

CHROMIUM = Path("/usr/bin/chromium")
CONSOLE = ROOT / "web" / "dist" / "index.html"
# Written on every run to var/screenshots (ignored by git); the best are copied to docs/img by
# hand (`cp var/screenshots/*.png docs/img/`), so a test run leaves the tree clean.
SCREENSHOTS = Path(os.environ.get("DUCHA_SCREENSHOTS_DIR", ROOT / "var" / "screenshots"))
VIEWPORT = {"width": 1366, "height": 768}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip (fail under CI=true) when the browser, Playwright or the built console is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append("no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")
    if not CONSOLE.exists():
        problems.append("the console is not built (make console)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is not installed")
    if not problems:
        return
    message = "browser tests need: " + "; ".join(problems)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def console_service(tmp_path: Path, **env: str) -> Iterator[ServiceProcess]:
    """The service on a free port: SQLite, the demo units, processes/ deployed, demo users;
    `env` overrides settings (e.g. DUCHA_WORKERS_ENABLED="true" for migration batches)."""
    service = ServiceProcess(
        f"sqlite:///{tmp_path / 'console.db'}",
        ROOT / "processes",
        **{"DUCHA_CONSOLE_DEMO": "true", "DUCHA_WORKERS_ENABLED": "false", **env},
    )
    service.start(timeout=90)
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A page of headless Chromium at 1366×768 with a fresh profile, in Chinese."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport=VIEWPORT,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def screenshot(page: Any, name: str) -> None:
    """<SCREENSHOTS>/<name>.png at 1366×768."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def as_user(service: ServiceProcess, sub: str) -> httpx.Client:
    """The service's HTTP API as one demo user (the token the sign-in page would use)."""
    api = f"{service.url}/api/v1"
    users = httpx.get(f"{api}/console/demo-users", timeout=30).json()
    (token,) = [u["token"] for u in users if u["sub"] == sub]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=api, headers=headers, timeout=30)


AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, impacts: tuple[str, ...] = ("critical", "serious")) -> list[str]:
    """axe-core's violations of those impacts on the page as it stands, one readable line each:
    rule id, impact, the elements' selectors and axe's summary of what to fix (axe-core is a
    devDependency of the console, injected into the page here)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for rule in results["violations"]:
        for node in rule["nodes"]:
            if node.get("impact") not in impacts:
                continue
            target = " ".join(" > ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = " ".join((node.get("failureSummary") or rule["help"]).split())[:300]
            html = " ".join(node.get("html", "").split())[:160]
            found.append(f"{rule['id']} ({node['impact']}) at {target} {html}: {summary}")
    return found


def complete(client: httpx.Client, instance_id: str, element: str, variables: dict) -> None:
    """Complete the caller's one ready task at `element` of the instance, over REST."""
    tasks = client.get("/tasks", params={"mine": True, "limit": 500}).json()["items"]
    (task,) = [t for t in tasks if t["instance_id"] == instance_id and t["element_id"] == element]
    response = client.post(f"/tasks/{task['id']}/complete", json={"variables": variables})
    assert response.status_code == 200, response.text


def sign_in_at(page: Any, service: ServiceProcess, path: str, sub: str) -> None:
    """Open a shared link signed out, click the demo user on the sign-in page, land on it."""
    page.goto(f"{service.url}{path}")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    page.locator(f'[data-test="demo-{sub}"]').click()
    page.locator('[data-test="who"]').wait_for()
    page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?$"))
