"""Decode many BGP messages with ExaBGP 4.2 in one process, its JSON a line each.

Run with the interpreter of a venv holding ExaBGP 4.2.25 (never imported by
the tests, whose own interpreter has 5.0.15): whole messages as hex on stdin,
one a line; for each, one line on stdout, either ExaBGP's JSON or
``error: <why>`` when 4.2 could not decode it or what it wrote is not JSON.
Run it as ``python -I``: without -I its own directory comes first on
sys.path, and tests/daemons/exabgp.py there hides the exabgp package.

Theory of operation: ``exabgp --decode HEX CONF`` in 4.2 is one process per
message (0.7 s), prints its JSON inside a log line, and only for UPDATEs (its
check_open does nothing; check_notification prints the text form).  This
does what its check_update does, for every message type, without the
logging: a neighbor from a configuration text (127.0.0.1 to 127.0.0.1, AS
65533, every family 4.2 knows, as ``bgpmesh decode`` assumes), both OPENs
with the same capabilities so the session negotiates them, then
``Update/Open/Notification.unpack_message`` and the matching method of 4.2's
JSON API encoder (reactor.api.response.JSON), the text its API processes read.

    stdin   ffff..ff 0030 01 ...    <- one message a line
    stdout  {"exabgp": "4.0.1", ...} or  error: ...
"""

import json
import signal
import sys
import traceback

CONFIGURATION = """
neighbor 127.0.0.1 {
    router-id 127.0.0.1;
    local-address 127.0.0.1;
    local-as 65533;
    peer-as 65533;
}
"""


# 4.2 loops for ever on some input (a BGP-LS link with a Multi-Topology ID):
# a message gets TIMEOUT seconds
TIMEOUT = 5


class TooLong(Exception):
    pass


def _too_long(signum, frame):
    raise TooLong


def _session():
    # imported here so that the module can be read (and linted) without 4.2
    from exabgp.bgp.message import Open
    from exabgp.bgp.message.open import ASN, HoldTime, RouterID, Version
    from exabgp.bgp.message.open.capability import Capabilities, Capability, Negotiated
    from exabgp.configuration.configuration import Configuration
    from exabgp.configuration.setup import environment

    environment.setup("")
    configuration = Configuration([CONFIGURATION], text=True)
    if not configuration.reload():
        raise SystemExit(f"error: ExaBGP 4.2 refused its configuration: {configuration.error}")
    neighbor = next(iter(configuration.neighbors.values()))
    capabilities = Capabilities().new(neighbor, False)
    capabilities[Capability.CODE.ADD_PATH] = {}
    capabilities[Capability.CODE.MULTIPROTOCOL] = neighbor.families()
    negotiated = Negotiated(neighbor)
    negotiated.sent(Open(Version(4), ASN(65533), HoldTime(180), RouterID("127.0.0.1"), capabilities))
    negotiated.received(Open(Version(4), ASN(65533), HoldTime(180), RouterID("127.0.0.2"), capabilities))
    return neighbor, negotiated


def main() -> None:
    from exabgp.bgp.message import Notification, Open, Update
    from exabgp.bgp.message.direction import Direction
    from exabgp.reactor.api.response import Response
    from exabgp.version import json as json_version

    neighbor, negotiated = _session()
    encoder = Response.JSON(json_version)
    signal.signal(signal.SIGALRM, _too_long)
    for line in sys.stdin:
        payload = line.strip()
        if not payload:
            continue
        signal.alarm(TIMEOUT)
        try:
            raw = bytes.fromhex(payload)
            kind, body = raw[18], raw[19:]
            if kind == 1:
                answer = encoder.open(neighbor, "in", Open.unpack_message(body, Direction.IN, negotiated),
                                      None, "", "")
            elif kind == 2:
                answer = encoder.update(neighbor, "in", Update.unpack_message(body, Direction.IN, negotiated),
                                        None, "", "")
            elif kind == 3:
                answer = encoder.notification(neighbor, "in",
                                              Notification.unpack_message(body, Direction.IN, negotiated),
                                              None, "", "")
            else:
                answer = f"error: message type {kind} is not decoded here"
            if not answer.startswith("error: "):
                json.loads(answer)  # 4.2 builds its JSON as text, and not always right
        except TooLong:
            answer = f"error: no answer in {TIMEOUT} s"
        except json.JSONDecodeError as error:
            answer = f"error: not JSON ({error}): {answer}"
        except Exception as error:  # noqa: BLE001 - 4.2's failure is the answer
            last = traceback.format_exception_only(type(error), error)[-1].strip()
            answer = "error: " + last.replace("\n", " ")
        signal.alarm(0)
        sys.stdout.write(answer.replace("\n", " ") + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
