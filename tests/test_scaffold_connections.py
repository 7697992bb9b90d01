"""The generated connection manager under hostile and slow clients, on a real uvicorn with real sockets."""

from __future__ import annotations

import asyncio
import base64
import errno
import json
import logging
import os
import random
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvloop
import websockets
from fastapi import FastAPI
from scaffold_support import generated_modules, run_scaffold, serving

# Each test runs on both stacks uvicorn picks by itself: asyncio's loop with the pure-Python h11 parser, and
# uvloop with httptools, which `uvicorn[standard]` installs.
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_factories=["asyncio", "uvloop"])]

MODULES = ("services.realtime_connections", "services.big_snapshots_events", "routes.big_snapshots_websocket")


async def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait for `condition` to hold; only a bound that proves liveness, never a timing assertion."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


class Stack:
    """The action pattern's generated stack served by uvicorn: endpoint, events and manager."""

    def __init__(self, modules: dict[str, ModuleType], port: int, manager: Any, events: Any, rows: list[Any]) -> None:
        self.connections = modules["services.realtime_connections"]
        self.url = f"ws://127.0.0.1:{port}/ws/big-snapshots"
        self.port = port
        self.manager = manager
        self.events = events
        self.rows = rows


@asynccontextmanager
async def stack(
    out: Path, manager_options: dict[str, Any] | None = None, **uvicorn_options: Any
) -> AsyncIterator[Stack]:
    assert run_scaffold("big_snapshots", "--pattern", "action", "--out", out).exit_code == 0
    rows: list[dict[str, Any]] = [{"id": 0, "blob": ""}]

    async def fetch() -> list[dict[str, Any]]:
        return list(rows)

    with generated_modules(out / "app/server", *MODULES) as modules:
        manager = modules["services.realtime_connections"].ConnectionManager(
            "big_snapshots", send_timeout=1.0, **(manager_options or {})
        )
        events = modules["services.big_snapshots_events"].BigSnapshotsEvents(fetch, manager)
        app = FastAPI()
        app.include_router(modules["routes.big_snapshots_websocket"].big_snapshots_websocket_router(events))
        http = "httptools" if isinstance(asyncio.get_running_loop(), uvloop.Loop) else "h11"
        async with serving(app, http=http, ws_max_size=65536, **uvicorn_options) as port:
            yield Stack(modules, port, manager, events, rows)


async def _close_code(client: websockets.ClientConnection) -> int | None:
    """Read until the server closes; the code it closed with."""
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(client.recv(), timeout=10)
    return client.close_code


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00\x01binary", 1003),
        ("not json {", 1003),
        ('{"pad": "' + "x" * 5000 + '"}', 1009),  # over the endpoint's 4 KiB
        ("x" * 100_000, 1009),  # over uvicorn's --ws-max-size: refused before it is buffered
    ],
    ids=["binary", "garbage", "over-endpoint-limit", "over-ws-max-size"],
)
async def test_a_hostile_frame_closes_its_client_only_and_logs_one_line(
    frame: bytes | str, code: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with stack(tmp_path) as served:
        bystander = await websockets.connect(served.url)
        hostile = await websockets.connect(served.url, max_size=None)
        try:
            for client in (bystander, hostile):
                assert json.loads(await asyncio.wait_for(client.recv(), timeout=10))["op"] == "snapshot"
            await hostile.send(frame)
            assert await _close_code(hostile) == code
            await _until(lambda: len(served.manager.active_connections) == 1)

            served.rows.append({"id": 1, "blob": "after"})
            assert await served.events.broadcast_big_snapshots() == 1
            update = json.loads(await asyncio.wait_for(bystander.recv(), timeout=10))
            assert update["rows"][-1] == {"id": 1, "blob": "after"}
        finally:
            await bystander.close()
    assert not [record for record in caplog.records if record.exc_info], "no traceback is logged"
    closing = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "Closing" in r.getMessage()]
    if code == 1009 and len(frame) > 65536:
        assert closing == []  # uvicorn refused it; the app never saw it
    else:
        assert len(closing) == 1 and f"(close code {code})" in closing[0], closing


async def test_a_valid_small_frame_is_ignored(tmp_path: Path) -> None:
    async with stack(tmp_path) as served, websockets.connect(served.url) as client:
        await asyncio.wait_for(client.recv(), timeout=10)
        await client.send('{"type": "hello"}')
        served.rows.append({"id": 1, "blob": ""})
        await served.events.broadcast_big_snapshots()
        assert json.loads(await asyncio.wait_for(client.recv(), timeout=10))["rows"][-1]["id"] == 1


@pytest.mark.parametrize(
    ("implementation", "direct"), [("websockets-sansio", True), ("websockets", False)], ids=["sansio", "legacy"]
)
async def test_every_size_of_message_arrives_whole_whether_frames_are_written_directly_or_through_asgi(
    implementation: str, direct: bool, tmp_path: Path
) -> None:
    """uvicorn's default WebSocket implementation takes the shared frames on its transport; its legacy one
    says nothing of its write buffer, so messages go through the ASGI send. Both deliver every message
    whole and in order, from empty to far over one 64 KiB fragment, to clients with and without deflate
    (compressed once per message for the first; hex digits, so that compressed messages span fragments too)."""
    async with stack(tmp_path, ws=implementation) as served:
        envelope = len(served.connections.to_json(_blob_message(0)))
        # Whole messages of these many bytes: around each frame-length encoding and fragment boundary.
        sizes = [size - envelope for size in (envelope, 125, 126, 65_535, 65_536, 65_537, 131_072, 300_001)]
        clients = [
            await websockets.connect(served.url, max_size=None),
            await websockets.connect(served.url, max_size=None, compression=None),
        ]
        try:
            for client in clients:
                await asyncio.wait_for(client.recv(), timeout=10)
            await _until(lambda: len(served.manager.active_connections) == 2)
            held = list(served.manager.active_connections.values())
            assert [client.transport is not None for client in held] == [direct, direct]
            # uvicorn's default window for its permessage-deflate; the second client asked for none.
            assert [client.deflate_bits for client in held] == ([12, None] if direct else [None, None])
            for size in sizes:
                served.manager.broadcast(_blob_message(size))
            for client in clients:
                received = [json.loads(await asyncio.wait_for(client.recv(), timeout=10)) for _ in sizes]
                assert [message["rows"][0]["blob"] for message in received] == [_blob(size) for size in sizes]
        finally:
            for client in clients:
                await client.close()


async def test_gone_connections_leave_the_broadcast_set_without_a_broadcast(tmp_path: Path) -> None:
    async with stack(tmp_path) as served:
        clients = [await websockets.connect(served.url) for _ in range(50)]
        for client in clients:
            await asyncio.wait_for(client.recv(), timeout=10)
        await _until(lambda: len(served.manager.active_connections) == 50)
        for client in clients[:25]:
            await client.close()
        for client in clients[25:]:
            client.transport.abort()  # gone without a close frame: a reset
        await _until(lambda: len(served.manager.active_connections) == 0)


def _blob(size: int) -> str:
    return random.Random(size).randbytes(size // 2 + 1).hex()[:size]


def _blob_message(size: int) -> dict[str, Any]:
    return {"type": "big_snapshots_update", "op": "upsert", "rows": [{"blob": _blob(size)}]}


def _stalled_socket(port: int) -> socket.socket:
    """A raw WebSocket client that completes the handshake and then never reads again."""
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        f"GET /ws/big-snapshots HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return raw


class Reset:
    """Whether the server reset a raw connection (aborted it), seen without reading its backlog."""

    def __init__(self, raw: socket.socket) -> None:
        self.raw = raw
        self.seen = False

    def __call__(self) -> bool:
        self.seen = self.seen or self.raw.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET
        return self.seen


async def test_clients_that_stop_reading_are_closed_and_aborted_while_the_others_keep_up(tmp_path: Path) -> None:
    """uvicorn's send waits without limit on a peer whose buffers are full, and its keepalive close
    waits for the same buffers: only the manager's send timeout and abort free such a client."""
    async with stack(tmp_path) as served:  # keepalive at uvicorn's 20 s default: it does not help here
        reader = await websockets.connect(served.url, max_size=None)
        await asyncio.wait_for(reader.recv(), timeout=10)
        stalled = [await asyncio.to_thread(_stalled_socket, served.port) for _ in range(20)]
        await _until(lambda: len(served.manager.active_connections) == 21)
        try:
            for version in range(1, 9):  # 1 MB snapshots: far more than the stalled clients' buffers take
                served.rows[:] = [{"id": version, "blob": "x" * 1_000_000}]
                await served.events.broadcast_big_snapshots()
                _assert_bounded(served)
                message = json.loads(await asyncio.wait_for(reader.recv(), timeout=10))
                assert message["rows"][0]["id"] == version  # reassembled from its 64 KiB fragments
                _assert_bounded(served)
            await _until(lambda: len(served.manager.active_connections) == 1)
            resets = [Reset(raw) for raw in stalled]
            await _until(lambda: all(reset() for reset in resets))
        finally:
            await reader.close()
            for raw in stalled:
                raw.close()


def _assert_bounded(served: Stack) -> None:
    """What a client that stops reading pins: at most one frame past its transport's high-water mark, and
    references to messages every client shares, never a copy of its own."""
    clients = list(served.manager.active_connections.values())
    for client in clients:
        _, high = client.transport.get_write_buffer_limits()
        assert client.transport.get_write_buffer_size() <= high + served.connections.FRAME_BYTES + 16
    messages = {id(message) for client in clients for message in client.pending}
    assert len(messages) <= 2  # the snapshot just broadcast, and one a slow client had started


@pytest.mark.parametrize("implementation", ["websockets-sansio", "websockets"], ids=["sansio", "legacy"])
async def test_a_client_with_a_full_queue_is_closed_once(
    implementation: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Written directly (sansio) or through the ASGI send (legacy), whose send loop then finds the queue gone."""
    async with stack(tmp_path, ws=implementation) as served:
        raw = await asyncio.to_thread(_stalled_socket, served.port)
        await _until(lambda: len(served.manager.active_connections) == 1)
        served.manager.send_timeout = 60.0  # only the queue bound can act within this test
        try:
            served.rows[:] = [{"id": 0, "blob": "x" * 1_000_000}]
            await served.events.broadcast_big_snapshots()  # fills the buffers; the send now waits
            await asyncio.sleep(0.5)
            for number in range(served.manager.max_pending + 1):
                served.manager.broadcast({"type": "big_snapshots_update", "op": "upsert", "rows": [{"id": number}]})
            assert len(served.manager.active_connections) == 0  # left the broadcast set at once
            await _until(Reset(raw))
        finally:
            raw.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "not reading" in warnings[0], warnings


async def test_a_client_refused_while_the_data_is_unavailable_gets_1013(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with stack(tmp_path) as served:
        connections = served.connections

        async def unavailable() -> list[str]:
            raise connections.DataUnavailableError("ConnectionRefusedError: the database is down")

        served.events.initial_messages = unavailable  # what the db pattern's events raise when it is down
        async with websockets.connect(served.url) as client:
            assert await _close_code(client) == 1013
    refusals = [r for r in caplog.records if "Refusing a client" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING and not refusals[0].exc_info


def _reset_after_handshake(port: int) -> None:
    """A raw client that reads the server's handshake answer, then resets before reading anything else."""
    raw = _stalled_socket(port)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


async def test_clients_reset_before_their_snapshot_leave_quietly_while_the_others_get_broadcasts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What a connect storm does: peers that give up between the handshake and their first message. Each
    leaves without a traceback (uvicorn's own log included), and a client already connected keeps getting
    every broadcast while they are pending."""
    caplog.set_level(logging.INFO)
    async with stack(tmp_path, log_config=None) as served:  # uvicorn's errors reach caplog too
        bystander = await websockets.connect(served.url)
        await asyncio.wait_for(bystander.recv(), timeout=10)
        release = asyncio.Event()
        read = served.events.initial_messages

        async def after_the_resets() -> list[str]:
            await release.wait()
            return await read()

        served.events.initial_messages = after_the_resets
        for _ in range(20):
            await asyncio.to_thread(_reset_after_handshake, served.port)
        served.rows.append({"id": 1, "blob": "while 20 connects are pending"})
        assert await served.events.broadcast_big_snapshots() == 1
        update = json.loads(await asyncio.wait_for(bystander.recv(), timeout=10))
        assert update["rows"][-1]["blob"] == "while 20 connects are pending"
        await asyncio.sleep(0.1)  # the loop takes the resets in (loopback delivers them at once)
        release.set()
        served.rows.append({"id": 2, "blob": "after"})
        await _until(lambda: len(served.manager.active_connections) == 1)
        assert await served.events.broadcast_big_snapshots() == 1
        assert json.loads(await asyncio.wait_for(bystander.recv(), timeout=10))["rows"][-1]["blob"] == "after"
        await bystander.close()
    assert not [record.getMessage() for record in caplog.records if record.exc_info]


async def test_a_connect_storm_takes_turns_and_connected_clients_get_broadcasts_meanwhile(tmp_path: Path) -> None:
    """With 20 connects pending, at most `max_handshakes` are answered at a time and the others wait their
    turn unanswered; a client already connected gets a broadcast meanwhile, and every pending connect is then
    answered with the rows that broadcast sent (counted, not timed)."""
    async with stack(tmp_path, {"max_handshakes": 4}) as served:
        bystander = await websockets.connect(served.url)
        await asyncio.wait_for(bystander.recv(), timeout=10)
        release, answering = asyncio.Event(), []
        read = served.events.initial_messages

        async def held() -> list[str]:
            answering.append(len(answering))
            await release.wait()
            return await read()

        served.events.initial_messages = held
        storm = [asyncio.ensure_future(websockets.connect(served.url)) for _ in range(20)]
        await _until(lambda: len(answering) == 4)
        await asyncio.sleep(0.2)  # room for a fifth to be answered, were the turns not bounded
        assert len(answering) == 4 and not any(connect.done() for connect in storm[4:])

        served.rows.append({"id": 1, "blob": "while 20 connects are pending"})
        assert await served.events.broadcast_big_snapshots() == 1  # only the bystander is registered
        assert json.loads(await asyncio.wait_for(bystander.recv(), timeout=10))["rows"][-1]["id"] == 1

        release.set()
        clients = await asyncio.wait_for(asyncio.gather(*storm), timeout=30)
        try:
            assert len(answering) == 20
            for client in clients:
                assert json.loads(await asyncio.wait_for(client.recv(), timeout=10))["rows"][-1]["id"] == 1
        finally:
            await asyncio.gather(bystander.close(), *(client.close() for client in clients))
