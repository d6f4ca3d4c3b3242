#!/usr/bin/env python3
"""Re-announce what one neighbor sends to another, as ExaBGP users do.

    reannounce.py TARGET

Reads ExaBGP JSON from stdin; every IPv4/IPv6 unicast prefix another neighbor
announces is announced to TARGET with ``next-hop self``, every withdrawn one
withdrawn from it.  Acks and other lines are ignored.
"""

import json
import sys


def main() -> None:
    target = sys.argv[1]
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # done / error
        if not isinstance(message, dict) or message.get("type") != "update":
            continue
        if message["neighbor"]["address"]["peer"] == target:
            continue
        update = message["neighbor"]["message"].get("update", {})
        for family in ("ipv4 unicast", "ipv6 unicast"):
            for nlris in update.get("announce", {}).get(family, {}).values():
                for route in nlris:
                    prefix = route["nlri"] if isinstance(route, dict) else route
                    print(f"neighbor {target} announce route {prefix} next-hop self",
                          flush=True)
            for route in update.get("withdraw", {}).get(family, []):
                prefix = route["nlri"] if isinstance(route, dict) else route
                print(f"neighbor {target} withdraw route {prefix}", flush=True)


if __name__ == "__main__":
    main()
