"""The console's weight per page, in Chromium: bytes on the wire and time to first content.

    .venv/bin/python -m bench.console_pages            # 5 cold loads per page, medians
    .venv/bin/python -m bench.console_pages --quick    # 1 load per page

Starts the service as the browser tests do (tests/browser/browser_helpers.console_service: a free
port on 127.0.0.1, a temp SQLite, the demo units and users, processes/ deployed) serving this
checkout's web/dist, registers one matter over REST, then loads each main page in a fresh browser
context (empty cache) with the demo user's token already in sessionStorage. Per page: the JS+CSS
bytes as transferred (compressed: brotli, the service's pre-compressed files), all bytes
transferred (API answers included), the number of requests and first-contentful-paint
(`performance.getEntriesByType("paint")`). Debian's /usr/bin/chromium; nothing leaves 127.0.0.1.
Figures: docs/performance.md, "The console's weight (issue 17)".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests", ROOT / "tests" / "browser"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
from browser_helpers import CHROMIUM, CONSOLE, FLAGS, VIEWPORT, console_service  # noqa: E402

OFFICE = "wang.dc"  # 督查室: inbox, matters, dashboard, definitions, process views
ADMIN = "admin"  # the designer, repairs and the audit trail


def tokens(url: str) -> dict[str, str]:
    users = httpx.get(f"{url}/api/v1/console/demo-users", timeout=30).json()
    return {u["sub"]: u["token"] for u in users}


def a_matter(url: str, token: str) -> dict[str, Any]:
    """One matter registered by the office (its process instance started)."""
    body = {
        "title": "关于推进重点项目建设的督办事项",
        "content": "请按期办结并报送办理情况。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "co_units": [],
    }
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(f"{url}/api/v1/matters", json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    matter: dict[str, Any] = answer.json()
    return matter


def pages(matter: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(path, demo user or None for signed out)."""
    return [
        ("/login", None),
        ("/tasks", OFFICE),
        ("/matters", OFFICE),
        (f"/matters/{matter['id']}", OFFICE),
        ("/dashboard", OFFICE),
        ("/definitions", OFFICE),
        (f"/instances/{matter['instance_id']}", OFFICE),
        ("/modeler", ADMIN),
        ("/ops/incidents", ADMIN),
        ("/audit", ADMIN),
    ]


def load(browser: Any, url: str, token: str | None) -> dict[str, Any]:
    """One cold load: a fresh context (no cache), the page until the network is idle."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        if token:
            context.add_init_script(f"sessionStorage.setItem('ducha.token', {json.dumps(token)})")
        page = context.new_page()
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="networkidle")
        paint = page.evaluate(
            "() => (performance.getEntriesByType('paint')"
            ".find(e => e.name === 'first-contentful-paint') || {}).startTime ?? null"
        )
        assets = total = 0
        hosts = set()
        for response in responses:
            response.finished()
            size = response.request.sizes()["responseBodySize"]
            total += size
            hosts.add(urlsplit(response.url).netloc)
            if urlsplit(response.url).path.endswith((".js", ".css")):
                assets += size
        return {
            "assets": assets,
            "total": total,
            "requests": len(responses),
            "fcp_ms": paint,
            "final": urlsplit(page.url).path,
            "hosts": sorted(hosts),
        }
    finally:
        context.close()


def measure(runs: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="ducha-weight-") as work,
        console_service(Path(work)) as service,
        sync_playwright() as playwright,
    ):
        who = tokens(service.url)
        matter = a_matter(service.url, who[OFFICE])
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for path, user in pages(matter):
                loads = [
                    load(browser, service.url + path, who[user] if user else None)
                    for _ in range(runs)
                ]
                paints = [x["fcp_ms"] for x in loads if x["fcp_ms"] is not None]
                rows.append(
                    {
                        "page": path,
                        "user": user or "-",
                        "final": loads[-1]["final"],
                        "assets": statistics.median(x["assets"] for x in loads),
                        "total": statistics.median(x["total"] for x in loads),
                        "requests": statistics.median(x["requests"] for x in loads),
                        "fcp_ms": statistics.median(paints) if paints else None,
                        "hosts": sorted({h for x in loads for h in x["hosts"]}),
                    }
                )
        finally:
            browser.close()
    return rows


def table(rows: list[dict[str, Any]], runs: int) -> str:
    lines = [
        f"| page | user | JS+CSS (compressed) | all bytes | requests | first contentful paint "
        f"(median of {runs}) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        page = row["page"]
        page = "/matters/<id>" if page.startswith("/matters/") else page
        page = "/instances/<id>" if page.startswith("/instances/") else page
        paint = "n/a" if row["fcp_ms"] is None else f"{row['fcp_ms']:.0f} ms"
        lines.append(
            f"| {page} | {row['user']} | {row['assets'] / 1024:.0f} KiB | "
            f"{row['total'] / 1024:.0f} KiB | {row['requests']:.0f} | {paint} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one load per page (CI smoke run)")
    parser.add_argument("--runs", type=int, default=5, help="cold loads per page (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    if not 1 <= runs <= 50:
        parser.error("--runs must be between 1 and 50")
    if not CHROMIUM.exists() or not CONSOLE.exists():
        parser.error("needs /usr/bin/chromium and the built console (make console)")
    rows = measure(runs)
    for row in rows:
        foreign = [h for h in row["hosts"] if not h.startswith("127.0.0.1:")]
        if foreign:
            print(f"{row['page']}: requests to other hosts: {foreign}", file=sys.stderr)
            return 1
        if row["final"] != row["page"]:
            print(f"note: {row['page']} ended at {row['final']}", file=sys.stderr)
    print(table(rows, runs))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
