#!/usr/bin/env python3
"""Decode the same mutated UPDATEs with two bgpmesh trees and compare.

For work on the codec's speed: the tree under test must give what an older
tree gives, for good input and bad.  The messages are the mix of
``scripts/bench_codec.py`` (FlowSpec, VPN, IPv4, IPv6) and every UPDATE of
``tests/unit/codec/vectors/``, each with up to three octets after the header
set at random, some cut short (the header length made to match).  Each tree
decodes every message twice (the second time from whatever it keeps) in a
child process and reports, per message, either the error class and text, or
the value's ``repr``, its errors, its ExaBGP JSON in both dialects and its
re-encoding.  Any difference is printed; the exit status is 1 if there is one.

    git archive 08649cf | (mkdir -p /tmp/old && tar -x -C /tmp/old)
    python scripts/codec_diff.py /tmp/old --seed 1 --count 3000
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
sys.path.insert(0, str(HERE))

import bench_codec  # noqa: E402  (the mix, from the tree under test)

# Run by each tree's Python: stdin is the list of message hex strings.
CHILD = r"""
import json, sys
from bgpmesh.codec.header import MessageReader
from bgpmesh.codec.session import Session
from bgpmesh.decode import Envelope, to_json
from bgpmesh.errors import BgpError

session = Session()
envelope = Envelope(1.0, "host", 1, 2)
out = []
for text in json.load(sys.stdin):
    try:
        for _ in range(2):
            (update,) = MessageReader().feed(bytes.fromhex(text), session)
    except BgpError as error:
        out.append(["error", type(error).__name__, str(error)])
        continue
    try:
        again = update.encode(session).hex()
    except (ValueError, OverflowError) as error:
        again = f"{type(error).__name__}: {error}"
    out.append(["value", repr(update), [type(e).__name__ for e in update.errors],
                to_json("update", update, envelope, 3), to_json("update", update, envelope, 4, 5), again])
json.dump(out, sys.stdout)
"""


def messages(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    base = (bench_codec.flow_messages(30) + bench_codec.vpn_messages(600)[:3]
            + bench_codec.ipv4_messages(3000)[:2] + bench_codec.ipv6_messages(500)[:2])
    for path in sorted((TREE / "tests/unit/codec/vectors").glob("*-update.hex")):
        lines = path.read_text().splitlines()
        base.append(bytes.fromhex("".join(line for line in lines if not line.startswith("#"))))
    out = []
    for _ in range(count):
        message = bytearray(rng.choice(base))
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            message[rng.randrange(19, len(message))] = rng.randrange(256)
        if rng.random() < 0.1:
            message = message[: rng.randint(19, len(message))]
            message[16:18] = len(message).to_bytes(2, "big")
        out.append(bytes(message).hex())
    return out


def decode_with(tree: Path, payloads: list[str]) -> list[list]:
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(payloads),
                          capture_output=True, text=True, env={"PYTHONPATH": str(tree)}, check=False)
    if done.returncode:
        raise RuntimeError(f"{tree}: the decoder failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="a tree holding the bgpmesh package to compare with")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    payloads = messages(args.seed, args.count)
    theirs = decode_with(args.old, payloads)
    ours = decode_with(TREE, payloads)
    differ = [(payload, a, b) for payload, a, b in zip(payloads, theirs, ours, strict=True) if a != b]
    decoded = sum(1 for answer in ours if answer[0] == "value")
    print(f"{len(payloads)} messages, {decoded} decoded, {len(payloads) - decoded} errors; "
          f"{len(differ)} differ")
    for payload, a, b in differ[:5]:
        print(f"{payload}\n  old {json.dumps(a)[:800]}\n  new {json.dumps(b)[:800]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
