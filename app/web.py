"""The web console (督查工作台): the built single-page app in `web/dist`, served at `/`.

Every asset is served from here (intranets are offline: no CDN). Paths under /api, /docs,
/health and /metrics belong to the API; any other path that is not a file gets `index.html`,
so that a shared link (e.g. /matters/<id>) opens the page after sign-in.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response

from app.console.api import router as console_router

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"
API_PREFIXES = ("api", "docs", "openapi.json", "redoc", "health", "metrics")
# Vite names every file under assets/ by its content hash: it may be cached for ever.
HASHED = {"Cache-Control": "public, max-age=31536000, immutable"}
REVALIDATE = {"Cache-Control": "no-cache"}


def mount_console(app: FastAPI, directory: Path = CONSOLE_DIR) -> None:
    """The console's API, and its files when it has been built (`make run` builds it)."""
    app.include_router(console_router)
    index = directory / "index.html"
    if not index.is_file():
        return
    root = directory.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def console(path: str) -> Response:
        """A built file, or index.html for a page of the console; API paths stay 404."""
        if path.split("/", 1)[0] in API_PREFIXES:
            return JSONResponse({"detail": "Not Found", "code": "not_found"}, status_code=404)
        file = _built_file(root, path)
        if file is None and path.startswith("assets/"):  # an old build's file: not a page
            return JSONResponse({"detail": "Not Found", "code": "not_found"}, status_code=404)
        if file is None:
            return FileResponse(index, headers=REVALIDATE)
        hashed = file.parent == root / "assets"
        return FileResponse(file, headers=HASHED if hashed else REVALIDATE)


def _built_file(root: Path, path: str) -> Path | None:
    """The file under `root` that `path` names; never one outside it."""
    if not path:
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
