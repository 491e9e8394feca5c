"""The web console (督查工作台): the built single-page app in `web/dist`, served at `/`.

Every asset is served from here (intranets are offline: no CDN). Paths under /api, /docs,
/health and /metrics belong to the API; any other path that is not a file gets `index.html`,
so that a shared link (e.g. /matters/<id>) opens the page after sign-in.
"""

from pathlib import Path

from fastapi import FastAPI

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"


def mount_console(app: FastAPI, directory: Path = CONSOLE_DIR) -> None:
    """Serve the console when it has been built (`make run` builds it)."""
    del app, directory  # the console package fills this in
