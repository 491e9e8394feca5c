"""Fixtures: a migrated database per backend (SQLite and PostgreSQL), an app, a client, a clock.

PostgreSQL comes from DUCHA_TEST_POSTGRES_URL (default: the local server's `test` database,
where each test worker creates a database of its own). When it is unreachable the PostgreSQL
half is skipped — except under CI=true, where that is a failure.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.identity.principal import KNOWN_ROLES
from app.kit.clock import clock
from app.main import create_app
from app.migrate import upgrade

pytest_plugins = ["browser.browser_fixtures"]  # `service` and `page` for tests/browser

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "DUCHA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
# A test process starts thousands of services: a full collection before each freeze (~150 ms,
# growing with the process) would cost the suite minutes. Tested where it is the subject.
os.environ.setdefault("DUCHA_GC_FREEZE", "false")
TEST_SECRET = "ducha-test-secret-not-for-production-0123456789"
DEMO_UNITS = ROOT / "data" / "units_demo.json"
# The default caller of the `client` fixture: every role, in the province's supervision office.
TESTER = {"sub": "tester", "name": "测试员", "unit": "320000-DCS", "roles": sorted(KNOWN_ROLES)}


# One database per test run and worker: runs of the suite side by side never share one.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]


def _worker() -> str:
    return f"{_RUN}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test worker."""
    admin_url = make_url(POSTGRES_URL)
    name = f"ducha_test_{_worker()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL unreachable at {admin_url.render_as_string()}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each backend in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ducha.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    truncate_all(url)
    return url


def truncate_all(url: str) -> None:
    """Empty every table of a PostgreSQL database (kept migrated)."""
    engine = create_engine(url)
    existing = set(inspect(engine).get_table_names()) - {"alembic_version"}
    tables = ", ".join(f'"{name}"' for name in sorted(existing))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    """The service clock stopped at a known instant (2026-03-02 09:00 China time)."""
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock.freeze(start)
    yield start
    clock.reset()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test app: its own database, no background scheduler or workers, no
    auto-deploy."""
    return Settings(
        database_url=database_url,
        processes_dir=tmp_path / "no-processes",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
        workers_enabled=False,  # tests run the workers' rounds themselves
        jwt_secret=SecretStr(TEST_SECRET),
        units_file=DEMO_UNITS,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of a fresh app on each backend (with the demo unit tree), signed in as TESTER."""
    app = create_app(settings)
    with TestClient(app) as test_client:
        test_client.headers.update(login(test_client, **TESTER))
        yield test_client


def login(
    client: TestClient, sub: str, unit: str, roles: list[str], name: str | None = None
) -> dict:
    """Authorization headers for a user (a token minted with the test secret)."""
    token = client.app.state.authenticator.mint(sub=sub, name=name or sub, unit=unit, roles=roles)
    return {"Authorization": f"Bearer {token}"}


BPMN_DIR = Path(__file__).resolve().parent / "engine" / "bpmn"


def deploy(client: TestClient, name: str, forms: dict[str, bytes] | None = None) -> dict:
    """Deploy a test diagram from tests/engine/bpmn; returns the definition."""
    files: list = [("file", (name, (BPMN_DIR / name).read_bytes(), "application/xml"))]
    for form_name, content in (forms or {}).items():
        files.append(("forms", (form_name, content, "application/json")))
    response = client.post("/api/v1/process-definitions", files=files)
    assert response.status_code in (200, 201), response.text
    return response.json()


def start(client: TestClient, key: str, **body: object) -> dict:
    """Start an instance; returns its detail."""
    response = client.post("/api/v1/process-instances", json={"process_key": key, **body})
    assert response.status_code == 201, response.text
    return response.json()


def complete(client: TestClient, task_id: str, variables: dict | None = None, **kw: str) -> dict:
    """Complete a task; returns the instance detail."""
    response = client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"variables": variables or {}}, headers=kw
    )
    assert response.status_code == 200, response.text
    return response.json()


def ready(instance: dict, element_id: str | None = None) -> list[dict]:
    """The instance's ready tasks (of one element, when given)."""
    return [t for t in instance["ready_tasks"] if element_id in (None, t["element_id"])]


@pytest.fixture
def matter_client(settings: Settings) -> Iterator[TestClient]:
    """The service with processes/ deployed, its clock at 2026-03-02 09:00 China time."""
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    settings = settings.model_copy(
        update={"processes_dir": ROOT / "processes", "deploy_on_startup": True}
    )
    with TestClient(create_app(settings)) as client:
        yield client
    clock.reset()
