"""ExaBGP 4.x JSON bodies.  Expected values follow ExaBGP 4.2's encoder
(lib/exabgp/reactor/api/response/json.py) and published 4.0.1 output, e.g.
{"update": {"attribute": {"origin": "igp", "as-path": [65070],
"confederation-path": []}, "announce": {"ipv6 unicast": {...}}}}."""

from __future__ import annotations

import json

from bgpmesh.api.json import notification_message, open_message, refresh_message, update_message
from bgpmesh.codec import (
    AsPath,
    Communities,
    FourOctetAs,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    Multiprotocol,
    NextHop,
    Notification,
    Open,
    Origin,
    RouteRefresh,
    RouteRefreshCapability,
    UnknownAttribute,
    Update,
)
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST


def test_update() -> None:
    update = Update(
        withdrawn=("10.1.0.0/24",),
        attributes=(
            Origin(0),
            AsPath(((2, (65001,)),)),
            NextHop("192.0.2.1"),
            MultiExitDisc(10),
            LocalPref(100),
            Communities(((65000 << 16) | 1,)),
        ),
        nlri=("10.0.0.0/24",),
    )
    got = update_message(update)
    assert got == {
        "update": {
            "attribute": {
                "origin": "igp",
                "as-path": [65001],
                "confederation-path": [],
                "med": 10,
                "local-preference": 100,
                "community": [[65000, 1]],
            },
            "announce": {"ipv4 unicast": {"192.0.2.1": [{"nlri": "10.0.0.0/24"}]}},
            "withdraw": {"ipv4 unicast": [{"nlri": "10.1.0.0/24"}]},
        }
    }
    # key order is ExaBGP's
    assert list(got["update"]) == ["attribute", "announce", "withdraw"]
    assert list(got["update"]["attribute"])[:3] == ["origin", "as-path", "confederation-path"]


def test_ipv6_and_unknown_attribute() -> None:
    update = Update(
        attributes=(
            Origin(0),
            AsPath(((2, (65070,)), (1, (1, 2)))),
            UnknownAttribute(0xC0, 0x63, b"\xab\xcd"),
            MpReachNlri(IPV6_UNICAST, ("fc00:0:0:69::2", "fe80::1"), ("70::/32",)),
        )
    )
    assert update_message(update) == {
        "update": {
            "attribute": {
                "origin": "igp",
                "as-path": [65070],
                "as-set": [1, 2],
                "confederation-path": [],
                "attribute-0x63-0xE0": "0xabcd",  # as exabgp decode shows it
            },
            "announce": {"ipv6 unicast": {"fc00:0:0:69::2": [{"nlri": "70::/32"}]}},
        }
    }


def test_withdraw_only_has_no_attribute_section() -> None:
    update = Update(attributes=(MpUnreachNlri(IPV6_UNICAST, ("2001:db8::/32",)),))
    assert update_message(update) == {"update": {"withdraw": {"ipv6 unicast": [{"nlri": "2001:db8::/32"}]}}}


def test_eor() -> None:
    assert update_message(Update()) == {"eor": {"afi": "ipv4", "safi": "unicast"}}
    eor = Update(attributes=(MpUnreachNlri(IPV6_UNICAST),))
    assert update_message(eor) == {"eor": {"afi": "ipv6", "safi": "unicast"}}


def test_open() -> None:
    message = Open(23456, 90, "192.0.2.1", (Multiprotocol(IPV4_UNICAST), Multiprotocol(IPV6_UNICAST),
                                            RouteRefreshCapability(), FourOctetAs(70000)))
    assert open_message(message) == {
        "open": {
            "version": 4,
            "asn": 23456,
            "hold_time": 90,
            "router_id": "192.0.2.1",
            "capabilities": {
                "1": {"name": "multiprotocol", "families": ["ipv4/unicast", "ipv6/unicast"]},
                "2": {"name": "route-refresh", "variant": "RFC"},
                "65": {"name": "asn4", "asn4": 70000},
            },
        }
    }


def test_prestandard_route_refresh_as_exabgp_names_it() -> None:
    # capability 128, route refresh before RFC 2918 (FRR still sends it)
    from bgpmesh.codec.capabilities import UnknownCapability

    message = Open(65002, 9, "192.0.2.1", (UnknownCapability(128, b""), UnknownCapability(128, b"\x01")))
    capabilities = open_message(message)["open"]["capabilities"]
    assert capabilities["128"] == {"name": "unknown", "iana": "reserved", "value": 128, "raw": "01"}
    message = Open(65002, 9, "192.0.2.1", (UnknownCapability(128, b""),))
    assert open_message(message)["open"]["capabilities"]["128"] == {"name": "route-refresh", "variant": "Cisco"}


def test_notification_and_refresh() -> None:
    assert notification_message(Notification(6, 2, b"\x05hello")) == {
        "notification": {"code": 6, "subcode": 2, "data": "0x0568656c6c6f"}
    }
    assert refresh_message(RouteRefresh(IPV4_UNICAST)) == {
        "route-refresh": {"afi": "ipv4", "safi": "unicast", "subtype": "query"}
    }


def test_peer_strings_are_escaped_by_the_serialiser() -> None:
    # nothing is concatenated: a hostile value stays a value
    text = json.dumps(notification_message(Notification(6, 2, b'\x02"}')))
    assert json.loads(text)["notification"]["data"] == "0x02227d"
