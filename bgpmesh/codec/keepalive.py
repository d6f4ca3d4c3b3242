"""KEEPALIVE message, RFC 4271 section 4.4: the header alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.header import KEEPALIVE, MESSAGES, frame

# +---------------------------------+
# | Marker (16) | Length=19 | Type=4 |   no body
# +---------------------------------+

_ENCODED = frame(KEEPALIVE, b"")


@dataclass(frozen=True, slots=True)
class Keepalive:
    TYPE = KEEPALIVE

    @classmethod
    def decode(cls, body: bytes, session: Any = None) -> Keepalive:
        return _KEEPALIVE  # the header check already enforced length 19

    def encode(self, session: Any = None) -> bytes:
        return _ENCODED


_KEEPALIVE = Keepalive()
MESSAGES[KEEPALIVE] = Keepalive
