#!/usr/bin/env python3
"""A stand-in for a user's API program, driven by a test.

    relay.py COMMANDS_FIFO RECEIVED_LOG

Every line written to COMMANDS_FIFO is printed to stdout (a command for
bgpmesh); every line bgpmesh writes to our stdin is appended to RECEIVED_LOG.
Both are flushed at once, so the test sees each line as soon as it exists.
"""

import os
import sys
import threading


def forward_commands(path: str) -> None:
    # Opened read-write, so we are a writer too: the FIFO never reaches EOF
    # between the test's writes.  Read-only, it did after each one, and a
    # write the test made while we were closing to open again found no
    # reader: BrokenPipeError in the test (its sends come in quick runs).
    with open(os.open(path, os.O_RDWR)) as fifo:
        for line in fifo:
            sys.stdout.write(line if line.endswith("\n") else line + "\n")
            sys.stdout.flush()


def main() -> None:
    fifo, log = sys.argv[1], sys.argv[2]
    threading.Thread(target=forward_commands, args=(fifo,), daemon=True).start()
    with open(log, "a", buffering=1) as out:
        for line in sys.stdin:
            out.write(line)
            out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
