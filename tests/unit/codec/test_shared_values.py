"""The decoders' fast paths and shared values give what the checked paths give.

FlowSpec components are shared by their octets and packed by identity,
VPN-IPv4 fields are read inline, frozen values are built by
``codec/slots.py``, attributes are reused by their TLV octets, and the JSON
renders shared FlowSpec components once (see docs/benchmarks.md, "Codec
throughput").  Each test here builds the same value the slow way, or feeds
bytes a cache has seen next to bytes that must still fail.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from bgpmesh.api.json_nlri import nlri_entries, nlri_json
from bgpmesh.codec import Session, Update
from bgpmesh.codec.attributes import decode_attributes
from bgpmesh.codec.nlri.flowspec import FlowMatch, FlowPrefix, FlowSpec, FlowSpecVpn
from bgpmesh.codec.nlri.mpls_vpn import VpnPrefix
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.slots import builder
from bgpmesh.errors import BgpError, InvalidNetworkField

RD_A = RouteDistinguisher.parse("65000:1")
RD_B = RouteDistinguisher.parse("192.0.2.1:7")


@pytest.mark.parametrize("cls, values", [
    (FlowMatch, (3, ((1, 6),))),
    (FlowPrefix, (1, "10.0.0.0/24", 0)),
    (FlowSpec, (1, (FlowMatch(3, ((1, 6),)),), None)),
    (FlowSpecVpn, (2, (FlowMatch(3, ((1, 17),)),), RD_A, 7)),
    (VpnPrefix, (1, RD_A, "10.0.0.0/24", (0x641,), None)),
    (Update, (("10.0.0.0/8",), (), (), (), False)),
])
def test_builder_gives_the_constructors_value(cls, values):
    built = builder(cls)(*values)
    made = cls(*values)
    assert type(built) is cls and built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert all(getattr(built, field.name) == getattr(made, field.name) for field in fields(cls))
    with pytest.raises(AttributeError):
        built.__setattr__(fields(cls)[0].name, None)  # still frozen


def test_builder_refuses_what_it_would_get_wrong():
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError):
        builder(Checked)


# destination 10.0.0.0/24, protocol =tcp, destination-port =80 or =443
RULE = bytes.fromhex("0118" "0a0000" "03" "8106" "05" "0150" "9101bb")


def test_equal_flow_components_are_one_value():
    first = FlowSpec.decode(bytes((len(RULE),)) + RULE, 1)
    second = FlowSpec.decode(bytes((len(RULE),)) + RULE, 1)
    assert first == second
    assert all(a is b for a, b in zip(first.components, second.components, strict=True))
    assert first.components == (FlowPrefix(1, "10.0.0.0/24"), FlowMatch(3, ((1, 6),)),
                                FlowMatch(5, ((1, 80), (0x11, 443))))
    assert first.encode() == bytes((len(RULE),)) + RULE
    # the same octets as IPv6 are not the IPv4 component
    six = FlowSpec.decode(bytes.fromhex("09" "0118" "00" "20010d" "038106"), 2)
    assert six.components[0] == FlowPrefix(1, "2001:d00::/24", 0)


def test_a_known_component_does_not_hide_a_truncated_one():
    FlowSpec.decode(bytes((len(RULE),)) + RULE, 1)  # now every component is known
    for bad in (RULE[:-1],              # the last port's value cut short
                RULE[:-3] + b"\x11\x01",  # the last operator loses its end-of-list bit
                RULE[:4],               # the prefix cut short
                RULE[5:] + RULE[:5]):   # destination after destination-port
        with pytest.raises(InvalidNetworkField):
            FlowSpec.decode(bytes((len(bad),)) + bad, 1)


def test_host_bits_are_not_packed_back():
    # destination 10.0.0.0/23 with a host bit set in its last octet
    rule = bytes.fromhex("0117" "0a0001" "038106")
    value = FlowSpec.decode(bytes((len(rule),)) + rule, 1)
    assert value.components[0] == FlowPrefix(1, "10.0.0.0/23")
    assert value.encode() == bytes((len(rule),)) + bytes.fromhex("0117" "0a0000" "038106")
    again = FlowSpec.decode(bytes((len(rule),)) + rule, 1)
    assert again.encode() == value.encode()


def _vpn(rd: RouteDistinguisher, prefix: bytes, bits: int, labels: bytes = b"\x00\x06\x41") -> bytes:
    return bytes((len(labels) * 8 + 64 + bits,)) + labels + rd.raw + prefix


def test_vpn_field_inline_and_checked_paths_agree():
    field = b"".join((
        _vpn(RD_A, b"\x0a\x00\x00", 24),
        _vpn(RD_A, b"\x0a\x00\x01", 24, b"\x00\x06\x40\x00\x06\x51"),  # two labels: checked path
        _vpn(RD_A, b"\x0a\x01", 16),
        _vpn(RD_B, b"\x0a\x00\x00\x81", 25),  # a host bit set
        _vpn(RD_B, b"", 0),
        _vpn(RD_A, b"\x0a\x00\x02", 24, b"\x80\x00\x00"),  # the withdrawal label: checked path
    ))
    values = VpnPrefix.unpack_field(field, 1, False)
    one_by_one = []
    offset = 0
    while offset < len(field):
        value, offset = VpnPrefix.unpack(field, offset, 1, None)
        one_by_one.append(value)
    assert values == tuple(one_by_one)
    assert [(str(v.rd), v.prefix, v.labels) for v in values] == [
        ("65000:1", "10.0.0.0/24", (0x641,)), ("65000:1", "10.0.1.0/24", (0x640, 0x651)),
        ("65000:1", "10.1.0.0/16", (0x641,)), ("192.0.2.1:7", "10.0.0.128/25", (0x641,)),
        ("192.0.2.1:7", "0.0.0.0/0", (0x641,)), ("65000:1", "10.0.2.0/24", (0x800000,))]
    with_ids = b"".join((7).to_bytes(4, "big") + _vpn(RD_A, b"\x0a\x00\x00", 24) for _ in range(2))
    assert [v.path_id for v in VpnPrefix.unpack_field(with_ids, 1, True)] == [7, 7]
    for cut in (field[:3], field[:-1], with_ids[:3]):
        with pytest.raises(InvalidNetworkField):
            VpnPrefix.unpack_field(cut, 1, cut is with_ids[:3])


def test_nlri_entries_are_nlri_json():
    values = (VpnPrefix(1, RD_A, "10.0.0.0/24", (0x641,)), VpnPrefix(1, RD_A, "10.0.1.0/24", (0x640, 0x651), 9),
              VpnPrefix(1, RD_B, "10.0.2.0/24", (0x641,)))
    assert nlri_entries(values, ("192.0.2.1",)) == [nlri_json(v, ("192.0.2.1",)) for v in values]
    rule = FlowSpec.decode(bytes((len(RULE),)) + RULE, 1)
    for _ in range(2):  # the second time from the rendered components
        assert nlri_entries((rule, rule), ("192.0.2.9",)) == [nlri_json(rule, ("192.0.2.9",))] * 2
    entries = nlri_entries((rule,))
    entries[0]["destination-port"].append("changed")
    assert nlri_entries((rule,))[0]["destination-port"] == ["=80", "=443"]


def test_a_cached_attribute_does_not_hide_bad_flags():
    session = Session()
    med = bytes.fromhex("800404" "0000002a")
    assert decode_attributes(med, session)[:2] == decode_attributes(med, session)[:2]
    # the same value as a transitive attribute: flags error, every time
    for _ in range(2):
        attributes, errors, seen = decode_attributes(bytes.fromhex("c00404" "0000002a"), session)
        assert attributes == [] and len(errors) == 1 and isinstance(errors[0], BgpError) and seen == {4}


def test_bench_cold_names_every_table():
    # scripts/bench_codec.py --cold empties these before each run: a table
    # renamed here would leave its runs warm without a word
    import importlib
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[3] / "scripts" / "bench_codec.py"
    spec = importlib.util.spec_from_file_location("bench_codec_for_test", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for module_name, names in bench.CACHES.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert isinstance(getattr(module, name, None), dict), (module_name, name)
