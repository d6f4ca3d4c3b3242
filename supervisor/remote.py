"""The bus over TCP, for clients on other hosts: CurveZMQ or nothing.

The ``ipc://`` endpoints in the run folder (mode 0700) are the default and
need no keys: only the owner can open them.  A ``tcp://HOST:PORT`` bus is
offered only with CurveZMQ: the supervisor has a key pair, clients have
theirs, and only client public keys found in the configured folder are let in
(ZAP, ``zmq.auth``).  Commands are taken on PORT and events given on PORT+1.

The TCP sockets are relays in front of the ipc ones: what a remote client
publishes is re-published into the local command bus, and the local event bus
is re-published to remote subscribers.  The supervisor's own command handling
(shadow Adj-RIB-Out, replay) is thus the same whoever sent the command.

``bgpmesh keys NAME`` makes a key pair: ``NAME.key`` (public, to hand out)
and ``NAME.key_secret`` (keep it; mode 0600).
"""

from __future__ import annotations

import os

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator


class BusSecurityError(Exception):
    pass


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """tcp://HOST:PORT -> (commands endpoint, events endpoint at PORT+1)."""
    if not endpoint.startswith("tcp://"):
        raise BusSecurityError(f"{endpoint!r}: a remote bus endpoint is tcp://HOST:PORT")
    host, _, port = endpoint[len("tcp://"):].rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65535:
        raise BusSecurityError(f"{endpoint!r}: expected tcp://HOST:PORT with a port below 65535")
    return f"tcp://{host}:{port}", f"tcp://{host}:{int(port) + 1}"


def make_keys(directory: str, name: str) -> tuple[str, str]:
    os.makedirs(directory, exist_ok=True)
    public, secret = zmq.auth.create_certificates(directory, name)
    os.chmod(secret, 0o600)
    return public, secret


def load_secret(path: str) -> tuple[bytes, bytes]:
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise BusSecurityError(f"cannot read key pair {path}: {exc}") from None
    if secret is None:
        raise BusSecurityError(f"{path} holds no secret key (use the .key_secret file)")
    return public, secret


def load_public(path: str) -> bytes:
    try:
        public, _ = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise BusSecurityError(f"cannot read public key {path}: {exc}") from None
    return public


class RemoteBus:
    """The TCP relays of one supervisor (in its poll loop)."""

    def __init__(self, ctx: zmq.Context, endpoint: str, secret_key: str | None,
                 client_keys: str | None, local: dict[str, str]) -> None:
        if not secret_key or not client_keys:
            raise BusSecurityError(
                "a tcp:// bus needs CurveZMQ keys: --bus-secret-key (the server's "
                ".key_secret) and --bus-client-keys (a folder of client .key files); "
                "make them with 'bgpmesh keys NAME'")
        if not os.path.isdir(client_keys):
            raise BusSecurityError(f"--bus-client-keys {client_keys}: not a folder")
        public, secret = load_secret(secret_key)
        commands, events = split_endpoint(endpoint)
        self.auth = ThreadAuthenticator(ctx)
        self.auth.start()
        self.auth.configure_curve(domain="*", location=client_keys)
        self.tcp_commands = ctx.socket(zmq.XSUB)
        self.tcp_events = ctx.socket(zmq.XPUB)
        for sock in (self.tcp_commands, self.tcp_events):
            sock.curve_server = True
            sock.curve_publickey = public
            sock.curve_secretkey = secret
            sock.setsockopt(zmq.LINGER, 0)
        self.tcp_commands.bind(commands)
        self.tcp_events.bind(events)
        self.tcp_commands.send(b"\x01")  # hear every remote publisher
        self.relay_out = ctx.socket(zmq.PUB)
        self.relay_out.connect(local["command_in"])
        self.relay_in = ctx.socket(zmq.SUB)
        self.relay_in.setsockopt(zmq.SUBSCRIBE, b"")
        self.relay_in.connect(local["event_out"])
        self.endpoints = (commands, events)

    def sockets(self):
        return (self.tcp_commands, self.tcp_events, self.relay_in)

    def pump(self, ready) -> None:
        if self.tcp_commands in ready:
            self._drain(self.tcp_commands, self.relay_out)
        if self.relay_in in ready:
            self._drain(self.relay_in, self.tcp_events)
        if self.tcp_events in ready:
            try:
                while True:
                    self.tcp_events.recv(zmq.NOBLOCK)  # subscriptions: all is relayed
            except zmq.Again:
                pass

    @staticmethod
    def _drain(source, sink, limit: int = 1000) -> None:
        for _ in range(limit):
            try:
                sink.send_multipart(source.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                return

    def close(self) -> None:
        for sock in (self.tcp_commands, self.tcp_events, self.relay_out, self.relay_in):
            sock.close(0)
        self.auth.stop()
