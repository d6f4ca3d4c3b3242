"""`bgpmesh decode` run as a subprocess, against `exabgp decode` 5.0.15.

Each vector was fed to `exabgp decode` 5.0.15; the expected values below are
what it printed.  Dialect differences (ExaBGP 5.0 prints "exabgp": "5.0.0",
AS-PATH as {"0": {"element": ..., "value": [...]}}, a "router-id" in the
neighbor, and adds "message" to a notification) are not compared: bgpmesh
prints the 4.x dialect ("4.0.1", a flat "as-path" list).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MARKER = "ff" * 16

# one UPDATE carrying ORIGINATOR_ID, CLUSTER_LIST, EXTENDED_COMMUNITIES (16
# kinds), LARGE_COMMUNITY, AIGP, PMSI_TUNNEL, OTC, a Prefix-SID whose
# Label-Index TLV is one octet short (discarded), IPv6 extended communities,
# an unknown optional transitive (0x63) and non-transitive (0x64) attribute
UPDATE = "ffffffffffffffffffffffffffffffff012b02000001104001010040020602010000fde9400304c0000201800904c0000201800a08c0000201c0000202c010800002fde8000000010102c0000201006402020001117000010003fde8000000020103c0000201006502030001117000028006fde8447a000080070000000000038008fde8000000018108c000020100648208000111700001800900000000002e030c0000000000084004fde8447a0000010cc000020100000909010203040506c0200c0000fde80000000100000002801a0b01000b0000000000000064c016090006000064c0000201c023040000fde8c028140100070000000000640300080000003e80001f40c01914000220010db80000000000000000000000010001c06302abcd806401ef18c00002"
# OPEN: multiprotocol, route-refresh, extended next hop, extended message,
# role, graceful restart, asn4, ADD-PATH, enhanced route refresh, LLGR,
# hostname, software version, operational, unknown 0x99
OPEN = "ffffffffffffffffffffffffffffffff006f0104fde9005ac0000201520250010400010001020005060001000100020600090102400680780001018041040000fde94504000101034600470700010180000e10490c04727472310665782e636f6d4b06056267702d31b9009902abcd"
# NOTIFICATION Cease / Administrative Shutdown, communication "ABC"
NOTIFICATION = MARKER + "0019" "03" "0602" "03414243"


def decode(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bgpmesh", "decode", *args],
        input=stdin, capture_output=True, text=True, timeout=60,
    )


def test_update_matches_exabgp() -> None:
    result = decode(UPDATE)
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["exabgp"] == "4.0.1"
    assert message["type"] == "update"
    neighbor = message["neighbor"]
    assert neighbor["address"] == {"local": "127.0.0.1", "peer": "127.0.0.1"}
    assert neighbor["asn"] == {"local": 65533, "peer": 65533}
    assert neighbor["direction"] == "in"
    update = neighbor["message"]["update"]
    attribute = update["attribute"]
    assert attribute["originator-id"] == "192.0.2.1"
    assert attribute["cluster-list"] == ["192.0.2.1", "192.0.2.2"]
    assert attribute["large-community"] == [[65000, 1, 2]]
    assert attribute["pmsi"] == "pmsi:ingressreplication:0:6(100):192.0.2.1"
    strings = {entry["value"]: entry["string"] for entry in attribute["extended-community"]}
    # the strings exabgp printed; it printed "" for 0x4004 (link bandwidth),
    # 0x8108 (redirect to IPv4, RFC 7674), 0x0909 (unknown), swapped the
    # fields of the route origins and a hex form for 0x8208
    assert strings[842122827661313] == "target:65000:1"
    assert strings[72831650257502308] == "target:192.0.2.1:100"
    assert strings[144678142616797185] == "target:70000:1"
    assert strings[144959617593507842] == "origin:70000:2"
    assert strings[75646400024608768] == "redirect-to-nexthop-ietf 192.0.2.1"
    assert strings[219550481834311688] == "encap:VXLAN"
    assert strings[9225340060738125824] == "rate-limit:1000"
    assert strings[9225342361691750403] == "action sample-terminal"
    assert strings[9225903009542701057] == "redirect:65000:1"
    assert strings[9225905311645171758] == "mark 46"
    # in the order received, as 4.2 lists them; the 5.0 dialect sorts them, as 5.0 does
    assert list(strings) != sorted(strings)
    again = json.loads(decode("--dialect", "5", UPDATE).stdout)["neighbor"]["message"]["update"]
    assert [entry["value"] for entry in again["attribute"]["extended-community"]] == sorted(strings)
    assert [e["value"] for e in attribute["extended-community-ipv6"]] == [
        47389442064591062288541496103088308189462529
    ]
    assert "bgp-prefix-sid" not in attribute
    assert attribute["attribute-0x63-0xE0"] == "0xabcd"
    assert update["announce"] == {"ipv4 unicast": {"192.0.2.1": [{"nlri": "192.0.2.0/24"}]}}


def test_open_matches_exabgp() -> None:
    result = decode("--open", OPEN)
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["type"] == "open"
    opened = message["neighbor"]["open"]
    assert (opened["version"], opened["asn"], opened["hold_time"], opened["router_id"]) == (4, 65001, 90, "192.0.2.1")
    capabilities = opened["capabilities"]
    assert capabilities["5"] == {"name": "nexthop", "conversion": ["ipv4/unicast/ipv6"]}
    assert capabilities["6"] == {"name": "extended-message", "size": 65535}
    assert capabilities["64"] == {"name": "graceful restart", "time": 120,
                                  "address-family-flags": {"ipv4/unicast": ["restart"]},
                                  "restart-flags": ["forwarding"]}
    assert capabilities["65"] == {"name": "asn4", "asn4": 65001}
    assert capabilities["69"] == {"name": "addpath", "ipv4/unicast": "send/receive"}
    assert capabilities["70"] == {"name": "enhanced-route-refresh"}
    assert capabilities["73"] == {"host-name": "rtr1", "domain-name": "ex.com"}
    assert capabilities["75"] == {"software": "bgp-1"}
    assert capabilities["185"] == {"name": "operational"}
    assert capabilities["153"]["raw"] == "ABCD"
    # exabgp 5.0.15 knows neither role (9) nor LLGR (71): it shows them raw
    assert capabilities["9"] == {"name": "role", "role": "rs-client"}


def test_notification() -> None:
    result = decode(NOTIFICATION)
    notification = json.loads(result.stdout)["neighbor"]["notification"]
    # exabgp 5.0 adds "message"; the 4.x dialect has code, subcode, data
    assert notification == {"code": 6, "subcode": 2, "data": "0x03414243"}


def test_header_less_update_spaces_colons_and_stdin() -> None:
    body = UPDATE[38:]
    spaced = " ".join(body[i : i + 8] for i in range(0, len(body), 8))
    from_argument = json.loads(decode(spaced).stdout)
    lines = decode(stdin=f"{UPDATE}\n\n{body[:20]}:{body[20:]}\n").stdout.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["counter"] for line in lines] == [1, 2]
    assert json.loads(lines[1])["neighbor"] == from_argument["neighbor"]


def test_nlri() -> None:
    result = decode("--nlri", "-f", "ipv4 unicast", "18c0000210 0a00")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"nlri": "192.0.2.0/24"}, {"nlri": "10.0.0.0/16"}
    ]


def test_text() -> None:
    lines = decode("--text", NOTIFICATION).stdout.splitlines()
    assert lines == ['neighbor 127.0.0.1 receive notification code 6 subcode 2 data 03414243 '
                     '("Cease / Administrative Shutdown") shutdown-communication "ABC"']
    update = decode("--text", UPDATE).stdout.splitlines()
    assert update[0].endswith("update start") and update[-1].endswith("update end")
    assert "192.0.2.0/24" in update[1]


@pytest.mark.parametrize("payload", ["zz", MARKER + "0013", MARKER + "0100" "02"])
def test_invalid_payload(payload: str) -> None:
    result = decode(payload)
    assert result.returncode == 1
    assert result.stderr.startswith("invalid payload")


def test_hostile_shutdown_text_stays_one_line() -> None:
    text = b'x"\n}{"evil": 1'.hex()
    result = decode("--text", MARKER + f"{19 + 3 + 13:04x}" "03" "0602" "0d" + text)
    assert len(result.stdout.splitlines()) == 1
    assert '\\n' in result.stdout or '\\"' in result.stdout


@pytest.mark.parametrize("dialect", [4, 5])
@pytest.mark.parametrize("counter", [1, 123456, True])
def test_to_json_is_json_dumps_of_the_envelope(dialect: int, counter: int) -> None:
    # to_json splices texts it keeps (the envelope) with texts it serialises
    # per message; the result must be json.dumps of the whole object
    from bgpmesh.decode import Envelope, decode_message, json_envelope, parse_hex, to_json

    for envelope in (Envelope(1.5, 'h"ost\n}{', 7, 8), Envelope(0.0, "host", 1, 1)):
        for raw, is_open in ((UPDATE, False), (OPEN, True), (NOTIFICATION, False), (MARKER + "001304", False)):
            kind, message = decode_message(parse_hex(raw), is_open=is_open)
            expected = json.dumps(json_envelope(kind, message, envelope, counter, dialect), separators=(", ", ": "))
            assert to_json(kind, message, envelope, counter, dialect) == expected
            assert json.loads(expected)["counter"] == counter


# two paths of 10.53.0.0/24 (RFC 7911), as `exabgp decode -i` prints them
ADD_PATH_UPDATE = ("ffffffffffffffffffffffffffffffff003b02000000144001010040020602010000fdea"
                   "400304c000020200000001180a350000000002180a3500")


def test_path_information_keeps_each_path() -> None:
    result = decode("-i", ADD_PATH_UPDATE)
    assert result.returncode == 0, result.stderr
    announce = json.loads(result.stdout)["neighbor"]["message"]["update"]["announce"]
    assert announce == {"ipv4 unicast": {"192.0.2.2": [
        {"nlri": "10.53.0.0/24", "path-information": "0.0.0.1"},
        {"nlri": "10.53.0.0/24", "path-information": "0.0.0.2"}]}}
    nlri = decode("-i", "-n", "00000001180a3500")
    assert json.loads(nlri.stdout) == {"nlri": "10.53.0.0/24", "path-information": "0.0.0.1"}
    # without -i the same octets are read as plain prefixes, as ExaBGP does
    assert "path-information" not in decode(ADD_PATH_UPDATE).stdout
