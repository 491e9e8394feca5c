"""What an instance modification costs beside a task completion, in-process (no socket).

    .venv/bin/python -m bench.modification                    # SQLite and PostgreSQL
    .venv/bin/python -m bench.modification --backend sqlite --count 100

The whole app (authentication, access, audit, the database) through FastAPI's TestClient, on
instances of `tests/engine/bpmn/modification_steps.bpmn` waiting at a user task with a boundary
timer: per instance, `GET …/activity-instances`, then `POST …/modification` (cancel the
task and start before the review task: a task closed, a job dropped, a task created), against
the completion of the same user task on as many other instances, with `GET …/{id}` (the
instance's detail) as a baseline. Prints p50 / p95 in ms per operation. Only 127.0.0.1 is
used; the PostgreSQL database is created and dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.engine_bench import UNITS_FILE, describe, postgres_database  # noqa: E402

BPMN = ROOT / "tests" / "engine" / "bpmn" / "modification_steps.bpmn"
SECRET = "ducha-modification-bench-0123456789-0123456789"
API = "/api/v1"


@contextlib.contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    """A fresh, migrated database of `backend`, removed afterwards."""
    from app.migrate import upgrade

    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url
        return
    with postgres_database(postgres_url) as url:
        upgrade(url)
        yield url


def measure(backend: str, url: str, count: int) -> dict[str, dict[str, float]]:
    """Latencies of `count` reads of the tree, modifications and completions."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from app.config import Settings
    from app.identity.principal import KNOWN_ROLES
    from app.main import create_app

    settings = Settings(
        database_url=url,
        processes_dir=Path(tempfile.gettempdir()) / "no-processes",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
        workers_enabled=False,
        jwt_secret=SecretStr(SECRET),
        units_file=UNITS_FILE,
        _env_file=None,  # type: ignore[call-arg]
    )
    with TestClient(create_app(settings)) as client:
        token = client.app.state.authenticator.mint(  # type: ignore[attr-defined]
            sub="bench", name="bench", unit="320000-DCS", roles=sorted(KNOWN_ROLES)
        )
        client.headers["Authorization"] = f"Bearer {token}"
        files = [("file", (BPMN.name, BPMN.read_bytes(), "application/xml"))]
        assert client.post(f"{API}/process-definitions", files=files).status_code in (200, 201)
        started = [_start(client) for _ in range(2 * count)]
        modify, complete = started[:count], started[count:]
        detail = _timed(modify, lambda i: _ok(client.get(f"{API}/process-instances/{i[0]}")))
        reads = _timed(
            modify, lambda i: _ok(client.get(f"{API}/process-instances/{i[0]}/activity-instances"))
        )
        mods = _timed(
            modify,
            lambda i: _ok(
                client.post(
                    f"{API}/process-instances/{i[0]}/modification",
                    json={
                        "reason": "bench",
                        "instructions": [
                            {"type": "cancel", "activity_instance_id": i[1]},
                            {"type": "start_before", "element_id": "review"},
                        ],
                    },
                )
            ),
        )
        done = _timed(
            complete,
            lambda i: _ok(client.post(f"{API}/tasks/{i[1]}/complete", json={"variables": {}})),
        )
    return {
        "GET instance (baseline)": detail,
        "GET activity-instances": reads,
        "POST modification": mods,
        "POST complete": done,
    }


def _start(client: Any) -> tuple[str, str]:
    body = {
        "process_key": "repair_report",
        "variables": {"unit": "320000-DCS", "total": 1, "count": 1},
    }
    started = _ok(client.post(f"{API}/process-instances", json=body))
    return started["id"], started["ready_tasks"][0]["id"]


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _timed(
    items: list[tuple[str, str]], call: Callable[[tuple[str, str]], Any]
) -> dict[str, float]:
    seconds = []
    for item in items:
        started = time.perf_counter()
        call(item)
        seconds.append(time.perf_counter() - started)
    return describe(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with database(backend, args.postgres_url) as url:
            figures = measure(backend, url, args.count)
        print(f"{backend}, {args.count} each (ms):")
        for name, stats in figures.items():
            print(f"  {name:<24} p50 {stats['p50']:6.2f}  p95 {stats['p95']:6.2f}")


if __name__ == "__main__":
    main()
