"""Start-up: migrations run, processes/ is deployed idempotently, health and metrics answer;
what start-up made is kept out of the collector's full passes."""

import gc
from pathlib import Path

from conftest import DEMO_UNITS, TEST_SECRET, TESTER, login
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.config import Settings
from app.main import create_app

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        processes_dir=PROCESSES,
        scheduler_enabled=False,
        jwt_secret=SecretStr(TEST_SECRET),
        units_file=DEMO_UNITS,  # the caller's unit must be in the tree
        _env_file=None,  # type: ignore[call-arg]
    )


def test_processes_are_deployed_once_across_restarts(database_url):
    with TestClient(create_app(_settings(database_url))) as client:
        client.headers.update(login(client, **TESTER))
        first = client.get("/api/v1/process-definitions", params={"latest": True}).json()
    with TestClient(create_app(_settings(database_url))) as client:
        client.headers.update(login(client, **TESTER))
        second = client.get("/api/v1/process-definitions").json()
    keys = {d["key"] for d in first["items"]}
    assert "supervision_plan_approval" in keys
    assert len(keys) == len(list(PROCESSES.glob("*.bpmn")))
    # A restart deploys identical files again: no new versions.
    assert second["total"] == first["total"]
    assert {d["version"] for d in second["items"]} == {1}


def test_fresh_sqlite_file_is_migrated_at_start(tmp_path):
    url = f"sqlite:///{tmp_path}/nested/dir/ducha.db"
    with TestClient(create_app(_settings(url))) as client:
        assert client.get("/health").json() == {"status": "ok", "database": "ok"}
        client.headers.update(login(client, **TESTER))
        assert client.get("/api/v1/process-definitions").json()["total"] >= 1


def test_health_reports_an_unreachable_database(tmp_path):
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_metrics_are_prometheus_text(client):
    client.get("/api/v1/process-definitions")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "ducha_http_requests_total" in response.text


def test_what_start_up_made_is_kept_out_of_full_collections_while_serving(tmp_path):
    # ~350,000 objects live as long as the service: a full collection walking them paused a
    # request for ~150 ms (docs/performance.md). Frozen after start-up, given back at shutdown.
    gc.unfreeze()
    settings = _settings(f"sqlite:///{tmp_path / 'gc.db'}").model_copy(update={"gc_freeze": True})
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 100_000
    assert gc.get_freeze_count() == 0
