"""Channels behind one small interface: e-mail over SMTP and a generic HTTP gateway (IM/SMS).

`send` returns when the receiving server accepted the message and raises `ChannelError` with a
clear reason otherwise; a `permanent` error is not retried (nothing will change by waiting).
"""

import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol

from app.config import Settings

EMAIL, HTTP = "email", "http"
CHANNEL_NAMES = (EMAIL, HTTP)
LABELS = {EMAIL: "电子邮件", HTTP: "即时通讯/短信"}


class ChannelError(Exception):
    """A message was not accepted; the text says why (kept as the notification's last error)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One rendered message to one address."""

    id: str
    address: str
    recipient_name: str
    subject: str
    body: str


class Channel(Protocol):
    """Sends one message or raises `ChannelError`."""

    name: str

    def send(self, message: Outgoing) -> None: ...


class EmailChannel:
    """E-mail over SMTP: plain, STARTTLS or implicit TLS, with optional login."""

    name = EMAIL

    def __init__(self, settings: Settings) -> None:
        assert settings.notifications_smtp_host is not None
        self.host = settings.notifications_smtp_host
        self.port = settings.notifications_smtp_port
        self.security = settings.notifications_smtp_security
        self.user = settings.notifications_smtp_user
        password = settings.notifications_smtp_password
        self.password = password.get_secret_value() if password is not None else None
        self.sender = formataddr(
            (settings.notifications_smtp_from_name, settings.notifications_smtp_from)
        )
        self.domain = settings.notifications_smtp_from.rpartition("@")[2] or "localhost"
        self.timeout = settings.notifications_smtp_timeout_seconds

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((message.recipient_name, message.address))
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=message.id, domain=self.domain)
        mail.set_content(message.body, charset="utf-8")
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"SMTP {self.host}:{self.port} refused the login: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(
                f"SMTP {self.host}:{self.port} refused {message.address}: {exc.recipients}",
                permanent=True,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise ChannelError(f"SMTP {self.host}:{self.port}: {reason}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except Exception:
                smtp.close()
                raise
        return smtp


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that answers with a redirect has not accepted the message."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpChannel:
    """A JSON POST to the intranet's IM/SMS gateway; only a 2xx answer counts as sent."""

    name = HTTP

    def __init__(self, settings: Settings) -> None:
        assert settings.notifications_http_url is not None
        self.url = settings.notifications_http_url
        self.headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "ducha-notifications",
            **settings.notifications_http_headers,
        }
        self.timeout = settings.notifications_http_timeout_seconds
        # The gateway is on the intranet: no proxies from the environment, no redirects.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)

    def send(self, message: Outgoing) -> None:
        request = urllib.request.Request(
            self.url,
            data=message.body.encode("utf-8"),
            headers={**self.headers, "Idempotency-Key": message.id},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            excerpt = exc.read(300).decode("utf-8", "replace")
            raise ChannelError(
                f"gateway {self.url} answered {exc.code}: {excerpt}".strip(),
                permanent=exc.code in (400, 401, 403, 404, 422),
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ChannelError(f"gateway {self.url} unreachable: {reason}") from exc
        if not 200 <= status < 300:
            raise ChannelError(f"gateway {self.url} answered {status}")


def configured(settings: Settings) -> dict[str, Channel]:
    """The channels the settings configure, by name (none: notifications are off)."""
    channels: dict[str, Channel] = {}
    if settings.notifications_smtp_host:
        channels[EMAIL] = EmailChannel(settings)
    if settings.notifications_http_url:
        channels[HTTP] = HttpChannel(settings)
    return channels
