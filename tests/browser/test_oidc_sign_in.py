"""Sign-in with the intranet's OIDC provider (authorization code + PKCE), in Chromium.

The test runs a real, minimal provider on a free port of 127.0.0.1 (another origin than the
console, so its CORS headers matter): a discovery document, `/authorize` that redirects straight
back with a code (when the request carries an S256 code challenge), and `/token` that checks the
code verifier against the challenge and returns RS256 access and ID tokens signed with a key made
here. The service verifies them with the provider's JWKS file, issuer and audience.
"""

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from browser_helpers import require_browser, screenshot
from cryptography.hazmat.primitives.asymmetric import rsa
from serviceproc import ROOT, ServiceProcess, free_port

CLIENT_ID = "ducha-console"
AUDIENCE = "ducha"  # the service's DUCHA_JWT_AUDIENCE: the access token's audience
KID = "test-key-1"
USER = {
    "sub": "zhou.sso",
    "name": "周统一",
    "unit": "320000-DCS",
    "roles": ["supervision_office"],
}


@dataclass
class Provider:
    """An OIDC provider that signs in USER without asking; `mode` makes it misbehave."""

    port: int = field(default_factory=free_port)
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    console_origin: str = ""
    # "tamper_state": back with another state; "deny": back with an error; "refuse_token": the
    # token endpoint refuses the code; "foreign_audience": an access token for another service
    mode: str = "ok"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    issued: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def sign(self, audience: str, **extra: str) -> str:
        now = int(time.time())
        claims = {**USER, "iss": self.issuer, "aud": audience, "iat": now, "exp": now + 600}
        return jwt.encode({**claims, **extra}, self.key, algorithm="RS256", headers={"kid": KID})

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """(status, Location or reason)."""
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID or not redirect.startswith(self.console_origin):
            return 400, "unknown client or redirect_uri"
        if query.get("response_type") != "code":
            return 400, "response_type must be code"
        if (
            query.get("code_challenge_method") != "S256"
            or len(query.get("code_challenge", "")) < 43
        ):
            return 400, "an S256 code_challenge is required"
        if self.mode == "deny":
            params = {"error": "access_denied", "error_description": "用户取消了登录"}
            return 302, f"{redirect}?{urlencode({**params, 'state': query.get('state', '')})}"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "nonce": query.get("nonce", ""),
            "redirect_uri": redirect,
        }
        state = query.get("state", "") + ("-tampered" if self.mode == "tamper_state" else "")
        return 302, f"{redirect}?{urlencode({'code': code, 'state': state})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if self.mode == "refuse_token":
            return self._refuse("invalid_grant", "授权码已过期")
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._refuse("invalid_grant", "unknown or used code")
        if form.get("client_id") != CLIENT_ID or form.get("redirect_uri") != grant["redirect_uri"]:
            return self._refuse("invalid_grant", "client_id or redirect_uri differs")
        digest = hashlib.sha256(form.get("code_verifier", "").encode("ascii")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return self._refuse("invalid_grant", "code_verifier does not match the challenge")
        tokens = {
            "access_token": self.sign("other" if self.mode == "foreign_audience" else AUDIENCE),
            "id_token": self.sign(CLIENT_ID, nonce=grant["nonce"]),
            "token_type": "Bearer",
            "expires_in": 600,
        }
        self.issued.append(tokens)  # type: ignore[arg-type]
        return 200, tokens

    def _refuse(self, error: str, description: str) -> tuple[int, dict[str, Any]]:
        self.refused.append(description)
        return 400, {"error": error, "error_description": description}


def handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", provider.console_origin)
            self.send_header("Vary", "Origin")

        def send_json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:  # a preflight, should the browser send one
            self.send_response(204)
            self.cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
            self.end_headers()

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                issuer = provider.issuer
                self.send_json(
                    200,
                    {
                        "issuer": issuer,
                        "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token",
                        "jwks_uri": f"{issuer}/jwks",
                        "response_types_supported": ["code"],
                        "code_challenge_methods_supported": ["S256"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    },
                )
            elif url.path == "/jwks":
                self.send_json(200, provider.jwks())
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, where = provider.authorize(query)
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", where)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    data = where.encode()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
            else:
                self.send_json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/token":
                self.send_json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self.send_json(*provider.token(form))

    return Handler


@pytest.fixture
def provider() -> Iterator[Provider]:
    require_browser()
    running = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", running.port), handler(running))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def service(provider: Provider, tmp_path: Path) -> Iterator[ServiceProcess]:
    """The service trusting only the provider's RS256 tokens, offering its sign-in."""
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(provider.jwks()))
    running = ServiceProcess(
        f"sqlite:///{tmp_path / 'oidc.db'}",
        ROOT / "processes",
        DUCHA_WORKERS_ENABLED="false",
        DUCHA_JWT_ALGORITHMS='["RS256"]',
        DUCHA_JWKS_FILE=str(jwks_file),
        DUCHA_JWT_ISSUER=provider.issuer,
        DUCHA_JWT_AUDIENCE=AUDIENCE,
        DUCHA_CONSOLE_OIDC_ISSUER=provider.issuer,
        DUCHA_CONSOLE_OIDC_CLIENT_ID=CLIENT_ID,
    )
    provider.console_origin = running.url
    running.start(timeout=90)
    try:
        yield running
    finally:
        running.stop()


def start_at_matters(page: Any, service: ServiceProcess) -> None:
    """A shared link, signed out: the sign-in page offers the provider."""
    page.goto(f"{service.url}/matters")
    page.wait_for_url(re.compile(r"/login\?redirect=/matters"))
    page.locator('[data-test="oidc-sign-in"]').wait_for()


def test_sign_in_with_the_provider_returns_to_the_page_asked_for(
    page: Any, service: ServiceProcess, provider: Provider
) -> None:
    from playwright.sync_api import expect

    start_at_matters(page, service)
    expect(page.locator('[data-test="oidc-sign-in"]')).to_have_text("通过统一身份认证登录")
    expect(page.locator('[data-test="token"]')).to_be_visible()  # pasting a JWT still works
    screenshot(page, "console-login-oidc")

    page.locator('[data-test="oidc-sign-in"]').click()
    page.wait_for_url(re.compile(r"/matters$"))
    who = page.locator('[data-test="who"]')
    expect(who).to_contain_text("周统一")
    expect(who).to_contain_text("江苏省人民政府督查室")
    expect(page.locator(".el-menu")).to_contain_text("督查事项")

    # The provider saw PKCE and handed out one pair; the console sends the access token.
    assert provider.refused == []
    assert len(provider.issued) == 1
    bearer = page.evaluate("sessionStorage.getItem('ducha.token')")
    assert bearer == provider.issued[0]["access_token"]
    assert page.evaluate("sessionStorage.getItem('ducha.oidc')") is None  # used once, gone

    # The session survives a reload, as with a pasted token.
    page.reload()
    expect(page.locator('[data-test="who"]')).to_contain_text("周统一")


def test_a_tampered_state_is_refused(
    page: Any, service: ServiceProcess, provider: Provider
) -> None:
    from playwright.sync_api import expect

    provider.mode = "tamper_state"
    start_at_matters(page, service)
    page.locator('[data-test="oidc-sign-in"]').click()
    page.wait_for_url(re.compile(r"/login/callback\?"))
    error = page.locator('[data-test="oidc-error"]')
    expect(error).to_contain_text("统一身份认证登录失败")
    expect(error).to_contain_text("state 不一致")
    screenshot(page, "console-login-oidc-error")
    assert provider.issued == []  # the code was never exchanged
    assert page.evaluate("sessionStorage.getItem('ducha.token')") is None

    page.locator('[data-test="back-to-login"]').click()
    page.wait_for_url(re.compile(r"/login\?redirect=/matters"))
    page.locator('[data-test="oidc-sign-in"]').wait_for()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("deny", "统一身份认证返回错误：access_denied：用户取消了登录"),
        ("refuse_token", "换取令牌失败：HTTP 400 invalid_grant：授权码已过期"),
        # The service verifies the token it is sent: signature, issuer and its own audience.
        ("foreign_audience", "督查工作台不接受该令牌：the token is invalid"),
    ],
)
def test_failures_are_shown(
    page: Any, service: ServiceProcess, provider: Provider, mode: str, message: str
) -> None:
    from playwright.sync_api import expect

    provider.mode = mode
    start_at_matters(page, service)
    page.locator('[data-test="oidc-sign-in"]').click()
    page.wait_for_url(re.compile(r"/login/callback\?"))
    expect(page.locator('[data-test="oidc-error"]')).to_contain_text(message)
    assert page.evaluate("sessionStorage.getItem('ducha.token')") is None
    # Back to the sign-in page, still headed for the page first asked for.
    page.locator('[data-test="back-to-login"]').click()
    page.wait_for_url(re.compile(r"/login\?redirect=/matters"))
