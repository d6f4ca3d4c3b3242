"""The MRT TABLE_DUMP_V2 writer the benchmark feeds GoBGP with (tests/daemons/mrt.py).

The file is read back here field by field, by offsets written from RFC 6396
section 4.3, and the path attributes of IPv4 entries are decoded with
bgpmesh's own attribute decoder (four-octet AS, as section 4.3.4 requires).
"""

from __future__ import annotations

import io
import struct

import pytest

from bgpmesh.codec.attributes import decode_attributes
from bgpmesh.codec.session import DEFAULT_SESSION
from tests.daemons.mrt import (
    MrtAttributes,
    MrtPeer,
    encode_attributes,
    rib_record,
    write_table,
)


def records(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(timestamp, type, subtype, body) of every record, checking each length."""
    out = []
    offset = 0
    while offset < len(data):
        timestamp, kind, subtype, length = struct.unpack_from("!IHHI", data, offset)
        body = data[offset + 12:offset + 12 + length]
        assert len(body) == length
        out.append((timestamp, kind, subtype, body))
        offset += 12 + length
    return out


def test_peer_index_table_and_rib_records_field_by_field():
    out = io.BytesIO()
    written = write_table(out, MrtPeer("192.0.2.9", "198.51.100.7", 4200000001),
                          ["10.0.0.0/8", "10.1.2.3/32", "0.0.0.0/0", "10.128.0.0/9"],
                          MrtAttributes("192.0.2.1"), collector_id="192.0.2.254")
    assert written == 4
    found = records(out.getvalue())
    assert [(kind, subtype) for _t, kind, subtype, _b in found] == [(13, 1)] + [(13, 2)] * 4

    # PEER_INDEX_TABLE: collector id, empty view name, one IPv4 peer with a
    # four-octet AS (peer type 0x02)
    body = found[0][3]
    assert body[:4] == bytes([192, 0, 2, 254])
    assert body[4:6] == b"\x00\x00"
    assert body[6:8] == b"\x00\x01"
    assert body[8] == 0x02
    assert body[9:13] == bytes([192, 0, 2, 9])
    assert body[13:17] == bytes([198, 51, 100, 7])
    assert struct.unpack("!I", body[17:21])[0] == 4200000001
    assert len(body) == 21

    # RIB_IPV4_UNICAST: sequence, prefix length, only the prefix's octets,
    # one entry of peer 0
    expected = [(8, b"\x0a"), (32, b"\x0a\x01\x02\x03"), (0, b""), (9, b"\x0a\x80")]
    attributes = encode_attributes(MrtAttributes("192.0.2.1"))
    for sequence, ((_t, _k, _s, body), (length, octets)) in enumerate(
            zip(found[1:], expected, strict=True)):
        assert struct.unpack("!I", body[:4])[0] == sequence
        assert body[4] == length
        rest = body[5 + len(octets):]
        assert body[5:5 + len(octets)] == octets
        count, peer_index, originated, size = struct.unpack("!HHIH", rest[:10])
        assert (count, peer_index, originated, size) == (1, 0, 0, len(attributes))
        assert rest[10:] == attributes


def test_ipv4_attributes_decode_with_bgpmesh_codec():
    raw = encode_attributes(MrtAttributes("192.0.2.1", origin="incomplete",
                                          as_path=[65100, 4200000000], med=7,
                                          communities=[(65001, 3), (65535, 65281)]))
    decoded, errors, _seen = decode_attributes(raw, DEFAULT_SESSION)  # four-octet AS
    assert errors == []
    by_name = {type(a).__name__: a for a in decoded}
    assert by_name["Origin"].value == 2
    assert by_name["AsPath"].segments == ((2, (65100, 4200000000)),)
    assert by_name["NextHop"].address == "192.0.2.1"
    assert by_name["MultiExitDisc"].value == 7
    assert by_name["Communities"].values == ((65001 << 16) | 3, (65535 << 16) | 65281)


def test_long_as_path_is_split_into_segments_and_uses_extended_length():
    raw = encode_attributes(MrtAttributes("192.0.2.1", as_path=list(range(1, 301))))
    decoded, errors, _seen = decode_attributes(raw, DEFAULT_SESSION)
    assert errors == []
    path = next(a for a in decoded if type(a).__name__ == "AsPath")
    assert [len(asns) for _kind, asns in path.segments] == [255, 45]
    assert raw[4] & 0x10 and raw[5] == 2  # AS_PATH (after the 4-octet ORIGIN) has an extended length


def test_ipv6_rib_record_and_short_mp_reach_nlri():
    raw = encode_attributes(MrtAttributes("2001:db8::1"))
    # no NEXT_HOP; MP_REACH_NLRI holds only the next hop length and address
    # (RFC 6396 section 4.3.4), optional non-transitive
    assert raw[-20:-17] == bytes([0x80, 14, 17])
    assert raw[-17] == 16
    assert raw[-16:] == bytes.fromhex("20010db8000000000000000000000001")
    assert 3 not in decode_attributes(raw[:-20], DEFAULT_SESSION)[2]
    _t, kind, subtype, body = records(rib_record(5, "2001:db8:1::/48", raw))[0]
    assert (kind, subtype) == (13, 4)
    assert body[4] == 48 and body[5:11] == bytes.fromhex("20010db80001")


def test_ipv6_peer_sets_the_peer_type_bit():
    out = io.BytesIO()
    write_table(out, MrtPeer("192.0.2.9", "2001:db8::9", 65009), [], MrtAttributes("192.0.2.1"))
    body = records(out.getvalue())[0][3]
    assert body[8] == 0x03
    assert body[13:29] == bytes.fromhex("20010db8000000000000000000000009")


def test_bad_origin_is_a_clear_error():
    with pytest.raises(ValueError, match="origin must be one of"):
        encode_attributes(MrtAttributes("192.0.2.1", origin="bgp"))
