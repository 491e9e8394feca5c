"""Authentication: JWT (HS256, RS256 with a key or a JWKS file) and trusted-proxy headers."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.config import Settings
from app.identity.auth import Authenticator
from app.main import create_app

SECRET = "test-secret-0123456789-0123456789-abcdef"
DEMO_UNITS = Path(__file__).resolve().parents[2] / "data" / "units_demo.json"


def _app(tmp_path: Path, **overrides: object) -> TestClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/auth.db",
        deploy_on_startup=False,
        scheduler_enabled=False,
        units_file=DEMO_UNITS,  # callers' units must be in the tree
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings), client=("127.0.0.1", 40000))


def _claims(**extra: object) -> dict:
    now = int(time.time())
    claims = {
        "sub": "wang",
        "name": "王督查",
        "unit": "320000-DCS",
        "roles": ["supervision_office", "no_such_role"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(extra)
    return claims


def _me(client: TestClient, token: str) -> tuple[int, dict]:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def test_hs256_token_identifies_the_caller(tmp_path):
    with _app(tmp_path, jwt_secret=SecretStr(SECRET)) as client:
        status, body = _me(client, jwt.encode(_claims(), SECRET, algorithm="HS256"))
    assert status == 200
    assert (body["sub"], body["name"], body["unit"]) == ("wang", "王督查", "320000-DCS")
    assert body["roles"] == ["supervision_office"]  # unknown roles are dropped
    assert "instances.start" in body["permissions"]
    assert "definitions.deploy" not in body["permissions"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (lambda: jwt.encode(_claims(exp=int(time.time()) - 3600), SECRET, "HS256"), "expired"),
        (
            lambda: jwt.encode(_claims(), "another-secret-0123456789-0123456789", "HS256"),
            "signature",
        ),
        (lambda: "not.a.jwt", "invalid"),
        (lambda: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "invalid"),
        (
            lambda: jwt.encode(
                {k: v for k, v in _claims().items() if k != "unit"}, SECRET, "HS256"
            ),
            "unit",
        ),
        (
            lambda: jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, SECRET, "HS256"),
            "invalid",
        ),
    ],
    ids=["expired", "bad-signature", "malformed", "alg-none", "no-unit", "no-exp"],
)
def test_bad_tokens_are_401_with_a_clear_message(tmp_path, token, message):
    # Tokens are minted when the test runs, not when it is collected: a slow run must not turn
    # a token that lacks a unit into one that has expired.
    with _app(tmp_path, jwt_secret=SecretStr(SECRET)) as client:
        status, body = _me(client, token())
    assert status == 401
    assert body["code"] == "not_authenticated"
    assert message in body["detail"]


def test_missing_token_is_401_but_health_and_metrics_are_open(tmp_path):
    with _app(tmp_path, jwt_secret=SecretStr(SECRET)) as client:
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/process-definitions").status_code == 401
        assert client.get("/health").status_code == 200
        assert client.get("/metrics").status_code == 200


def _rsa() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, public


def test_rs256_with_a_public_key_file(tmp_path):
    key, public = _rsa()
    (tmp_path / "public.pem").write_bytes(public)
    token = jwt.encode(_claims(), key, algorithm="RS256")
    with _app(
        tmp_path, jwt_public_key_file=tmp_path / "public.pem", jwt_algorithms=["RS256"]
    ) as client:
        assert _me(client, token)[0] == 200
        # An HS256 token signed with the public key's text must not pass (algorithm confusion).
        forged = jwt.encode(_claims(), "x" * 40, algorithm="HS256")
        assert _me(client, forged)[0] == 401


def test_rs256_with_a_jwks_file_and_issuer_audience(tmp_path):
    key, _ = _rsa()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    claims = _claims(
        iss="https://sso.gov.example",
        aud="ducha",
        uid="wang",
        dept="320000-DCS",
        groups="supervision_office office_head",
    )
    claims.pop("unit")
    claims.pop("roles")
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    with _app(
        tmp_path,
        jwks_file=tmp_path / "jwks.json",
        jwt_algorithms=["RS256"],
        jwt_issuer="https://sso.gov.example",
        jwt_audience="ducha",
        claim_unit="dept",
        claim_roles="groups",
    ) as client:
        status, body = _me(client, token)
        assert status == 200, body
        assert body["roles"] == ["office_head", "supervision_office"]
        wrong_kid = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "other"})
        assert _me(client, wrong_kid)[0] == 401


def test_header_mode_trusts_only_configured_proxies(tmp_path):
    headers = {
        "X-Remote-User": "wang",
        "X-Remote-Unit": "320000-DCS",
        "X-Remote-Roles": "supervision_office,auditor",
        "X-Remote-Name": "%E7%8E%8B%E7%9D%A3%E6%9F%A5",
    }
    with _app(tmp_path, auth_mode="header") as client:
        body = client.get("/api/v1/me", headers=headers).json()
        assert (body["sub"], body["name"]) == ("wang", "王督查")
        assert body["roles"] == ["auditor", "supervision_office"]
        assert client.get("/api/v1/me").status_code == 401
    with _app(tmp_path, auth_mode="header", trusted_proxies=["10.0.0.0/8"]) as client:
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert "not accepted from 127.0.0.1" in response.json()["detail"]


def test_minted_token_round_trips(tmp_path):
    with _app(tmp_path, jwt_secret_file=tmp_path / "secret") as client:
        token = client.app.state.authenticator.mint(
            sub="li", name="李主任", unit="320000-DCS", roles=["office_head"]
        )
        status, body = _me(client, token)
    assert status == 200 and body["roles"] == ["office_head"]
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600


def test_a_generated_secret_is_one_for_every_process_that_starts_at_once(tmp_path):
    """Workers of `ducha serve --workers N` start together: whichever writes the secret first
    wins, and every other reads that one (never a secret of its own, never half a file)."""
    path = tmp_path / "keys" / "secret"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/auth.db",
        jwt_secret_file=path,
        _env_file=None,  # type: ignore[call-arg]
    )
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: Authenticator(settings).secret, range(32)))
    assert secrets == {path.read_text().strip()}
    assert len(next(iter(secrets))) >= 48
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no drafts left behind
