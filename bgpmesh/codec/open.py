"""OPEN message, RFC 4271 section 4.2, capabilities per RFC 5492.

Decode checks syntax; ``validate`` checks the values against what this side
expects (RFC 4271 section 6.2).  RFC 9072 extended optional parameters are
understood on receipt, and sent only when the capabilities do not fit the
classic one-octet length: RFC 9072 section 2 leaves the choice to the sender
and a peer that predates it can still read the classic form.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from struct import Struct
from typing import Any

from bgpmesh.codec.capabilities import FourOctetAs, decode_capabilities
from bgpmesh.codec.header import MESSAGES, OPEN, frame
from bgpmesh.errors import (
    BadBgpIdentifier,
    BadPeerAs,
    OpenMessageError,
    UnacceptableHoldTime,
    UnsupportedOptionalParameter,
    UnsupportedVersionNumber,
)

#  0                   1                   2                   3
#  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
# +-+-+-+-+-+-+-+-+
# |    Version    |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |     My Autonomous System      |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |           Hold Time           |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |                         BGP Identifier                        |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# | Opt Parm Len  |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |             Optional Parameters (Type, Length, Value)         |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

AS_TRANS = 23456
CAPABILITIES_PARAMETER = 2  # RFC 5492 section 4
EXTENDED_PARAMETERS = 255  # RFC 9072 section 2

_FIXED = Struct("!BHH4sB")


@dataclass(frozen=True, slots=True)
class Open:
    asn: int
    hold_time: int
    router_id: str
    capabilities: tuple[Any, ...] = ()
    version: int = 4

    TYPE = OPEN

    @classmethod
    def decode(cls, body: bytes, session: Any = None) -> Open:
        if len(body) < 10:
            raise OpenMessageError("OPEN too short")
        version, asn, hold_time, router_id, parameters_length = _FIXED.unpack_from(body)
        offset = 10
        width = 1
        if parameters_length == EXTENDED_PARAMETERS and len(body) > 10 and body[10] == EXTENDED_PARAMETERS:
            # RFC 9072: Non-Ext OP Type 255, then a 2-octet length, and each
            # parameter has a 2-octet length
            if len(body) < 13:
                raise OpenMessageError("extended optional parameters truncated")
            parameters_length = int.from_bytes(body[11:13], "big")
            offset = 13
            width = 2
        if offset + parameters_length != len(body):
            raise OpenMessageError(f"optional parameters length {parameters_length}")
        capabilities: list[Any] = []
        end = len(body)
        while offset < end:
            if end - offset < 1 + width:
                raise OpenMessageError("optional parameter truncated")
            kind = body[offset]
            length = int.from_bytes(body[offset + 1 : offset + 1 + width], "big")
            start = offset + 1 + width
            offset = start + length
            if offset > end:
                raise OpenMessageError(f"optional parameter {kind} overruns")
            # RFC 4271 section 6.2: "If one of the Optional Parameters in the
            # OPEN message is not recognized, then the Error Subcode MUST be set
            # to Unsupported Optional Parameters."
            if kind != CAPABILITIES_PARAMETER:
                raise UnsupportedOptionalParameter(f"optional parameter {kind}")
            capabilities.extend(decode_capabilities(body[start:offset]))
        return cls(asn, hold_time, socket.inet_ntoa(router_id), tuple(capabilities), version)

    def encode(self, session: Any = None) -> bytes:
        capabilities = b"".join(capability.encode() for capability in self.capabilities)
        if not capabilities:
            parameters = b""
            length = 0
        elif len(capabilities) + 2 <= 255:
            parameters = bytes((CAPABILITIES_PARAMETER, len(capabilities))) + capabilities
            length = len(parameters)
        else:
            # RFC 9072 section 2: "Non-Ext OP Len" and "Non-Ext OP Type" are
            # 255, then a 2-octet "Extended Opt. Parm. Length"; each parameter
            # then has a 2-octet length
            if len(capabilities) + 3 > 0xFFFF:
                raise ValueError("capabilities do not fit an OPEN")
            inner = bytes((CAPABILITIES_PARAMETER,)) + len(capabilities).to_bytes(2, "big") + capabilities
            parameters = bytes((EXTENDED_PARAMETERS,)) + len(inner).to_bytes(2, "big") + inner
            length = EXTENDED_PARAMETERS
        # RFC 6793 section 4.1: a 4-octet AS that does not fit is sent as AS_TRANS
        my_as = self.asn if self.asn <= 0xFFFF else AS_TRANS
        body = _FIXED.pack(self.version, my_as, self.hold_time, socket.inet_aton(self.router_id), length)
        return frame(OPEN, body + parameters)

    def capability(self, cls: type) -> Any:
        """The first capability of class ``cls``, or None."""
        for capability in self.capabilities:
            if type(capability) is cls:
                return capability
        return None

    @property
    def peer_asn(self) -> int:
        """The speaker's real AS: the four-octet AS capability wins (RFC 6793 4.1)."""
        four = self.capability(FourOctetAs)
        return four.asn if four is not None else self.asn

    def validate(self, expected_peer_as: int | None = None) -> None:
        """RFC 4271 section 6.2 checks of a received OPEN."""
        if self.version != 4:
            # "the Data field is a 2-octet unsigned integer, which indicates the
            # largest, locally-supported version number"
            raise UnsupportedVersionNumber(f"version {self.version}", data=b"\x00\x04")
        if expected_peer_as is not None and self.peer_asn != expected_peer_as:
            raise BadPeerAs(f"AS {self.peer_asn}, expected {expected_peer_as}")
        # "An implementation MUST reject Hold Time values of one or two seconds."
        if self.hold_time in (1, 2):
            raise UnacceptableHoldTime(f"hold time {self.hold_time}")
        if self.router_id == "0.0.0.0":
            raise BadBgpIdentifier("BGP Identifier 0.0.0.0")


MESSAGES[OPEN] = Open
