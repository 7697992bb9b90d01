"""The generated PostgreSQL listener against real faults: a kill in its probe window, a slow probe connect,
a hung connection, a real PgBouncer in transaction mode, and a database restart.

The listener talks to a real PostgreSQL (pgserver) through a small TCP proxy in this file, which can drop
every byte (a black hole: no reset, no answer) or swallow chosen connections, and records when each
connection arrives. Every wait is bounded, so a listener that hangs fails the test instead of stalling it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pgserver
import pytest
from scaffold_support import (
    PLANNED_FEATURES_SCHEMA,
    free_port,
    fresh_database,
    generated_modules,
    postgres_server,
    run_scaffold,
    schema_files,
)

pytestmark = pytest.mark.slow

NOTIFY_MIGRATION = Path("app/server/migrations/planned_features_notify.up.sql")
# Debian installs it in /usr/sbin, which an unprivileged user's PATH often lacks.
RUFF = Path(sys.executable).parent / "ruff"
# ruff's own default rules (which include BLE001 and TRY401) on top of the project's selection; src makes
# the generated services/ first-party.
RUFF_CONFIG = """\
line-length = 120
target-version = "py311"
src = ["app/server"]
[lint]
extend-select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
"""
PGBOUNCER = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


@pytest.fixture(scope="module")
def server() -> Iterator[pgserver.PostgresServer]:
    with postgres_server() as running:
        yield running


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("project")
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
async def database(server: pgserver.PostgresServer, tree: Path) -> str:
    """A database holding planned_features and its generated NOTIFY trigger (reached over the unix socket)."""
    return await fresh_database(server.get_uri(), *schema_files(PLANNED_FEATURES_SCHEMA), tree / NOTIFY_MIGRATION)


@pytest.fixture
def modules(tree: Path) -> Iterator[dict[str, ModuleType]]:
    with generated_modules(tree / "app/server", "services.pg_listener", "services.planned_features_listener") as found:
        yield found


def test_the_generated_listener_passes_ruffs_default_rules_and_format(tree: Path) -> None:
    (tree / "ruff.toml").write_text(RUFF_CONFIG)
    files = ["app/server/services/pg_listener.py", "app/server/services/planned_features_listener.py"]
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run([RUFF, *command, *files], cwd=tree, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def _socket_path(uri: str) -> str:
    return f"{parse_qs(urlsplit(uri).query)['host'][0]}/.s.PGSQL.5432"


def _over_tcp(port: int, uri: str) -> str:
    """The same database, reached over TCP on 127.0.0.1:port (a proxy or a pooler), without TLS."""
    return f"postgresql://postgres@127.0.0.1:{port}{urlsplit(uri).path}?sslmode=disable"


class FaultyNetwork:
    """A TCP proxy to PostgreSQL's unix socket that can black-hole traffic or swallow chosen connections."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.arrivals: list[float] = []  # loop time at which each connection arrived, in order
        self.swallow: set[int] = set()  # connections (0 = the first to arrive) whose bytes are all dropped
        self.cut_when: dict[int, int] = {}  # {a: b}: when connection a arrives, connection b goes dead
        self.mute: set[int] = set()  # connections that get every server message but notifications
        self.black_hole = False  # while set, every byte either way is dropped: no reset, no answer
        self.port = 0
        self._dead: set[int] = set()  # connections that lost bytes: they never forward again
        self._links: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FaultyNetwork:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            link.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)
        await self._server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.arrivals)
        if index in self.cut_when:
            self._dead.add(self.cut_when[index])
        link = asyncio.create_task(self._link(index, reader, writer))
        self.arrivals.append(asyncio.get_running_loop().time())
        self._links.add(link)
        link.add_done_callback(self._links.discard)

    async def _link(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if index in self.swallow:
            self._dead.add(index)
        try:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:  # the database is down: the client sees its connection closed
            writer.close()
            return
        try:
            await asyncio.gather(
                self._pump(index, reader, upstream_writer),
                self._pump(index, upstream_reader, writer, mute=index in self.mute),
            )
        finally:
            for end in (writer, upstream_writer):
                end.close()

    async def _pump(
        self, index: int, source: asyncio.StreamReader, target: asyncio.StreamWriter, *, mute: bool = False
    ) -> None:
        pending = b""
        with suppress(OSError):
            while data := await source.read(65536):
                if self.black_hole:
                    self._dead.add(index)
                if mute:
                    data, pending = _without_notifications(pending + data)
                if index not in self._dead:
                    target.write(data)
                    await target.drain()
        target.close()


def _without_notifications(stream: bytes) -> tuple[bytes, bytes]:
    """Server messages (type byte, then a 4-byte length that counts itself) minus NotificationResponse ('A'),
    and the incomplete tail to prepend to the next read."""
    kept = bytearray()
    while len(stream) >= 5 and len(stream) >= 1 + (length := int.from_bytes(stream[1:5], "big")):
        message, stream = stream[: 1 + length], stream[1 + length :]
        if message[:1] != b"A":
            kept += message
    return bytes(kept), stream


class Recorder:
    """The listener's collaborators: the change callback, the resync that re-reads the table on connect, and the
    notice to clients that a listening session was lost."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.changes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.resyncs: list[set[str]] = []  # the titles each resync read
        self.disconnects = 0

    async def on_disconnect(self) -> None:
        self.disconnects += 1

    async def on_planned_features_change(self, event: dict[str, Any]) -> None:
        self.changes.put_nowait(event)

    async def resync(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            self.resyncs.append({row["title"] for row in await connection.fetch("SELECT title FROM planned_features")})
        finally:
            await connection.close()

    async def next_change(self, title: str, connection: asyncpg.Connection) -> dict[str, Any]:
        """Insert a row and return its notification, as the listener delivered it."""
        row_id = await connection.fetchval("INSERT INTO planned_features (title) VALUES ($1) RETURNING id", title)
        while True:
            event = await asyncio.wait_for(self.changes.get(), timeout=10)
            if event["operation"] == "INSERT" and event["key"] == {"id": row_id}:
                return event


@asynccontextmanager
async def running(listener: Any) -> AsyncIterator[Any]:
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()


async def _until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """The first truthy value of condition() within timeout seconds (it may be a coroutine function)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout}s")


async def test_a_listener_killed_in_its_probe_window_reconnects_and_still_delivers(
    database: str, modules: dict[str, ModuleType]
) -> None:
    admin = await asyncpg.connect(database)
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        # The second connection is the probe's sender: swallowing it holds the listener in its probe
        # window (LISTEN on the probe channel done, notification not yet sent) for as long as we like.
        network.swallow.add(1)
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, connect_timeout=60.0
        )
        async with running(listener):
            probing = "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN \"listen\\_probe\\_%'"
            pid = await _until(lambda: admin.fetchval(probing), timeout=10, what="the probe's LISTEN")
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            # Long before the probe connect's 60 s: the lost connection ends the probe, and is a reconnect.
            await listener.wait_connected(timeout=10)
            health = listener.health()
            assert (health.state, listener.sessions) == ("connected", 1)
            assert "closed while waiting for the probe's connect" in health.last_error
            event = await recorder.next_change("after the kill", admin)
            assert event["operation"] == "INSERT"
    await admin.close()


async def test_a_probe_connect_that_never_finishes_is_a_reconnect_not_a_verdict(
    database: str, modules: dict[str, ModuleType]
) -> None:
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        network.swallow.add(1)  # the first probe's connect hangs for good
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, connect_timeout=1.0
        )
        async with running(listener):
            await listener.wait_connected(timeout=10)
            health = listener.health()
            assert (health.state, listener.sessions, len(network.arrivals)) == ("connected", 1, 4)
            assert health.last_error == "TimeoutError: no answer to the probe's connect within 1.0s"


async def test_a_listening_connect_that_never_finishes_is_retried_after_the_connect_timeout(
    database: str, modules: dict[str, ModuleType]
) -> None:
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        network.swallow.add(0)  # the listener's own first connect hangs for good
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, connect_timeout=1.0
        )
        async with running(listener):
            # Well before asyncpg's own 60 s connect timeout: the listener's 1 s applies.
            await listener.wait_connected(timeout=10)
            health = listener.health()
            assert (health.state, listener.sessions, len(network.arrivals)) == ("connected", 1, 3)
            assert health.last_error is not None and health.last_error.startswith("TimeoutError")


async def test_a_notification_that_is_not_json_reaches_the_callback_as_its_raw_payload(
    database: str, modules: dict[str, ModuleType]
) -> None:
    admin = await asyncpg.connect(database)
    recorder = Recorder(database)
    listener = modules["services.planned_features_listener"].create_planned_features_listener(database, recorder)
    async with running(listener):
        await listener.wait_connected(timeout=10)
        await admin.execute("SELECT pg_notify('planned_features_changed', 'not json')")
        assert await asyncio.wait_for(recorder.changes.get(), timeout=10) == {"payload": "not json"}
    await admin.close()


async def test_a_round_trip_that_delivers_nothing_is_retried_once_on_a_fresh_connection(
    database: str, modules: dict[str, ModuleType]
) -> None:
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        network.mute = {0}  # the first listening connection answers queries but never passes a notification on
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, probe_timeout=1.0
        )
        async with running(listener):
            await listener.wait_connected(timeout=10)
            assert (listener.health().state, listener.sessions, len(network.arrivals)) == ("connected", 1, 4)
            assert "trying once more on a fresh connection" in listener.health().last_error


async def test_two_round_trips_in_a_row_that_deliver_nothing_are_a_pooler(
    database: str, modules: dict[str, ModuleType]
) -> None:
    listener_module = modules["services.pg_listener"]
    async with FaultyNetwork(_socket_path(database)) as network:
        network.mute = {0, 2}
        listener = listener_module.PgListener(_over_tcp(network.port, database), probe_timeout=1.0)
        listener.register_callback("planned_features_changed", Recorder(database).on_planned_features_change)
        async with running(listener):
            with pytest.raises(listener_module.ListenUnsupportedError, match="transaction-mode pooler"):
                await listener.wait_connected(timeout=15)
            assert listener.health().state == "gave_up" and len(network.arrivals) == 4


async def test_a_listening_connection_that_goes_dead_during_the_round_trip_is_no_evidence_of_a_pooler(
    database: str, modules: dict[str, ModuleType]
) -> None:
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        # Twice in a row, the listening connection goes dead the moment its probe's sender connects:
        # the notification is committed but never delivered, exactly as behind a pooler, yet the
        # connection no longer answers, so it proves nothing.
        network.cut_when = {1: 0, 3: 2}
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, probe_timeout=1.0, connect_timeout=1.0
        )
        async with running(listener):
            await listener.wait_connected(timeout=15)
            assert (listener.health().state, listener.sessions, len(network.arrivals)) == ("connected", 1, 6)
            assert listener.health().last_error == "TimeoutError: no answer to a query after the probe within 1.0s"


async def test_a_hung_connection_is_detected_and_a_change_made_meanwhile_arrives(
    database: str, modules: dict[str, ModuleType]
) -> None:
    admin = await asyncpg.connect(database)
    recorder = Recorder(database)
    async with FaultyNetwork(_socket_path(database)) as network:
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(network.port, database), recorder, probe_interval=0.5, probe_timeout=1.0, connect_timeout=1.0
        )
        async with running(listener):
            await listener.wait_connected(timeout=10)
            first_pid, connected_since = listener.backend_pid, listener.health().since
            network.black_hole = True  # packets vanish: the connection stays open, nothing comes back
            await admin.execute("INSERT INTO planned_features (title) VALUES ('while the link was dead')")
            # Bounded: one health-check interval, plus its timeout, plus slack for a busy machine.
            await _until(lambda: listener.health().state == "reconnecting", timeout=6, what="noticing the hung link")
            assert listener.health().last_error == "TimeoutError: no answer to the health check within 1.0s"
            assert listener.health().since > connected_since and not listener.connected.is_set()
            assert recorder.disconnects == 1  # clients are told their updates are interrupted
            network.black_hole = False
            await listener.wait_connected(timeout=10)
            assert listener.sessions == 2 and listener.backend_pid not in (None, first_pid)
            # Its notification went down the dead link; the resync on connect carries it.
            assert "while the link was dead" in recorder.resyncs[-1]
            assert (await recorder.next_change("after the link came back", admin))["operation"] == "INSERT"
    await admin.close()


@asynccontextmanager
async def pgbouncer(server: pgserver.PostgresServer, pool_mode: str, folder: Path) -> AsyncIterator[int]:
    """A real PgBouncer in front of the server's unix socket, on a free plain port; yields the port."""
    assert PGBOUNCER is not None, "pgbouncer is not installed: apt-get install -y pgbouncer"
    port = free_port()
    folder.chmod(0o755)  # pgbouncer drops to the server's user, which must read its files
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={Path(_socket_path(server.get_uri())).parent} port=5432\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\npool_mode = {pool_mode}\n"
    )
    # PgBouncer refuses to run as root: as root, run it as the user the server itself runs as.
    user = ["-u", server.system_user] if server.system_user else []
    process = await asyncio.create_subprocess_exec(
        PGBOUNCER, *user, str(folder / "pgbouncer.ini"), stdout=asyncio.subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        await _until(lambda: _accepts(port, process), timeout=10, what="pgbouncer listening")
        yield port
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.communicate(), timeout=10)


async def _accepts(port: int, process: asyncio.subprocess.Process) -> bool:
    if process.returncode is not None:
        output, _ = await process.communicate()
        raise AssertionError(f"pgbouncer exited with {process.returncode}: {output.decode()}")
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


async def test_a_real_pgbouncer_in_transaction_mode_is_refused_by_the_round_trip(
    server: pgserver.PostgresServer,
    database: str,
    modules: dict[str, ModuleType],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener_module = modules["services.pg_listener"]
    async with pgbouncer(server, "transaction", tmp_path) as port:
        # A plain port and no pgbouncer=true: only the LISTEN round trip can tell.
        listener = listener_module.PgListener(_over_tcp(port, database), probe_timeout=1.0)
        listener.register_callback("planned_features_changed", Recorder(database).on_planned_features_change)
        async with running(listener):
            with pytest.raises(listener_module.ListenUnsupportedError, match="transaction-mode pooler"):
                await listener.wait_connected(timeout=30)
            health = listener.health()
            assert health.state == "gave_up" and "pool_mode = session" in health.last_error
            assert json.loads(json.dumps(health.as_dict())) == {
                "state": "gave_up",
                "since": health.since.isoformat(),
                "last_error": health.last_error,
                "sessions": 0,
            }
            assert listener.backend_pid is None
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert errors[0].startswith("[EVENT_DETECTION] Listener gave up, no change will reach clients")
    assert "Fix: give the listener a direct connection to PostgreSQL" in errors[0]


async def test_pgbouncer_in_session_mode_passes_the_round_trip_and_delivers(
    server: pgserver.PostgresServer, database: str, modules: dict[str, ModuleType], tmp_path: Path
) -> None:
    admin = await asyncpg.connect(database)
    recorder = Recorder(database)
    async with pgbouncer(server, "session", tmp_path) as port:
        listener = modules["services.planned_features_listener"].create_planned_features_listener(
            _over_tcp(port, database), recorder, probe_timeout=1.0
        )
        async with running(listener):
            await listener.wait_connected(timeout=10)
            assert (await recorder.next_change("through the pooler", admin))["operation"] == "INSERT"
    await admin.close()


# Reconnects an uncapped doubling backoff (0.5 s, then twice as long each time, jittered down to half) makes
# before one of its waits must exceed 5 s: the sixth waits 8 to 16 s.
RECONNECTS_PAST_AN_UNCAPPED_5_S = 6
RECONNECT_DELAY = re.compile(r"Reconnecting in ([0-9.]+)s \(attempt (\d+)\)")


def _scheduled_delays(records: list[logging.LogRecord]) -> list[float]:
    """The waits the listener scheduled before each reconnect, as it logged them."""
    return [float(found[1]) for record in records if (found := RECONNECT_DELAY.search(record.getMessage()))]


async def test_after_a_database_restart_the_listener_is_back_within_5_seconds(
    server: pgserver.PostgresServer,
    database: str,
    modules: dict[str, ModuleType],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Proven on the listener's own schedule, not on wall time a loaded machine stretches: every wait it
    scheduled is at most 5 s, and once the database is back no further wait is scheduled but the one for an
    attempt already under way, so it is back within one capped wait of the database's return."""
    caplog.set_level(logging.INFO, logger="services.pg_listener")
    recorder = Recorder(database)
    # Default backoff: what a generated app runs with.
    listener = modules["services.planned_features_listener"].create_planned_features_listener(database, recorder)
    async with running(listener):
        await listener.wait_connected(timeout=30)
        await asyncio.to_thread(
            pgserver.pg_ctl, ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
        )
        # Down until the listener has scheduled more reconnects than an uncapped backoff keeps under 5 s each.
        await _until(
            lambda: len(_scheduled_delays(caplog.records)) >= RECONNECTS_PAST_AN_UNCAPPED_5_S,
            timeout=60,
            what=f"{RECONNECTS_PAST_AN_UNCAPPED_5_S} reconnect attempts",
        )
        await asyncio.to_thread(server.ensure_postgres_running)
        returned = len(caplog.records)
        await listener.wait_connected(timeout=60)  # a bound on a hang; the measure is the schedule below
        assert listener.sessions == 2
        during_the_outage = _scheduled_delays(caplog.records[:returned])
        assert len(during_the_outage) >= RECONNECTS_PAST_AN_UNCAPPED_5_S
        assert max(during_the_outage) <= 5, during_the_outage
        # Only an attempt that was already under way when the database returned may still fail and wait again.
        after_the_return = _scheduled_delays(caplog.records[returned:])
        assert len(after_the_return) <= 1 and max(after_the_return, default=0) <= 5, after_the_return
        admin = await asyncpg.connect(database)
        try:
            assert (await recorder.next_change("after the restart", admin))["operation"] == "INSERT"
        finally:
            await admin.close()
