"""The generated db stack on a real PostgreSQL (pgserver), a real uvicorn and real WebSocket clients."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pgserver
import pytest
import websockets
from fastapi import FastAPI
from scaffold_support import (
    BILLING_SCHEMA,
    BULK_SCHEMA,
    PLANNED_FEATURES_SCHEMA,
    generated_modules,
    pytest_outcomes,
    run_scaffold,
    serving,
)

pytestmark = pytest.mark.slow

MIGRATIONS = Path("app/server/migrations")
PLANNED_FEATURES_MODULES = (
    "services.realtime_connections",
    "services.pg_listener",
    "services.planned_features_events",
    "services.planned_features_listener",
    "routes.planned_features_websocket",
)


@pytest.fixture(scope="module")
def server_uri() -> Iterator[str]:
    # Not under pytest's tmp folders: the server runs as its own user, which must reach the data folder.
    data = tempfile.mkdtemp(prefix="polldetox-pg-")
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project holding the scaffolds of three tables, as a user would run them one after another."""
    out = tmp_path_factory.mktemp("project")
    for arguments in (
        ("planned_features", "--schema", PLANNED_FEATURES_SCHEMA),
        ('"Billing"."Order"', "--schema", BILLING_SCHEMA),
        ("bulk_items", "--schema", BULK_SCHEMA, "--statement-level"),
    ):
        result = run_scaffold(*arguments, "--out", out)
        assert result.exit_code == 0, result.output
    return out


_databases = iter(range(1, 1000))


async def _fresh_database(server_uri: str, *schema_files: Path) -> str:
    """A new database on the server with the given SQL applied; returns its URI."""
    name = f"scaffold_{next(_databases)}"
    admin = await asyncpg.connect(server_uri)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    uri = server_uri.replace("/postgres?", f"/{name}?", 1)
    connection = await asyncpg.connect(uri)
    try:
        for file in schema_files:
            await connection.execute(file.read_text(encoding="utf-8"))
    finally:
        await connection.close()
    return uri


def _schema_files(*sources: Path) -> list[Path]:
    return [file for source in sources for file in (sorted(source.glob("*.sql")) if source.is_dir() else [source])]


def _build_app(modules: dict[str, ModuleType], dsn: str, state: dict[str, Any]) -> FastAPI:
    """What the printed manual steps ask of the user's server.py."""
    connections = modules["services.realtime_connections"]
    events_module = modules["services.planned_features_events"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        manager = connections.ConnectionManager("planned_features")
        events = events_module.PlannedFeaturesEvents(pool, manager)
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            dsn, events, backoff_initial=1.0, probe_interval=5.0
        )
        app.include_router(modules["routes.planned_features_websocket"].planned_features_websocket_router(events))
        await listener.start()
        await listener.wait_connected(timeout=10)
        state.update(listener=listener, manager=manager)
        yield
        await listener.stop()
        await manager.close()
        await pool.close()

    return FastAPI(lifespan=lifespan)


async def _next_update(client: websockets.ClientConnection, accept: Any) -> dict[str, Any]:
    """The first update message for which accept(rows) holds (earlier snapshots may still arrive)."""
    while True:
        message = json.loads(await asyncio.wait_for(client.recv(), timeout=10))
        assert message["type"] == "planned_features_update"
        if accept(message["data"]):
            return message


def _titles(rows: list[dict[str, Any]]) -> set[str]:
    return {row["title"] for row in rows}


async def test_every_client_gets_each_change_and_nothing_is_lost_across_a_reconnect(
    server_uri: str, tree: Path
) -> None:
    dsn = await _fresh_database(
        server_uri, *_schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    writer = await asyncpg.connect(dsn)
    await writer.execute("INSERT INTO planned_features (title) VALUES ('before anyone connected')")
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        async with serving(_build_app(modules, dsn, state)) as port:
            url = f"ws://127.0.0.1:{port}/ws/planned-features"
            clients = [await websockets.connect(url) for _ in range(3)]
            try:
                for client in clients:
                    initial = await _next_update(client, lambda rows: True)
                    assert _titles(initial["data"]) == {"before anyone connected"}
                    assert initial["data"][0]["details"] is None and initial["data"][0]["tags"] is None

                row_id = await writer.fetchval("INSERT INTO planned_features (title) VALUES ('inserted') RETURNING id")
                for client in clients:
                    await _next_update(client, lambda rows: "inserted" in _titles(rows))

                await writer.execute("UPDATE planned_features SET title = 'updated' WHERE id = $1", row_id)
                for client in clients:
                    await _next_update(
                        client, lambda rows: "updated" in _titles(rows) and "inserted" not in _titles(rows)
                    )

                await writer.execute("DELETE FROM planned_features WHERE id = $1", row_id)
                for client in clients:
                    await _next_update(client, lambda rows: _titles(rows) == {"before anyone connected"})

                listener = state["listener"]
                first_pid = listener.backend_pid
                assert await writer.fetchval("SELECT pg_terminate_backend($1)", first_pid)
                # Committed while nobody listens: its notification is lost, only the resync can carry it.
                await writer.execute("INSERT INTO planned_features (title) VALUES ('while the listener was down')")
                assert listener.sessions == 1
                for client in clients:
                    await _next_update(client, lambda rows: "while the listener was down" in _titles(rows))
                assert listener.sessions == 2 and listener.backend_pid not in (None, first_pid)

                await writer.execute("INSERT INTO planned_features (title) VALUES ('after the reconnect')")
                for client in clients:
                    await _next_update(client, lambda rows: "after the reconnect" in _titles(rows))
            finally:
                for client in clients:
                    await client.close()
    await writer.close()


class _Recording:
    """One connected client that records broadcasts (the callback's only collaborator besides the pool)."""

    def __init__(self, clients: int) -> None:
        self.active_connections = {object(): object() for _ in range(clients)}
        self.messages: list[dict[str, Any]] = []
        self.versions: list[int | None] = []
        self._next_version = itertools.count()

    def next_version(self) -> int:
        return next(self._next_version)

    async def broadcast(self, message: dict[str, Any], version: int | None = None) -> int:
        self.messages.append(message)
        self.versions.append(version)
        return len(self.active_connections)


class _CountingPool:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.fetches = 0

    async def fetchval(self, query: str) -> Any:
        self.fetches += 1
        return await self.pool.fetchval(query)


async def test_callback_skips_without_clients_and_coalesces_a_burst(server_uri: str, tree: Path) -> None:
    dsn = await _fresh_database(server_uri, *_schema_files(PLANNED_FEATURES_SCHEMA))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        with generated_modules(tree / "app/server", "services.planned_features_events") as modules:
            events_class = modules["services.planned_features_events"].PlannedFeaturesEvents
            counting, nobody = _CountingPool(pool), _Recording(clients=0)
            await events_class(counting, nobody).on_planned_features_change({"operation": "INSERT"})
            assert counting.fetches == 0 and nobody.messages == []

            await pool.execute("INSERT INTO planned_features (title) VALUES ('one'), ('two')")
            counting, watching = _CountingPool(pool), _Recording(clients=1)
            events = events_class(counting, watching)
            burst = [{"operation": "INSERT", "key": {"id": n}} for n in range(50)]
            await asyncio.gather(*(events.on_planned_features_change(event) for event in burst))
            assert 1 <= counting.fetches <= 2  # the first, and at most one for everything that came during it
            assert len(watching.messages) == 1  # the second fetch saw the same rows: not sent again
            assert _titles(watching.messages[0]["data"]) == {"one", "two"}
    finally:
        await pool.close()


class _HeldPool:
    """A pool whose first fetch reads its rows, then returns only when `release` is set."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.fetched, self.release = asyncio.Event(), asyncio.Event()

    async def fetchval(self, query: str) -> Any:
        rows = await self.pool.fetchval(query)
        if not self.fetched.is_set():
            self.fetched.set()
            await self.release.wait()
        return rows


async def test_a_stale_fetch_finishing_after_a_resync_does_not_hide_the_next_change(
    server_uri: str, tree: Path
) -> None:
    dsn = await _fresh_database(server_uri, *_schema_files(PLANNED_FEATURES_SCHEMA))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        with generated_modules(tree / "app/server", "services.planned_features_events") as modules:
            await pool.execute("INSERT INTO planned_features (title) VALUES ('one')")
            held, clients = _HeldPool(pool), _Recording(clients=1)
            events = modules["services.planned_features_events"].PlannedFeaturesEvents(held, clients)
            slow = asyncio.create_task(events.on_planned_features_change({"operation": "INSERT"}))
            await held.fetched.wait()  # it has read {one} and is still on its way
            await pool.execute("INSERT INTO planned_features (title) VALUES ('two')")
            await events.resync()  # a reconnect sends {one, two}
            held.release.set()
            await slow
            await pool.execute("DELETE FROM planned_features WHERE title = 'two'")
            await events.on_planned_features_change({"operation": "DELETE"})
    finally:
        await pool.close()
    newest = max(zip(clients.versions, clients.messages, strict=True), key=lambda sent: sent[0] or 0)[1]
    assert _titles(newest["data"]) == {"one"}  # what the table holds: clients are not left on {one, two}


async def test_down_migration_removes_trigger_and_function(server_uri: str, tree: Path) -> None:
    dsn = await _fresh_database(server_uri, *_schema_files(PLANNED_FEATURES_SCHEMA))
    connection = await asyncpg.connect(dsn)
    count = (
        "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'planned\\_features\\_notify%'),"
        " (SELECT count(*) FROM pg_proc WHERE proname = 'notify_planned_features_change')"
    )
    try:
        await connection.execute((tree / MIGRATIONS / "planned_features_notify.up.sql").read_text())
        await connection.execute((tree / MIGRATIONS / "planned_features_notify.up.sql").read_text())  # idempotent
        assert tuple(await connection.fetchrow(count)) == (2, 1)  # row trigger and TRUNCATE trigger
        await connection.execute((tree / MIGRATIONS / "planned_features_notify.down.sql").read_text())
        assert tuple(await connection.fetchrow(count)) == (0, 0)
    finally:
        await connection.close()


async def test_quoted_schema_qualified_reserved_mixed_case_table(server_uri: str, tree: Path) -> None:
    dsn = await _fresh_database(server_uri, BILLING_SCHEMA, tree / MIGRATIONS / "order_notify.up.sql")
    connection = await asyncpg.connect(dsn)
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    try:
        await connection.add_listener("order_changed", lambda *args: received.put_nowait(json.loads(args[3])))
        await connection.execute(
            'INSERT INTO "Billing"."Order" ("TenantId", "select", "Amount") VALUES (7, $1, 12.50)', 'it\'s "quoted"'
        )
        await connection.execute('DELETE FROM "Billing"."Order" WHERE "TenantId" = 7')
        await connection.execute('TRUNCATE "Billing"."Order"')
        payloads = [await asyncio.wait_for(received.get(), timeout=5) for _ in range(3)]
        assert [p["operation"] for p in payloads] == ["INSERT", "DELETE", "TRUNCATE"]
        assert all(p["key"] == {"TenantId": 7, "select": 'it\'s "quoted"'} for p in payloads[:2])
        assert payloads[2]["key"] is None
        trigger = await connection.fetchval(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'Order_notify'"
        )
        assert trigger == '"Billing"."Order"'
        await connection.execute((tree / MIGRATIONS / "order_notify.down.sql").read_text())
        assert await connection.fetchval("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'Order_notify%'") == 0
    finally:
        await connection.close()


async def test_statement_level_bulk_update_sends_every_key_in_chunks_under_8000_bytes(
    server_uri: str, tree: Path
) -> None:
    dsn = await _fresh_database(server_uri, BULK_SCHEMA, tree / MIGRATIONS / "bulk_items_notify.up.sql")
    connection = await asyncpg.connect(dsn)
    codes = {f"{index:05d}-" + "é" * 150 for index in range(2000)}  # 2-byte characters: bytes, not characters, count
    sizes: list[int] = []
    keys: list[str] = []
    operations: set[str] = set()

    def collect(*args: Any) -> None:
        sizes.append(len(args[3].encode()))
        payload = json.loads(args[3])
        operations.add(payload["operation"])
        keys.extend(item["code"] for item in payload["keys"])

    try:
        await connection.executemany("INSERT INTO bulk_items (code) VALUES ($1)", [(code,) for code in codes])
        await connection.add_listener("bulk_items_changed", collect)
        await connection.execute("UPDATE bulk_items SET counter = counter + 1")
        for _ in range(200):
            if set(keys) >= codes:
                break
            await asyncio.sleep(0.05)
        await connection.remove_listener("bulk_items_changed", collect)
        truncated: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await connection.add_listener("bulk_items_changed", lambda *args: truncated.put_nowait(json.loads(args[3])))
        await connection.execute("TRUNCATE bulk_items")
        payload = await asyncio.wait_for(truncated.get(), timeout=5)
        assert (payload["operation"], payload["keys"]) == ("TRUNCATE", None)
    finally:
        await connection.close()
    assert operations == {"UPDATE"}
    assert set(keys) == codes
    assert len(sizes) > 50  # 2000 keys of ~310 bytes: many chunks, not one notification per row
    assert len(sizes) < len(codes)
    assert max(sizes) < 8000


async def test_listener_refuses_a_transaction_pooler(server_uri: str, tree: Path) -> None:
    with generated_modules(tree / "app/server", "services.pg_listener") as modules:
        listener_module = modules["services.pg_listener"]
        with pytest.raises(listener_module.ListenUnsupportedError, match="pgbouncer=true"):
            listener_module.PgListener(server_uri + "&pgbouncer=true")
        with pytest.raises(listener_module.ListenUnsupportedError, match="6432"):
            listener_module.PgListener("postgresql://app@db.internal:6432/app")
        listener = listener_module.PgListener(server_uri)  # a direct connection passes the round-trip check
        listener.register_callback("nothing_changed", _ignore)
        await listener.start()
        try:
            await listener.wait_connected(timeout=10)
            assert listener.backend_pid is not None
        finally:
            await listener.stop()


async def test_listener_logs_a_failed_handler_and_cancels_running_ones_on_stop(
    server_uri: str, tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def failing(event: dict[str, Any]) -> None:
        raise ValueError(f"cannot handle {event['operation']}")

    async def slow(event: dict[str, Any]) -> None:
        del event
        started.set()
        try:
            await asyncio.Event().wait()  # a fetch or broadcast still in progress at shutdown
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with generated_modules(tree / "app/server", "services.pg_listener") as modules:
        listener = modules["services.pg_listener"].PgListener(server_uri)
        listener.register_callback("orders_changed", failing)
        listener.register_callback("orders_changed", slow)
        await listener.start()
        try:
            await listener.wait_connected(timeout=10)
            sender = await asyncpg.connect(server_uri)
            try:
                await sender.execute("""SELECT pg_notify('orders_changed', '{"operation": "INSERT"}')""")
            finally:
                await sender.close()
            await asyncio.wait_for(started.wait(), timeout=5)
        finally:
            await listener.stop()
    assert cancelled.is_set()
    failures = [r.getMessage() for r in caplog.records if "Notification handler failed" in r.getMessage()]
    assert failures == ["[EVENT_BROADCAST] Notification handler failed: ValueError: cannot handle INSERT"]


async def test_listener_retries_when_the_resync_on_connect_fails(
    server_uri: str, tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    async def resync() -> None:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise RuntimeError("the pool is not ready yet")

    with generated_modules(tree / "app/server", "services.pg_listener") as modules:
        listener = modules["services.pg_listener"].PgListener(server_uri, backoff_initial=0.05)
        listener.register_callback("orders_changed", _ignore)
        listener.on_connect(resync)
        await listener.start()
        try:
            await listener.wait_connected(timeout=10)
        finally:
            await listener.stop()
    assert (len(attempts), listener.sessions) == (2, 1)
    assert any("Listener session failed: RuntimeError" in record.getMessage() for record in caplog.records)


async def _ignore(event: dict[str, Any]) -> None:
    del event


def test_generated_python_tests_pass_against_postgres(server_uri: str, tree: Path) -> None:
    dsn = asyncio.run(_fresh_database(server_uri, *_schema_files(PLANNED_FEATURES_SCHEMA), BILLING_SCHEMA, BULK_SCHEMA))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "app/server/tests"],
        cwd=tree,
        env={**os.environ, "TEST_DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert pytest_outcomes(result.stdout) == {"passed": 12}, result.stdout
