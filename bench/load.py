"""Load: the supervision matter lifecycle at a chosen concurrency, on 1 or more service processes.

Run from the project root (PostgreSQL; a database is created for the run and dropped after):

    .venv/bin/python -m bench.load                          # 1 and 2 processes, 16 clients
    .venv/bin/python -m bench.load --processes 2 --clients 32 --matters 400
    .venv/bin/python -m bench.load --postgres-url postgresql+psycopg://postgres@127.0.0.1/test

Each virtual client (asyncio + httpx) drives whole matters through REST as the officials would:
the office registers a matter (立项) and drafts its plan (拟订方案), the office head approves it,
the lead unit signs for it (签收) and reports (办结报告), the office accepts the report (审核) and
evaluates the unit (评价) — 7 requests that change something, each after a GET of the matter's
ready tasks. Requests go round-robin to the service processes. It prints throughput (matters/s,
requests/s), latency percentiles per request kind, errors by status and code, and where the
machine's CPU went per matter — the service processes, this load client, and the rest (PostgreSQL,
the kernel) — since on a small machine the three share the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx
import jwt

from bench.engine_bench import (
    BENCH_SECRET,
    FIVE_STEPS,
    ROOT,
    Server,
    postgres_database,
    quantile,
)

USERS = {
    "office": ("320000-DCS", ["supervision_office"]),
    "head": ("320000-DCS", ["office_head"]),
    "fgw": ("320000-FGW", ["unit_handler"]),
}


def token(who: str) -> str:
    unit, roles = USERS[who]
    now = int(time.time())
    claims = {"sub": who, "name": who, "unit": unit, "roles": roles, "iat": now, "exp": now + 86400}
    return str(jwt.encode(claims, BENCH_SECRET, algorithm="HS256"))


_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_cpu() -> float:
    """Seconds of CPU every core of the machine has spent busy (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICKS  # all but idle and iowait


@dataclass
class CpuUse:
    """CPU seconds of the service processes, this client and the whole machine over a run."""

    service: float
    client: float
    machine: float

    @classmethod
    def now(cls, service_pids: list[int]) -> CpuUse:
        return cls(
            sum(process_cpu(p) for p in service_pids), process_cpu(os.getpid()), machine_cpu()
        )

    def __sub__(self, other: CpuUse) -> CpuUse:
        return CpuUse(
            self.service - other.service, self.client - other.client, self.machine - other.machine
        )


@dataclass
class Tally:
    """Latencies per request kind and errors, shared by the clients of one run."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    matters: int = 0
    requests: int = 0


class Driver:
    """Round-robin over the processes; one HTTP/1.1 connection pool per process."""

    def __init__(self, urls: list[str], tally: Tally) -> None:
        self.clients = [httpx.AsyncClient(base_url=u, timeout=60) for u in urls]
        self.turn = count()
        self.tally = tally
        self.headers = {who: {"Authorization": f"Bearer {token(who)}"} for who in USERS}

    async def call(self, kind: str, who: str, method: str, url: str, **kw: object) -> dict:
        client = self.clients[next(self.turn) % len(self.clients)]
        started = time.perf_counter()
        try:
            response = await client.request(method, url, headers=self.headers[who], **kw)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            self.tally.errors[f"transport {type(exc).__name__}"] += 1
            raise
        self.tally.latency[kind].append(time.perf_counter() - started)
        self.tally.requests += 1
        if response.status_code >= 400:
            code = response.json().get("code", "") if response.content else ""
            self.tally.errors[f"{response.status_code} {code} ({kind})"] += 1
            raise RuntimeError(f"{kind}: {response.status_code} {response.text[:200]}")
        return dict(response.json()) if response.content else {}

    async def complete(self, instance_id: str, who: str, element: str, variables: dict) -> None:
        tasks = await self.call(
            "list tasks",
            who,
            "GET",
            "/api/v1/tasks",
            params={"process_instance_id": instance_id},
        )
        (task,) = [t for t in tasks["items"] if t["element_id"] == element]
        await self.call(
            element,
            who,
            "POST",
            f"/api/v1/tasks/{task['id']}/complete",
            json={"variables": variables},
        )

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def one_matter(driver: Driver, n: int) -> None:
    registered = await driver.call(
        "register",
        "office",
        "POST",
        "/api/v1/matters",
        json={
            "title": f"压力测试事项 {n}",
            "content": "省政府常务会议议定事项",
            "category": "meeting_document_policy",
            "source_type": "meeting",
            "lead_unit": "320000-FGW",
        },
    )
    instance = registered["instance_id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    await driver.complete(instance, "office", "draft_plan", plan)
    await driver.complete(instance, "head", "approve_plan", {"decision": "approve"})
    await driver.complete(instance, "fgw", "sign_for", {"decision": "sign"})
    await driver.complete(
        instance, "fgw", "submit_final_report", {"report": "已办结", "finished": True}
    )
    await driver.complete(instance, "office", "review_report", {"decision": "accept"})
    evaluation = {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]}
    await driver.complete(instance, "office", "evaluate_units", evaluation)
    driver.tally.matters += 1


async def run(urls: list[str], clients: int, matters: int) -> tuple[Tally, float]:
    tally = Tally()
    driver = Driver(urls, tally)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(matters):
        queue.put_nowait(n)

    async def client_loop() -> None:
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            with contextlib.suppress(RuntimeError, httpx.TransportError, ValueError):
                await one_matter(driver, n)  # a failure is counted in tally.errors

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await driver.close()
    return tally, elapsed


def report(
    processes: int, clients: int, tally: Tally, elapsed: float, cpu: CpuUse | None = None
) -> str:
    lines = [
        f"## {processes} service process(es), {clients} clients",
        "",
        f"- matters through their lifecycle: {tally.matters} in {elapsed:.1f} s = "
        f"**{tally.matters / elapsed:.1f} matters/s**",
        f"- requests: {tally.requests} = **{tally.requests / elapsed:.0f} requests/s**",
        f"- errors: {sum(tally.errors.values())}"
        + (f" ({dict(tally.errors)})" if tally.errors else ""),
    ]
    if cpu is not None and tally.matters:
        per = 1000 / tally.matters
        rest = cpu.machine - cpu.service - cpu.client
        lines.append(
            f"- CPU per matter: service {cpu.service * per:.0f} ms, load client "
            f"{cpu.client * per:.0f} ms, the rest (PostgreSQL, kernel) {rest * per:.0f} ms; the "
            f"machine was {cpu.machine / elapsed:.2f} of {os.cpu_count()} cores busy"
        )
    lines += [
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, values in tally.latency.items():
        ms = [v * 1000 for v in values]
        lines.append(
            f"| {kind} | {len(ms)} | {quantile(ms, 0.5):.1f} | {quantile(ms, 0.95):.1f} | "
            f"{quantile(ms, 0.99):.1f} | {statistics.fmean(ms):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument(
        "--processes", type=int, action="append", help="service processes (repeatable)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--matters", type=int, default=200)
    args = parser.parse_args(argv)
    for processes in args.processes or [1, 2]:
        with ExitStack() as stack:
            url = stack.enter_context(postgres_database(args.postgres_url))
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ducha-load-")))
            shutil.copytree(ROOT / "processes", work / "processes")
            for bpmn in [FIVE_STEPS, *(ROOT / "bench" / "bpmn").glob("*.bpmn")]:
                shutil.copy(bpmn, work / "processes")
            servers = []
            for _ in range(processes):
                server = Server(url, work / "processes", work, cache_size=None)
                server.start()
                stack.callback(server.stop)
                servers.append(server)
            # Warm up every process (caches, connections), then measure.
            asyncio.run(run([s.base_url for s in servers], processes * 2, processes * 4))
            pids = [s.proc.pid for s in servers if s.proc is not None]
            before = CpuUse.now(pids)
            tally, elapsed = asyncio.run(
                run([s.base_url for s in servers], args.clients, args.matters)
            )
            cpu = CpuUse.now(pids) - before
            print(report(processes, args.clients, tally, elapsed, cpu), flush=True)
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
