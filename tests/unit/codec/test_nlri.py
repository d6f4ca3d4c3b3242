"""Prefixes: text <-> wire NLRI (RFC 4271 section 4.3, RFC 4760 section 5)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.codec import FAMILIES, canonical_prefix, nlri_key
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family

# (family, text, wire hex): length octet then only the significant octets
VECTORS = [
    (IPV4_UNICAST, "0.0.0.0/0", "00"),
    (IPV4_UNICAST, "10.0.0.0/8", "080a"),
    (IPV4_UNICAST, "10.0.0.0/24", "180a0000"),
    (IPV4_UNICAST, "192.0.2.128/25", "19c00002" "80"),
    (IPV4_UNICAST, "192.0.2.1/32", "20c0000201"),
    (IPV6_UNICAST, "::/0", "00"),
    (IPV6_UNICAST, "2001:db8::/32", "2020010db8"),
    (IPV6_UNICAST, "2001:db8:0:1::/64", "4020010db800000001"),
]


@pytest.mark.parametrize(("family", "text", "wire"), VECTORS)
def test_pack(family: Family, text: str, wire: str) -> None:
    assert nlri_key(family, text).hex() == wire


@pytest.mark.parametrize(("family", "text", "wire"), VECTORS)
def test_unpack(family: Family, text: str, wire: str) -> None:
    assert FAMILIES[family].unpack(bytes.fromhex(wire)) == (text,)


@pytest.mark.parametrize(
    ("family", "given", "canonical"),
    [
        (IPV4_UNICAST, "10.0.0.1/24", "10.0.0.0/24"),
        (IPV4_UNICAST, "10.0.0.1", "10.0.0.1/32"),
        (IPV4_UNICAST, "192.0.2.255/25", "192.0.2.128/25"),
        (IPV6_UNICAST, "2001:db8::1/32", "2001:db8::/32"),
        (IPV6_UNICAST, "2001:DB8::1", "2001:db8::1/128"),
    ],
)
def test_canonical(family: Family, given: str, canonical: str) -> None:
    assert canonical_prefix(family, given) == canonical


@pytest.mark.parametrize(
    ("family", "text"),
    [
        (IPV4_UNICAST, "10.0.0.0/33"),
        (IPV4_UNICAST, "10.0.0/24"),
        (IPV4_UNICAST, "10.0.0.0/"),
        (IPV4_UNICAST, "10.0.0.0/-1"),
        (IPV4_UNICAST, "2001:db8::/32"),
        (IPV6_UNICAST, "10.0.0.0/8"),
        (IPV6_UNICAST, "2001:db8::/129"),
        (Family(1, 128), "10.0.0.0/8"),
    ],
)
def test_bad_text_is_value_error(family: Family, text: str) -> None:
    with pytest.raises(ValueError):
        nlri_key(family, text)


def test_received_host_bits_are_cleared() -> None:
    assert FAMILIES[IPV4_UNICAST].unpack(bytes.fromhex("190a0000ff")) == ("10.0.0.128/25",)


@pytest.mark.parametrize("wire", ["21" "0a000000" "00", "18" "0a00", "20"])
def test_malformed_nlri(wire: str) -> None:
    with pytest.raises(InvalidNetworkField):
        FAMILIES[IPV4_UNICAST].unpack(bytes.fromhex(wire))


def test_add_path_identifier_is_skipped() -> None:
    wire = bytes.fromhex("00000001" "180a0000" "00000002" "0b0a20")
    assert FAMILIES[IPV4_UNICAST].unpack(wire, add_path=True) == ("10.0.0.0/24", "10.32.0.0/11")


@given(st.ip_addresses(v=4), st.integers(0, 32))
def test_ipv4_round_trip(address: ipaddress.IPv4Address, length: int) -> None:
    network = ipaddress.ip_network(f"{address}/{length}", strict=False)
    key = nlri_key(IPV4_UNICAST, f"{address}/{length}")
    assert FAMILIES[IPV4_UNICAST].unpack(key) == (str(network),)


@given(st.ip_addresses(v=6), st.integers(0, 128))
def test_ipv6_round_trip(address: ipaddress.IPv6Address, length: int) -> None:
    network = ipaddress.ip_network(f"{address}/{length}", strict=False)
    key = nlri_key(IPV6_UNICAST, f"{address}/{length}")
    [text] = FAMILIES[IPV6_UNICAST].unpack(key)
    # same network; the spelling of IPv4-mapped addresses differs (RFC 5952 5)
    assert ipaddress.ip_network(text) == network
    assert nlri_key(IPV6_UNICAST, text) == key
