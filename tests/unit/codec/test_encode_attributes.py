"""encode_attributes: every field a producer can give goes on the wire.

Round trip through our own decoder (whose vectors are checked against RFC
layouts and exabgp decode elsewhere): what is announced decodes to the same
values, in ascending type-code order, for 4-octet and 2-octet AS sessions.
"""

from __future__ import annotations

import pytest

from bgpmesh.codec import MessageReader, Session, Update, nlri_key, pack_announce
from bgpmesh.codec.attributes.aggregator import Aggregator, AtomicAggregate
from bgpmesh.codec.attributes.aigp import Aigp
from bgpmesh.codec.attributes.as_path import AsPath
from bgpmesh.codec.attributes.extended_communities import ExtendedCommunities
from bgpmesh.codec.attributes.large_communities import LargeCommunities
from bgpmesh.codec.attributes.route_reflection import ClusterList, OriginatorId
from bgpmesh.codec.attributes.unknown import UnknownAttribute
from bgpmesh.codec.packer import encode_attributes
from bgpmesh.family import IPV4_UNICAST
from bgpmesh.route import Attributes

FULL = Attributes(
    origin=2,
    as_path=(65001, 4200000000),
    med=7,
    local_pref=300,
    communities=(0xFDE80001,),
    as_set=(64512, 64513),
    extended_communities=(0x0002FDE800000001,),  # target:65000:1
    large_communities=((4200000000, 1, 2),),
    originator_id="192.0.2.9",
    cluster_list=("192.0.2.10", "192.0.2.11"),
    aggregator=(4200000001, "192.0.2.12"),
    atomic_aggregate=True,
    aigp=1000,
    generic=((0x63, 0xC0, b"\xab\xcd"),),
)


def announce(attrs: Attributes, session: Session) -> Update:
    raw = encode_attributes(attrs, 65001, 65002, session)
    messages = pack_announce(IPV4_UNICAST, raw, "192.0.2.1",
                             [nlri_key(IPV4_UNICAST, "10.0.0.0/24")], session)
    (update,) = MessageReader().feed(messages[0], session)
    return update


@pytest.mark.parametrize("asn4", [True, False])
def test_every_attribute_round_trips(asn4):
    session = Session(asn4=asn4)
    update = announce(FULL, session)
    got = {type(a): a for a in update.attributes}
    assert update.nlri == ("10.0.0.0/24",)
    assert got[AsPath].segments == ((2, (65001, 4200000000)), (1, (64512, 64513)))
    assert got[ExtendedCommunities].values == (0x0002FDE800000001,)
    assert got[LargeCommunities].values == ((4200000000, 1, 2),)
    assert got[OriginatorId].address == "192.0.2.9"
    assert got[ClusterList].clusters == ("192.0.2.10", "192.0.2.11")
    assert (got[Aggregator].asn, got[Aggregator].address) == (4200000001, "192.0.2.12")
    assert AtomicAggregate in got
    assert got[Aigp].metric == 1000
    unknown = [a for a in update.attributes if isinstance(a, UnknownAttribute)]
    assert [(a.type_code, a.data) for a in unknown] == [(0x63, b"\xab\xcd")]
    assert not update.errors


def test_attributes_leave_in_ascending_type_code_order():
    raw = encode_attributes(FULL, 65001, 65002, Session(asn4=False))
    codes, offset = [], 0
    while offset < len(raw):
        flags, code = raw[offset], raw[offset + 1]
        codes.append(code)
        if flags & 0x10:
            offset += 4 + int.from_bytes(raw[offset + 2:offset + 4], "big")
        else:
            offset += 3 + raw[offset + 2]
    assert codes == sorted(codes)
    assert 17 in codes and 18 in codes  # AS4_PATH and AS4_AGGREGATOR on a 2-octet session
