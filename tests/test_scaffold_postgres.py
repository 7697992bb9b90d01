"""The generated db stack on a real PostgreSQL (pgserver), a real uvicorn and real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest
import websockets
from fastapi import FastAPI
from scaffold_support import (
    BILLING_SCHEMA,
    BULK_SCHEMA,
    NODE_MODULES,
    PLANNED_FEATURES_SCHEMA,
    REPO_ROOT,
    fresh_database,
    generated_modules,
    node_tree,
    postgres_server,
    pytest_outcomes,
    run_scaffold,
    schema_files,
    serving,
    vitest_outcomes,
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
    with postgres_server() as server:
        yield server.get_uri()


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


def _build_app(
    modules: dict[str, ModuleType], dsn: str, state: dict[str, Any], *, payload: str = "auto", **listener: Any
) -> FastAPI:
    """What the printed manual steps ask of the user's server.py."""
    connections = modules["services.realtime_connections"]
    events_module = modules["services.planned_features_events"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=0, max_size=4)
        counting = _CountingPool(pool)
        manager = connections.ConnectionManager("planned_features")
        events = events_module.PlannedFeaturesEvents(counting, manager, payload=payload)
        created = modules["services.planned_features_listener"].create_planned_features_listener(
            dsn, events, **{"backoff_initial": 1.0, "probe_interval": 5.0, **listener}
        )
        app.include_router(modules["routes.planned_features_websocket"].planned_features_websocket_router(events))
        await created.start()
        await created.wait_connected(timeout=10)
        state.update(listener=created, manager=manager, events=events, pool=counting)
        yield
        await created.stop()
        await manager.close()
        await pool.close()

    return FastAPI(lifespan=lifespan)


class View:
    """One client's copy of the rows, merged by primary key from each message as the generated hook does."""

    def __init__(self, client: websockets.ClientConnection) -> None:
        self.client = client
        self.rows: dict[Any, dict[str, Any]] = {}
        self.live = True
        self.messages: list[str] = []

    async def until(self, accept: Any) -> dict[str, Any]:
        """Read messages until accept(rows) holds; returns the message that made it hold."""
        while True:
            text = await asyncio.wait_for(self.client.recv(), timeout=20)
            self.messages.append(text)
            message = json.loads(text)
            assert message["type"] == "planned_features_update"
            self.apply(message)
            if accept(list(self.rows.values())):
                return message

    def apply(self, message: dict[str, Any]) -> None:
        if message["op"] == "snapshot":
            self.rows = {row["id"]: row for row in message["rows"]}
        elif message["op"] == "upsert":
            self.rows.update({row["id"]: row for row in message["rows"]})
        elif message["op"] == "delete":
            for key in message["keys"]:
                self.rows.pop(key["id"], None)
        else:
            assert message["op"] == "status"
            self.live = message["live"]


async def _next_update(client: View, accept: Any) -> dict[str, Any]:
    return await client.until(accept)


def _titles(rows: list[dict[str, Any]]) -> set[str]:
    return {row["title"] for row in rows}


async def test_every_client_gets_each_change_and_nothing_is_lost_across_a_reconnect(
    server_uri: str, tree: Path
) -> None:
    dsn = await fresh_database(
        server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    writer = await asyncpg.connect(dsn)
    await writer.execute("INSERT INTO planned_features (title) VALUES ('before anyone connected')")
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        async with serving(_build_app(modules, dsn, state)) as port:
            url = f"ws://127.0.0.1:{port}/ws/planned-features"
            sockets = [await websockets.connect(url) for _ in range(3)]
            clients = [View(socket) for socket in sockets]
            try:
                for client in clients:
                    initial = await _next_update(client, lambda rows: True)
                    assert initial["op"] == "snapshot"
                    assert _titles(initial["rows"]) == {"before anyone connected"}
                    assert initial["rows"][0]["details"] is None and initial["rows"][0]["tags"] is None

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
                assert state["pool"].fetches == {"all": 2, "by_key": 4}  # first connect, resync; one per change
            finally:
                for socket in sockets:
                    await socket.close()
    await writer.close()


class _Recording:
    """Connected clients that record broadcasts (the callback's only collaborator besides the pool)."""

    def __init__(self, clients: int) -> None:
        self.active_connections = {object(): object() for _ in range(clients)}
        self.messages: list[dict[str, Any]] = []

    def broadcast(self, message: dict[str, Any] | str, *, snapshot: bool = False) -> int:
        message = json.loads(message) if isinstance(message, str) else message
        assert snapshot == (message["op"] == "snapshot")
        self.messages.append(message)
        return len(self.active_connections)


class _CountingPool:
    """The pool, counting reads of the whole table and reads by key."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.fetches = {"all": 0, "by_key": 0}

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.fetches["by_key" if args else "all"] += 1
        return await self.pool.fetchval(query, *args)


async def test_callback_skips_without_clients_and_coalesces_a_burst(server_uri: str, tree: Path) -> None:
    dsn = await fresh_database(server_uri, *schema_files(PLANNED_FEATURES_SCHEMA))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        with generated_modules(tree / "app/server", "services.planned_features_events") as modules:
            events_class = modules["services.planned_features_events"].PlannedFeaturesEvents
            counting, nobody = _CountingPool(pool), _Recording(clients=0)
            await events_class(counting, nobody).on_planned_features_change({"operation": "INSERT", "key": {"id": 1}})
            assert counting.fetches == {"all": 0, "by_key": 0} and nobody.messages == []

            counting, watching = _CountingPool(pool), _Recording(clients=1)
            events = events_class(counting, watching, payload="delta")
            assert json.loads((await events.initial_messages())[0])["rows"] == []
            ids = [
                await pool.fetchval("INSERT INTO planned_features (title) VALUES ($1) RETURNING id", t) for t in "ab"
            ]
            burst = [{"operation": "INSERT", "key": {"id": ids[n % 2]}} for n in range(50)]
            await asyncio.gather(*(events.on_planned_features_change(event) for event in burst))
            # one read for the first, at most one for everything that came during it
            assert counting.fetches["all"] == 1 and 1 <= counting.fetches["by_key"] <= 2
            assert [message["op"] for message in watching.messages] == ["upsert"] * len(watching.messages)
            assert {row["title"] for message in watching.messages for row in message["rows"]} == {"a", "b"}

            await pool.execute("DELETE FROM planned_features WHERE id = $1", ids[0])
            await events.on_planned_features_change({"operation": "DELETE", "key": {"id": ids[0]}})
            assert watching.messages[-1]["op"] == "delete" and watching.messages[-1]["keys"] == [{"id": ids[0]}]
            connect = json.loads((await events.initial_messages())[0])  # served from memory: no read
            assert [row["title"] for row in connect["rows"]] == ["b"]
            assert counting.fetches["all"] == 1
    finally:
        await pool.close()


async def test_connects_are_answered_while_a_change_is_being_read_and_still_get_the_change(
    server_uri: str, tree: Path
) -> None:
    """A connect storm must not queue behind reads: a connect during a read is sent the rows held, then the
    change that read finds (the read here is held by a real table lock, as a slow database holds it)."""
    dsn = await fresh_database(server_uri, *schema_files(PLANNED_FEATURES_SCHEMA))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    admin = await asyncpg.connect(dsn)
    try:
        with generated_modules(tree / "app/server", "services.planned_features_events") as modules:
            watching = _Recording(clients=1)
            events = modules["services.planned_features_events"].PlannedFeaturesEvents(pool, watching, payload="delta")
            row = await pool.fetchval("INSERT INTO planned_features (title) VALUES ('before') RETURNING id")
            assert _titles(json.loads((await events.initial_messages())[0])["rows"]) == {"before"}
            await pool.execute("UPDATE planned_features SET title = 'changed' WHERE id = $1", row)
            async with admin.transaction():
                await admin.execute("LOCK TABLE planned_features IN ACCESS EXCLUSIVE MODE")
                read = asyncio.create_task(
                    events.on_planned_features_change({"operation": "UPDATE", "key": {"id": row}})
                )
                while not await admin.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'planned_features'::regclass AND NOT granted"
                ):
                    await asyncio.sleep(0.01)  # until the read waits on the lock
                connects = [asyncio.create_task(events.initial_messages()) for _ in range(100)]
                await asyncio.sleep(0)  # one turn of the event loop: no connect may wait for the read
                assert all(connect.done() for connect in connects) and not read.done()
                assert [_titles(json.loads(connect.result()[0])["rows"]) for connect in connects] == [{"before"}] * 100
            await asyncio.wait_for(read, timeout=30)
            assert [(message["op"], _titles(message["rows"])) for message in watching.messages] == [
                ("upsert", {"changed"})
            ]
    finally:
        await admin.close()
        await pool.close()


async def test_down_migration_removes_trigger_and_function(server_uri: str, tree: Path) -> None:
    dsn = await fresh_database(server_uri, *schema_files(PLANNED_FEATURES_SCHEMA))
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
    dsn = await fresh_database(server_uri, BILLING_SCHEMA, tree / MIGRATIONS / "order_notify.up.sql")
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
    dsn = await fresh_database(server_uri, BULK_SCHEMA, tree / MIGRATIONS / "bulk_items_notify.up.sql")
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
    dsn = asyncio.run(fresh_database(server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), BILLING_SCHEMA, BULK_SCHEMA))
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


async def test_a_one_row_change_on_a_10000_row_table_sends_only_that_row(server_uri: str, tree: Path) -> None:
    dsn = await fresh_database(
        server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    writer = await asyncpg.connect(dsn)
    await writer.execute(
        "INSERT INTO planned_features (title, details)"
        " SELECT 'row ' || n, repeat('d', 150) FROM generate_series(1, 10000) n"
    )
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        async with (
            serving(_build_app(modules, dsn, state)) as port,  # auto: the table is over 100 KB
            websockets.connect(f"ws://127.0.0.1:{port}/ws/planned-features", max_size=None) as socket,
        ):
            client = View(socket)
            await client.until(lambda rows: len(rows) == 10000)
            assert len(client.messages[0]) > 2_000_000

            await writer.execute("UPDATE planned_features SET title = 'changed' WHERE id = 5000")
            update = await client.until(lambda rows: "changed" in _titles(rows))
            row = json.loads(await writer.fetchval(
                    "SELECT json_agg(t)::text FROM (SELECT id, title, details, priority, status, updated_at, tags"
                    " FROM planned_features WHERE id = 5000) t"
                ))[0]  # fmt: skip
            assert (update["op"], update["rows"]) == ("upsert", [row])
            expected = json.dumps(
                {
                    "type": "planned_features_update",
                    "op": "upsert",
                    "rows": [row],
                    "timestamp": update["timestamp"],
                },
                separators=(",", ":"),
            )
            assert client.messages[-1] == expected and len(expected.encode()) < 2048

            await writer.execute("DELETE FROM planned_features WHERE id = 7")
            deleted = await client.until(lambda rows: len(rows) == 9999)
            assert (deleted["op"], deleted["keys"]) == ("delete", [{"id": 7}])
            assert len(client.messages[-1].encode()) < 200

            await writer.execute("UPDATE planned_features SET priority = priority + 1 WHERE id <= 300")
            await client.until(lambda rows: sum(row["priority"] for row in rows) == 299)  # id 7 is gone
            assert state["pool"].fetches["all"] == 1  # the connect; every change read by key
            final = json.loads(await writer.fetchval("SELECT json_agg(t ORDER BY id)::text FROM planned_features t"))
            assert sorted(client.rows.values(), key=lambda row: row["id"]) == final
    await writer.close()


async def test_clients_are_told_when_updates_stop_and_resume_and_a_connect_meanwhile_gets_1013(
    server_uri: str, tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dsn = await fresh_database(
        server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    database = dsn.split("?")[0].rsplit("/", 1)[1]
    admin = await asyncpg.connect(server_uri)
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        app = _build_app(modules, dsn, state, backoff_initial=0.2, backoff_max=1.0)
        async with serving(app) as port:
            url = f"ws://127.0.0.1:{port}/ws/planned-features"
            async with websockets.connect(url) as socket:
                client = View(socket)
                await client.until(lambda rows: True)
                # The database goes away for this app: no new sessions, every open one cut.
                await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
                )
                await client.until(lambda rows: not client.live)

                async with websockets.connect(url) as refused:
                    with pytest.raises(websockets.ConnectionClosed):
                        await asyncio.wait_for(refused.recv(), timeout=20)
                    assert refused.close_code == 1013

                await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
                writer = await asyncpg.connect(dsn)
                await writer.execute("INSERT INTO planned_features (title) VALUES ('while down')")
                await client.until(lambda rows: client.live and "while down" in _titles(rows))
                ops = [json.loads(text)["op"] for text in client.messages]
                assert ops[ops.index("status") :][:1] == ["status"] and ops[-1] == "snapshot"  # live, then resync
                await writer.execute("INSERT INTO planned_features (title) VALUES ('after')")
                await client.until(lambda rows: "after" in _titles(rows))
                await writer.close()
    await admin.close()
    refusals = [r for r in caplog.records if "Refusing a client" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING and refusals[0].exc_info is None
    assert not [r for r in caplog.records if r.name.startswith("services.") and r.exc_info]


async def test_a_connect_storm_reads_nothing_per_connect_and_updates_keep_flowing(server_uri: str, tree: Path) -> None:
    dsn = await fresh_database(
        server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    writer = await asyncpg.connect(dsn)
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        async with serving(_build_app(modules, dsn, state)) as port:
            url = f"ws://127.0.0.1:{port}/ws/planned-features"
            storm = subprocess.Popen([sys.executable, "-c", STORM, url, "600"])
            try:
                async with websockets.connect(url) as socket:
                    client = View(socket)
                    await client.until(lambda rows: True)
                    changes = 0
                    while storm.poll() is None or changes < 10:  # a normal client, updated throughout the storm
                        title = f"during {changes}"
                        await writer.execute("INSERT INTO planned_features (title) VALUES ($1)", title)
                        await client.until(lambda rows, title=title: title in _titles(rows))
                        changes += 1
                assert await asyncio.to_thread(storm.wait, 240) == 0
            finally:
                storm.kill()
            await _until_quiet(state["manager"])
    await writer.close()
    assert state["pool"].fetches["all"] <= 2  # the first connect (and the listener's resync), not one per connect
    assert state["pool"].fetches["by_key"] <= changes  # at most one read per change


async def _until_quiet(manager: Any) -> None:
    for _ in range(500):
        if not manager.active_connections:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(manager.active_connections)} gone clients are still in the broadcast set")


# Connect, read the snapshot and leave, or reset without a close frame: COUNT times, 50 at a time.
STORM = """
import asyncio, sys
import websockets

async def once(url, number):
    client = await websockets.connect(url, max_size=None, open_timeout=60)
    await asyncio.wait_for(client.recv(), timeout=60)
    if number % 2:
        client.transport.abort()
    else:
        await client.close()

async def main(url, count):
    for start in range(0, count, 50):
        await asyncio.gather(*(once(url, n) for n in range(start, min(count, start + 50))))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_the_generated_hook_follows_the_generated_endpoint_and_real_payloads_fit_its_types(
    server_uri: str, tmp_path: Path
) -> None:
    """vitest runs the hook with jsdom's real WebSocket against uvicorn; captured payloads compile as its types."""
    assert run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path).exit_code == 0
    tree = node_tree(tmp_path)
    hooks = tree / "app/client/src/hooks"
    shutil.copy(REPO_ROOT / "tests" / "ts" / "live_hook.test.tsx", hooks / "live_hook.test.tsx")
    dsn = await fresh_database(
        server_uri, *schema_files(PLANNED_FEATURES_SCHEMA), tree / MIGRATIONS / "planned_features_notify.up.sql"
    )
    writer = await asyncpg.connect(dsn)
    state: dict[str, Any] = {}
    with generated_modules(tree / "app/server", *PLANNED_FEATURES_MODULES) as modules:
        async with serving(_build_app(modules, dsn, state, payload="delta")) as port:
            url = f"ws://127.0.0.1:{port}/ws/planned-features"
            async with websockets.connect(url) as socket:
                recorder = View(socket)  # records what every client is sent
                await recorder.until(lambda rows: True)
                vitest = await asyncio.create_subprocess_exec(
                    str(NODE_MODULES / ".bin" / "vitest"), "run", "--config", "vitest.config.ts",
                    str(hooks / "live_hook.test.tsx"),
                    cwd=tree, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                    env={**os.environ, "CI": "1", "NO_COLOR": "1", "LIVE_WS_URL": url},
                )  # fmt: skip
                try:
                    for _ in range(1500):  # the hook's socket: a second client
                        if len(state["manager"].active_connections) == 2 or vitest.returncode is not None:
                            break
                        await asyncio.sleep(0.02)
                    ids = {}
                    for title in ("kept", "doomed", "named"):
                        ids[title] = await writer.fetchval(
                            "INSERT INTO planned_features (title) VALUES ($1) RETURNING id", title
                        )
                    await writer.execute("UPDATE planned_features SET title = 'renamed' WHERE id = $1", ids["named"])
                    await writer.execute("DELETE FROM planned_features WHERE id = $1", ids["doomed"])
                    await recorder.until(lambda rows: _titles(rows) == {"kept", "renamed"})
                    output, _ = await asyncio.wait_for(vitest.communicate(), timeout=120)
                finally:
                    if vitest.returncode is None:
                        vitest.kill()
                assert vitest.returncode == 0, output.decode()
                assert vitest_outcomes(output.decode()) == {"files passed": 1, "tests passed": 1}, output.decode()
                # Updates interrupted and resumed: status messages, then the resync's snapshot.
                await writer.execute("SELECT pg_terminate_backend($1)", state["listener"].backend_pid)
                await recorder.until(lambda rows: not recorder.live)
                await recorder.until(lambda rows: recorder.live)
                await recorder.until(lambda rows: json.loads(recorder.messages[-1])["op"] == "snapshot")
    await writer.close()
    ops = {json.loads(text)["op"] for text in recorder.messages}
    assert ops == {"snapshot", "upsert", "delete", "status"}
    fixture = hooks.parent / "captured_messages.ts"
    fixture.write_text(
        "import type { PlannedFeatureMessage } from './hooks/usePlannedFeatureWebSocket';\n\n"
        "export const captured: PlannedFeatureMessage[] = [\n" + ",\n".join(recorder.messages) + "\n];\n"
    )
    (hooks / "live_hook.test.tsx").unlink()  # process.env is not among the strict tree's types
    tsc = subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict", "--noEmit"],
        cwd=tree, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
