"""Migration throughput: how many running instances per second a batch moves to a new version.

    .venv/bin/python -m bench.migration                  # 1,000 instances, SQLite and PostgreSQL
    .venv/bin/python -m bench.migration --quick          # 100 instances
    .venv/bin/python -m bench.migration -n 5000 --backend postgresql --postgres-url URL

Runs the service in-process (TestClient, default settings, no background threads) on a fresh
database of each backend: a SQLite file in a temporary directory, and a database of its own on
the PostgreSQL server (created, then dropped). Deploys `tests/engine/bpmn/migration_v1.bpmn` and
`migration_v2.bpmn`, starts N instances of v1 through the service's own code (each waits at a user
task with a boundary timer: a task row and a job row to move), empties the warm workflow cache (a
long-running instance is never warm), then times over REST the validation of the selection
(`POST /migrations/validate`) and the batch run to its end (`migration_runs.run_to_completion`,
the background runner's own code, a chunk of 25 instances per transaction).
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/migration.py` as well as `python -m bench...`
    sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.engine import start_instance  # noqa: E402
from app.engine.api import migration_runs  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrate import upgrade  # noqa: E402

API = "/api/v1"
BPMN = ROOT / "tests" / "engine" / "bpmn"
SECRET = "ducha-bench-secret-not-for-production-0123456789"
ROLES = ["admin", "process_designer", "supervision_office"]
DEFAULT_POSTGRES = os.environ.get(
    "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh, migrated database on the server (local only), dropped afterwards."""
    if make_url(server_url).host not in ("127.0.0.1", "localhost", None):
        raise SystemExit("refusing a PostgreSQL server that is not on 127.0.0.1")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"ducha_bench_migration_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def service(url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=url,
        processes_dir=ROOT / "var" / "no-processes",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
        workers_enabled=False,
        jwt_secret=SecretStr(SECRET),
        units_file=ROOT / "data" / "units_demo.json",
        _env_file=None,  # type: ignore[call-arg]
    )
    with TestClient(create_app(settings)) as client:
        token = client.app.state.authenticator.mint(  # type: ignore[attr-defined]
            sub="bench", name="bench", unit="320000-DCS", roles=ROLES
        )
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def deploy(client: TestClient, name: str) -> dict[str, Any]:
    files = {"file": (name, (BPMN / name).read_bytes(), "application/xml")}
    response = client.post(f"{API}/process-definitions", files=files)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def start_many(client: TestClient, count: int) -> float:
    """Start `count` instances of v1 waiting at `review`, 100 per transaction; seconds taken."""
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def hundred(session: Any, first: int) -> None:
        for n in range(first, min(first + 100, count)):
            start_instance(
                engine,
                session,
                process_key="migration_case",
                version=1,
                business_key=f"bench-{n}",
                variables={"path": "review"},
                actor="bench",
                unit_code="320000-DCS",
            )

    began = time.perf_counter()
    for first in range(0, count, 100):
        engine.db.transaction(lambda s, first=first: hundred(s, first))
    return time.perf_counter() - began


def measure(backend: str, url: str, count: int) -> dict[str, Any]:
    with service(url) as client:
        deploy(client, "migration_called.bpmn")
        v1, v2 = deploy(client, "migration_v1.bpmn"), deploy(client, "migration_v2.bpmn")
        started = start_many(client, count)
        mappings = [{"source_element_id": "review", "target_element_id": "check_report"}]
        body = {"source_definition_id": v1["id"], "target_definition_id": v2["id"]}
        plan = client.post(f"{API}/migrations/plan", json={**body, "mappings": mappings}).json()
        selection = {"all": True}
        engine = client.app.state.engine  # type: ignore[attr-defined]
        engine.workflows.clear()
        began = time.perf_counter()
        checked = client.post(
            f"{API}/migrations/validate", json={"plan": plan, "selection": selection}
        )
        validated = time.perf_counter() - began
        assert checked.status_code == 200, checked.text
        assert checked.json()["migratable"] == count
        payload = {"plan": plan, "selection": selection, "reason": "bench"}
        batch = client.post(f"{API}/migrations", json=payload).json()
        engine.workflows.clear()
        began = time.perf_counter()
        settings = client.app.state.settings  # type: ignore[attr-defined]
        migration_runs.run_to_completion(engine, settings, uuid.UUID(batch["id"]))
        migrated = time.perf_counter() - began
        done = client.get(f"{API}/migrations/{batch['id']}").json()
        assert (done["migrated"], done["failed"]) == (count, 0), done
    return {
        "backend": backend,
        "instances": count,
        "start_s": started,
        "validate_per_s": count / validated,
        "migrate_s": migrated,
        "migrate_per_s": count / migrated,
        "ms_per_instance": migrated * 1000 / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--instances", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="100 instances")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    count = 100 if args.quick else args.instances
    if not 1 <= count <= 100_000:
        raise SystemExit("-n must be between 1 and 100,000")
    rows = []
    if args.backend in ("sqlite", "both"):
        with sqlite_database() as url:
            rows.append(measure("sqlite", url, count))
    if args.backend in ("postgresql", "both"):
        with postgres_database(args.postgres_url) as url:
            rows.append(measure("postgresql", url, count))
    print(
        f"{'backend':<11} {'instances':>9} {'start (s)':>9} {'validate/s':>10} "
        f"{'migrate (s)':>11} {'migrated/s':>10} {'ms/instance':>11}"
    )
    for row in rows:
        print(
            f"{row['backend']:<11} {row['instances']:>9} {row['start_s']:>9.1f} "
            f"{row['validate_per_s']:>10.0f} {row['migrate_s']:>11.2f} "
            f"{row['migrate_per_s']:>10.0f} {row['ms_per_instance']:>11.2f}"
        )


if __name__ == "__main__":
    main()
