"""Who is on the other end of a request, and the headers every response carries.

Behind the documented nginx proxy (deploy/nginx.conf) the TCP peer is the proxy, which
reports the browser's address in ``X-Forwarded-For`` and the scheme in
``X-Forwarded-Proto``. Those headers are believed only when the peer is one of
EARSHOT_TRUSTED_PROXIES; from anyone else they are ignored (a browser can send them too).
Pure functions plus one ASGI middleware; no Streamlit, no database.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_FORWARDED_HOPS = 20  # a longer X-Forwarded-For is read only this far from the right


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from addresses or CIDR blocks ("10.0.0.0/8", "127.0.0.1", "::1");
    ValueError naming the entry that is neither."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"EARSHOT_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.9:51234"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(peer: str | None, proxies: tuple[IPNetwork, ...]) -> bool:
    address = _address(peer)
    return address is not None and any(address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, proxies: tuple[IPNetwork, ...]
) -> str | None:
    """The browser's address: the TCP peer, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For entry that is not itself a trusted proxy (entries further
    left were written by whoever connected to the proxy, so they prove nothing).
    None when there is no peer at all (tests, local tools)."""
    if not _trusted(peer, proxies) or not forwarded_for:
        address = _address(peer)
        return str(address) if address is not None else (peer or None)
    hops = [h.strip() for h in forwarded_for.split(",")][-MAX_FORWARDED_HOPS:]
    nearest = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage: the last proxy that wrote a real address is it
            return str(_address(nearest) or nearest)
        if not any(address in net for net in proxies):
            return str(address)
        nearest = hop
    return str(_address(nearest) or nearest)


def forwarded_https(
    peer: str | None, forwarded_proto: str | None, proxies: tuple[IPNetwork, ...]
) -> bool:
    """True when a trusted proxy says the browser used HTTPS (its last word counts)."""
    if not forwarded_proto or not _trusted(peer, proxies):
        return False
    return forwarded_proto.split(",")[-1].strip().lower() == "https"


HSTS = "max-age=31536000; includeSubDomains"
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    # Same origin only: Streamlit's own component iframes are same-origin.
    ("x-frame-options", "SAMEORIGIN"),
    ("content-security-policy", "frame-ancestors 'self'"),
    ("referrer-policy", "same-origin"),  # audio links carry a token in their path
)


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets SECURITY_HEADERS (unless the app set
    that header itself), and HSTS when the request came over HTTPS (directly, or as a
    trusted proxy reports), or always when `https` is configured."""

    def __init__(
        self,
        app: ASGIApp,
        https: Callable[[], bool] = lambda: False,
        proxies: Callable[[], tuple[IPNetwork, ...]] = tuple,
    ) -> None:
        self.app = app
        self.https = https
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        secure = (
            self.https()
            or scope.get("scheme") == "https"
            or request_forwarded_https(scope, self.proxies())
        )

        async def send_with_headers(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                extra = list(SECURITY_HEADERS) + (
                    [("strict-transport-security", HSTS)] if secure else []
                )
                for name, value in extra:
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def request_forwarded_https(scope: Scope, proxies: tuple[IPNetwork, ...]) -> bool:
    return forwarded_https(_peer(scope), _header(scope, b"x-forwarded-proto"), proxies)


def request_client_address(scope: Scope, proxies: tuple[IPNetwork, ...]) -> str | None:
    return client_address(_peer(scope), _header(scope, b"x-forwarded-for"), proxies)
