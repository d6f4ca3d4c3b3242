"""Messages real BIRD, GoBGP and FRR sent, decoded and re-encoded by bgpmesh.

The vectors in ``vectors/`` were captured by
``tests/interop/test_capture_vectors.py`` (each file's header names the
daemon, its version and the date): ``<daemon>-open.hex`` and
``<daemon>-update.hex`` from an IPv4 unicast session, ``<session>-open.hex``
and ``<daemon>-<family>-update.hex`` from sessions where the daemon
originated IPv6 unicast, labeled unicast, L3VPN, FlowSpec, EVPN or RTC
routes.  Every vector must decode without error, re-encode to the very same
bytes (or, where listed in ``NOT_BYTE_EXACT``, to bytes that differ only in
the way the reason names), carry the NLRI and fields the capture asked the
daemon to send (``FAMILY_VECTORS``), and render as ExaBGP JSON; the same
routes in a script's words (``PRODUCER_ROUTES``) must pack to the very NLRI
octets the daemon sent.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bgpmesh.api.json import extended_community, update_message
from bgpmesh.api.json_nlri import nlri_json
from bgpmesh.codec.attributes.as_path import AsPath
from bgpmesh.codec.attributes.communities import Communities
from bgpmesh.codec.attributes.extended_communities import ExtendedCommunities
from bgpmesh.codec.attributes.med import MultiExitDisc
from bgpmesh.codec.attributes.mp_reach import MpReachNlri
from bgpmesh.codec.attributes.mp_unreach import MpUnreachNlri
from bgpmesh.codec.attributes.next_hop import NextHop
from bgpmesh.codec.attributes.origin import Origin
from bgpmesh.codec.capabilities import (
    FourOctetAs,
    Fqdn,
    Multiprotocol,
    SoftwareVersion,
)
from bgpmesh.codec.header import MessageReader
from bgpmesh.codec.nlri.evpn import (
    EvpnEthernetAd,
    EvpnMacIp,
    EvpnMulticast,
    EvpnPrefix,
    EvpnSegment,
)
from bgpmesh.codec.nlri.flowspec import FlowMatch, FlowPrefix, FlowSpec, FlowSpecVpn
from bgpmesh.codec.nlri.labeled import LabeledPrefix
from bgpmesh.codec.nlri.mpls_vpn import VpnPrefix
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.rtc import RouteTargetConstraint
from bgpmesh.codec.open import Open
from bgpmesh.codec.packer import route_nlri_key
from bgpmesh.codec.session import Session
from bgpmesh.codec.update import Update
from bgpmesh.errors import Action, BgpError, InvalidNetworkField
from bgpmesh.family import Family
from bgpmesh.route import FlowRoute, Route

VECTORS = Path(__file__).with_name("vectors")
SESSION = Session()  # the capture negotiated 4-octet AS, no ADD-PATH
DAEMON_AS = 65002
PREFIX = "203.0.113.0/24"
MED = 42
COMMUNITY = DAEMON_AS << 16 | 7

# Vectors whose re-encoding differs in bytes only, and why.
# RFC 5492 section 4 lets a speaker put each capability in its own
# Capabilities optional parameter; FRR does, bgpmesh packs them all into one.
ONE_PARAMETER_EACH = "one optional parameter per capability"
# RFC 4271 section 4.3 allows the Extended Length bit on any attribute; FRR
# sets it on AS_PATH and MP_REACH_NLRI, BIRD on MP_REACH_NLRI (flags 0x50,
# 0x90: a 2-octet length), bgpmesh only when the value is over 255 octets.
EXTENDED_LENGTH = "short attributes with the Extended Length bit"
NOT_BYTE_EXACT: dict[str, str] = {
    "frr-open.hex": ONE_PARAMETER_EACH,
    "frr-families-open.hex": ONE_PARAMETER_EACH,
    "frr-update.hex": EXTENDED_LENGTH,  # AS_PATH
    "frr-ipv6-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI, AS_PATH
    "frr-vpnv4-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI, AS_PATH
    "bird-ipv6-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI
    "bird-flow4-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI
    "bird-flow6-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI
    "bird-vpnv4-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI
    "bird-ipv4-mpls-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI
    "frr-ipv4-mpls-update.hex": EXTENDED_LENGTH,  # MP_REACH_NLRI, AS_PATH
    "frr-labeled-open.hex": ONE_PARAMETER_EACH,
}


def read_vector(name: str) -> bytes:
    """The message in ``vectors/NAME``: hex lines after ``#`` comment lines."""
    lines = (VECTORS / name).read_text().splitlines()
    return bytes.fromhex("".join(line for line in lines if not line.startswith("#")))


def decode(message: bytes) -> Any:
    (decoded,) = MessageReader().feed(message, SESSION)
    return decoded


def decoded_form(message: bytes) -> Any:
    """The decoded message with what depends on the test host left out: the
    daemon's router id and next hop (its per-test loopback address), and the
    text of the FQDN and software version capabilities.  A message bgpmesh
    must refuse (``MALFORMED``) gives its error."""
    try:
        decoded = decode(message)
    except BgpError as error:
        return ("error", type(error).__name__, str(error))
    if isinstance(decoded, Open):
        capabilities = tuple(type(c).__name__ if type(c) in (Fqdn, SoftwareVersion) else c
                             for c in decoded.capabilities)
        return ("open", decoded.version, decoded.asn, decoded.hold_time, capabilities)
    assert isinstance(decoded, Update)
    attributes = tuple("next-hop" if type(a) is NextHop else _test_hops(a) for a in decoded.attributes)
    return ("update", decoded.withdrawn, attributes, decoded.nlri)


def _test_hops(attribute: Any) -> Any:
    """MP_REACH_NLRI with next hops on the test's loopback addresses (the
    daemon's own address, where it puts itself) shown as "next-hop"."""
    if type(attribute) is not MpReachNlri:
        return attribute
    hops = tuple("next-hop" if hop.startswith(("127.", "::ffff:127.")) else hop
                 for hop in attribute.next_hop)
    return replace(attribute, next_hop=hops)


# Vectors a daemon sent malformed, the error bgpmesh must raise, and why.
MALFORMED: dict[str, tuple[type[BgpError], str]] = {
    # GoBGP 3.10, "destination 2001:db8:81::/64 8": RFC 8956 section 3.1 makes
    # the pattern the (length - offset) = 56 bits after the offset, 7 octets;
    # GoBGP writes all 8 octets of the address, so the 8th reads as the next
    # component's type, 0.  RFC 7606 section 5.3: an NLRI that cannot be
    # parsed resets the session.
    "gobgp-flow6-offset-update.hex": (InvalidNetworkField, "flow component type 0 after 1"),
}


def _names() -> list[str]:
    return sorted(path.name for path in VECTORS.glob("*.hex") if path.name not in MALFORMED)


def test_every_daemon_has_its_vectors():
    assert {name.split("-")[0] for name in _names()} >= {"bird", "gobgp", "frr"}


def test_every_vector_names_its_source():
    for name in _names():
        header = [line for line in (VECTORS / name).read_text().splitlines()
                  if line.startswith("#")]
        assert any(line.startswith("# daemon: ") for line in header), name
        assert any(line.startswith("# captured: ") for line in header), name


@pytest.mark.parametrize("name", _names())
def test_vector_reencodes(name):
    message = read_vector(name)
    decoded = decode(message)
    assert not getattr(decoded, "errors", ())
    again = decoded.encode(SESSION)
    if name in NOT_BYTE_EXACT:
        assert decode(again) == decoded
    else:
        assert again.hex() == message.hex()


def short_lengths(message: bytes) -> bytes:
    """The UPDATE with every attribute under 256 octets that has the
    Extended Length bit rewritten without it (flags, type, 1-octet length),
    the message and path attribute lengths made to match; read by hand."""
    withdrawn = int.from_bytes(message[19:21], "big")
    at = 23 + withdrawn
    end = at + int.from_bytes(message[21 + withdrawn:23 + withdrawn], "big")
    attributes = b""
    while at < end:
        flags, kind = message[at], message[at + 1]
        if flags & 0x10:
            length, value = int.from_bytes(message[at + 2:at + 4], "big"), at + 4
        else:
            length, value = message[at + 2], at + 3
        if flags & 0x10 and length < 256:
            attributes += bytes((flags & ~0x10, kind, length)) + message[value:value + length]
        else:
            attributes += message[at:value + length]
        at = value + length
    body = message[19:21 + withdrawn] + len(attributes).to_bytes(2, "big") + attributes + message[end:]
    return message[:16] + (19 + len(body)).to_bytes(2, "big") + message[18:19] + body


@pytest.mark.parametrize("name", sorted(NOT_BYTE_EXACT))
def test_differences_are_only_the_explained_ones(name):
    message = read_vector(name)
    again = decode(message).encode(SESSION)
    if NOT_BYTE_EXACT[name] == EXTENDED_LENGTH:
        assert short_lengths(message) != message
        assert again.hex() == short_lengths(message).hex()
        return
    assert NOT_BYTE_EXACT[name] == ONE_PARAMETER_EACH
    # every optional parameter is a Capabilities parameter holding one capability
    offset, end = 29, 29 + message[28]
    while offset < end:
        kind, length = message[offset], message[offset + 1]
        assert kind == 2 and message[offset + 3] + 2 == length
        offset += 2 + length


@pytest.mark.parametrize("name", [n for n in _names() if n.endswith("-open.hex")])
def test_open_fields(name):
    message = decode(read_vector(name))
    assert message.version == 4 and message.asn == DAEMON_AS and message.hold_time >= 3
    assert message.capability(FourOctetAs) == FourOctetAs(DAEMON_AS)
    # the FRR labeled unicast session has no IPv4 unicast (FRR refuses both)
    family = Family(1, 4) if name == "frr-labeled-open.hex" else Family(1, 1)
    assert Multiprotocol(family) in message.capabilities


@pytest.mark.parametrize("name", [n for n in _names() if n.count("-") == 1 and n.endswith("-update.hex")])
def test_update_fields(name):
    update = decode(read_vector(name))
    assert update.nlri == (PREFIX,) and update.withdrawn == ()
    assert update.attribute(MultiExitDisc) == MultiExitDisc(MED)
    assert COMMUNITY in update.attribute(Communities).values
    assert update.attribute(AsPath).segments[0][1][0] == DAEMON_AS
    assert update.attribute(NextHop) is not None
    origin = update.attribute(Origin).value
    assert origin == (1 if name.startswith("gobgp") else 0)


# -- the other families ---------------------------------------------------------
#
# What each capture asked the daemon to originate (tests/interop/
# test_capture_vectors.py), as bgpmesh's values.  Labels are the raw 24-bit
# field: label << 4, bottom of stack set.  FlowSpec operators keep their
# length bits (0x10: a 2-octet value) and AND bit (0x40).

def _label(value: int) -> int:
    return value << 4 | 1


_RD = RouteDistinguisher.parse
_FLOW4 = (FlowPrefix(1, "198.51.100.0/24"), FlowPrefix(2, "203.0.113.0/24"),
          FlowMatch(3, ((0x01, 6),)),  # protocol =tcp
          FlowMatch(5, ((0x01, 80), (0x11, 443))))  # destination-port =80 or =443
_FLOW6 = (FlowPrefix(1, "2001:db8:80::/48"), FlowMatch(3, ((0x01, 17),)), FlowMatch(5, ((0x01, 53),)))
# destination 192.0.2.0/24, source-port >=1024 and <=2048, icmp-type =8,
# icmp-code =0, packet-length >100, dscp =46, fragment =is-fragment
_FLOW4_MORE = FlowSpec(1, (
    FlowPrefix(1, "192.0.2.0/24"), FlowMatch(6, ((0x13, 1024), (0x55, 2048))),
    FlowMatch(7, ((0x01, 8),)), FlowMatch(8, ((0x01, 0),)), FlowMatch(10, ((0x02, 100),)),
    FlowMatch(11, ((0x01, 46),)), FlowMatch(12, ((0x01, 2),))))
_NO_ESI = bytes(10)
_ESI = bytes.fromhex("00" "001122334455667788")

FAMILY_VECTORS: dict[str, tuple[Family, tuple[Any, ...]]] = {
    "bird-ipv6-update.hex": (Family(2, 1), ("2001:db8:77::/48",)),
    "frr-ipv6-update.hex": (Family(2, 1), ("2001:db8:77::/48",)),
    "gobgp-ipv6-update.hex": (Family(2, 1), ("2001:db8:77::/48",)),
    "gobgp-ipv4-mpls-update.hex": (Family(1, 4), (LabeledPrefix(1, "198.51.100.128/25", (_label(102),)),)),
    "gobgp-ipv6-mpls-update.hex": (Family(2, 4), (LabeledPrefix(2, "2001:db8:79::/48", (_label(103),)),)),
    # BIRD 2.0 sends its own next hop and label 3, implicit null (RFC 8277
    # section 2), not the route's label (302, 300)
    "bird-ipv4-mpls-update.hex": (Family(1, 4), (LabeledPrefix(1, "198.51.100.128/25", (_label(3),)),)),
    # FRR without zebra (no label manager): label 3 too, with traffic class 1
    # (the field is 0x000033: label 3, TC 1, bottom of stack)
    "frr-ipv4-mpls-update.hex": (Family(1, 4), (LabeledPrefix(1, "198.51.100.128/25", (0x000033,)),)),
    "bird-vpnv4-update.hex": (Family(1, 128), (
        VpnPrefix(1, _RD("65002:40"), "198.51.100.0/24", (_label(3),)),)),
    "gobgp-vpnv4-update.hex": (Family(1, 128), (
        VpnPrefix(1, _RD("65002:10"), "198.51.100.0/24", (_label(100),)),)),
    "frr-vpnv4-update.hex": (Family(1, 128), (
        VpnPrefix(1, _RD("65002:40"), "198.51.100.0/24", (_label(300),)),)),
    "gobgp-vpnv6-update.hex": (Family(2, 128), (
        VpnPrefix(2, _RD("192.0.2.2:11"), "2001:db8:78::/48", (_label(101),)),)),
    # GoBGP's "tcp-flags S": the syn bit, any of them (operator 0); BIRD's
    # "tcp flags 0x02/0x02": all of them (match bit, 0x01)
    "gobgp-flow4-update.hex": (Family(1, 133), (FlowSpec(1, (*_FLOW4, FlowMatch(9, ((0x00, 2),)))),)),
    "bird-flow4-update.hex": (Family(1, 133), (FlowSpec(1, (
        *_FLOW4, FlowMatch(9, ((0x01, 2),)),
        FlowMatch(10, ((0x03, 64), (0x55, 1500))))),  # length >=64 and <=1500
        _FLOW4_MORE)),
    "gobgp-flow4-more-update.hex": (Family(1, 133), (FlowSpec(1, (
        *_FLOW4_MORE.components[:-1], FlowMatch(12, ((0x00, 2),)))),)),  # is-fragment: any
    "gobgp-flow6-update.hex": (Family(2, 133), (FlowSpec(2, _FLOW6),)),
    "gobgp-flow4-vpn-update.hex": (Family(1, 134), (FlowSpecVpn(1, _FLOW4[:1] + _FLOW4[2:3], _RD("65002:50")),)),
    # the /64 at offset 8: the pattern is bits 8 to 63; the bits before the
    # offset are not matched and show as zero
    "bird-flow6-update.hex": (Family(2, 133), (FlowSpec(2, _FLOW6), FlowSpec(2, (
        FlowPrefix(1, "1:db8:81::/64", 8), FlowPrefix(2, "2001:db8:82::/48"),
        FlowMatch(3, ((0x01, 6), (0x01, 17))), FlowMatch(11, ((0x01, 10),)),
        FlowMatch(13, ((0x11, 4660),)))))),
    # VXLAN encapsulation: the 3-octet label field holds the VNI whole
    # (RFC 8365 section 5.1.3), so GoBGP's "label 200" is the raw field 200
    "gobgp-evpn-mac-update.hex": (Family(25, 70), (EvpnMacIp(
        _RD("65002:20"), _NO_ESI, 0, bytes.fromhex("020000000001"), "192.0.2.10", (200,)),)),
    "gobgp-evpn-multicast-update.hex": (Family(25, 70), (EvpnMulticast(_RD("65002:20"), 0, "192.0.2.2"),)),
    "gobgp-evpn-prefix-update.hex": (Family(25, 70), (EvpnPrefix(
        _RD("65002:21"), _NO_ESI, 0, "198.51.100.0/24", "192.0.2.2", 201),)),
    # ESI type 0 (arbitrary) and the nine octets given; GoBGP 3.10 writes the
    # label as the raw field here too, with no encapsulation asked for
    "gobgp-evpn-ad-update.hex": (Family(25, 70), (EvpnEthernetAd(_RD("65002:22"), _ESI, 0, 202),)),
    "gobgp-evpn-es-update.hex": (Family(25, 70), (EvpnSegment(_RD("65002:23"), _ESI, "192.0.2.2"),)),
    # route target 65002:30 (type 0x0002, 2-octet AS), 96 bits with the origin AS
    "gobgp-rtc-update.hex": (Family(1, 132), (RouteTargetConstraint(
        96, DAEMON_AS, bytes.fromhex("0002fdea0000001e")),)),
}
# the extended communities the captures asked for
EXTENDED: dict[str, set[str]] = {
    "gobgp-vpnv4-update.hex": {"target:65002:10"},
    "bird-vpnv4-update.hex": {"target:65002:40"},
    "gobgp-vpnv6-update.hex": {"target:65002:11"},
    "gobgp-flow4-update.hex": {"rate-limit:1000"},
    "bird-flow4-update.hex": {"rate-limit:0"},
    "gobgp-flow6-update.hex": {"rate-limit:0"},  # "then discard"
    "gobgp-flow4-vpn-update.hex": {"redirect:65002:51"},
    "gobgp-flow4-more-update.hex": {"action sample-terminal", "mark 10"},
    "gobgp-evpn-mac-update.hex": {"target:65002:20", "encap:VXLAN"},
    "gobgp-evpn-multicast-update.hex": {"target:65002:20", "encap:VXLAN"},
    "gobgp-evpn-prefix-update.hex": {"target:65002:21", "encap:VXLAN"},
    "gobgp-evpn-ad-update.hex": {"target:65002:22"},
    "gobgp-evpn-es-update.hex": {"target:65002:23"},
}


def test_every_family_vector_is_checked():
    family_vectors = {n for n in _names() if n.count("-") > 1 and n.endswith("-update.hex")}
    assert family_vectors == set(FAMILY_VECTORS)
    assert {family for family, _ in FAMILY_VECTORS.values()} >= {
        Family(2, 1), Family(1, 4), Family(2, 4), Family(1, 128), Family(2, 128),
        Family(1, 133), Family(2, 133), Family(1, 134), Family(25, 70), Family(1, 132)}


@pytest.mark.parametrize("name", sorted(FAMILY_VECTORS))
def test_family_vector_nlri(name):
    family, nlri = FAMILY_VECTORS[name]
    update = decode(read_vector(name))
    reach = update.attribute(MpReachNlri)
    assert (reach.family, reach.nlri) == (family, nlri)
    assert update.nlri == update.withdrawn == () and update.attribute(MpUnreachNlri) is None
    assert update.attribute(AsPath).segments == ((2, (DAEMON_AS,)),)
    if family.safi not in (133, 134):  # FlowSpec has no next hop (RFC 8955 section 4)
        assert reach.next_hop
    if family.safi == 1:
        assert update.attribute(MultiExitDisc) == MultiExitDisc(MED)
        assert update.attribute(Communities).values == (COMMUNITY,)
    texts = {extended_community(value) for value in getattr(update.attribute(ExtendedCommunities), "values", ())}
    assert texts >= EXTENDED.get(name, set())


@pytest.mark.parametrize("name", sorted(FAMILY_VECTORS))
def test_family_vector_json(name):
    family, nlri = FAMILY_VECTORS[name]
    update = decode(read_vector(name))
    body = update_message(update)["update"]
    (routes,) = body["announce"][str(family)].values()
    assert routes == [nlri_json(value, update.attribute(MpReachNlri).next_hop) for value in nlri]
    assert json.loads(json.dumps(body)) == body


# The same routes as a script announces them (ExaBGP's words): bgpmesh's
# packer must give the very NLRI octets the daemon sent.
_FLOW4_WORDS = (("destination", ("198.51.100.0/24",)), ("source", ("203.0.113.0/24",)),
                ("protocol", ("=tcp",)), ("destination-port", ("=80", "=443")))
_FLOW6_WORDS = (("destination", ("2001:db8:80::/48",)), ("next-header", ("=udp",)),
                ("destination-port", ("=53",)))
_FLOW4_MORE_WORDS = (("destination", ("192.0.2.0/24",)), ("source-port", (">=1024&<=2048",)),
                     ("icmp-type", ("=8",)), ("icmp-code", ("=0",)), ("packet-length", (">100",)),
                     ("dscp", ("=46",)))
PRODUCER_ROUTES: dict[str, Any] = {
    "bird-ipv6-update.hex": Route(Family(2, 1), "2001:db8:77::/48"),
    "gobgp-ipv4-mpls-update.hex": Route(Family(1, 4), "198.51.100.128/25", labels=(102,)),
    "bird-ipv4-mpls-update.hex": Route(Family(1, 4), "198.51.100.128/25", labels=(3,)),
    "gobgp-ipv6-mpls-update.hex": Route(Family(2, 4), "2001:db8:79::/48", labels=(103,)),
    "gobgp-vpnv4-update.hex": Route(Family(1, 128), "198.51.100.0/24", labels=(100,), rd="65002:10"),
    "bird-vpnv4-update.hex": Route(Family(1, 128), "198.51.100.0/24", labels=(3,), rd="65002:40"),
    "frr-vpnv4-update.hex": Route(Family(1, 128), "198.51.100.0/24", labels=(300,), rd="65002:40"),
    "gobgp-vpnv6-update.hex": Route(Family(2, 128), "2001:db8:78::/48", labels=(101,), rd="192.0.2.2:11"),
    "gobgp-flow4-update.hex": FlowRoute(Family(1, 133), (*_FLOW4_WORDS, ("tcp-flags", ("syn",)))),
    "bird-flow4-update.hex": (
        FlowRoute(Family(1, 133), (*_FLOW4_WORDS, ("tcp-flags", ("=syn",)), ("packet-length", (">=64&<=1500",)))),
        FlowRoute(Family(1, 133), (*_FLOW4_MORE_WORDS, ("fragment", ("=is-fragment",))))),
    "gobgp-flow4-more-update.hex": FlowRoute(Family(1, 133), (*_FLOW4_MORE_WORDS, ("fragment", ("is-fragment",)))),
    "gobgp-flow6-update.hex": FlowRoute(Family(2, 133), _FLOW6_WORDS),
    "bird-flow6-update.hex": (
        FlowRoute(Family(2, 133), _FLOW6_WORDS),
        FlowRoute(Family(2, 133), (("destination", ("1:db8:81::/64/8",)), ("source", ("2001:db8:82::/48",)),
                                   ("next-header", ("=6", "=17")), ("dscp", ("=10",)),
                                   ("flow-label", ("=4660",))))),
    "gobgp-flow4-vpn-update.hex": FlowRoute(Family(1, 134), _FLOW4_WORDS[:1] + _FLOW4_WORDS[2:3], rd="65002:50"),
}


@pytest.mark.parametrize("name", sorted(PRODUCER_ROUTES))
def test_producer_route_packs_as_the_daemon_did(name):
    message = read_vector(name)
    sent = bytes.fromhex(_nlri_field_hex(message))
    routes = PRODUCER_ROUTES[name] if isinstance(PRODUCER_ROUTES[name], tuple) else (PRODUCER_ROUTES[name],)
    packed = b"".join(getattr(key, "announce", key) for key in map(route_nlri_key, routes))
    assert packed.hex() == sent.hex()


def _nlri_field_hex(message: bytes) -> str:
    """The NLRI field of the UPDATE's MP_REACH_NLRI, read by hand (RFC 4760
    section 3): what follows the next hop and the reserved octet."""
    withdrawn = int.from_bytes(message[19:21], "big")
    at = 23 + withdrawn
    while True:
        flags, kind = message[at], message[at + 1]
        length, value = ((int.from_bytes(message[at + 2:at + 4], "big"), at + 4) if flags & 0x10
                         else (message[at + 2], at + 3))
        if kind == 14:
            return message[value + 5 + message[value + 3]:value + length].hex()
        at = value + length


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_vector_is_refused(name):
    error_class, text = MALFORMED[name]
    with pytest.raises(error_class) as raised:
        decode(read_vector(name))
    assert str(raised.value) == text and raised.value.action == Action.SESSION_RESET
