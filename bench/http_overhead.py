"""The HTTP layer's share of a completion: the service as built vs without its metrics middleware.

    .venv/bin/python -m bench.http_overhead [--backend sqlite|postgresql] [--rounds 30]

Two uvicorn processes on one database: `app.main:app` and `bench.app_variants:lean` (the same app
without its metrics middleware, `app.main.Metrics`). One client alternates between them in
blocks (so machine noise hits both alike) and reports GET /health and task-completion latency.
Only 127.0.0.1 is used; the PostgreSQL database is created and dropped; servers are stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench.engine_bench import (  # noqa: E402
    BPMN_FILES,
    KEY_FIVE,
    TASK_VARS,
    Server,
    check_local,
    complete_task,
    describe,
    http_client,
    postgres_database,
    start_instance,
)
from bench.profile_completion import database_options  # noqa: E402


@contextlib.contextmanager
def database(backend: str, postgres_url: str, work: Path) -> Iterator[str]:
    if backend == "postgresql":
        check_local(postgres_url)
        with postgres_database(postgres_url) as url:
            yield url
    else:
        yield f"sqlite:///{work / 'ducha.db'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_options(parser)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 1000:
        parser.error("--rounds must be between 1 and 1000")
    work = Path(tempfile.mkdtemp(prefix="ducha-http-"))
    servers: dict[str, Server] = {}
    try:
        processes = work / "processes"
        processes.mkdir()
        for path in BPMN_FILES:
            shutil.copy(path, processes / path.name)
        with database(args.backend, args.postgres_url, work) as url:
            for name, target in (("as built", "app.main:app"), ("lean", "bench.app_variants:lean")):
                server = Server(url, processes, work, cache_size=None)
                server.command[server.command.index("app.main:app")] = target
                servers[name] = server
                server.start()  # one after the other: both deploy the same files at start-up
            measure(servers, args)
            for server in servers.values():
                server.stop()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure(servers: dict[str, Server], args: argparse.Namespace) -> None:
    clients = {n: http_client(s.base_url) for n, s in servers.items()}
    health: dict[str, list[float]] = {n: [] for n in servers}
    completion: dict[str, list[float]] = {n: [] for n in servers}
    try:

        def lifecycle(name: str, timed: bool) -> None:
            client = clients[name]
            detail, _ = start_instance(client, KEY_FIVE)
            ready = [t["id"] for t in detail["ready_tasks"]]
            while ready:
                detail, elapsed = complete_task(client, ready[0], TASK_VARS[KEY_FIVE])
                ready = [t["id"] for t in detail["ready_tasks"]]
                if timed:
                    completion[name].append(elapsed)

        def ping(name: str, timed: bool) -> None:
            started = time.perf_counter()
            response = clients[name].get("/health")
            if response.status_code != 200:
                raise SystemExit(f"/health answered {response.status_code}")
            if timed:
                health[name].append(time.perf_counter() - started)

        for name in servers:  # warm-up
            for _ in range(5):
                lifecycle(name, False)
            for _ in range(20):
                ping(name, False)
        for _ in range(args.rounds):
            for name in servers:
                for _ in range(2):
                    lifecycle(name, True)
                for _ in range(10):
                    ping(name, True)
    finally:
        for client in clients.values():
            client.close()
    print(
        f"backend {args.backend}; {args.rounds} rounds alternating the two servers; one client; "
        f"workflow cache on"
    )
    print(
        f"  {'server':<10} {'health p50':>11} {'health p95':>11} "
        f"{'compl p50':>10} {'compl p95':>10}"
    )
    for name in servers:
        h, c = describe(health[name]), describe(completion[name])
        print(f"  {name:<10} {h['p50']:11.2f} {h['p95']:11.2f} {c['p50']:10.2f} {c['p95']:10.2f}")
    base_h, base_c = describe(health["as built"]), describe(completion["as built"])
    lean_h, lean_c = describe(health["lean"]), describe(completion["lean"])
    print(
        f"  the metrics middleware costs {base_h['p50'] - lean_h['p50']:.2f} ms per request on "
        f"/health and {base_c['p50'] - lean_c['p50']:.2f} ms on a completion (p50 difference)"
    )


if __name__ == "__main__":
    sys.exit(main())
