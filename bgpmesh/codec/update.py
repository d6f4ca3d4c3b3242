"""UPDATE message, RFC 4271 section 4.3, with RFC 7606 error handling.

Theory of operation: ``Update.decode`` checks syntax only and never gives up
at the first bad attribute.  Every error is collected with its RFC 7606
action and the strongest one decides: session reset raises it; treat-as-
withdraw returns an Update whose announcements became withdrawals
(``treat_as_withdraw`` set); attribute discard just leaves the attribute out.
The errors are on the result as ``errors`` so the caller can log them.

Prefixes are canonical text.  IPv4 unicast uses the UPDATE's own fields;
other families ride in MP_REACH_NLRI / MP_UNREACH_NLRI attributes.  With
ADD-PATH received for IPv4 unicast (RFC 7911) both fields hold ``PathPrefix``
values instead, and ``encode`` writes their Path Identifiers back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bgpmesh.codec.attributes import (
    MpReachNlri,
    MpUnreachNlri,
    NextHop,
    decode_attributes,
)
from bgpmesh.codec.attributes.base import AS_PATH, MP_REACH_NLRI, NEXT_HOP, ORIGIN
from bgpmesh.codec.header import MESSAGES, UPDATE, frame
from bgpmesh.codec.nlri.ipv4_unicast import IPV4_UNICAST_CODEC
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.codec.slots import builder
from bgpmesh.errors import (
    Action,
    BgpError,
    MalformedAttributeList,
    MissingWellKnownAttribute,
)
from bgpmesh.family import IPV4_UNICAST, Family

# +-----------------------------------------------------+
# |   Withdrawn Routes Length (2 octets)                |
# +-----------------------------------------------------+
# |   Withdrawn Routes (variable)                       |
# +-----------------------------------------------------+
# |   Total Path Attribute Length (2 octets)            |
# +-----------------------------------------------------+
# |   Path Attributes (variable)                        |
# +-----------------------------------------------------+
# |   Network Layer Reachability Information (variable) |
# +-----------------------------------------------------+


_MANDATORY = (ORIGIN, AS_PATH)
_MANDATORY_IPV4 = (ORIGIN, AS_PATH, NEXT_HOP)


@dataclass(frozen=True, slots=True)
class Update:
    withdrawn: tuple[str, ...] | tuple[PathPrefix, ...] = ()
    attributes: tuple[Any, ...] = ()
    nlri: tuple[str, ...] | tuple[PathPrefix, ...] = ()
    errors: tuple[BgpError, ...] = field(default=(), compare=False)
    treat_as_withdraw: bool = False

    TYPE = UPDATE

    @classmethod
    def decode(cls, body: bytes, session: Any) -> Update:
        size = len(body)
        if size < 4:
            raise MalformedAttributeList("UPDATE shorter than its two length fields")
        withdrawn_length = (body[0] << 8) | body[1]
        # RFC 4271 section 6.3 and RFC 7606 section 4: if the lengths cannot
        # locate the NLRI field, the session is reset.
        if 4 + withdrawn_length > size:
            raise MalformedAttributeList(f"withdrawn routes length {withdrawn_length}")
        attributes_at = 4 + withdrawn_length
        attributes_length = (body[attributes_at - 2] << 8) | body[attributes_at - 1]
        nlri_at = attributes_at + attributes_length
        if nlri_at > size:
            raise MalformedAttributeList(f"total path attribute length {attributes_length}")
        withdrawn = nlri = ()
        if withdrawn_length or nlri_at < size:
            add_path = IPV4_UNICAST in session.add_path_receive
            # RFC 7606 section 5.3: a malformed NLRI field: session reset
            if withdrawn_length:
                withdrawn = IPV4_UNICAST_CODEC.unpack(body[2 : attributes_at - 2], add_path)
            if nlri_at < size:
                nlri = IPV4_UNICAST_CODEC.unpack(body[nlri_at:], add_path)
        if attributes_length:
            attributes, errors, seen = decode_attributes(body[attributes_at:nlri_at], session)
        else:
            attributes, errors, seen = [], [], set()

        reaches = False
        if not nlri and MP_REACH_NLRI in seen:
            for attribute in attributes:
                if type(attribute) is MpReachNlri:
                    reaches = bool(attribute.nlri)
                    break
        if nlri or reaches:
            # RFC 7606 section 3: "If any of the well-known mandatory attributes
            # are not present in an UPDATE message, then "treat-as-withdraw"
            # MUST be used."  NEXT_HOP is mandatory only with IPv4 NLRI (RFC 4760).
            wanted = _MANDATORY_IPV4 if nlri else _MANDATORY
            for type_code in wanted:
                if type_code not in seen:
                    errors.append(
                        MissingWellKnownAttribute(
                            f"missing attribute {type_code}", data=bytes((type_code,))
                        )
                    )

        if not errors:
            return _update(withdrawn, tuple(attributes), nlri, (), False)
        strongest = max(errors, key=lambda error: error.action)
        if strongest.action >= Action.AFI_SAFI_DISABLE:
            # AFI/SAFI disable is not implemented: it resets like the RFC allows
            raise strongest
        if strongest.action == Action.TREAT_AS_WITHDRAW:
            # RFC 7606 section 2: "routes ... MUST be handled as though they
            # were withdrawn", MP_REACH_NLRI included (section 5.1).
            unreach: dict[Family, list[Any]] = {}
            for attribute in attributes:
                if type(attribute) is MpUnreachNlri or type(attribute) is MpReachNlri:
                    unreach.setdefault(attribute.family, []).extend(attribute.nlri)
            kept = tuple(MpUnreachNlri(family, tuple(prefixes)) for family, prefixes in unreach.items())
            return cls(withdrawn + nlri, kept, (), tuple(errors), True)
        return cls(withdrawn, tuple(attributes), nlri, tuple(errors))

    def encode(self, session: Any) -> bytes:
        pack = IPV4_UNICAST_CODEC.pack
        if (self.nlri and type(self.nlri[0]) is PathPrefix) or \
                (self.withdrawn and type(self.withdrawn[0]) is PathPrefix):
            pack = IPV4_UNICAST_CODEC.pack_path  # RFC 7911 section 3: identifier first
        withdrawn = b"".join(map(pack, self.withdrawn)) if self.withdrawn else b""
        attributes = b"".join([_encoded(attribute, session) for attribute in self.attributes])
        nlri = b"".join(map(pack, self.nlri)) if self.nlri else b""
        body = b"".join(
            (
                len(withdrawn).to_bytes(2, "big"),
                withdrawn,
                len(attributes).to_bytes(2, "big"),
                attributes,
                nlri,
            )
        )
        if 19 + len(body) > session.max_size:
            raise ValueError(f"UPDATE of {19 + len(body)} octets exceeds {session.max_size}")
        return frame(UPDATE, body)

    def attribute(self, cls: type) -> Any:
        """The first attribute of class ``cls``, or None."""
        for attribute in self.attributes:
            if type(attribute) is cls:
                return attribute
        return None

    @property
    def eor_family(self) -> Family | None:
        """RFC 4724 section 2: an empty UPDATE is the IPv4 unicast End-of-RIB; an
        UPDATE holding only an empty MP_UNREACH_NLRI is its family's."""
        if self.withdrawn or self.nlri or self.treat_as_withdraw:
            return None
        if not self.attributes:
            return IPV4_UNICAST
        if len(self.attributes) == 1:
            only = self.attributes[0]
            if type(only) is MpUnreachNlri and not only.nlri:
                return only.family
        return None

    @property
    def is_eor(self) -> bool:
        return self.eor_family is not None

    def announced(self) -> list[tuple[Family, Any, tuple[str, ...]]]:
        """Every (family, NLRI, next hops) this UPDATE announces; the NLRI is
        prefix text for unicast and multicast, an object of the family's
        module (``codec/nlri/``) otherwise."""
        out: list[tuple[Family, Any, tuple[str, ...]]] = []
        if self.nlri:
            next_hop = self.attribute(NextHop)
            hops = (next_hop.address,) if next_hop is not None else ()
            out.extend((IPV4_UNICAST, prefix, hops) for prefix in self.nlri)
        for attribute in self.attributes:
            if type(attribute) is MpReachNlri:
                out.extend((attribute.family, prefix, attribute.next_hop) for prefix in attribute.nlri)
        return out

    def withdrawals(self) -> list[tuple[Family, Any]]:
        """Every (family, NLRI) this UPDATE withdraws, as ``announced``."""
        out = [(IPV4_UNICAST, prefix) for prefix in self.withdrawn]
        for attribute in self.attributes:
            if type(attribute) is MpUnreachNlri:
                out.extend((attribute.family, prefix) for prefix in attribute.nlri)
        return out


# Four-octet AS -> {id(attribute): (attribute, its TLV)}.  Decoded attributes
# are shared values (the decoder keeps one per octets), so re-encoding finds
# them by identity, without hashing them.  Besides ``asn4`` their ``encode``
# reads nothing of the session except MP_(UN)REACH_NLRI, which are not kept
# (each UPDATE's NLRI differ anyway).  The entry holds the attribute, so its
# id is not reused while the entry lives.  Cleared when full.
_ENCODED: dict[Any, dict[int, tuple[Any, bytes]]] = {}
_ENCODED_MAX = 8192


def _encoded(attribute: Any, session: Any) -> bytes:
    kind = type(attribute)
    if kind is MpReachNlri or kind is MpUnreachNlri:
        return attribute.encode(session)
    asn4 = getattr(session, "asn4", None)
    table = _ENCODED.get(asn4)
    if table is None:
        table = _ENCODED[asn4] = {}
    entry = table.get(id(attribute))
    if entry is not None:
        return entry[1]
    raw = attribute.encode(session)
    if len(table) >= _ENCODED_MAX:
        table.clear()
    table[id(attribute)] = (attribute, raw)
    return raw


_update = builder(Update)

MESSAGES[UPDATE] = Update
