"""Authentication: bearer JWTs (HS256 secret, RS256/ES256 key or JWKS) or trusted proxy headers."""

import ipaddress
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import jwt
from fastapi import Request

from app.config import Settings
from app.identity.principal import KNOWN_ROLES, Principal
from app.kit.errors import DomainError


class NotAuthenticated(DomainError):
    status, code = 401, "not_authenticated"


@dataclass
class Authenticator:
    """Turns a request into a Principal according to the configured mode.

    A verified token is remembered (up to `token_cache_size`) with its expiry: a client sends
    the same token with every request, and its signature needs checking only once. A remembered
    token is still refused once expired, with the same leeway.
    """

    settings: Settings
    _verified: OrderedDict[str, tuple[Principal, float]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def authenticate(self, request: Request) -> Principal:
        """The caller, or 401 with a message that says what is wrong."""
        address = request.client.host if request.client else None
        if self.settings.auth_mode == "header":
            return self._from_headers(request, address)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("a bearer token is required (Authorization: Bearer <jwt>)")
        return self.decode(token.strip(), address)

    def decode(self, token: str, address: str | None = None) -> Principal:
        """Verify a JWT and read its claims."""
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires = remembered
            if time.time() < expires:
                return replace(principal, address=address)
            with self._lock:
                self._verified.pop(token, None)
        principal, expires = self._verify(token)
        self._remember(token, principal, expires)
        return replace(principal, address=address)

    def _remember(self, token: str, principal: Principal, expires: float) -> None:
        size = self.settings.token_cache_size
        if size == 0:
            return
        with self._lock:
            self._verified[token] = (principal, expires)
            while len(self._verified) > size:
                self._verified.popitem(last=False)

    def _verify(self, token: str) -> tuple[Principal, float]:
        """The principal of a token and the time (as PyJWT reads it) it stops being valid."""
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "sub"], "verify_aud": bool(self.settings.jwt_audience)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("the token has expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise NotAuthenticated("the token's signature is invalid") from exc
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(f"the token is invalid: {exc}") from exc
        # PyJWT refuses a token once exp <= now - leeway (now = time.time()).
        expires = int(claims["exp"]) + self.settings.jwt_leeway_seconds
        return self._principal(claims, None), expires

    def _key_for(self, token: str) -> Any:
        if self.settings.jwks_file is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            for jwk in self._jwks.keys:
                if kid is None or jwk.key_id == kid:
                    return jwk.key
            raise NotAuthenticated(f"no key '{kid}' in the configured JWKS")
        if self.settings.jwt_public_key_file is not None:
            return self._public_key
        return self.secret

    @cached_property
    def _jwks(self) -> jwt.PyJWKSet:
        assert self.settings.jwks_file is not None
        return jwt.PyJWKSet.from_dict(json.loads(self.settings.jwks_file.read_text()))

    @cached_property
    def _public_key(self) -> str:
        assert self.settings.jwt_public_key_file is not None
        return self.settings.jwt_public_key_file.read_text()

    @cached_property
    def secret(self) -> str:
        """The HS256 secret: configured, or generated once and kept in `jwt_secret_file`."""
        if self.settings.jwt_secret is not None:
            return self.settings.jwt_secret.get_secret_value()
        path = self.settings.jwt_secret_file
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Written whole and private beside it, then published with a hard link, which fails if
        # another process (a second worker starting at the same moment) published first: every
        # process then signs with the one secret that won.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(value)
        try:
            os.link(draft, path)
        except FileExistsError:
            value = path.read_text().strip()
        finally:
            draft.unlink(missing_ok=True)
        return value

    def mint(self, *, sub: str, name: str, unit: str, roles: list[str], hours: float = 12.0) -> str:
        """A signed HS256 token for a user (first steps, demos, integrators' tests)."""
        now = datetime.now(UTC)  # tokens live in real time, not the business clock
        s = self.settings
        claims: dict[str, Any] = {
            s.claim_sub: sub,
            s.claim_name: name,
            s.claim_unit: unit,
            s.claim_roles: roles,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=hours)).timestamp()),
        }
        if s.jwt_issuer:
            claims["iss"] = s.jwt_issuer
        if s.jwt_audience:
            claims["aud"] = s.jwt_audience
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def _principal(self, claims: dict[str, Any], address: str | None) -> Principal:
        s = self.settings
        roles = claims.get(s.claim_roles, [])
        if isinstance(roles, str):
            roles = [r for r in roles.replace(",", " ").split() if r]
        unit = claims.get(s.claim_unit)
        if not isinstance(unit, str) or not unit:
            raise NotAuthenticated(f"the token has no '{s.claim_unit}' claim")
        if not isinstance(roles, list):
            raise NotAuthenticated(f"the token's '{s.claim_roles}' claim is not a list")
        sub = str(claims[s.claim_sub])
        _check_fits(sub, unit)
        return Principal(
            sub=sub,
            name=str(claims.get(s.claim_name) or claims[s.claim_sub]),
            unit=unit,
            roles=frozenset(str(r) for r in roles if str(r) in KNOWN_ROLES),
            address=address,
        )

    def _from_headers(self, request: Request, address: str | None) -> Principal:
        if not self._trusted(address):
            raise NotAuthenticated(f"identity headers are not accepted from {address}")
        s = self.settings
        user = request.headers.get(s.header_user)
        unit = request.headers.get(s.header_unit)
        if not user or not unit:
            raise NotAuthenticated(f"the proxy sent no {s.header_user} / {s.header_unit} header")
        roles = request.headers.get(s.header_roles, "")
        _check_fits(user, unit)
        return Principal(
            sub=user,
            name=_header_text(request.headers.get(s.header_name)) or user,
            unit=unit,
            roles=frozenset(r for r in roles.replace(",", " ").split() if r in KNOWN_ROLES),
            address=address,
        )

    def _trusted(self, address: str | None) -> bool:
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(
            ip in ipaddress.ip_network(n, strict=False) for n in self.settings.trusted_proxies
        )


def _check_fits(sub: str, unit: str) -> None:
    """Identities longer than the audit and task columns are refused, not truncated."""
    if len(sub) > 255:
        raise NotAuthenticated("the user id is longer than 255 characters")
    if len(unit) > 64:
        raise NotAuthenticated("the unit code is longer than 64 characters")


def _header_text(value: str | None) -> str | None:
    """Proxies send non-ASCII names percent-encoded (RFC 8187 style) or as raw UTF-8 bytes."""
    if value is None:
        return None
    from urllib.parse import unquote

    try:
        return unquote(value.encode("latin-1").decode("utf-8"))
    except UnicodeError:
        return unquote(value)
