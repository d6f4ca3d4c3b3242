#!/usr/bin/env python3
"""A flowspec DDoS-mitigation script as ExaBGP users write them.

    ddos_flowspec.py [NEIGHBOR]

Reads ExaBGP JSON from stdin; for every IPv4 unicast prefix announced to us
(a victim reported by a detector), asks for its UDP traffic to be dropped:
``announce flow route { match { destination P; protocol udp; } then { discard; } }``,
and withdraws that flow when the prefix is withdrawn.  With NEIGHBOR, the
command names that neighbor.  Acks and other lines are ignored.
"""

import json
import sys


def main() -> None:
    prefix = f"neighbor {sys.argv[1]} " if len(sys.argv) > 1 else ""
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # done / error
        if not isinstance(message, dict) or message.get("type") != "update":
            continue
        update = message["neighbor"]["message"].get("update", {})
        for action in ("announce", "withdraw"):
            families = update.get(action, {})
            routes = families.get("ipv4 unicast", {})
            if action == "announce":
                routes = [r for nlris in routes.values() for r in nlris]
            for route in routes:
                victim = route["nlri"] if isinstance(route, dict) else route
                sys.stdout.write(f"{prefix}{action} flow route {{ match {{ destination "
                                 f"{victim}; protocol udp; }} then {{ discard; }} }}\n")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
