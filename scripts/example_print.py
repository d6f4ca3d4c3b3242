#!/usr/bin/env python3
"""Example API program: print every message bgpmesh sends us, as it comes.

bgpmesh writes ExaBGP JSON to our stdin, one message per line; our stdout is
read as commands, so we print to stderr, which reaches the terminal.
"""

import json
import sys


def main() -> None:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            print(f"[print] {line}", file=sys.stderr, flush=True)
            continue
        if message.get("type") == "notification" and message.get("notification") == "shutdown":
            return
        print(f"[print] {json.dumps(message)}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
