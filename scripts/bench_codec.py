#!/usr/bin/env python3
"""Codec throughput: bgpmesh against ExaBGP 5.0.15 on the same bytes.

The mix is made by bgpmesh's own packer (``bgpmesh.codec.packer``), as a
router would send it: UPDATEs of up to 4096 octets, prefixes sharing one set
of path attributes packed together.

- ``ipv4``: full-table style IPv4 unicast: ORIGIN, AS_PATH (3 to 6 ASNs),
  NEXT_HOP, MED, COMMUNITIES (2 to 4), AGGREGATOR on some; prefix lengths
  mostly /24, some /16 to /23; 64 attribute sets in turn.
- ``ipv6``: IPv6 unicast in MP_REACH_NLRI (/32 to /48), the same attributes.
- ``flow``: IPv4 FlowSpec, one rule per UPDATE (destination, source, protocol,
  port), actions as extended communities (rate-limit, redirect).
- ``vpn``: IPv4 MPLS L3VPN (RD type 0, one label), extended community
  route target.

For each engine and each part of the mix the script measures, in this
process for bgpmesh and in a child process running the ExaBGP venv's Python
(ExaBGP lives in its own virtual environment) for ExaBGP, on the same bytes:

- ``decode``: message bytes to message objects.  bgpmesh: ``MessageReader.feed``
  over the whole stream; ExaBGP: ``Update.unpack_message`` per message body
  with the ``Negotiated`` its ``exabgp decode`` builds (all families, no
  ADD-PATH).
- ``decode+json``: the same plus ExaBGP JSON for every message.  bgpmesh:
  ``bgpmesh.decode.to_json``; ExaBGP: ``Response.JSON(...).update``.
- ``encode``: the decoded message objects back to wire.  bgpmesh:
  ``Update.encode(session)``; ExaBGP: ``Update(nlris, attributes).messages(negotiated)``.

Each figure is the best of ``--repeat`` runs; the codec keeps decoded and
rendered values in tables, so later runs find what earlier ones made, and
``--cold`` empties them before every run.  ``--million`` adds the
1,000,000-prefix IPv4 stream, decoded to ExaBGP JSON (the issue's target:
under 3 s on one core).  Timings are printed, never asserted.

    python scripts/bench_codec.py
    python scripts/bench_codec.py --scale 0.2 --repeat 1 --no-exabgp
    python scripts/bench_codec.py --million
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bgpmesh.codec.attributes.base import AS_PATH  # noqa: F401  (imports the codec)
from bgpmesh.codec.header import MessageReader
from bgpmesh.codec.packer import encode_attributes, pack_announce, rib_entry
from bgpmesh.codec.session import Session
from bgpmesh.decode import Envelope, to_json
from bgpmesh.family import Family
from bgpmesh.route import Attributes, FlowRoute, Route

SESSION = Session()  # 4-octet AS, no ADD-PATH, 4096-octet messages: ExaBGP decode's session
LOCAL_AS, PEER_AS = 65000, 65001
ENVELOPE = Envelope(0.0, "bench", 1, 1)
EXABGP_PYTHON = Path.home() / ".cache/bgpmesh-bench/exabgp/bin/python"

IPV4_UNICAST = Family(1, 1)
IPV6_UNICAST = Family(2, 1)
IPV4_FLOW = Family(1, 133)
IPV4_VPN = Family(1, 128)


def attribute_sets(rng: random.Random, count: int) -> list[Attributes]:
    out = []
    for index in range(count):
        path = tuple(rng.randrange(1, 400000) for _ in range(rng.randint(3, 6)))
        communities = tuple((rng.randrange(1, 65535) << 16) | rng.randrange(65536)
                            for _ in range(rng.randint(2, 4)))
        aggregator = (path[-1], f"192.0.2.{index % 250 + 1}") if index % 4 == 0 else None
        out.append(Attributes(as_path=path, med=rng.randrange(1000), communities=communities,
                              aggregator=aggregator))
    return out


def _pack(routes: list, attrs: Attributes) -> list[bytes]:
    keys = []
    family = next_hop = None
    for route in routes:
        family, key, next_hop, _ = rib_entry(route)
        keys.append(key)
    raw = encode_attributes(attrs, LOCAL_AS, PEER_AS, SESSION)
    return pack_announce(family, raw, next_hop, keys, SESSION)


def ipv4_prefixes(rng: random.Random, count: int) -> list[str]:
    out = []
    seen = set()
    while len(out) < count:
        length = 24 if rng.random() < 0.6 else rng.randint(16, 23)
        value = rng.randrange(0x01000000, 0xDF000000) & ((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF)
        if (value, length) in seen:
            continue
        seen.add((value, length))
        out.append(f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}/{length}")
    return out


def ipv4_messages(count: int, seed: int = 1) -> list[bytes]:
    """UPDATEs carrying ``count`` IPv4 prefixes, packed as a router packs them."""
    rng = random.Random(seed)
    sets = attribute_sets(rng, 64)
    prefixes = ipv4_prefixes(rng, count)
    messages: list[bytes] = []
    at = 0
    turn = 0
    while at < count:
        # a run of prefixes sharing one path: enough to fill one to three UPDATEs
        run = rng.randint(800, 3000)
        chunk = prefixes[at : at + run]
        at += run
        hop = f"198.51.100.{turn % 200 + 1}"
        messages += _pack([Route(IPV4_UNICAST, p, hop) for p in chunk], sets[turn % len(sets)])
        turn += 1
    return messages


def ipv6_messages(count: int, seed: int = 2) -> list[bytes]:
    rng = random.Random(seed)
    sets = attribute_sets(rng, 16)
    messages: list[bytes] = []
    made = 0
    turn = 0
    while made < count:
        run = min(count - made, rng.randint(200, 600))
        prefixes = sorted({f"2001:{rng.randrange(0x400, 0xffff):x}:{rng.randrange(0xffff):x}::/"
                    f"{rng.choice((32, 40, 44, 48, 48, 48))}" for _ in range(run)})
        routes = [Route(IPV6_UNICAST, p, f"2001:db8::{turn % 100 + 1}") for p in prefixes]
        messages += _pack(routes, sets[turn % len(sets)])
        made += len(routes)
        turn += 1
    return messages


def flow_messages(count: int, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    messages: list[bytes] = []
    for index in range(count):
        match = (
            ("destination", (f"10.{index >> 8 & 255}.{index & 255}.0/24",)),
            ("source", (f"192.0.{index % 250}.0/24",)),
            ("protocol", ("tcp",)),
            ("destination-port", (f"={rng.choice((22, 53, 80, 443))}",)),
        )
        actions = (("rate-limit", (str(rng.choice((0, 9600, 1000000))),)),) if index % 2 else \
            (("redirect", (f"65000:{index % 100}",)),)
        route = FlowRoute(IPV4_FLOW, match, actions,
                          attributes=Attributes(as_path=(65000,), communities=((65000 << 16) | 1,)))
        family, key, next_hop, attrs = rib_entry(route)
        raw = encode_attributes(attrs, LOCAL_AS, PEER_AS, SESSION)
        messages += pack_announce(family, raw, next_hop, [key], SESSION)
    return messages


def vpn_messages(count: int, seed: int = 4) -> list[bytes]:
    rng = random.Random(seed)
    sets = attribute_sets(rng, 16)
    prefixes = ipv4_prefixes(rng, count)
    messages: list[bytes] = []
    at = 0
    turn = 0
    while at < count:
        run = rng.randint(100, 400)
        vrf = turn % 20 + 1
        attrs = sets[turn % len(sets)]
        attrs = Attributes(as_path=attrs.as_path, med=attrs.med, communities=attrs.communities,
                           extended_communities=((0x0002 << 48) | (65000 << 32) | vrf,))
        routes = [Route(IPV4_VPN, p, "192.0.2.1", labels=(16 + vrf,), rd=f"65000:{vrf}")
                  for p in prefixes[at : at + run]]
        at += run
        messages += _pack(routes, attrs)
        turn += 1
    return messages


def make_mix(scale: float) -> dict[str, list[bytes]]:
    return {
        "ipv4": ipv4_messages(int(200_000 * scale)),
        "ipv6": ipv6_messages(int(50_000 * scale)),
        "flow": flow_messages(int(5_000 * scale)),
        "vpn": vpn_messages(int(50_000 * scale)),
    }


def count_prefixes(updates: list) -> int:
    total = 0
    for update in updates:
        total += len(update.nlri) + len(update.withdrawn)
        for attribute in update.attributes:
            nlri = getattr(attribute, "nlri", None)
            if nlri:
                total += len(nlri)
    return total


# The tables the codec and the JSON keep values in, by module: with --cold
# they are emptied before every run, so no run finds what an earlier run
# decoded (a table a tree does not have is skipped).
CACHES = {
    "bgpmesh.codec.nlri.flowspec": ("_SHARED", "_PACKED"),
    "bgpmesh.codec.nlri.mpls_vpn": ("_RDS",),
    "bgpmesh.codec.nlri.rd": ("_TEXT",),
    "bgpmesh.codec.attributes": ("_DECODED",),
    "bgpmesh.codec.update": ("_ENCODED",),
    "bgpmesh.api.json": ("_EXTENDED_TEXT", "_FAMILY_TEXT"),
    "bgpmesh.api.json_nlri": ("_FLOW_RENDERED",),
}
COLD = False


def clear_caches() -> None:
    for module_name, names in CACHES.items():
        module = sys.modules.get(module_name)
        for name in names:
            table = getattr(module, name, None)
            if not isinstance(table, dict):
                continue
            # a table of tables (by AFI, by four-octet AS) keeps its keys
            inner = [value for value in table.values() if isinstance(value, dict)]
            for value in inner or [table]:
                value.clear()


def best(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        if COLD:
            clear_caches()
        gc.collect()
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def bench_bgpmesh(messages: list[bytes], repeat: int) -> dict[str, float]:
    stream = b"".join(messages)
    updates = MessageReader().feed(stream, SESSION)
    assert len(updates) == len(messages)

    def decode() -> None:
        MessageReader().feed(stream, SESSION)

    def decode_json() -> None:
        for counter, update in enumerate(MessageReader().feed(stream, SESSION), 1):
            to_json("update", update, ENVELOPE, counter)

    def encode() -> None:
        for update in updates:
            update.encode(SESSION)

    return {
        "messages": len(messages),
        "prefixes": count_prefixes(updates),
        "decode": best(repeat, decode),
        "decode+json": best(repeat, decode_json),
        "encode": best(repeat, encode),
    }


# Run by the ExaBGP venv's Python: argv = [stream file, repeat].  Prints one
# JSON object: messages, prefixes and the best time of each operation.
EXABGP_CHILD = r"""
import gc, json, sys, time
from exabgp.environment import getenv
from exabgp.logger import log
from exabgp.configuration.configuration import Configuration
from exabgp.configuration.check import _negotiated
from exabgp.application.decode import conf_template
from exabgp.bgp.message import Update
from exabgp.bgp.message.direction import Direction
from exabgp.reactor.api.response import Response
from exabgp.version import json as json_version

env = getenv()
env.bgp.passive = True
env.tcp.bind = ''
log.silence()
log.init(env)
configuration = Configuration([conf_template.replace('[path-information]', '')
                               .replace('[families]', 'all')], text=True)
configuration.reload()
neighbor = next(iter(configuration.neighbors.values()))
negotiated = _negotiated(neighbor)
encoder = Response.JSON(json_version)

stream = open(sys.argv[1], 'rb').read()
repeat = int(sys.argv[2])
bodies = []
offset = 0
while offset < len(stream):
    size = (stream[offset + 16] << 8) | stream[offset + 17]
    bodies.append(stream[offset + 19 : offset + size])
    offset += size

def best(work):
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)

def decode():
    unpack = Update.unpack_message
    for body in bodies:
        unpack(body, Direction.IN, negotiated)

def decode_json():
    unpack = Update.unpack_message
    for body in bodies:
        encoder.update(neighbor, 'in', unpack(body, Direction.IN, negotiated), None, '', '')

updates = [Update.unpack_message(body, Direction.IN, negotiated) for body in bodies]

def encode():
    for update in updates:
        for _ in Update(update.nlris, update.attributes).messages(negotiated):
            pass

out = {"messages": len(bodies), "prefixes": sum(len(u.nlris) for u in updates),
       "decode": best(decode), "decode+json": best(decode_json), "encode": best(encode)}
print(json.dumps(out))
"""


def bench_exabgp(python: Path, messages: list[bytes], repeat: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".bgp") as handle:
        handle.write(b"".join(messages))
        handle.flush()
        result = subprocess.run([str(python), "-c", EXABGP_CHILD, handle.name, str(repeat)],
                                capture_output=True, text=True, check=False,
                                env={**os.environ, "exabgp_log_enable": "false"})
    if result.returncode:
        raise RuntimeError(f"ExaBGP child failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _rate(count: float, seconds: float) -> str:
    if not seconds:
        return "-"
    rate = count / seconds
    return f"{rate / 1e6:.2f}M" if rate >= 1e6 else f"{rate / 1e3:.1f}k"


def print_table(rows: list[tuple[str, dict, dict | None]]) -> None:
    head = ("mix", "msgs", "prefixes", "operation", "bgpmesh s", "msg/s", "pfx/s",
            "ExaBGP s", "msg/s", "pfx/s", "speed-up")
    lines = [head]
    for name, mine, theirs in rows:
        for op in ("decode", "decode+json", "encode"):
            row = [name, str(mine["messages"]), str(mine["prefixes"]), op, f"{mine[op]:.3f}",
                   _rate(mine["messages"], mine[op]), _rate(mine["prefixes"], mine[op])]
            if theirs:
                row += [f"{theirs[op]:.3f}", _rate(theirs["messages"], theirs[op]),
                        _rate(theirs["prefixes"], theirs[op]), f"{theirs[op] / mine[op]:.1f}x"]
            else:
                row += ["-", "-", "-", "-"]
            lines.append(tuple(row))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


def million(repeat: int) -> None:
    messages = ipv4_messages(1_000_000, seed=7)
    stream = b"".join(messages)
    print(f"\n1,000,000 IPv4 prefixes: {len(messages)} UPDATEs, {len(stream)} octets")

    def run() -> int:
        lines = 0
        for counter, update in enumerate(MessageReader().feed(stream, SESSION), 1):
            to_json("update", update, ENVELOPE, counter)
            lines += 1
        return lines

    decode_only = best(repeat, lambda: MessageReader().feed(stream, SESSION))
    seconds = best(repeat, run)
    verdict = "met" if seconds < 3 else "NOT met"
    print(f"decode only: {decode_only:.2f} s; decode to ExaBGP JSON: {seconds:.2f} s "
          f"(target < 3 s: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the mix (1.0: 305k prefixes)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, best kept")
    parser.add_argument("--exabgp-python", type=Path, default=EXABGP_PYTHON,
                        help="Python of a venv with exabgp==5.0.15")
    parser.add_argument("--no-exabgp", action="store_true", help="bgpmesh only")
    parser.add_argument("--cold", action="store_true",
                        help="empty bgpmesh's decode, encode and JSON tables before every run")
    parser.add_argument("--million", action="store_true", help="add the 1M-prefix JSON run")
    args = parser.parse_args()

    global COLD
    COLD = args.cold
    mix = make_mix(args.scale)
    with_exabgp = not args.no_exabgp
    if with_exabgp and not args.exabgp_python.exists():
        print(f"no ExaBGP at {args.exabgp_python}: bgpmesh only (see --exabgp-python)")
        with_exabgp = False
    rows = []
    for name, messages in [*mix.items(), ("all", [m for part in mix.values() for m in part])]:
        mine = bench_bgpmesh(messages, args.repeat)
        theirs = bench_exabgp(args.exabgp_python, messages, args.repeat) if with_exabgp else None
        if theirs and theirs["prefixes"] != mine["prefixes"]:
            print(f"warning: {name}: ExaBGP saw {theirs['prefixes']} prefixes, bgpmesh {mine['prefixes']}")
        rows.append((name, mine, theirs))
    print(f"Python {sys.version.split()[0]}, best of {args.repeat}, one core each, run back to back")
    print_table(rows)
    if args.million:
        million(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
