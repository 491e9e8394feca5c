"""The web console (督查工作台): the built single-page app in `web/dist`, served at `/`.

Every asset is served from here (intranets are offline: no CDN). Paths under /api, /docs,
/health and /metrics belong to the API; any other path that is not a file gets `index.html`,
so that a shared link (e.g. /matters/<id>) opens the page after sign-in.

Text files are compressed once, at build (`web/scripts/compress.mjs` writes `.br` and `.gz`
beside each): the smallest the browser accepts is sent, and no request pays for compressing.
"""

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from app.console.api import router as console_router

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"
API_PREFIXES = ("api", "docs", "openapi.json", "redoc", "health", "metrics")
# Vite names every file under assets/ by its content hash: it may be cached for ever.
HASHED = {"Cache-Control": "public, max-age=31536000, immutable"}
REVALIDATE = {"Cache-Control": "no-cache"}
# Content codings the build writes beside a file, the smallest first.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def mount_console(app: FastAPI, directory: Path = CONSOLE_DIR) -> None:
    """The console's API, and its files when it has been built (`make run` builds it)."""
    app.include_router(console_router)
    index = directory / "index.html"
    if not index.is_file():
        return
    root = directory.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def console(path: str, request: Request) -> Response:
        """A built file, or index.html for a page of the console; API paths stay 404."""
        if path.split("/", 1)[0] in API_PREFIXES:
            return JSONResponse({"detail": "Not Found", "code": "not_found"}, status_code=404)
        file = _built_file(root, path)
        if file is None and path.startswith("assets/"):  # an old build's file: not a page
            return JSONResponse({"detail": "Not Found", "code": "not_found"}, status_code=404)
        if file is None:
            return _send(index, REVALIDATE, request)
        hashed = file.parent == root / "assets"
        return _send(file, HASHED if hashed else REVALIDATE, request)


def _send(file: Path, headers: dict[str, str], request: Request) -> FileResponse:
    """`file`, or its pre-compressed sibling in a coding the request accepts (`Vary` tells
    caches that the answer depends on Accept-Encoding)."""
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    accepted = _accepted(request.headers.get("accept-encoding", ""))
    for coding, suffix in ENCODINGS:
        packed = file.with_name(file.name + suffix)
        if coding in accepted and packed.is_file():
            sent = {**headers, "Content-Encoding": coding, "Vary": "Accept-Encoding"}
            return FileResponse(packed, headers=sent, media_type=media_type)
    return FileResponse(file, headers={**headers, "Vary": "Accept-Encoding"}, media_type=media_type)


def _accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding header accepts: `q=0` refuses one, `*` accepts ours."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.partition(";")
        quality = params.strip()
        if quality.startswith("q=") and _zero(quality[2:]):
            continue
        accepted.add(coding.strip().lower())
    if "*" in accepted:
        accepted.update(coding for coding, _ in ENCODINGS)
    return accepted


def _zero(quality: str) -> bool:
    try:
        return float(quality) <= 0
    except ValueError:
        return True  # an unreadable weight: not accepted


def _built_file(root: Path, path: str) -> Path | None:
    """The file under `root` that `path` names; never one outside it."""
    if not path:
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
