#!/usr/bin/env python3
"""Example API program: announce a few routes, then flap one now and then.

Commands go to stdout, one per line, flushed; bgpmesh answers each with
``done`` or ``error`` on stdin (ExaBGP's protocol, so this runs under ExaBGP
too).
"""

import sys
import time

ROUTES = [
    "announce route 10.10.1.0/24 next-hop self med 10",
    "announce route 10.10.2.0/24 next-hop self as-path [ 65001 64512 ] community [ 65001:1 ]",
    "announce route 10.10.3.0/24 next-hop self origin incomplete local-preference 200",
    "announce route 2001:db8:10::/48 next-hop 2001:db8::1",
]


def send(line: str) -> str:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return sys.stdin.readline().strip()  # the ack


def main() -> None:
    for line in ROUTES:
        answer = send(line)
        print(f"[announce] {line} -> {answer}", file=sys.stderr, flush=True)
    flap = "10.10.9.0/24"
    up = False
    while True:
        time.sleep(10)
        up = not up
        line = f"announce route {flap} next-hop self" if up else f"withdraw route {flap}"
        answer = send(line)
        print(f"[announce] {line} -> {answer}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
