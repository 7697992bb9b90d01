"""The generated db stack under `uvicorn --workers 4`: a listener per worker, every client gets every change."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import websockets
from scaffold_support import (
    PLANNED_FEATURES_SCHEMA,
    free_port,
    fresh_database,
    postgres_server,
    run_scaffold,
    schema_files,
)

pytestmark = pytest.mark.slow

WORKERS = 4
# Connect until every worker holds some: the kernel hands each connection to whichever worker wakes first.
MAX_CLIENTS = 500

# The user's server.py, as the printed manual steps describe it. The middleware tells each client
# which worker accepted it and which PostgreSQL backend that worker listens on: only for the test.
SERVER_MODULE = """
import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from routes.planned_features_websocket import planned_features_websocket_router
from services.planned_features_events import PlannedFeaturesEvents
from services.planned_features_listener import create_planned_features_listener
from services.realtime_connections import ConnectionManager

DSN = os.environ["DATABASE_URL"]
listeners = []


@asynccontextmanager
async def lifespan(app):
    pool = await asyncpg.create_pool(DSN, min_size=1, max_size=4)
    manager = ConnectionManager("planned_features")
    events = PlannedFeaturesEvents(pool, manager)
    listener = create_planned_features_listener(DSN, events)
    app.include_router(planned_features_websocket_router(events))
    await listener.start()
    await listener.wait_connected(timeout=20)
    listeners.append(listener)
    yield
    await listener.stop()
    await manager.close()
    await pool.close()


class WorkerHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_worker(message):
            if message["type"] == "websocket.accept":
                worker = [(b"x-worker-pid", str(os.getpid()).encode()),
                          (b"x-listener-pid", str(listeners[0].backend_pid).encode())]
                message = {**message, "headers": [*message.get("headers", []), *worker]}
            await send(message)

        await self.app(scope, receive, send_with_worker)


app = WorkerHeaders(FastAPI(lifespan=lifespan))
"""


class View:
    """One client's rows, merged by primary key as the generated hook does."""

    def __init__(self, client: websockets.ClientConnection) -> None:
        self.client = client
        self.rows: dict[int, dict[str, Any]] = {}
        self.worker = int(client.response.headers["x-worker-pid"])
        self.listener = int(client.response.headers["x-listener-pid"])

    async def until(self, expected: dict[int, str]) -> None:
        while {key: row["title"] for key, row in self.rows.items()} != expected:
            message = json.loads(await asyncio.wait_for(self.client.recv(), timeout=30))
            if message["op"] == "snapshot":
                self.rows = {row["id"]: row for row in message["rows"]}
            elif message["op"] == "upsert":
                self.rows.update({row["id"]: row for row in message["rows"]})
            elif message["op"] == "delete":
                for key in message["keys"]:
                    self.rows.pop(key["id"], None)


async def _table(writer: asyncpg.Connection) -> dict[int, str]:
    return {row["id"]: row["title"] for row in await writer.fetch("SELECT id, title FROM planned_features")}


async def _serve(project: Path, dsn: str, port: int) -> subprocess.Popen[bytes]:
    (project / "app/server/server.py").write_text(SERVER_MODULE)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server:app", "--app-dir", str(project / "app/server"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS), "--ws-max-size", "65536",
         "--log-level", "warning"],
        env={**os.environ, "DATABASE_URL": dsn},
    )  # fmt: skip
    return process


async def _connect(url: str, process: subprocess.Popen[bytes]) -> websockets.ClientConnection:
    for _ in range(600):  # the workers' start-up: at most 60 s
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited with {process.returncode}")
        try:
            return await websockets.connect(url, open_timeout=30)
        except (OSError, websockets.InvalidStatus):
            await asyncio.sleep(0.1)
    raise AssertionError("uvicorn did not accept a WebSocket within 60 s")


async def test_every_client_of_every_worker_gets_every_change(tmp_path: Path) -> None:
    project = tmp_path / "project"
    assert run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", project).exit_code == 0
    with postgres_server() as server:
        dsn = await fresh_database(
            server.get_uri(),
            *schema_files(PLANNED_FEATURES_SCHEMA),
            project / "app/server/migrations/planned_features_notify.up.sql",
        )
        writer = await asyncpg.connect(dsn)
        await writer.execute("INSERT INTO planned_features (title) VALUES ('before')")
        port = free_port()
        process = await _serve(project, dsn, port)
        url = f"ws://127.0.0.1:{port}/ws/planned-features"
        clients: list[View] = []
        try:
            while len({client.worker for client in clients}) < WORKERS and len(clients) < MAX_CLIENTS:
                batch = [await _connect(url, process)]
                batch += await asyncio.gather(*(websockets.connect(url, open_timeout=30) for _ in range(19)))
                clients += [View(client) for client in batch]
                for client in clients[-len(batch) :]:
                    await client.until(await _table(writer))  # the snapshot
            listeners = {client.worker: client.listener for client in clients}
            assert len(listeners) == WORKERS, f"{len(clients)} clients reached only {len(listeners)} workers"
            assert len(set(listeners.values())) == WORKERS  # a listening backend of its own per worker
            backends = {pid for (pid,) in await writer.fetch("SELECT pid FROM pg_stat_activity")}
            assert set(listeners.values()) <= backends

            row_id = await writer.fetchval("INSERT INTO planned_features (title) VALUES ('inserted') RETURNING id")
            await writer.execute("UPDATE planned_features SET title = 'updated' WHERE id = $1", row_id)
            for number in range(5):
                await writer.execute("INSERT INTO planned_features (title) VALUES ($1)", f"burst {number}")
            await writer.execute("DELETE FROM planned_features WHERE title = 'burst 0'")
            final = await _table(writer)
            await asyncio.gather(*(client.until(final) for client in clients))

            # A change after the burst reaches everyone too: no worker stopped listening.
            await writer.execute("UPDATE planned_features SET title = 'last' WHERE id = $1", row_id)
            final = await _table(writer)
            await asyncio.gather(*(client.until(final) for client in clients))
        finally:
            await asyncio.gather(*(client.client.close() for client in clients), return_exceptions=True)
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.to_thread(process.wait, 30)
            finally:
                process.kill()
            await writer.close()
