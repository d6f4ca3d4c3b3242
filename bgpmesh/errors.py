"""Errors, one class per RFC error, code and subcode as class attributes.

``BgpError`` is raised for anything on the wire that a peer got wrong; the one
site in the worker that catches it sends the NOTIFICATION it names and closes.
Everything else that escapes is a bug in bgpmesh: it is logged, a Cease is
sent, and it is never relabelled as the peer's fault.

UPDATE errors also carry their RFC 7606 action.  Actions are ordered by
strength so a decoder that meets several errors keeps the strongest.
"""

from __future__ import annotations

import enum


class Action(enum.IntEnum):
    """RFC 7606 section 2 error-handling approaches, weakest first."""

    ATTRIBUTE_DISCARD = 1
    TREAT_AS_WITHDRAW = 2
    AFI_SAFI_DISABLE = 3
    SESSION_RESET = 4


class BgpmeshError(Exception):
    """Root of every error bgpmesh raises on purpose."""


class BgpError(BgpmeshError):
    """A protocol error: the peer sent something wrong (RFC 4271 section 6)."""

    code = 0
    subcode = 0
    action = Action.SESSION_RESET

    def __init__(self, message: str = "", data: bytes = b"") -> None:
        super().__init__(message or self.__class__.__name__)
        self.data = data


class MessageHeaderError(BgpError):
    code = 1


class ConnectionNotSynchronized(MessageHeaderError):
    subcode = 1


class BadMessageLength(MessageHeaderError):
    subcode = 2


class BadMessageType(MessageHeaderError):
    subcode = 3


class OpenMessageError(BgpError):
    code = 2


class UnsupportedVersionNumber(OpenMessageError):
    subcode = 1


class BadPeerAs(OpenMessageError):
    subcode = 2


class BadBgpIdentifier(OpenMessageError):
    subcode = 3


class UnsupportedOptionalParameter(OpenMessageError):
    subcode = 4


class UnacceptableHoldTime(OpenMessageError):
    subcode = 6


class UnsupportedCapability(OpenMessageError):
    subcode = 7


class RoleMismatch(OpenMessageError):
    """RFC 9234 section 4.2: the peers' BGP Roles do not pair."""

    subcode = 11


class UpdateMessageError(BgpError):
    code = 3


class MalformedAttributeList(UpdateMessageError):
    subcode = 1


class DuplicateAttribute(MalformedAttributeList):
    """RFC 7606 section 3: repeats of an attribute are discarded."""

    action = Action.ATTRIBUTE_DISCARD


class DuplicateMultiprotocolAttribute(MalformedAttributeList):
    """RFC 7606 section 3: MP_REACH_NLRI or MP_UNREACH_NLRI more than once."""


class UnrecognizedWellKnownAttribute(UpdateMessageError):
    subcode = 2


class MissingWellKnownAttribute(UpdateMessageError):
    subcode = 3
    action = Action.TREAT_AS_WITHDRAW


class AttributeFlagsError(UpdateMessageError):
    subcode = 4
    action = Action.TREAT_AS_WITHDRAW


class AttributeLengthError(UpdateMessageError):
    subcode = 5
    action = Action.TREAT_AS_WITHDRAW


class InvalidOriginAttribute(UpdateMessageError):
    subcode = 6
    action = Action.TREAT_AS_WITHDRAW


class InvalidNextHopAttribute(UpdateMessageError):
    subcode = 8
    action = Action.TREAT_AS_WITHDRAW


class OptionalAttributeError(UpdateMessageError):
    subcode = 9
    action = Action.TREAT_AS_WITHDRAW


class MalformedMultiprotocolAttribute(OptionalAttributeError):
    """RFC 7606 section 7.11: a malformed MP_(UN)REACH_NLRI hides NLRI, so reset."""

    action = Action.SESSION_RESET


class InvalidNetworkField(UpdateMessageError):
    subcode = 10


class MalformedAsPath(UpdateMessageError):
    subcode = 11
    action = Action.TREAT_AS_WITHDRAW


class HoldTimerExpired(BgpError):
    code = 4


class FsmError(BgpError):
    """RFC 6608 subcodes: which state received the unexpected message."""

    code = 5


class UnexpectedMessageInOpenSent(FsmError):
    subcode = 1


class UnexpectedMessageInOpenConfirm(FsmError):
    subcode = 2


class UnexpectedMessageInEstablished(FsmError):
    subcode = 3


class Cease(BgpError):
    """RFC 4486 subcodes."""

    code = 6
    MAXIMUM_PREFIXES = 1
    ADMINISTRATIVE_SHUTDOWN = 2
    PEER_DECONFIGURED = 3
    ADMINISTRATIVE_RESET = 4
    CONNECTION_REJECTED = 5
    OTHER_CONFIGURATION_CHANGE = 6
    CONNECTION_COLLISION_RESOLUTION = 7
    OUT_OF_RESOURCES = 8
    HARD_RESET = 9  # RFC 8538
    BFD_DOWN = 10  # RFC 9384


class RouteRefreshMessageError(BgpError):
    code = 7


class InvalidMessageLength(RouteRefreshMessageError):
    subcode = 1


class SendHoldTimerExpired(BgpError):
    """RFC 9687: our own sends have been blocked longer than the hold time."""

    code = 8


class ConfigError(BgpmeshError):
    """A mistake in a configuration file: where it is and what was expected."""

    def __init__(self, message: str, filename: str = "<config>", line: int = 0,
                 column: int = 0, source_line: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source_line = source_line

    def __str__(self) -> str:
        head = f"{self.filename}:{self.line}:{self.column}: {self.message}"
        if not self.source_line:
            return head
        caret = " " * max(self.column - 1, 0) + "^"
        return f"{head}\n  {self.source_line}\n  {caret}"


class CommandError(BgpmeshError):
    """A text API command that does not parse: column (1-based) and expectation."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
