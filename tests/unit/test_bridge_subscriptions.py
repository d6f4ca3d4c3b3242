"""A bridge's event subscriptions are all in place once its handshake returns,
however many neighbors it listens to (real ZeroMQ sockets over ipc://)."""

from __future__ import annotations

import asyncio
import threading
import types

import zmq
import zmq.asyncio

from bgpmesh import bus
from bgpmesh.supervisor.bridge import Bridge, handshake
from bgpmesh.topology import NeighborRef


def answer_pings(endpoints: dict, stop: threading.Event, published: list) -> None:
    """What the supervisor does for a ping: an ack on the topic it asks for;
    then one event for the last neighbor, once the handshake returned."""
    ctx = zmq.Context()
    cmd_in = ctx.socket(zmq.XSUB)
    cmd_in.bind(endpoints["command_in"])
    cmd_in.send(b"\x01")
    ev_out = ctx.socket(zmq.XPUB)
    ev_out.bind(endpoints["event_out"])
    endpoints["ready"].set()
    while not stop.is_set():
        if cmd_in.poll(20):
            _, msg = bus.unpack(cmd_in.recv_multipart())
            publisher = msg["id"][0]
            topic = bus.sync_topic(publisher) if msg.get("sync") else bus.ack_topic(publisher)
            ev_out.send_multipart(bus.pack(topic, "ack", id=msg["id"], group="", ok=True,
                                           error="", matched=0))
        if endpoints["go"].is_set() and not published:
            frames = bus.pack(bus.event_topic("update", endpoints["last"]), "event",
                              type="update", name=endpoints["last"], body={})
            ev_out.send_multipart(frames)
            published.append(frames)
    cmd_in.close(0)
    ev_out.close(0)
    ctx.term()


def test_six_hundred_neighbors_are_all_subscribed_when_the_handshake_returns(tmp_path):
    count = 600  # 1200 event topics: more than a SUB's default send high-water mark
    refs = [NeighborRef(f"10.0.{i // 250}.{i % 250}", "g0", f"10.0.{i // 250}.{i % 250}",
                        None, 65000, 65001, "192.0.2.1", ("p",)) for i in range(count)]
    api = types.SimpleNamespace(processes=("p",), neighbor_changes=True,
                                receive=("parsed", "update"), send=(), events=())
    neighbors = [types.SimpleNamespace(apis=[api]) for _ in refs]
    process = types.SimpleNamespace(name="p", encoder="json")
    bridge = Bridge(process, refs, neighbors, {}, supervisor_pid=1)
    assert len(bridge.wants) == count and all(len(w) >= 2 for w in bridge.wants.values())
    endpoints = {"command_in": f"ipc://{tmp_path}/in.ipc",
                 "event_out": f"ipc://{tmp_path}/out.ipc", "ready": threading.Event(),
                 "go": threading.Event(), "last": max(bridge.wants)}
    stop, published = threading.Event(), []
    supervisor = threading.Thread(target=answer_pings, args=(endpoints, stop, published))
    supervisor.start()

    async def run() -> dict:
        ctx = zmq.asyncio.Context()
        pub = ctx.socket(zmq.PUB)
        pub.connect(endpoints["command_in"])
        sub = bridge.event_socket(ctx)
        sub.connect(endpoints["event_out"])
        try:
            await handshake(pub, sub, bridge.publisher, timeout=10, sync=True)
            endpoints["go"].set()
            while True:  # late answers to earlier pings may come first
                _, msg = bus.unpack(await asyncio.wait_for(sub.recv_multipart(), 10))
                if msg["kind"] == "event":
                    return msg
        finally:
            pub.close(0)
            sub.close(0)
            ctx.term()

    try:
        endpoints["ready"].wait(5)
        msg = asyncio.run(run())
    finally:
        stop.set()
        supervisor.join()
    assert msg["name"] == endpoints["last"]
