"""deploy/nginx.conf, the documented TLS proxy: HSTS and the framing and content-type
headers on every answer, and the forwarded scheme the app needs for Secure cookies."""

from __future__ import annotations

import re
from pathlib import Path

CONF = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()


def _tls_server_block() -> str:
    start = CONF.index("listen 443")
    return CONF[CONF.rindex("server {", 0, start) :]


def _server_level(block: str) -> str:
    """The block without its location { ... } bodies (nginx inherits add_header into a
    location only when the location sets none of its own)."""
    return re.sub(r"location [^{]*\{[^}]*\}", "", block)


def test_the_tls_server_sends_hsts_and_the_framing_and_sniffing_headers_always():
    server = _server_level(_tls_server_block())
    hsts = re.search(r'add_header Strict-Transport-Security "max-age=(\d+)[^"]*" always;', server)
    assert hsts and int(hsts.group(1)) >= 31_536_000
    assert re.search(r'add_header X-Frame-Options "(SAMEORIGIN|DENY)" always;', server)
    assert re.search(
        r"add_header Content-Security-Policy \"frame-ancestors 'self'\" always;", server
    )
    assert re.search(r'add_header X-Content-Type-Options "nosniff" always;', server)


def test_no_location_drops_the_server_headers_or_the_forwarded_scheme():
    locations = re.findall(r"location [^{]*\{([^}]*)\}", _tls_server_block())
    assert locations
    for body in locations:
        assert "add_header" not in body
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in body
        assert "proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;" in body
