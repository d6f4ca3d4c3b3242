"""NLRI of the MP families: multicast, nlri-mpls, mpls-vpn, flow, flow-vpn,
vpls, evpn, rtc, bgp-ls (codec/nlri/*.py, api/json_nlri.py).

VECTORS: the value of an MP_REACH_NLRI attribute (AFI, SAFI, next hop
length, next hop, reserved, NLRI) and the "announce" entries ExaBGP shows for
it.  Layouts from RFC 4760, 8277, 4364/4659, 8955/8956, 4761, 7432/9136,
4684, 9552; every row was wrapped in an UPDATE and decoded by `exabgp decode`
5.0.15, whose JSON entries are the second column.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.api.json import update_message
from bgpmesh.api.json_nlri import nlri_json
from bgpmesh.codec import FAMILIES, MpReachNlri, MpUnreachNlri, Session, Update
from bgpmesh.codec.nlri.bgpls import BgpLs, BgpLsReader
from bgpmesh.codec.nlri.evpn import (
    Evpn,
    EvpnEthernetAd,
    EvpnMacIp,
    EvpnMulticast,
    EvpnPrefix,
    EvpnSegment,
    EvpnUnknown,
)
from bgpmesh.codec.nlri.flowspec import FlowMatch, FlowPrefix, FlowSpec, FlowSpecVpn
from bgpmesh.codec.nlri.labeled import LabeledPrefix
from bgpmesh.codec.nlri.mpls_vpn import VpnPrefix
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.rtc import RouteTargetConstraint
from bgpmesh.codec.nlri.vpls import Vpls
from bgpmesh.errors import BgpError, InvalidNetworkField
from bgpmesh.family import Family

SESSION = Session()

VECTORS = [
    # mcast4
    (
        '00010204c000020100180a0000',
        [{"nlri": "10.0.0.0/24"}],
    ),
    # mpls4
    (
        '00010404c000020100480006400006510a0000',
        [{"nlri": "10.0.0.0/24", "label": [[100], [101]]}],
    ),
    # vpn4
    (
        '0001800c0000000000000000c0000201007000064100000000fde800010a0000',
        [{"nlri": "10.0.0.0/24", "label": [[100]], "rd": "0:4259840001"}],
    ),
    # vpn4rd1
    (
        '0001800c0000000000000000c000020100700006410001c000020100070a0000',
        [{"nlri": "10.0.0.0/24", "label": [[100]], "rd": "192.0.2.1:7"}],
    ),
    # vpn4rd2
    (
        '0001800c0000000000000000c000020100700006410002fa56ea0000010a0000',
        [{"nlri": "10.0.0.0/24", "label": [[100]], "rd": "4200000000:1"}],
    ),
    # vpn6
    (
        '00028018000000000000000020010db8000000000000000000000001007800064100000000fde8000120010db8',
        [{"nlri": "2001:db8::/32", "label": [[100]], "rd": "0:4259840001"}],
    ),
    # flow4
    (
        '00018500002401180a000003810605815006120400d507d00781080881000981020a83400b812e0c8102',
        [{"destination-ipv4": ["10.0.0.0/24"], "protocol": ["=tcp"], "destination-port": ["=80"], "source-port": [">1024&<=2000"], "icmp-type": ["=echo-request"], "icmp-code": ["=0"], "tcp-flags": ["=syn"], "packet-length": [">=64"], "dscp": ["=46"], "fragment": ["=is-fragment"], "string": "flow destination-ipv4 10.0.0.0/24 protocol =tcp destination-port =80 source-port [ >1024&<=2000 ] icmp-type =echo-request icmp-code =0 tcp-flags =syn packet-length >=64 dscp =46 fragment =is-fragment"}],
    ),
    # flow6
    (
        '0002850000190140080db800000000000381060401509101bb0da100001234',
        [{"destination-ipv6": ["d:b800::/64/8"], "next-header": ["=tcp"], "port": ["=80", "=443"], "flow-label": ["=4660"], "string": "flow destination-ipv6 d:b800::/64/8 next-header =tcp port [ =80 =443 ] flow-label =4660"}],
    ),
    # flowvpn4
    (
        '00018600001600000000fde8000101180a000002200a0000010c8101',
        [{"destination-ipv4": ["10.0.0.0/24"], "source-ipv4": ["10.0.0.1/32"], "fragment": ["=dont-fragment"], "rd": "0:4259840001", "string": "flow destination-ipv4 10.0.0.0/24 source-ipv4 10.0.0.1/32 fragment =dont-fragment rd 0:4259840001"}],
    ),
    # vpls
    (
        '00194104c000020100001100000000fde80001000100000008000641',
        [{"rd": "0:4259840001", "endpoint": 1, "base": 100, "offset": 0, "size": 8}],
    ),
    # evpn1
    (
        '00194604c000020100011900000000fde800010011223344556677889900000064000641',
        [{"code": 1, "parsed": True, "raw": "011900000000FDE800010011223344556677889900000064000641", "name": "Ethernet Auto-Discovery", "rd": "0:4259840001", "esi": "00:11:22:33:44:55:66:77:88:99", "ethernet-tag": 100, "label": [[100, 1601]]}],
    ),
    # evpn2
    (
        '00194604c000020100022500000000fde8000100000000000000000000000000003000112233445520c0000202000641',
        [{"code": 2, "parsed": True, "raw": "022500000000FDE8000100000000000000000000000000003000112233445520C0000202000641", "name": "MAC/IP advertisement", "rd": "0:4259840001", "esi": "-", "ethernet-tag": 0, "mac": "00:11:22:33:44:55", "label": [[100, 1601]], "ip": "192.0.2.2"}],
    ),
    # evpn3
    (
        '00194604c000020100031100000000fde800010000000020c0000201',
        [{"code": 3, "parsed": True, "raw": "031100000000FDE800010000000020C0000201", "name": "Inclusive Multicast Ethernet Tag", "rd": "0:4259840001", "ethernet-tag": 0, "ip": "192.0.2.1"}],
    ),
    # evpn4
    (
        '00194604c000020100041700000000fde800010011223344556677889920c0000201',
        [{"code": 4, "parsed": True, "raw": "041700000000FDE800010011223344556677889920C0000201", "name": "Ethernet Segment", "rd": "0:4259840001", "esi": "00:11:22:33:44:55:66:77:88:99", "ip": "192.0.2.1"}],
    ),
    # evpn5
    (
        '00194604c000020100052200000000fde800010000000000000000000000000000180a000000c0000201000641',
        [{"code": 5, "parsed": True, "raw": "052200000000FDE800010000000000000000000000000000180A000000C0000201000641", "name": "IP Prefix Advertisement", "rd": "0:4259840001", "esi": "-", "ethernet-tag": 0, "label": [[100, 1601]], "ip": "10.0.0.0", "iplen": 24, "gateway": "192.0.2.1"}],
    ),
    # evpn9
    (
        '00194604c0000201000903abcdef',
        [{"code": 9, "parsed": False, "raw": "0903ABCDEF"}],
    ),
    # rtc
    (
        '00018404c000020100600000fde80002fde800000064',
        [{"origin": 65000, "route-target": "target:65000:100"}],
    ),
    # rtc0
    (
        '00018404c00002010000',
        [{"origin": 0, "route-target": None}],
    ),
    # lsnode
    (
        '40044704c000020100000100270200000000000000000100001a020000040000fde8020100040000000002030006000000000001',
        [{"ls-nlri-type": "bgpls-node", "l3-routing-topology": 0, "protocol-id": 2, "node-descriptors": {"autonomous-system": 65000, "bgp-ls-identifier": "0", "router-id": "000000000001"}, "nexthop": "192.0.2.1"}],
    ),
    # lsprefix
    (
        '40044704c0000201000003001d03000000000000000001000008020000040000fde801090004180a0000',
        [{"ls-nlri-type": "bgpls-prefix-v4", "l3-routing-topology": 0, "protocol-id": 3, "node-descriptors": {"autonomous-system": 65000}, "ip-reachability-tlv": "10.0.0.0", "ip-reach-prefix": "10.0.0.0/24", "nexthop": "192.0.2.1"}],
    ),
    # lslink: OSPFv2, local and remote node (AS 65000, router ids 192.0.2.1 and
    # 192.0.2.2), interface 10.0.0.1, neighbor 10.0.0.2; no next hop inside,
    # as ExaBGP prints a link
    (
        '40044704c0000201000002004103000000000000000001000010020000040000fde802030004c0000201010100100200'
        '00040000fde802030004c0000202010300040a000001010400040a000002',
        [{"ls-nlri-type": "bgpls-link", "l3-routing-topology": 0, "protocol-id": 3,
          "local-node-descriptors": {"autonomous-system": 65000, "router-id": "192.0.2.1"},
          "remote-node-descriptors": {"autonomous-system": 65000, "router-id": "192.0.2.2"},
          "interface-address": {"interface-address": "10.0.0.1"},
          "neighbor-address": {"neighbor-address": "10.0.0.2"}}],
    ),
]


@pytest.mark.parametrize(("wire", "entries"), VECTORS)
def test_decode_renders_as_exabgp(wire: str, entries: list) -> None:
    reach = MpReachNlri.decode(bytes.fromhex(wire), SESSION)
    assert [nlri_json(n, reach.next_hop) for n in reach.nlri] == entries


@pytest.mark.parametrize(("wire", "entries"), VECTORS)
def test_encode_gives_the_same_bytes(wire: str, entries: list) -> None:
    reach = MpReachNlri.decode(bytes.fromhex(wire), SESSION)
    assert reach.encode(SESSION)[3:].hex() == wire


@pytest.mark.parametrize(("wire", "entries"), VECTORS)
def test_withdraw_round_trip(wire: str, entries: list) -> None:
    reach = MpReachNlri.decode(bytes.fromhex(wire), SESSION)
    unreach = MpUnreachNlri(reach.family, reach.nlri)
    assert MpUnreachNlri.decode(unreach.encode(SESSION)[3:], SESSION) == unreach


def test_vpn_next_hop_has_a_zero_rd() -> None:
    # RFC 4364 section 4.3.2: next hop length 12, RD 0 then 192.0.2.1
    reach = MpReachNlri.decode(bytes.fromhex(VECTORS[2][0]), SESSION)
    assert reach.next_hop == ("192.0.2.1",)
    assert reach.nlri == (
        VpnPrefix(1, RouteDistinguisher(bytes.fromhex("00000000fde80001")), "10.0.0.0/24", (0x641,)),
    )


def test_route_distinguisher_text() -> None:
    for text, wire in (("65000:1", "0000fde800000001"), ("192.0.2.1:7", "0001c00002010007"),
                       ("4200000000:1", "0002fa56ea000001")):
        rd = RouteDistinguisher.parse(text)
        assert rd.raw.hex() == wire and str(rd) == text


def test_add_path_identifier_is_kept() -> None:
    # RFC 7911 section 3: Path Identifier 1 before a labeled prefix
    wire = bytes.fromhex("00000001" "30" "000641" "0a0000")
    family = Family(1, 4)
    [value] = FAMILIES[family].unpack(wire, add_path=True)
    assert value == LabeledPrefix(1, "10.0.0.0/24", (0x641,), 1)
    assert value.encode() == wire
    assert nlri_json(value)["path-information"] == "0.0.0.1"
    session = Session(add_path_receive=frozenset((family,)))
    reach = MpReachNlri.decode(bytes.fromhex("00010404c0000201" "00") + wire, session)
    assert reach.nlri == (value,)


def test_update_announced_and_json_with_objects() -> None:
    reach = MpReachNlri.decode(bytes.fromhex(VECTORS[6][0]), SESSION)  # flow4
    update = Update(attributes=(reach,))
    [(family, value, hops)] = update.announced()
    assert family == Family(1, 133) and type(value) is FlowSpec and hops == ()
    body = update_message(update)["update"]
    assert body["announce"]["ipv4 flow"]["no-nexthop"] == VECTORS[6][1]
    gone = Update(attributes=(MpUnreachNlri(reach.family, reach.nlri),))
    assert gone.withdrawals() == [(family, value)]
    assert update_message(gone)["update"]["withdraw"]["ipv4 flow"] == VECTORS[6][1]


@pytest.mark.parametrize(
    ("family", "wire"),
    [
        (Family(1, 4), "30000640"),  # no bottom-of-stack label, runs out of bits
        (Family(1, 128), "30000641" "0000"),  # too short for its RD
        (Family(1, 133), "03" "0302" "06"),  # component 3 before 3... then truncated
        (Family(1, 133), "06" "0381" "06" "0181" "06"),  # component 1 after 3
        (Family(1, 133), "02" "0e81"),  # unknown component 14
        (Family(1, 133), "00"),  # no component
        (Family(25, 65), "0010" + "00" * 16),  # VPLS length 16
        (Family(25, 70), "0219" + "00" * 25),  # MAC/IP too short
        (Family(1, 132), "10" "0000"),  # RTC length 16
        (Family(16388, 71), "0001" "000a" "02" + "00" * 8 + "01"),  # TLV header cut
    ],
)
def test_malformed_nlri(family: Family, wire: str) -> None:
    with pytest.raises(InvalidNetworkField):
        FAMILIES[family].unpack(bytes.fromhex(wire))


def test_unknown_evpn_route_type_is_kept_raw() -> None:
    assert Evpn.decode(bytes.fromhex("0903abcdef")) == EvpnUnknown(9, bytes.fromhex("abcdef"))


def test_bgp_ls_descriptors() -> None:
    value = BgpLsReader.decode(bytes.fromhex(VECTORS[-2][0])[9:])
    assert value.descriptors(256)[0] == (512, bytes.fromhex("0000fde8"))


# ---- hypothesis: decode(encode(x)) == x ------------------------------------

rds = st.binary(min_size=8, max_size=8).map(RouteDistinguisher)
path_ids = st.none() | st.integers(0, 2**32 - 1)
label = st.integers(0, 2**24 - 1)


def _stack(n: int) -> st.SearchStrategy[tuple[int, ...]]:
    middle = label.filter(lambda raw: not raw & 1 and raw not in (0, 0x800000))
    return st.tuples(st.lists(middle, max_size=n), label.map(lambda raw: raw | 1)).map(
        lambda pair: (*pair[0], pair[1])
    )


def _prefix(afi: int) -> st.SearchStrategy[str]:
    from bgpmesh.codec.nlri.base import prefix_octets, prefix_text

    version, bits = (4, 32) if afi == 1 else (6, 128)

    def build(pair: tuple[object, int]) -> str:
        length, raw = prefix_octets(afi, f"{pair[0]}/{pair[1]}")
        return prefix_text(afi, length, raw)

    return st.tuples(st.ip_addresses(v=version), st.integers(0, bits)).map(build)


def _address(afi: int) -> st.SearchStrategy[str]:
    from bgpmesh.codec.nlri.base import address_octets, address_text

    return st.ip_addresses(v=4 if afi == 1 else 6).map(lambda a: address_text(address_octets(str(a))))


afis = st.sampled_from([1, 2])
numeric_op = st.tuples(st.integers(0, 3), st.integers(0, 0x4F)).map(lambda p: (p[1] & 0x4F) | (p[0] << 4))


def _ops() -> st.SearchStrategy[tuple[tuple[int, int], ...]]:
    pair = numeric_op.flatmap(lambda op: st.tuples(st.just(op), st.integers(0, 2 ** (8 << ((op >> 4) & 3)) - 1)))
    return st.lists(pair, min_size=1, max_size=3).map(tuple)


def _flow(afi: int) -> st.SearchStrategy[tuple]:
    def prefix(kind: int) -> st.SearchStrategy:
        if afi == 1:
            return _prefix(1).map(lambda p: FlowPrefix(kind, p))
        return _prefix(2).flatmap(
            lambda p: st.integers(0, max(int(p.split("/")[1]) - 1, 0)).map(
                lambda off: _normal(FlowPrefix(kind, p, off if p.split("/")[1] != "0" else 0))
            )
        )

    last = 12 if afi == 1 else 13
    kinds = st.sets(st.integers(1, last), min_size=1, max_size=5).map(sorted)
    return kinds.flatmap(
        lambda ks: st.tuples(*(prefix(k) if k <= 2 else _ops().map(lambda o, k=k: FlowMatch(k, o)) for k in ks))
    )


def _normal(component: FlowPrefix) -> FlowPrefix:
    # bits before the offset are not on the wire (RFC 8956 section 3.1)
    return FlowSpec.decode(FlowSpec(2, (component,)).encode(), 2).components[0]


def _evpn() -> st.SearchStrategy:
    esi = st.binary(min_size=10, max_size=10)
    tag = st.integers(0, 2**32 - 1)
    return st.one_of(
        st.builds(EvpnEthernetAd, rds, esi, tag, label, path_ids),
        st.builds(EvpnMacIp, rds, esi, tag, st.binary(min_size=6, max_size=6),
                  st.none() | afis.flatmap(_address), st.lists(label, min_size=1, max_size=2).map(tuple), path_ids),
        st.builds(EvpnMulticast, rds, tag, afis.flatmap(_address), path_ids),
        st.builds(EvpnSegment, rds, esi, afis.flatmap(_address), path_ids),
        afis.flatmap(lambda afi: st.builds(EvpnPrefix, rds, esi, tag, _prefix(afi), _address(afi), label, path_ids)),
        st.builds(EvpnUnknown, st.integers(6, 255), st.binary(max_size=40), path_ids),
    )


def _rtc() -> st.SearchStrategy:
    def build(bits: int) -> st.SearchStrategy:
        size = (bits - 32 + 7) // 8
        return st.builds(RouteTargetConstraint, st.just(bits), st.integers(0, 2**32 - 1),
                         st.binary(min_size=size, max_size=size), path_ids)

    return st.just(RouteTargetConstraint(0)) | st.integers(32, 96).flatmap(build)


tlvs = st.lists(st.tuples(st.integers(258, 1200), st.binary(max_size=20)), max_size=4).map(tuple)
node = st.lists(st.tuples(st.integers(512, 520), st.binary(max_size=8)), max_size=3).map(
    lambda subs: (256, b"".join(k.to_bytes(2, "big") + len(v).to_bytes(2, "big") + v for k, v in subs))
)

# (family, strategy of NLRI values)
VALUES = [
    (Family(1, 4), st.builds(LabeledPrefix, st.just(1), _prefix(1), _stack(3), path_ids)),
    (Family(2, 4), st.builds(LabeledPrefix, st.just(2), _prefix(2), _stack(2), path_ids)),
    (Family(1, 128), st.builds(VpnPrefix, st.just(1), rds, _prefix(1), _stack(3), path_ids)),
    (Family(2, 128), st.builds(VpnPrefix, st.just(2), rds, _prefix(2), _stack(1), path_ids)),
    (Family(1, 133), st.builds(FlowSpec, st.just(1), _flow(1), path_ids)),
    (Family(2, 133), st.builds(FlowSpec, st.just(2), _flow(2), path_ids)),
    (Family(1, 134), st.builds(FlowSpecVpn, st.just(1), _flow(1), rds, path_ids)),
    (Family(2, 134), st.builds(FlowSpecVpn, st.just(2), _flow(2), rds, path_ids)),
    (Family(25, 65), st.builds(Vpls, rds, st.integers(0, 65535), st.integers(0, 65535),
                               st.integers(0, 65535), label, path_ids)),
    (Family(25, 70), _evpn()),
    (Family(1, 132), _rtc()),
    (Family(16388, 71), st.builds(BgpLs, st.integers(1, 4), st.integers(0, 255), st.integers(0, 2**64 - 1),
                                  st.tuples(node).map(tuple) | tlvs, st.just(b""), st.none(), path_ids)
     | st.builds(BgpLs, st.integers(5, 65535), raw=st.binary(max_size=30), path_id=path_ids)),
    (Family(16388, 72), st.builds(BgpLs, st.just(1), st.integers(0, 255), st.integers(0, 2**64 - 1),
                                  tlvs, st.just(b""), rds, path_ids)),
]


@pytest.mark.parametrize(("family", "values"), VALUES, ids=[str(f) for f, _ in VALUES])
def test_round_trip(family: Family, values: st.SearchStrategy) -> None:
    codec = FAMILIES[family]

    @settings(max_examples=60, deadline=None)
    @given(st.lists(values, min_size=1, max_size=3))
    def check(found: list) -> None:
        add_path = found[0].path_id is not None
        found = [v if (v.path_id is not None) == add_path else _with_path(v, add_path) for v in found]
        wire = b"".join(codec.pack(v) for v in found)
        assert codec.unpack(wire, add_path) == tuple(found)
        assert type(found[0]).decode(found[0].encode(), family.afi, add_path) == found[0] if not isinstance(
            found[0], (EvpnEthernetAd, EvpnMacIp, EvpnMulticast, EvpnSegment, EvpnPrefix, EvpnUnknown, BgpLs)
        ) else True

    check()


def _with_path(value: object, add_path: bool) -> object:
    import dataclasses

    return dataclasses.replace(value, path_id=1 if add_path else None)


FAMILY_CODES = [f for f, codec in FAMILIES.items()]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FAMILY_CODES), st.binary(max_size=60), st.booleans(), st.integers(0, 48))
def test_any_mp_reach_bytes_give_a_value_or_bgp_error(family: Family, nlri: bytes, add_path: bool, hop: int) -> None:
    data = family.afi.to_bytes(2, "big") + bytes((family.safi, hop)) + bytes(range(hop)) + b"\x00" + nlri
    session = Session(add_path_receive=frozenset((family,)) if add_path else frozenset())
    for cls, value in ((MpReachNlri, data), (MpUnreachNlri, data[:3] + nlri)):
        try:
            cls.decode(value, session)
        except BgpError:
            pass
