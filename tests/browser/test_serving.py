"""Serving the console (app/web.py): files, index.html for pages, API paths left alone."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.web import mount_console


def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<!doctype html><title>督查</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("no")
    return tmp_path


def client(directory: Path) -> TestClient:
    app = FastAPI()

    @app.get("/api/v1/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    mount_console(app, directory)
    return TestClient(app)


def test_pages_get_index_and_hashed_assets_are_cached_for_ever(tmp_path: Path) -> None:
    c = client(built(tmp_path / "dist"))
    for page in ("/", "/tasks", "/matters/6f1c3a9e-0000-4000-8000-000000000000"):
        answer = c.get(page)
        assert answer.status_code == 200, page
        assert "督查" in answer.text
        assert answer.headers["cache-control"] == "no-cache"
    asset = c.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert c.get("/favicon.svg").headers["cache-control"] == "no-cache"
    assert c.get("/assets/index-old999.js").status_code == 404


def test_api_paths_are_never_the_console(tmp_path: Path) -> None:
    c = client(built(tmp_path / "dist"))
    assert c.get("/api/v1/thing").json() == {"ok": "yes"}
    for path in ("/api/v1/missing", "/health", "/metrics", "/docs/x", "/api"):
        answer = c.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json")
    assert c.get("/%2e%2e/secret.txt").text != "no"


def test_nothing_is_served_before_the_console_is_built(tmp_path: Path) -> None:
    c = client(tmp_path / "missing")
    assert c.get("/").status_code == 404
    assert c.get("/matters/x").status_code == 404
    assert c.get("/api/v1/console/config").status_code == 200
