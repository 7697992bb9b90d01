"""The generated connection manager: one slow or dead client cannot stall a broadcast to the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from types import ModuleType

import pytest
from scaffold_support import PLANNED_FEATURES_SCHEMA, generated_modules, run_scaffold


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
    await asyncio.sleep(0.05)
    assert slow.sent[1:] == ['{"n":"newer"}']
    slow.leave.set()
    await serving
