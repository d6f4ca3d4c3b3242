"""The announcement fast path: bytes that decode to what was asked for."""

from __future__ import annotations

import pytest

from bgpmesh.codec import (
    AsPath,
    Communities,
    LocalPref,
    MessageReader,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    Session,
    Update,
    encode_attributes,
    end_of_rib,
    nlri_key,
    pack_announce,
    pack_withdraw,
)
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.route import Attributes

SESSION = Session()


def decode_all(messages: list[bytes], session: Session = SESSION) -> list[Update]:
    return MessageReader().feed(b"".join(messages), session)


def test_ebgp_defaults() -> None:
    wire = encode_attributes(Attributes(), 65000, 65001, SESSION)
    # ORIGIN IGP; AS_PATH one AS_SEQUENCE [65000]; no LOCAL_PREF on eBGP
    assert wire.hex() == "40010100" "400206" "0201" "0000fde8"


def test_ibgp_defaults() -> None:
    wire = encode_attributes(Attributes(), 65000, 65000, SESSION)
    # empty AS_PATH, LOCAL_PREF 100
    assert wire.hex() == "40010100" "400200" "400504" "00000064"


def test_given_values_in_type_code_order() -> None:
    attrs = Attributes(origin=2, as_path=(65000, 65010), med=5, local_pref=200,
                       communities=(0xFDE80001,))
    wire = encode_attributes(attrs, 65000, 65000, SESSION)  # iBGP: LOCAL_PREF is sent
    assert wire.hex() == (
        "40010102" "40020a" "0202" "0000fde8" "0000fdf2" "800404" "00000005"
        "400504" "000000c8" "c00804" "fde80001"
    )


def test_local_pref_never_goes_to_an_external_peer() -> None:
    # RFC 4271 5.1.5: a speaker MUST NOT send LOCAL_PREF to external peers,
    # even when the producer gave one
    wire = encode_attributes(Attributes(local_pref=200, med=5), 65000, 65001, SESSION)
    assert wire.hex() == "40010100" "400206" "0201" "0000fde8" "800404" "00000005"


def test_two_octet_session_sends_as_trans_and_as4_path_last() -> None:
    attrs = Attributes(as_path=(4200000000,), communities=(1,))
    wire = encode_attributes(attrs, 4200000000, 65001, Session(asn4=False))
    assert wire.hex() == (
        "40010100" "400204" "0201" "5ba0" "c00804" "00000001" "c01106" "0201" "fa56ea00"
    )


def test_announce_ipv4_decodes_back() -> None:
    attrs = encode_attributes(Attributes(med=10), 65000, 65001, SESSION)
    keys = [nlri_key(IPV4_UNICAST, p) for p in ("10.0.0.0/24", "10.0.1.0/24")]
    [update] = decode_all(pack_announce(IPV4_UNICAST, attrs, "192.0.2.1", keys, SESSION))
    assert update == Update(
        attributes=(Origin(0), AsPath(((2, (65000,)),)), NextHop("192.0.2.1"), MultiExitDisc(10)),
        nlri=("10.0.0.0/24", "10.0.1.0/24"),
    )


def test_announce_ipv6_decodes_back() -> None:
    attrs = encode_attributes(Attributes(), 65000, 65000, SESSION)
    keys = [nlri_key(IPV6_UNICAST, "2001:db8::/32")]
    [update] = decode_all(pack_announce(IPV6_UNICAST, attrs, "2001:db8::1,fe80::1", keys, SESSION))
    assert update.attributes == (
        Origin(0),
        AsPath(()),
        LocalPref(100),
        MpReachNlri(IPV6_UNICAST, ("2001:db8::1", "fe80::1"), ("2001:db8::/32",)),
    )


def test_ipv4_next_hop_for_ipv6_is_mapped() -> None:
    attrs = encode_attributes(Attributes(), 65000, 65001, SESSION)
    keys = [nlri_key(IPV6_UNICAST, "2001:db8::/32")]
    [update] = decode_all(pack_announce(IPV6_UNICAST, attrs, "192.0.2.1", keys, SESSION))
    assert update.announced() == [(IPV6_UNICAST, "2001:db8::/32", ("::ffff:192.0.2.1",))]


def test_ipv4_next_hop_of_an_ipv6_mcast_vpn_route_stays_four_octets() -> None:
    # RFC 6515 section 2: the provider's IPv4 addresses are 4 octets in MCAST-VPN
    # routes whatever the AFI; the next hop length tells the family
    from bgpmesh.codec.attributes.mp_reach import encode_next_hops
    from bgpmesh.family import Family

    assert encode_next_hops(Family(2, 5), ("192.0.2.1",)) == bytes.fromhex("c0000201")
    assert encode_next_hops(Family(2, 5), ("2001:db8::1",)).hex() == \
        "20010db8000000000000000000000001"
    assert encode_next_hops(Family(2, 85), ("192.0.2.1",)).hex() == \
        "00000000000000000000ffffc0000201"  # MUP: as ExaBGP 5.0.15 sends it


@pytest.mark.parametrize(("family", "bits"), [(IPV4_UNICAST, 32), (IPV6_UNICAST, 128)])
@pytest.mark.parametrize("extended", [False, True])
def test_many_routes_split_into_full_messages(family, bits, extended) -> None:
    session = Session(extended_message=extended)
    attrs = encode_attributes(Attributes(communities=tuple(range(80))), 65000, 65001, session)
    if family == IPV4_UNICAST:
        texts = [f"10.{i >> 8}.{i & 255}.0/24" for i in range(5000)]
        hop = "192.0.2.1"
    else:
        texts = [f"2001:db8:{i + 1:x}::/48" for i in range(5000)]
        hop = "2001:db8::1"
    keys = [nlri_key(family, t) for t in texts]
    messages = pack_announce(family, attrs, hop, keys, session)
    assert all(len(m) <= session.max_size for m in messages)
    # as few as fit: every message but the last is nearly full
    assert all(len(m) > session.max_size - 20 for m in messages[:-1])
    updates = decode_all(messages, session)
    assert [p for u in updates for _, p, _ in u.announced()] == texts
    withdrawals = decode_all(pack_withdraw(family, keys, session), session)
    assert [p for u in withdrawals for _, p in u.withdrawals()] == texts


def test_withdraw_ipv6() -> None:
    [update] = decode_all(pack_withdraw(IPV6_UNICAST, [nlri_key(IPV6_UNICAST, "::/0")], SESSION))
    assert update == Update(attributes=(MpUnreachNlri(IPV6_UNICAST, ("::/0",)),))


def test_nothing_to_pack() -> None:
    assert pack_announce(IPV4_UNICAST, b"", "192.0.2.1", [], SESSION) == []
    assert pack_withdraw(IPV4_UNICAST, [], SESSION) == []


def test_end_of_rib() -> None:
    assert end_of_rib(IPV4_UNICAST).hex() == "ff" * 16 + "0017" "02" "0000" "0000"
    assert end_of_rib(IPV6_UNICAST).hex() == "ff" * 16 + "001d" "02" "0000" "0006" "800f03" "000201"
    assert [u.eor_family for u in decode_all([end_of_rib(IPV6_UNICAST)])] == [IPV6_UNICAST]


def test_bad_next_hop() -> None:
    with pytest.raises(ValueError):
        pack_announce(IPV4_UNICAST, b"", "2001:db8::1", [b"\x00"], SESSION)


def test_communities_value_round_trip() -> None:
    attrs = encode_attributes(Attributes(communities=(0xFFFFFF01,)), 65000, 65001, SESSION)
    [update] = decode_all(pack_announce(IPV4_UNICAST, attrs, "192.0.2.1", [b"\x00"], SESSION))
    assert update.attribute(Communities) == Communities((0xFFFFFF01,))
