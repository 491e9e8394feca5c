"""`make run` watches processes/ (issue 15, designer's toolkit): a changed diagram is deployed at
once as a new version; a broken one is logged as `ducha lint` prints it and deploys nothing."""

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BPMN_DIR, TESTER, login
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

API = "/api/v1"


def versions(client: TestClient, key: str) -> list[int]:
    response = client.get(f"{API}/process-definitions", params={"key": key})
    assert response.status_code == 200, response.text
    return sorted(d["version"] for d in response.json()["items"])


def eventually(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Poll a condition a file watcher makes true (its events come from the OS, not our clock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_a_changed_diagram_is_deployed_and_a_broken_one_only_logged(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    diagram = folder / "review.bpmn"
    shutil.copy(BPMN_DIR / "called_review.bpmn", diagram)
    watched = settings.model_copy(
        update={"processes_dir": folder, "deploy_on_startup": True, "watch_processes": True}
    )
    caplog.set_level(logging.INFO, logger="ducha.watch")
    with TestClient(create_app(watched)) as client:
        client.headers.update(login(client, **TESTER))
        assert versions(client, "review_document") == [1]
        source = diagram.read_text(encoding="utf-8")
        diagram.write_text(source.replace('name="Review"', 'name="Review it"'), encoding="utf-8")
        assert eventually(lambda: versions(client, "review_document") == [1, 2])
        diagram.write_text(source.replace('targetRef="review"', 'targetRef="nowhere"'), "utf-8")
        assert eventually(
            lambda: any(
                "review.bpmn" in r.message and "error" in r.message
                for r in caplog.records
                if r.levelno == logging.ERROR
            )
        )
        assert versions(client, "review_document") == [1, 2]
