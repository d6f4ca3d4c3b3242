"""``show adj-rib in|out`` name a codec-object route the same way both ways."""

from __future__ import annotations

from bgpmesh.api.commands import parse_command
from bgpmesh.workers.api_events import show_text


def nlri(line: str):
    return parse_command(line).routes[0].nlri


def test_exabgp_strings_where_exabgp_has_them_words_for_the_extensions() -> None:
    # ExaBGP 5.0.15's str() of a MUP and an MCAST-VPN route
    assert show_text(nlri("announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop self")) \
        == "mup:isd::100:100:10.0.1.0/24"
    assert show_text(nlri("announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 "
                          "rd 1:1 next-hop self")) == "mvpn:sourcead::1:1:10.0.0.1:239.0.0.1"
    # the bgpmesh extensions: the words that announce them, not a dataclass repr
    assert show_text(nlri("announce evpn macadv aa:bb:cc:dd:ee:01 rd 1:1 label 5 "
                          "next-hop self")) == "macadv aa:bb:cc:dd:ee:01 rd 1:1 esi 0 etag 0 label [ 5 ]"
    assert show_text(nlri("announce rtc origin 65000 next-hop self")) == "origin 65000"
