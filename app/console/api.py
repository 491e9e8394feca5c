"""Routes of the console: how to sign in, (only in a `--demo` run) the demo users, and the
dashboard's counts of matters (stats.py)."""

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from app.config import Settings, get_settings
from app.console import stats
from app.errors import NotFound
from app.identity.auth import Authenticator
from app.shared import ERRORS

router = APIRouter(prefix="/api/v1/console", tags=["console"], responses=ERRORS)
DEMO_USERS = Path(__file__).resolve().parent.parent.parent / "data" / "demo_users.json"


class ConsoleConfig(BaseModel):
    """How the console signs users in."""

    auth_mode: str
    demo: bool


class DemoUser(BaseModel):
    sub: str
    name: str
    unit: str
    roles: list[str]
    token: str


def app_settings(request: Request) -> Settings:
    settings: Settings = getattr(request.app.state, "settings", None) or get_settings()
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]


def demo_enabled(settings: Settings) -> bool:
    """Demo users are offered only by a `--demo` run that signs its own tokens."""
    return settings.console_demo and settings.auth_mode == "jwt"


@router.get("/config", response_model=ConsoleConfig)
def console_config(settings: SettingsDep) -> ConsoleConfig:
    """No authentication: the sign-in page reads it before anyone is signed in."""
    return ConsoleConfig(auth_mode=settings.auth_mode, demo=demo_enabled(settings))


@router.get("/demo-users", response_model=list[DemoUser])
def demo_users(request: Request, settings: SettingsDep) -> list[DemoUser]:
    """The demo users with a fresh token each; 404 unless the service runs with `--demo`."""
    if not demo_enabled(settings):
        raise NotFound("demo users are offered only by `ducha serve --demo`")
    authenticator: Authenticator = request.app.state.authenticator
    users = json.loads(DEMO_USERS.read_text(encoding="utf-8"))
    return [DemoUser(**u, token=authenticator.mint(**u)) for u in users]


router.include_router(stats.router)  # GET /api/v1/console/matter-stats (the dashboard's counts)
