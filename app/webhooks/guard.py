"""The outbound guard: webhooks go only to hosts and networks on the allow-list.

A URL passes when it is http(s) without user info, and either its host name is listed or EVERY
address the name resolves to lies in a listed network. The guard hands back the address it
checked, and delivery connects to that address (the name is sent as `Host` and TLS server
name), so a name that resolves elsewhere a second later (DNS rebinding) is never reached.
Unspecified, multicast and link-local addresses are refused whatever the list says.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2000
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class Refused(Exception):
    """The URL may not be called; the message says why."""


@dataclass(frozen=True)
class AllowList:
    """Networks (CIDRs) and host names (exact, or `*.suffix` for the names below a domain)."""

    networks: tuple[Network, ...]
    names: tuple[str, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "AllowList":
        """Read `DUCHA_WEBHOOK_ALLOWED_NETWORKS`; a malformed entry is a ValueError."""
        networks: list[Network] = []
        names: list[str] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_NAME.fullmatch(entry.removeprefix("*.")):
                raise ValueError(f"'{raw}' is neither a network nor a host name")
            names.append(entry)
        return cls(tuple(networks), tuple(names))

    def allows_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for name in self.names:
            if name.startswith("*."):
                if host.endswith(name[1:]):
                    return True
            elif host == name:
                return True
        return False

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_url(url: str) -> SplitResult:
    """The URL's parts, or Refused when it is not an http(s) URL fit for a webhook."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise Refused("the URL contains white space or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise Refused(f"the URL is malformed: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("user info (user:password@) is not allowed in the URL")
    if not parts.hostname:
        raise Refused("the URL has no host")
    return parts


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"the host '{host}' does not resolve: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def admit(url: str, allow: AllowList, resolver: Resolver = resolve) -> Target:
    """Check `url` against the allow-list; the address to connect to, or Refused."""
    parts = parse_url(url)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = [_address(raw) for raw in _addresses_of(host, port, resolver)]
    if not addresses:
        raise Refused(f"the host '{host}' resolves to no address")
    for address in addresses:
        if address.is_unspecified or address.is_multicast or address.is_link_local:
            raise Refused(f"the host '{host}' resolves to {address}, which is never allowed")
    if not allow.allows_name(host):
        outside = [a for a in addresses if not allow.allows_address(a)]
        if outside:
            raise Refused(
                f"the host '{host}' resolves to {outside[0]}, outside the allowed networks "
                "(DUCHA_WEBHOOK_ALLOWED_NETWORKS)"
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def _addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]  # a literal address: nothing to resolve
    except ValueError:
        return resolver(host, port)


def _address(raw: str) -> Address:
    address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.1.2.3 is 10.1.2.3
    return address
