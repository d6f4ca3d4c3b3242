"""Prefixes: text <-> wire NLRI (RFC 4271 section 4.3, RFC 4760 section 5)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.codec import FAMILIES, canonical_prefix, nlri_key
from bgpmesh.codec.nlri.prefix import PathPrefix
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


def test_add_path_identifier_is_kept() -> None:
    # RFC 7911 section 3: the Path Identifier names the path; two paths of
    # one prefix are two routes
    wire = bytes.fromhex("00000001" "180a0000" "00000002" "180a0000" "00000000" "0b0a20")
    assert FAMILIES[IPV4_UNICAST].unpack(wire, add_path=True) == (
        PathPrefix("10.0.0.0/24", 1), PathPrefix("10.0.0.0/24", 2), PathPrefix("10.32.0.0/11", 0))


def test_add_path_ipv6_identifier_is_kept_and_host_bits_cleared() -> None:
    wire = bytes.fromhex("ffffffff" "2120010db8ff")
    assert FAMILIES[IPV6_UNICAST].unpack(wire, add_path=True) == (PathPrefix("2001:db8:8000::/33", 2**32 - 1),)


@pytest.mark.parametrize("family", [IPV4_UNICAST, IPV6_UNICAST])
@pytest.mark.parametrize("wire", ["000000", "00000001", "00000001" "21" "0a000000" "00",
                                  "00000001" "18" "0a00", "00000001" "180a0000" "0000"])
def test_malformed_add_path_nlri(family: Family, wire: str) -> None:
    if family == IPV6_UNICAST and wire.startswith("00000001" "21"):
        wire = "00000001" "81" + "00" * 17  # 129 bits: too long for IPv6
    with pytest.raises(InvalidNetworkField):
        FAMILIES[family].unpack(bytes.fromhex(wire), add_path=True)


def test_plain_text_still_packs_through_pack_path() -> None:
    codec = FAMILIES[IPV4_UNICAST]
    assert codec.pack_path("10.0.0.0/24") == codec.pack("10.0.0.0/24")
    assert codec.pack_path(PathPrefix("10.0.0.0/24", 7)).hex() == "00000007" "180a0000"


@given(st.lists(st.tuples(st.sampled_from([IPV4_UNICAST, IPV6_UNICAST]), st.integers(0, 2**32 - 1),
                          st.binary(min_size=16, max_size=16), st.integers(0, 128)), max_size=8))
def test_add_path_round_trip(paths: list) -> None:
    for family in (IPV4_UNICAST, IPV6_UNICAST):
        codec = FAMILIES[family]
        width = codec.width
        values = tuple(
            PathPrefix(canonical_prefix(family, f"{ipaddress.ip_address(raw[:width])}/{bits % (width * 8 + 1)}"),
                       path_id)
            for f, path_id, raw, bits in paths if f == family)
        wire = b"".join(map(codec.pack_path, values))
        assert codec.unpack(wire, add_path=True) == values


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
