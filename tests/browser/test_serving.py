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


def packed(tmp_path: Path) -> Path:
    """A build whose text files have their pre-compressed siblings (web/scripts/compress.mjs)."""
    import gzip

    directory = built(tmp_path / "dist")
    for file in (directory / "index.html", directory / "assets" / "index-abc123.js"):
        (file.parent / (file.name + ".gz")).write_bytes(gzip.compress(file.read_bytes()))
        (file.parent / (file.name + ".br")).write_bytes(b"brotli:" + file.read_bytes())
    return directory


def test_the_smallest_coding_the_browser_accepts_is_sent_pre_compressed(tmp_path: Path) -> None:
    c = client(packed(tmp_path))
    accepts = {"Accept-Encoding": "gzip, deflate, br"}
    with c.stream("GET", "/assets/index-abc123.js", headers=accepts) as br:
        body = b"".join(br.iter_raw())  # as sent: the client does not decode it
    assert br.headers["content-encoding"] == "br" and br.headers["vary"] == "Accept-Encoding"
    assert body == b"brotli:console.log(1)"  # the .br file as built, not re-compressed
    assert br.headers["content-type"].startswith("text/javascript")
    assert "immutable" in br.headers["cache-control"]
    gz = c.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.text == "console.log(1)"
    refused = c.get("/assets/index-abc123.js", headers={"Accept-Encoding": "br;q=0, gzip;q=0.5"})
    assert refused.headers["content-encoding"] == "gzip"
    plain = c.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == "console.log(1)"
    page = c.get("/matters/x", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "督查" in page.text
    assert page.headers["content-type"].startswith("text/html")
    # A file the build left uncompressed (too small) goes as it is.
    svg = c.get("/favicon.svg", headers={"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in svg.headers and svg.text == "<svg/>"
