"""What a client sees, and how long it waits, under each database fault (docs/deployment.md).

    .venv/bin/python -m bench.db_faults [--postgres-url URL] [--repeat N]

Runs the service in-process (TestClient) on a database of its own on the PostgreSQL server,
with the tests' loopback proxy (tests/service/dbproxy.py) between the service and the server;
the server itself is never stopped. Default settings throughout, except where a row says.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "service"))

from dbproxy import DbProxy  # noqa: E402

from app.config import Settings  # noqa: E402
from app.engine.persist.models import ProcessInstance  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrate import upgrade  # noqa: E402

SECRET = "ducha-bench-secret-not-for-production-0123456789"
START = {"process_key": "five_steps"}
BPMN = ROOT / "tests" / "engine" / "bpmn" / "five_steps.bpmn"
ROLES = ["admin", "process_designer", "supervision_office"]


@contextmanager
def database(server_url: str) -> Iterator[str]:
    """A fresh, migrated database on the server, dropped afterwards."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"ducha_faults_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def service(url: str, proxy: DbProxy, **changes: object) -> Iterator[TestClient]:
    settings = Settings(
        database_url=proxy.url(url),
        processes_dir=ROOT / "var" / "no-processes",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
        workers_enabled=False,
        jwt_secret=SecretStr(SECRET),
        units_file=ROOT / "data" / "units_demo.json",
        _env_file=None,  # type: ignore[call-arg]
        **changes,
    )
    with TestClient(create_app(settings)) as client:
        token = client.app.state.authenticator.mint(
            sub="bench", name="bench", unit="320000-DCS", roles=ROLES
        )
        client.headers["Authorization"] = f"Bearer {token}"
        if client.get("/api/v1/process-definitions").json()["total"] == 0:
            files = {"file": ("five_steps.bpmn", BPMN.read_bytes(), "application/xml")}
            assert client.post("/api/v1/process-definitions", files=files).status_code == 201
        client.get("/health")  # FastAPI sets a route up on its first request (~0.7 s), once
        yield client


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def seen(response) -> str:  # type: ignore[no-untyped-def]
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    retry = " +Retry-After" if "retry-after" in response.headers else ""
    return f"{response.status_code} {code}{retry}".strip()


def recovery(client: TestClient) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 10:
        if client.post("/api/v1/process-instances", json=START).status_code == 201:
            return time.monotonic() - started
        time.sleep(0.02)
    return float("inf")


def line(name: str, answers: list[str], waits: list[float], health: list[float], rec: list[float]):
    def fmt(values: list[float]) -> str:
        if not values:
            return "—"
        return f"{statistics.median(values):.2f} s (max {max(values):.2f})"

    print(
        f"| {name} | {', '.join(sorted(set(answers)))} | {fmt(waits)} | {fmt(health)} "
        f"| {fmt(rec)} |"
    )


def link_fault(url: str, proxy: DbProxy, mode: str, repeat: int) -> None:
    answers, waits, health, rec = [], [], [], []
    with service(url, proxy) as client:
        for _ in range(repeat):
            client.get("/api/v1/process-instances")  # a warm pool
            proxy.set(mode)
            response, waited = timed(lambda: client.post("/api/v1/process-instances", json=START))
            answers.append(seen(response))
            waits.append(waited)
            _, waited = timed(lambda: client.get("/health"))
            health.append(waited)
            proxy.set("pass")
            rec.append(recovery(client))
    line(mode, answers, waits, health, rec)


def commit_cut(url: str, proxy: DbProxy, mode: str, repeat: int) -> None:
    answers, waits, retries, retry_waits = [], [], [], []
    with service(url, proxy) as client:
        for index in range(repeat):
            headers = {"Idempotency-Key": f"{mode}-{index}"}
            proxy.commits_to_pass = 1  # the key's lookup
            proxy.set(mode)
            post = lambda h=headers: client.post("/api/v1/process-instances", json=START, headers=h)  # noqa: E731
            response, waited = timed(post)
            answers.append(seen(response))
            waits.append(waited)
            response, waited = timed(post)
            replayed = " replayed" if "idempotent-replayed" in response.headers else " fresh"
            retries.append(seen(response) + replayed)
            retry_waits.append(waited)
            time.sleep(0.5)  # the answer's store (its own COMMIT) is done before the next cut
    line(f"{mode} (with a key)", answers, waits, [], [])
    line("  … its retry with the same key", retries, retry_waits, [], [])


def pool_exhausted(url: str, proxy: DbProxy, repeat: int) -> None:
    answers, waits = [], []
    with service(url, proxy, db_pool_size=1, db_max_overflow=0) as client:
        for _ in range(repeat):
            with client.app.state.db.engine.connect():
                response, waited = timed(lambda: client.get("/api/v1/process-instances"))
            answers.append(seen(response))
            waits.append(waited)
    line("pool exhausted (pool 1, overflow 0)", answers, waits, [], [])


def statement_too_long(url: str, proxy: DbProxy) -> None:
    with service(url, proxy) as client:
        instance = client.post("/api/v1/process-instances", json=START).json()
        task = instance["ready_tasks"][0]["id"]
        locker = create_engine(url)
        with locker.begin() as connection:  # holds the instance's row
            connection.execute(
                select(ProcessInstance.id)
                .where(ProcessInstance.id == instance["id"])
                .with_for_update()
            )
            response, waited = timed(
                lambda: client.post(f"/api/v1/tasks/{task}/complete", json={"variables": {}})
            )
        locker.dispose()
    line("statement too long (a lock held)", [seen(response)], [waited], [], [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with database(args.postgres_url) as url:
        target = make_url(url)
        proxy = DbProxy((target.host or "127.0.0.1", target.port or 5432))
        try:
            print("| fault | client sees | answer after | /health after | works again after |")
            print("|---|---|---|---|---|")
            for mode in ("refuse", "reset", "blackhole"):
                link_fault(url, proxy, mode, args.repeat)
            for mode in ("cut_after_commit", "cut_before_commit"):
                commit_cut(url, proxy, mode, args.repeat)
            pool_exhausted(url, proxy, args.repeat)
            statement_too_long(url, proxy)
        finally:
            proxy.close()


if __name__ == "__main__":
    main()
