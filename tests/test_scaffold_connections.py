"""The generated connection manager: one slow or dead client cannot stall a broadcast to the others."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import websockets
from fastapi import FastAPI
from scaffold_support import PLANNED_FEATURES_SCHEMA, generated_modules, run_scaffold, serving


@pytest.fixture(scope="module")
def connections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("project")
    assert run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", out).exit_code == 0
    with generated_modules(out / "app/server", "services.realtime_connections") as modules:
        yield modules["services.realtime_connections"]


class Socket:
    """The part of a Starlette WebSocket the manager uses; the peer reads everything at once."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed_with: int | None = None
        self.leave = asyncio.Event()

    async def accept(self) -> None:
        pass

    async def receive_text(self) -> str:
        from fastapi import WebSocketDisconnect

        await self.leave.wait()
        raise WebSocketDisconnect(1000)

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


class StalledSocket(Socket):
    """A peer that stopped reading: the send never completes (its TCP window is full)."""

    async def send_text(self, text: str) -> None:
        await asyncio.Event().wait()


class DeadSocket(Socket):
    async def send_text(self, text: str) -> None:
        raise ConnectionResetError("peer gone")


async def _until(condition: object) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def _initial() -> dict[str, object]:
    return {"type": "planned_features_update", "data": []}


async def test_a_stalled_client_does_not_stall_the_others_and_is_dropped(
    connections: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    manager = connections.ConnectionManager("planned_features", send_timeout=0.2)
    fast, stalled = Socket(), StalledSocket()
    served = [asyncio.create_task(manager.serve(socket, _initial)) for socket in (fast, stalled)]
    await _until(lambda: len(fast.sent) == 1 and len(manager.active_connections) == 2)

    offered = await manager.broadcast({"type": "planned_features_update", "data": [{"id": 1}]})
    assert offered == 2
    await _until(lambda: len(fast.sent) == 2)
    assert '"data":[{"id":1}]' in fast.sent[1]

    await _until(lambda: stalled not in manager.active_connections)
    assert stalled.closed_with == 1011
    assert fast in manager.active_connections
    assert "[WS] Dropping slow client" in caplog.text
    assert "[WS] Client connected" in caplog.text and "remaining) [planned_features] (send failed)" in caplog.text

    fast.leave.set()
    stalled.leave.set()
    await asyncio.gather(*served)
    assert manager.active_connections == {}


async def test_a_dead_client_is_dropped_and_a_newer_snapshot_replaces_an_unsent_one(
    connections: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    manager = connections.ConnectionManager("planned_features")
    dead = DeadSocket()
    serving = asyncio.create_task(manager.serve(dead, _initial))
    await _until(lambda: dead not in manager.active_connections and dead.closed_with == 1011)
    assert "[WS] Dropping dead client" in caplog.text
    dead.leave.set()
    await serving

    slow = Socket()
    serving = asyncio.create_task(manager.serve(slow, _initial))
    await _until(lambda: len(slow.sent) == 1)
    older, newer = manager.next_version(), manager.next_version()
    await manager.broadcast({"n": "newer"}, newer)
    await manager.broadcast({"n": "older"}, older)  # fetched earlier, arrived later: never replaces newer data
    await _until(lambda: len(slow.sent) == 2)
    # A later message, sent after both: once it arrives, anything queued before it has been sent too.
    await manager.broadcast({"n": "sentinel"})
    await _until(lambda: len(slow.sent) >= 3)
    assert slow.sent[1:] == ['{"n":"newer"}', '{"n":"sentinel"}']
    slow.leave.set()
    await serving


@pytest.mark.slow
async def test_a_client_that_stops_reading_does_not_hold_up_the_others_and_is_dropped(tmp_path: Path) -> None:
    """Real sockets under uvicorn: the broadcast never waits on the stalled client; keepalive drops it."""
    assert run_scaffold("big_snapshots", "--pattern", "action", "--out", tmp_path).exit_code == 0
    wanted = ("services.realtime_connections", "services.big_snapshots_events", "routes.big_snapshots_websocket")
    rows: list[dict[str, object]] = [{"id": 0, "blob": ""}]

    async def fetch() -> list[dict[str, object]]:
        return rows

    with generated_modules(tmp_path / "app/server", *wanted) as modules:
        manager = modules["services.realtime_connections"].ConnectionManager("big_snapshots", send_timeout=1.0)
        events = modules["services.big_snapshots_events"].BigSnapshotsEvents(fetch, manager)
        app = FastAPI()
        app.include_router(modules["routes.big_snapshots_websocket"].big_snapshots_websocket_router(events))
        # uvicorn writes without waiting for the peer, so a client that stops reading is found by the
        # WebSocket keepalive: it cannot answer pings. Production defaults are 20 s; here 0.5 s.
        async with serving(app, ws_ping_interval=0.5, ws_ping_timeout=0.5) as port:
            url = f"ws://127.0.0.1:{port}/ws/big-snapshots"
            # A small receive buffer and max_queue=1: once a message waits unread, the client stops reading.
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            raw.setblocking(False)
            await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
            stalled = await websockets.connect(
                url, sock=raw, max_queue=1, max_size=None, ping_interval=None, close_timeout=0.5
            )
            readers = [await websockets.connect(url, max_size=None) for _ in range(2)]
            for reader in readers:
                await asyncio.wait_for(reader.recv(), timeout=10)
            await _until(lambda: len(manager.active_connections) == 3)
            try:
                for version in range(1, 11):  # 2 MB snapshots: more than the stalled client will read
                    rows[:] = [{"id": version, "blob": "x" * 2_000_000}]
                    assert await events.broadcast_big_snapshots() >= 2
                    for reader in readers:
                        message = json.loads(await asyncio.wait_for(reader.recv(), timeout=10))
                        assert message["data"][0]["id"] == version
                await _until(lambda: len(manager.active_connections) == 2)
            finally:
                for client in (stalled, *readers):
                    await client.close()
