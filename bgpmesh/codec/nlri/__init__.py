"""NLRI codecs by family: ``FAMILIES[Family(afi, safi)]``.

A family missing here is carried opaquely: its MP_REACH_NLRI decodes to an
``UnknownAttribute`` (see ``attributes/mp_reach.py``).  The unicast and
multicast families are ``PrefixCodec`` entries whose NLRI are prefix text;
every other family is an ``NlriCodec`` whose NLRI are objects (``base.py``).
"""

from __future__ import annotations

from bgpmesh.codec.nlri.base import NlriCodec
from bgpmesh.codec.nlri.bgpls import BGP_LS_CODEC, BGP_LS_VPN_CODEC
from bgpmesh.codec.nlri.evpn import EVPN_CODEC
from bgpmesh.codec.nlri.flowspec import (
    IPV4_FLOW_CODEC,
    IPV4_FLOW_VPN_CODEC,
    IPV6_FLOW_CODEC,
    IPV6_FLOW_VPN_CODEC,
)
from bgpmesh.codec.nlri.ipv4_unicast import IPV4_UNICAST_CODEC
from bgpmesh.codec.nlri.ipv6_unicast import IPV6_UNICAST_CODEC
from bgpmesh.codec.nlri.labeled import IPV4_MPLS_CODEC, IPV6_MPLS_CODEC
from bgpmesh.codec.nlri.mpls_vpn import IPV4_VPN_CODEC, IPV6_VPN_CODEC
from bgpmesh.codec.nlri.multicast import IPV4_MULTICAST_CODEC, IPV6_MULTICAST_CODEC
from bgpmesh.codec.nlri.mup import IPV4_MUP_CODEC, IPV6_MUP_CODEC
from bgpmesh.codec.nlri.mvpn import IPV4_MVPN_CODEC, IPV6_MVPN_CODEC
from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.codec.nlri.rtc import IPV4_RTC_CODEC, IPV6_RTC_CODEC
from bgpmesh.codec.nlri.sr_policy import IPV4_SR_POLICY_CODEC, IPV6_SR_POLICY_CODEC
from bgpmesh.codec.nlri.vpls import VPLS_CODEC
from bgpmesh.family import Family

FAMILIES: dict[Family, PrefixCodec | NlriCodec] = {
    codec.family: codec
    for codec in (
        IPV4_UNICAST_CODEC,
        IPV6_UNICAST_CODEC,
        IPV4_MULTICAST_CODEC,
        IPV6_MULTICAST_CODEC,
        IPV4_MPLS_CODEC,
        IPV6_MPLS_CODEC,
        IPV4_VPN_CODEC,
        IPV6_VPN_CODEC,
        IPV4_FLOW_CODEC,
        IPV6_FLOW_CODEC,
        IPV4_FLOW_VPN_CODEC,
        IPV6_FLOW_VPN_CODEC,
        VPLS_CODEC,
        EVPN_CODEC,
        IPV4_RTC_CODEC,
        IPV6_RTC_CODEC,
        BGP_LS_CODEC,
        BGP_LS_VPN_CODEC,
        IPV4_MVPN_CODEC,
        IPV6_MVPN_CODEC,
        IPV4_MUP_CODEC,
        IPV6_MUP_CODEC,
        IPV4_SR_POLICY_CODEC,
        IPV6_SR_POLICY_CODEC,
    )
}


def codec_for(family: Family) -> PrefixCodec | NlriCodec:
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


__all__ = ["FAMILIES", "NlriCodec", "PrefixCodec", "canonical_prefix", "codec_for", "nlri_key"]
