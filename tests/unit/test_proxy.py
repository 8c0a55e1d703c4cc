"""Who the browser is behind the documented proxy: X-Forwarded-For and -Proto count only
from a trusted proxy, are read from the right, and garbage in them proves nothing."""

from __future__ import annotations

import pytest

from ui.proxy import client_address, forwarded_https, parse_networks

PROXIES = parse_networks(["10.0.0.5", "192.168.0.0/16", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy: the peer
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # an untrusted peer's header is ignored
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),  # through the proxy
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a spoofed left entry
        ("10.0.0.5", "198.51.100.7, 192.168.1.2", "198.51.100.7"),  # two trusted hops
        ("10.0.0.5", "192.168.1.2, 192.168.1.3", "192.168.1.2"),  # all trusted: left-most
        ("10.0.0.5", "not-an-ip", "10.0.0.5"),  # garbage: the proxy that passed it on
        ("10.0.0.5", "198.51.100.7, junk", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "[2001:db8::7]:443", "2001:db8::7"),
        ("10.0.0.5", "203.0.113.9:51234", "203.0.113.9"),
        ("::1", "2001:db8::8", "2001:db8::8"),
        (None, "198.51.100.7", None),  # no connection at all (tests, tools)
    ],
)
def test_the_client_address_is_the_first_untrusted_hop_from_the_right(peer, forwarded, expected):
    assert client_address(peer, forwarded, PROXIES) == expected


def test_a_very_long_forwarded_header_is_read_only_near_its_end():
    forwarded = ", ".join(["192.168.0.1"] * 10_000 + ["198.51.100.7"])
    assert client_address("10.0.0.5", forwarded, PROXIES) == "198.51.100.7"


@pytest.mark.parametrize(
    ("peer", "proto", "expected"),
    [
        ("10.0.0.5", "https", True),
        ("10.0.0.5", "HTTPS", True),
        ("10.0.0.5", "http", False),
        ("10.0.0.5", "http, https", True),  # the proxy's own (last) word
        ("10.0.0.5", None, False),
        ("203.0.113.9", "https", False),  # anyone else can send the header too
        (None, "https", False),
    ],
)
def test_forwarded_https_is_believed_only_from_a_trusted_proxy(peer, proto, expected):
    assert forwarded_https(peer, proto, PROXIES) is expected


def test_a_bad_trusted_proxy_setting_names_the_entry():
    with pytest.raises(ValueError, match="EARSHOT_TRUSTED_PROXIES: 'proxy.local' is not an IP"):
        parse_networks(["10.0.0.5", "proxy.local"])
