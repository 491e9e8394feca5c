"""Routes of the console: how to sign in (the OIDC provider, when configured), (only in a
`--demo` run) the demo users, the dashboard's counts of matters (stats.py) and the inbox
(inbox_api.py)."""

import json
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from app.config import Settings, get_settings
from app.console import inbox_api, stats
from app.engine import SessionDep
from app.identity.auth import Authenticator
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.errors import NotFound
from app.kit.routing import Router
from app.kit.shared import ERRORS
from app.supervision.schemas import MatterFilters

router = Router(prefix="/api/v1/console", tags=["console"], responses=ERRORS)
DEMO_USERS = Path(__file__).resolve().parent.parent.parent / "data" / "demo_users.json"


class OidcConfig(BaseModel):
    """The intranet OIDC provider the sign-in page sends users to (authorization code + PKCE)."""

    issuer: str
    client_id: str
    scope: str
    bearer: Literal["access_token", "id_token"] = Field(
        description="which of the token endpoint's tokens the console sends as its bearer"
    )


class ConsoleConfig(BaseModel):
    """How the console signs users in."""

    auth_mode: str
    demo: bool
    oidc: OidcConfig | None = Field(
        default=None, description="set when the provider is configured (and auth_mode is jwt)"
    )


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
    return ConsoleConfig(
        auth_mode=settings.auth_mode, demo=demo_enabled(settings), oidc=oidc_config(settings)
    )


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The provider, when both its issuer and the console's client id are set (jwt mode only:
    behind the proxy there is nothing to sign in to)."""
    issuer, client_id = settings.console_oidc_issuer, settings.console_oidc_client_id
    if settings.auth_mode != "jwt" or not issuer or not client_id:
        return None
    return OidcConfig(
        issuer=issuer,
        client_id=client_id,
        scope=settings.console_oidc_scope,
        bearer="id_token" if settings.console_oidc_use_id_token else "access_token",
    )


@router.get("/demo-users", response_model=list[DemoUser])
def demo_users(request: Request, settings: SettingsDep) -> list[DemoUser]:
    """The demo users with a fresh token each; 404 unless the service runs with `--demo`."""
    if not demo_enabled(settings):
        raise NotFound("demo users are offered only by `ducha serve --demo`")
    authenticator: Authenticator = request.app.state.authenticator
    users = json.loads(DEMO_USERS.read_text(encoding="utf-8"))
    return [DemoUser(**u, token=authenticator.mint(**u)) for u in users]


@router.get("/matter-stats", response_model=stats.MatterStats)
def matter_stats(
    s: SessionDep,
    principal: Annotated[Principal, Depends(permission("matters.read"))],
    filters: Annotated[MatterFilters, Depends()],
    group_by: stats.GroupBy = "light",
) -> stats.MatterStats:
    """Matters in your scope passing the list's filters, counted per `group_by` (`unit`: the lead
    unit; `month`: the month assigned, `YYYY-MM`)."""
    return stats.matter_stats(s, principal, filters, group_by)


router.include_router(inbox_api.router)
