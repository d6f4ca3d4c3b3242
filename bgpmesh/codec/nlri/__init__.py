"""NLRI codecs by family: ``FAMILIES[Family(afi, safi)]``.

A family missing here is carried opaquely: its MP_REACH_NLRI decodes to an
``UnknownAttribute`` (see ``attributes/mp_reach.py``).
"""

from __future__ import annotations

from bgpmesh.codec.nlri.ipv4_unicast import IPV4_UNICAST_CODEC
from bgpmesh.codec.nlri.ipv6_unicast import IPV6_UNICAST_CODEC
from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.family import Family

FAMILIES: dict[Family, PrefixCodec] = {
    IPV4_UNICAST_CODEC.family: IPV4_UNICAST_CODEC,
    IPV6_UNICAST_CODEC.family: IPV6_UNICAST_CODEC,
}


def codec_for(family: Family) -> PrefixCodec:
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"unsupported family {family}") from None


def nlri_key(family: Family, prefix: str) -> bytes:
    """The wire NLRI of ``prefix`` (length octet + significant octets, host bits
    cleared): the Adj-RIB-Out key.  ValueError on bad text."""
    return codec_for(family).pack(prefix)


def canonical_prefix(family: Family, prefix: str) -> str:
    return codec_for(family).canonical(prefix)


__all__ = ["FAMILIES", "PrefixCodec", "canonical_prefix", "codec_for", "nlri_key"]
