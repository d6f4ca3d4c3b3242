"""Neighbor selectors: which neighbors an API command is for.

A command may start with one or more selectors, separated by commas::

    neighbor 10.0.0.1 local-as 65000 , neighbor 10.0.0.2 announce route ...
    neighbor * teardown 2

Matching follows ExaBGP 4.2 (``reactor/api/command/limit.py``):

- no selector: every candidate;
- comma-separated selectors are ORed;
- the qualifiers of one selector are ANDed;
- ``neighbor *`` matches every candidate and short-circuits: qualifiers
  after it are parsed but ignored, as 4.2's matcher returns at the star.

The candidate set (neighbors whose ``api`` lists the sending process) is the
caller's business; this module only compares values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bgpmesh.api.routes import WordError, parse_asn, parse_ip, parse_ipv4
from bgpmesh.family import Family


@dataclass(frozen=True, slots=True)
class Selector:
    peer: str | None = None  # None: '*'
    local_ip: str | None = None
    local_as: int | None = None
    peer_as: int | None = None
    router_id: str | None = None
    family_allowed: str | None = None  # "in-open" or "ipv4-unicast/ipv6-unicast"


def _local_ip(word: str, index: int) -> tuple[str, Any]:
    return "local_ip", parse_ip(word, index, "local-ip")


def _local_as(word: str, index: int) -> tuple[str, Any]:
    return "local_as", parse_asn(word, index, "local-as")


def _peer_as(word: str, index: int) -> tuple[str, Any]:
    return "peer_as", parse_asn(word, index, "peer-as")


def _router_id(word: str, index: int) -> tuple[str, Any]:
    return "router_id", parse_ipv4(word, index, "router-id")


def _family_allowed(word: str, index: int) -> tuple[str, Any]:
    # 4.2 compares the text with the last part of the neighbor's name
    # (limit.py match_neighbor): "in-open" unless multi-session splits families.
    for part in word.split("/"):
        afi, dash, safi = part.partition("-")
        if afi == "bgp" and safi.startswith("ls-"):
            afi, safi = "bgp-ls", safi[3:]
        if word != "in-open" and (not dash or not _known_family(afi, safi)):
            raise WordError(f"invalid family-allowed {word!r}, expected in-open or "
                            "AFI-SAFI[/AFI-SAFI...] such as ipv4-unicast", index)
    return "family_allowed", word


def _known_family(afi: str, safi: str) -> bool:
    try:
        Family.from_names(afi, safi)
    except KeyError:
        return False
    return True


def family_allowed_of(neighbor: Any) -> str:
    """The family-allowed text 4.2 puts in a neighbor's name."""
    capability = getattr(neighbor, "capability", None)
    if capability is None or not getattr(capability, "multi_session", False):
        return "in-open"
    return "/".join(f"{f.afi_name}-{f.safi_name}" for f in neighbor.families)


_QUALIFIERS = {
    "local-ip": _local_ip,
    "local-as": _local_as,
    "peer-as": _peer_as,
    "router-id": _router_id,
    "family-allowed": _family_allowed,
}


def parse_selectors(words: list[str], index: int = 0) -> tuple[tuple[Selector, ...], int]:
    """Selectors from ``words[index:]``; returns them and the index of the command."""
    selectors: list[Selector] = []
    count = len(words)
    while index < count and words[index] == "neighbor":
        if index + 1 >= count:
            raise WordError("missing neighbor address or '*' at end of line", count)
        address = words[index + 1]
        fields: dict[str, Any] = {
            "peer": None if address == "*" else parse_ip(address, index + 1, "neighbor address")
        }
        index += 2
        while index < count:
            qualifier = _QUALIFIERS.get(words[index])
            if qualifier is None:
                break
            if index + 1 >= count:
                raise WordError(f"missing value after {words[index]!r} at end of line", count)
            key, value = qualifier(words[index + 1], index + 1)
            fields[key] = value
            index += 2
        selectors.append(Selector(**fields))
        if index < count and words[index] == ",":
            index += 1
            if index >= count or words[index] != "neighbor":
                raise WordError("expected 'neighbor' after ','", index)
    return tuple(selectors), index


def _selects_one(selector: Selector, neighbor: Any) -> bool:
    if selector.peer is None:
        return True
    if selector.peer != neighbor.peer_address:
        return False
    if selector.local_ip is not None and selector.local_ip != neighbor.local_address:
        return False
    if selector.local_as is not None and selector.local_as != neighbor.local_as:
        return False
    if selector.peer_as is not None and selector.peer_as != neighbor.peer_as:
        return False
    if selector.router_id is not None and selector.router_id != neighbor.router_id:
        return False
    return (selector.family_allowed is None
            or selector.family_allowed == family_allowed_of(neighbor))


def selects(selectors: tuple[Selector, ...], neighbor: Any) -> bool:
    """True if ``neighbor`` (anything with Neighbor's attributes) is selected."""
    if not selectors:
        return True
    return any(_selects_one(selector, neighbor) for selector in selectors)


def matching(selectors: tuple[Selector, ...], neighbors: Iterable[Any]) -> list:
    """The neighbors that ``selectors`` select, in their given order."""
    return [neighbor for neighbor in neighbors if selects(selectors, neighbor)]
