"""One signed POST to a checked address: no redirects, timeouts, the answer read only in part.

The standard library's http.client is used on purpose: it connects to exactly the address the
guard checked, never follows a redirect, reads no proxy from the environment and decompresses
nothing.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks import Webhook as Signer

from app.webhooks.guard import Target

CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "Ducha-Webhooks/1.0"
EXCERPT_BYTES = 512


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP code (None when there was no answer), an error."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    excerpt: str | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secret: str, message_id: str, body: str, host: str) -> dict[str, str]:
    """The Standard Webhooks headers for `body`.

    The timestamp is the wall clock's, not the service clock's: receivers compare it with
    their own clocks (within five minutes) to refuse replays.
    """
    at = datetime.fromtimestamp(int(time.time()), UTC)
    return {
        "Host": host,
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at, body),
    }


class _Connection(http.client.HTTPConnection):
    """Plain HTTP to the checked address, with separate connect and read timeouts."""

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.address, target.port, timeout=connect_timeout)
        self.read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock.settimeout(self.read_timeout)


class _TlsConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is checked against the URL's host name."""

    def __init__(
        self, target: Target, connect_timeout: float, read_timeout: float, tls: ssl.SSLContext
    ) -> None:
        super().__init__(target.address, target.port, timeout=connect_timeout, context=tls)
        self.tls = tls
        self.server_name = target.host
        self.read_timeout = read_timeout

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.server_name)
        self.sock.settimeout(self.read_timeout)


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float,
    read_timeout: float,
    tls: ssl.SSLContext,
) -> Answer:
    """POST `body` once; any answer but 2xx (a redirect too) or no answer is a failure."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _TlsConnection(target, connect_timeout, read_timeout, tls)
    else:
        connection = _Connection(target, connect_timeout, read_timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        code = response.status
        location = response.getheader("Location")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, _ms(started), _describe(exc))
    finally:
        connection.close()
    error = None
    if 300 <= code < 400:
        error = f"redirect to {(location or '?')[:200]} not followed"
    elif not 200 <= code < 300:
        error = f"answered HTTP {code}"
    return Answer(code, _ms(started), error, excerpt or None)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:500]
