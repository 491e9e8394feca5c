"""GET /api/v1/console/config: how the sign-in page signs users in, OIDC provider included."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app

API = "/api/v1"
ISSUER = "https://sso.example.gov.cn/realms/gov"


def config(settings: Settings) -> dict:
    """The config as an anonymous caller (the sign-in page, before anyone is signed in) sees it."""
    with TestClient(create_app(settings)) as anonymous:
        response = anonymous.get(f"{API}/console/config")
        assert response.status_code == 200, response.text
        body: dict = response.json()
        return body


def test_without_a_provider_there_is_no_oidc(client):
    client.headers.pop("Authorization")
    response = client.get(f"{API}/console/config")
    assert response.status_code == 200
    assert response.json() == {"auth_mode": "jwt", "demo": False, "oidc": None}


def test_the_provider_is_offered_with_the_access_token_as_bearer(settings):
    body = config(
        settings.model_copy(
            update={"console_oidc_issuer": ISSUER, "console_oidc_client_id": "ducha-console"}
        )
    )
    assert body["oidc"] == {
        "issuer": ISSUER,
        "client_id": "ducha-console",
        "scope": "openid profile",
        "bearer": "access_token",
    }
    assert body["auth_mode"] == "jwt"


def test_the_id_token_as_bearer_and_another_scope(settings):
    body = config(
        settings.model_copy(
            update={
                "console_oidc_issuer": ISSUER,
                "console_oidc_client_id": "ducha-console",
                "console_oidc_scope": "openid profile ducha",
                "console_oidc_use_id_token": True,
            }
        )
    )
    assert body["oidc"]["scope"] == "openid profile ducha"
    assert body["oidc"]["bearer"] == "id_token"


def test_an_issuer_without_a_client_id_offers_nothing(settings):
    assert config(settings.model_copy(update={"console_oidc_issuer": ISSUER}))["oidc"] is None


def test_header_mode_has_no_sign_in_to_offer(settings):
    body = config(
        settings.model_copy(
            update={
                "auth_mode": "header",
                "console_oidc_issuer": ISSUER,
                "console_oidc_client_id": "ducha-console",
            }
        )
    )
    assert body == {"auth_mode": "header", "demo": False, "oidc": None}


@pytest.mark.parametrize("issuer", ["sso.example.gov.cn", "ftp://sso.example.gov.cn", ""])
def test_the_issuer_must_be_an_http_url(issuer):
    with pytest.raises(ValidationError, match="console_oidc_issuer"):
        Settings(console_oidc_issuer=issuer, _env_file=None)  # type: ignore[call-arg]


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUCHA_CONSOLE_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("DUCHA_CONSOLE_OIDC_CLIENT_ID", "ducha-console")
    monkeypatch.setenv("DUCHA_CONSOLE_OIDC_USE_ID_TOKEN", "true")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.console_oidc_issuer == ISSUER
    assert settings.console_oidc_client_id == "ducha-console"
    assert settings.console_oidc_use_id_token is True
    assert settings.console_oidc_scope == "openid profile"
