"""Messages real BIRD, GoBGP and FRR sent, decoded and re-encoded by bgpmesh.

The vectors in ``vectors/`` were captured by
``tests/interop/test_capture_vectors.py`` (each file's header names the
daemon, its version and the date).  Every vector must decode without error,
re-encode to the very same bytes (or, where listed in ``NOT_BYTE_EXACT``,
to bytes that decode to the same value, for the reason given), and carry the
fields the capture asked the daemon to send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bgpmesh.codec.attributes.as_path import AsPath
from bgpmesh.codec.attributes.communities import Communities
from bgpmesh.codec.attributes.med import MultiExitDisc
from bgpmesh.codec.attributes.next_hop import NextHop
from bgpmesh.codec.attributes.origin import Origin
from bgpmesh.codec.capabilities import (
    FourOctetAs,
    Fqdn,
    Multiprotocol,
    SoftwareVersion,
)
from bgpmesh.codec.header import MessageReader
from bgpmesh.codec.open import Open
from bgpmesh.codec.session import Session
from bgpmesh.codec.update import Update
from bgpmesh.family import Family

VECTORS = Path(__file__).with_name("vectors")
SESSION = Session()  # the capture negotiated 4-octet AS, no ADD-PATH
DAEMON_AS = 65002
PREFIX = "203.0.113.0/24"
MED = 42
COMMUNITY = DAEMON_AS << 16 | 7

# Vectors whose re-encoding differs in bytes only, and why.
NOT_BYTE_EXACT: dict[str, str] = {
    # RFC 5492 section 4 lets a speaker put each capability in its own
    # Capabilities optional parameter; FRR does, bgpmesh packs them all into one.
    "frr-open.hex": "one optional parameter per capability",
    # RFC 4271 section 4.3 allows the Extended Length bit on any attribute;
    # FRR sets it on AS_PATH (flags 0x50, 2-octet length), bgpmesh only when
    # the value is over 255 octets (flags 0x40).
    "frr-update.hex": "AS_PATH with the Extended Length bit",
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
    text of the FQDN and software version capabilities."""
    decoded = decode(message)
    if isinstance(decoded, Open):
        capabilities = tuple(type(c).__name__ if type(c) in (Fqdn, SoftwareVersion) else c
                             for c in decoded.capabilities)
        return ("open", decoded.version, decoded.asn, decoded.hold_time, capabilities)
    assert isinstance(decoded, Update)
    attributes = tuple("next-hop" if type(a) is NextHop else a for a in decoded.attributes)
    return ("update", decoded.withdrawn, attributes, decoded.nlri)


def _names() -> list[str]:
    return sorted(path.name for path in VECTORS.glob("*.hex"))


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


def test_frr_differences_are_only_the_explained_ones():
    open_message = read_vector("frr-open.hex")
    # every optional parameter is a Capabilities parameter holding one capability
    offset, end = 29, 29 + open_message[28]
    while offset < end:
        kind, length = open_message[offset], open_message[offset + 1]
        assert kind == 2 and open_message[offset + 3] + 2 == length
        offset += 2 + length
    update = read_vector("frr-update.hex")
    again = decode(update).encode(SESSION)
    # same message once FRR's 0x50 AS_PATH header (flags, type, 2-octet length)
    # is rewritten as 0x40 with a 1-octet length
    at = update.index(bytes.fromhex("5002"))
    shortened = update[:at] + b"\x40\x02" + update[at + 3:]
    # (so the message length and total path attribute length are one less)
    assert again[23:] == shortened[23:] and len(again) == len(update) - 1


@pytest.mark.parametrize("name", [n for n in _names() if n.endswith("-open.hex")])
def test_open_fields(name):
    message = decode(read_vector(name))
    assert message.version == 4 and message.asn == DAEMON_AS and message.hold_time >= 3
    assert message.capability(FourOctetAs) == FourOctetAs(DAEMON_AS)
    assert Multiprotocol(Family(1, 1)) in message.capabilities


@pytest.mark.parametrize("name", [n for n in _names() if n.endswith("-update.hex")])
def test_update_fields(name):
    update = decode(read_vector(name))
    assert update.nlri == (PREFIX,) and update.withdrawn == ()
    assert update.attribute(MultiExitDisc) == MultiExitDisc(MED)
    assert COMMUNITY in update.attribute(Communities).values
    assert update.attribute(AsPath).segments[0][1][0] == DAEMON_AS
    assert update.attribute(NextHop) is not None
    origin = update.attribute(Origin).value
    assert origin == (1 if name.startswith("gobgp") else 0)
