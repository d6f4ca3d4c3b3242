"""NOTIFICATION message, RFC 4271 section 4.5; names from the IANA registry.

``Notification.from_error`` is how a wire error becomes the message that
closes the session; ``name``/``subcode_name`` give RFC words for logs and API.
Codes and subcodes: RFC 4271 6, RFC 4486 (Cease), RFC 5492 (Unsupported
Capability), RFC 6608 (FSM), RFC 7313 (ROUTE-REFRESH), RFC 8538 (Hard Reset),
RFC 9234 (Role Mismatch), RFC 9384 (BFD Down), RFC 9687 (Send Hold Timer).
The Shutdown Communication (RFC 8203, updated by RFC 9003) is decoded on
demand, never trusted: it is the peer's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.header import MESSAGES, NOTIFICATION, frame
from bgpmesh.errors import BgpError

# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# | Error code    | Error subcode |   Data (variable)             |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#
# Cease/2 and Cease/4 data, RFC 9003 section 2:
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# | Length (1)    | Shutdown Communication (UTF-8) ...
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

CEASE = 6
ADMINISTRATIVE_SHUTDOWN = 2
ADMINISTRATIVE_RESET = 4
MAX_SHUTDOWN_COMMUNICATION = 255

CODE_NAMES = {
    1: "Message Header Error",
    2: "OPEN Message Error",
    3: "UPDATE Message Error",
    4: "Hold Timer Expired",
    5: "Finite State Machine Error",
    6: "Cease",
    7: "ROUTE-REFRESH Message Error",
    8: "Send Hold Timer Expired",
}

SUBCODE_NAMES = {
    1: {
        1: "Connection Not Synchronized",
        2: "Bad Message Length",
        3: "Bad Message Type",
    },
    2: {
        1: "Unsupported Version Number",
        2: "Bad Peer AS",
        3: "Bad BGP Identifier",
        4: "Unsupported Optional Parameter",
        5: "Authentication Failure",  # deprecated, RFC 4271 Appendix A
        6: "Unacceptable Hold Time",
        7: "Unsupported Capability",
        11: "Role Mismatch",
    },
    3: {
        1: "Malformed Attribute List",
        2: "Unrecognized Well-known Attribute",
        3: "Missing Well-known Attribute",
        4: "Attribute Flags Error",
        5: "Attribute Length Error",
        6: "Invalid ORIGIN Attribute",
        7: "AS Routing Loop",  # deprecated, RFC 4271 Appendix A
        8: "Invalid NEXT_HOP Attribute",
        9: "Optional Attribute Error",
        10: "Invalid Network Field",
        11: "Malformed AS_PATH",
    },
    5: {
        0: "Unspecified Error",
        1: "Receive Unexpected Message in OpenSent State",
        2: "Receive Unexpected Message in OpenConfirm State",
        3: "Receive Unexpected Message in Established State",
    },
    6: {
        1: "Maximum Number of Prefixes Reached",
        2: "Administrative Shutdown",
        3: "Peer De-configured",
        4: "Administrative Reset",
        5: "Connection Rejected",
        6: "Other Configuration Change",
        7: "Connection Collision Resolution",
        8: "Out of Resources",
        9: "Hard Reset",
        10: "BFD Down",
    },
    7: {1: "Invalid Message Length"},
}


@dataclass(frozen=True, slots=True)
class Notification:
    code: int
    subcode: int
    data: bytes = b""

    TYPE = NOTIFICATION

    @classmethod
    def decode(cls, body: bytes, session: Any = None) -> Notification:
        # the header check already enforced the 2-octet minimum body
        return cls(body[0], body[1], body[2:])

    @classmethod
    def from_error(cls, error: BgpError) -> Notification:
        return cls(error.code, error.subcode, error.data)

    def encode(self, session: Any = None) -> bytes:
        return frame(NOTIFICATION, bytes((self.code, self.subcode)) + self.data)

    @property
    def name(self) -> str:
        """The error code's name: "Cease"."""
        return CODE_NAMES.get(self.code, f"Unknown Error {self.code}")

    @property
    def subcode_name(self) -> str:
        """The subcode's name: "Administrative Shutdown"; "Unspecific" for 0."""
        if self.subcode == 0:
            return "Unspecific"
        return SUBCODE_NAMES.get(self.code, {}).get(self.subcode, f"Unknown Subcode {self.subcode}")

    @classmethod
    def shutdown(cls, text: str, subcode: int = ADMINISTRATIVE_SHUTDOWN) -> Notification:
        """A Cease carrying a Shutdown Communication (RFC 9003 section 2).

        "The length of the Shutdown Communication MUST NOT exceed 255
        octets": longer text is cut at a character boundary.
        """
        if subcode not in (ADMINISTRATIVE_SHUTDOWN, ADMINISTRATIVE_RESET):
            raise ValueError(f"Cease subcode {subcode} carries no Shutdown Communication")
        encoded = text.encode("utf-8")[:MAX_SHUTDOWN_COMMUNICATION]
        encoded = encoded.decode("utf-8", "ignore").encode("utf-8")
        return cls(CEASE, subcode, bytes((len(encoded),)) + encoded)

    @property
    def shutdown_communication(self) -> str | None:
        """RFC 9003 section 2: Cease/Administrative Shutdown or Reset may carry
        a length octet and UTF-8 text; None when absent or malformed.

        "If a Shutdown Communication with an invalid Length value, or an
        invalid UTF-8 sequence is received, a message indicating this event
        SHOULD be logged": callers tell the two apart with ``data``.
        """
        if self.code != CEASE or self.subcode not in (ADMINISTRATIVE_SHUTDOWN, ADMINISTRATIVE_RESET):
            return None
        if not self.data:
            return None
        length = self.data[0]
        if length + 1 > len(self.data):
            return None
        try:
            return self.data[1 : 1 + length].decode("utf-8")
        except UnicodeDecodeError:
            return None

    def __str__(self) -> str:
        return f"{self.name} / {self.subcode_name}"


MESSAGES[NOTIFICATION] = Notification
