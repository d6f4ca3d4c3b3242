"""Every ExaBGP 4.2/5.0 neighbor statement -> model values; broken ones -> file:line:column."""

from __future__ import annotations

import json

import pytest

from bgpmesh.config import parse_config
from bgpmesh.config.model import Capability, Neighbor
from bgpmesh.errors import ConfigError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import Attributes, FlowRoute, Operational, Route, Vpls

HEAD = "neighbor 192.0.2.1 { local-address 192.0.2.2; local-as 65000; peer-as 65001;\n"


def neighbor_of(body: str) -> Neighbor:
    config = parse_config(HEAD + body + "\n}")
    assert len(config.neighbors) == 1
    return config.neighbors[0]


CASES = [
    ("md5-password 'secret'; md5-base64; md5-ip 192.0.2.2;",
     {"md5_password": "secret", "md5_base64": True, "md5_ip": "192.0.2.2"}),
    ("incoming-ttl 255; outgoing-ttl 1;", {"incoming_ttl": 255, "outgoing_ttl": 1}),
    ("group-updates false; auto-flush false; adj-rib-in false; adj-rib-out false; "
     "manual-eor true;",
     {"group_updates": False, "auto_flush": False, "adj_rib_in": False, "adj_rib_out": False,
      "manual_eor": True}),
    ("rate-limit 100;", {"rate_limit": 100}),
    ("rate-limit disable;", {"rate_limit": 0}),
    ("host-name edge1; domain-name example.net; source-interface eth0;",
     {"host_name": "edge1", "domain_name": "example.net", "source_interface": "eth0"}),
    ("peer-as auto;", {"peer_as": None}),
    ("capability { route-refresh; graceful-restart 120; add-path send/receive; "
     "multi-session; operational; aigp; extended-message false; nexthop; software-version; "
     "asn4 disable; }",
     {"capability": Capability(asn4=False, route_refresh=True, graceful_restart=120,
                               add_path="send/receive", multi_session=True,
                               operational=True, aigp=True, extended_message=False,
                               nexthop=True, software_version=True)}),
    ("hold-time 90; capability { graceful-restart; }",
     {"capability": Capability(graceful_restart=90)}),
    # bgpmesh's own: RFC 9494 long-lived stale times, every family or one
    ("capability { long-lived-graceful-restart 3600; "
     "long-lived-graceful-restart ipv6 unicast 60; long-lived-graceful-restart 7200; }",
     {"capability": Capability(long_lived_graceful_restart=(
         (IPV6_UNICAST, 60), (None, 7200)))}),
    ("add-path { ipv4 unicast; ipv6 unicast; }",
     {"add_path_families": (IPV4_UNICAST, IPV6_UNICAST)}),
    ("nexthop { ipv4 unicast ipv6; }", {"nexthops": ((IPV4_UNICAST, 2),)}),
    ("family { ipv4 multicast; ipv4 nlri-mpls; ipv4 mpls-vpn; ipv4 flow-vpn; ipv4 mcast-vpn; "
     "ipv6 mup; l2vpn vpls; bgp-ls bgp-ls; }",
     {"families": (Family(1, 2), Family(1, 4), Family(1, 128), Family(1, 134), Family(1, 5),
                   Family(2, 85), Family(25, 65), Family(16388, 71))}),
    ("family { minimal; } static { route 2001:db8::/32 next-hop ::1; }",
     {"families": (IPV6_UNICAST,)}),
    ("static { route 10.0.0.0/24 { next-hop 1.2.3.4; med 10; community [ 1:1 ]; "
     "as-path [ 1 ( 2 3 ) ]; } }",
     {"static": (Route(IPV4_UNICAST, "10.0.0.0/24", "1.2.3.4", Attributes(
         med=10, communities=((1 << 16) | 1,), as_path=(1,), as_set=(2, 3))),)}),
    ("static { route 10.0.0.0/24 next-hop self split /25 watchdog w withdraw name n; }",
     {"static": tuple(Route(IPV4_UNICAST, p, "self", watchdog="w", name="n", withdrawn=True)
                      for p in ("10.0.0.0/25", "10.0.0.128/25"))}),
    ("family { ipv4 unicast; ipv4 multicast; } announce { ipv4 { unicast 10.0.1.0/24 "
     "next-hop 10.0.255.254 community 65000:1; multicast 224.1.0.0/16 next-hop self; } }",
     {"static": (Route(IPV4_UNICAST, "10.0.1.0/24", "10.0.255.254",
                       Attributes(communities=((65000 << 16) | 1,))),
                 Route(Family(1, 2), "224.1.0.0/16", "self"))}),
    ("flow { route block { rd 65000:1; next-hop 1.2.3.4; match { source 10.0.0.0/8; "
     "destination-port [ =80 =443 ]; tcp-flags [ syn ]; } then { rate-limit 0; "
     "extended-community [ target:1:1 ]; } } }",
     {"flows": (FlowRoute(Family(1, 134), (("source", ("10.0.0.0/8",)),
                                          ("destination-port", ("=80", "=443")),
                                          ("tcp-flags", ("syn",))),
                          (("rate-limit", ("0",)),), "65000:1", "1.2.3.4",
                          Attributes(extended_communities=(0x0002000100000001,)),
                          "block"),)}),
    ("l2vpn { vpls site5 { endpoint 5; base 10702; offset 1; size 8; rd 192.0.2.1:123; "
     "next-hop 192.0.2.1; } }",
     {"vpls": (Vpls(5, 10702, 1, 8, "192.0.2.1:123", "192.0.2.1", name="site5"),)}),
    ("operational { adm afi ipv4 safi unicast advisory \"maintenance at 5\"; }",
     {"operational": (Operational("adm", IPV4_UNICAST,
                                  (("advisory", "maintenance at 5"),)),)}),
]


@pytest.mark.parametrize("body, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_statement(body: str, expected: dict) -> None:
    neighbor = neighbor_of(body)
    for name, value in expected.items():
        assert getattr(neighbor, name) == value, name


def test_defaults_of_new_fields() -> None:
    neighbor = neighbor_of("")
    assert (neighbor.group_updates, neighbor.auto_flush, neighbor.adj_rib_in,
            neighbor.adj_rib_out, neighbor.manual_eor) == (True, True, True, True, False)
    assert neighbor.capability == Capability()
    assert neighbor.capability.extended_message and neighbor.capability.asn4
    assert neighbor.peer_range is None and neighbor.md5_password is None


def test_mcast_vpn_mup_sr_policy_families_are_offered_in_the_open() -> None:
    from bgpmesh.codec.capabilities import Multiprotocol
    from workers.peer import local_open

    neighbor = neighbor_of("family { ipv4 mcast-vpn; ipv6 mcast-vpn; ipv4 mup; ipv6 mup; "
                           "ipv4 sr-policy; ipv6 sr-policy; }")
    expected = (Family(1, 5), Family(2, 5), Family(1, 85), Family(2, 85), Family(1, 73), Family(2, 73))
    assert neighbor.families == expected
    offered = [c.family for c in local_open(neighbor).capabilities if type(c) is Multiprotocol]
    assert offered == list(expected)


def test_family_all() -> None:
    families = neighbor_of("family { all; }").families
    assert IPV4_UNICAST in families and Family(2, 134) in families and len(families) > 10


def test_neighbor_range_is_passive() -> None:
    config = parse_config("neighbor 10.0.0.77/24 { router-id 1.1.1.1; local-as 1; "
                          "peer-as auto; }\n"
                          "neighbor 10.0.0.9/32 { router-id 1.1.1.1; local-as 1; peer-as 2; }")
    ranged, host = config.neighbors
    assert (ranged.peer_address, ranged.peer_range, ranged.passive, ranged.peer_as) == (
        "10.0.0.0/24", "10.0.0.0/24", True, None)
    assert (host.peer_address, host.peer_range, host.passive) == ("10.0.0.9", None, False)


def test_templates_carry_new_statements() -> None:
    config = parse_config("""
        process p { run /bin/cat; }
        template { neighbor t { capability { route-refresh; } md5-password x;
            flow { route { match { destination 10.0.0.0/8; } then { discard; } } }
            api { processes-match [ ^watch ]; neighbor-changes; } } }
        neighbor 192.0.2.1 { inherit t; local-address 192.0.2.2; local-as 1; peer-as 2;
            capability { aigp; } }
    """)
    neighbor = config.neighbors[0]
    assert neighbor.capability == Capability(route_refresh=True, aigp=True)
    assert neighbor.md5_password == "x"
    assert neighbor.flows[0].actions == (("discard", ()),)
    assert neighbor.apis[0].processes_match == ("^watch",)


def test_to_dict_is_json() -> None:
    config = parse_config("process p { run /bin/cat; }\n" + HEAD + """
        api { processes [ p ]; receive { update; parsed; } }
        static { route 10.0.0.0/8 next-hop self attribute [ 0x20 0xc0 0xab ]; }
        flow { route { match { destination 10.0.0.0/8; } then { discard; } } } }""")
    dump = json.loads(json.dumps(config.to_dict()))
    neighbor = dump["neighbors"][0]
    assert neighbor["peer_address"] == "192.0.2.1"
    assert neighbor["families"] == ["ipv4 unicast", "ipv6 unicast"]
    assert neighbor["apis"][0]["receive"] == ["parsed", "update"]
    assert neighbor["static"][0]["attributes"]["generic"] == [[0x20, 0xC0, "ab"]]
    assert neighbor["flows"][0]["family"] == "ipv4 flow"
    assert dump["processes"][0]["run"] == ["/bin/cat"]


# (body inside HEAD's neighbor, line, column, message fragment); HEAD is line 1.
BROKEN = [
    ("incoming-ttl 0;", 2, 14, "incoming-ttl 0 out of range"),
    ("rate-limit fast;", 2, 12, "invalid rate-limit 'fast'"),
    ("md5-ip 1.2.3;", 2, 8, "invalid md5-ip '1.2.3'"),
    ("capability { add-path both; }", 2, 23, "invalid add-path 'both'"),
    ("capability { graceful-restart 5000; }", 2, 31, "out of range, expected 0..4095"),
    ("capability { warp-drive; }", 2, 14, "unknown capability statement 'warp-drive'"),
    ("capability { long-lived-graceful-restart 16777216; }", 2, 42,
     "out of range, expected 0..16777215"),
    ("capability { long-lived-graceful-restart ipv4 60; }", 2, 49,
     "expected 'long-lived-graceful-restart [AFI SAFI] SECONDS;'"),
    ("capability { long-lived-graceful-restart ipv4 unicorn 60; }", 2, 47, "unknown SAFI"),
    ("capability { long-lived-graceful-restart; }", 2, 41,
     "expected 'long-lived-graceful-restart [AFI SAFI] SECONDS;'"),
    ("family { ipv4 unicorn; }", 2, 15, "unknown SAFI 'unicorn' for ipv4"),
    ("family { all; ipv4 unicast; }", 2, 10, "'all' cannot be used with a list"),
    ("nexthop { ipv4 unicast; }", 2, 23, "expected 'AFI SAFI NEXTHOP-AFI;'"),
    ("nexthop { ipv4 unicast ipv9; }", 2, 24, "invalid next-hop AFI 'ipv9'"),
    ("add-path { ipv4; }", 2, 16, "expected 'AFI SAFI;'"),
    ("static { route 10.0.0.0/8 { next-hop 1.2.3.4; med x; } }", 2, 51, "invalid med 'x'"),
    ("static { route 10.0.0.0/8 next-hop self extended-community [ target:x ]; }", 2, 62,
     "invalid extended community"),
    ("announce { ipv4 { flow 10.0.0.0/8; } }", 2, 19, "unknown ipv4 statement 'flow'"),
    ("announce { ipv6 { unicast 10.0.0.0/8 next-hop self; } }", 2, 27, "is not ipv6 unicast"),
    ("flow { route r { match { destination 10.0.0.0/40; } } }", 2, 38, "invalid prefix length"),
    ("flow { route r { match { source 10.0.0.0/8; } then { drop; } } }", 2, 54,
     "unknown flow keyword 'drop'"),
    ("flow { route r { then { discard; } } }", 2, 16, "has no match component"),
    ("l2vpn { vpls v { endpoint 5; base 1; offset 1; size 8; next-hop 1.2.3.4; } }", 2, 16,
     "vpls has no rd"),
    ("operational { adm afi ipv4 safi bogus; }", 2, 23, "unknown address family"),
    ("api { processes-match [ ( ]; }", 2, 25, "invalid regular expression '('"),
]


@pytest.mark.parametrize("body, line, column, fragment", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken(body: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(HEAD + body + "\n}", "x.conf")
    error = info.value
    assert fragment in error.message
    assert (error.filename, error.line, error.column) == ("x.conf", line, column), error.message
