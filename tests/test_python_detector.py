"""The Python detector: exact facts for real-looking snippets, and the demo app as a whole."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from polldetox.findings import Context, FileFacts, Location, PollingSite, Polls, SiteKind, Suppression
from polldetox.scan import ParseFailure
from polldetox.scan.python import TRIGGER_TOKENS, detect, exported_constants

SERVICE = "app/server/services/watchers.py"
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _source(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def sites_of(code: str, path: str = SERVICE) -> tuple[PollingSite, ...]:
    return detect(_source(code), path).sites


def only_site(code: str, path: str = SERVICE) -> PollingSite:
    sites = sites_of(code, path)
    assert len(sites) == 1, sites
    return sites[0]


# ---------------------------------------------------------------------------------------------
# Loops


def test_watcher_loop_with_every_fact() -> None:
    site = only_site(
        """
        import asyncio
        import logging

        logger = logging.getLogger(__name__)


        class WorkflowWatcher:
            async def watch_workflow_history(self) -> None:
                last = None
                while True:
                    rows = await self.pool.fetch("SELECT id, status FROM workflow_history")
                    if rows != last:
                        logger.info("workflow history changed")
                        await self.websocket_manager.broadcast({"type": "workflow_history_update", "data": rows})
                        last = rows
                    await asyncio.sleep(10)
        """
    )
    assert site == PollingSite(
        kind=SiteKind.LOOP,
        mechanism="while True + asyncio.sleep",
        language="python",
        location=Location(SERVICE, 10, 9, 16, 36),
        snippet="while True: ... await asyncio.sleep(10)",
        function="WorkflowWatcher.watch_workflow_history",
        context=Context.BACKEND,
        interval_seconds=10,
        polls=Polls.DATABASE,
        tables=("workflow_history",),
        broadcasts=True,
        compares_state=True,
        message_types=("workflow_history_update",),
        logs_activity=True,
    )


def test_snippet_is_stable_when_lines_shift() -> None:
    code = """
        import time


        def watch():
            while True:
                refresh()
                time.sleep(5)
        """
    before = only_site(code)
    after = only_site("# a new header line\n\n\n" + _source(code))
    assert after.snippet == before.snippet == "while True: ... time.sleep(5)"
    assert after.location.line == before.location.line + 3


@pytest.mark.parametrize(
    ("code", "mechanism", "interval"),
    [
        (
            """
            import time as t

            def watch():
                while True:
                    check()
                    t.sleep(5)
            """,
            "while True + time.sleep",
            5,
        ),
        (
            """
            from time import sleep as pause

            def watch():
                while True:
                    check()
                    pause(3)
            """,
            "while True + time.sleep",
            3,
        ),
        (
            """
            import asyncio as aio

            async def watch():
                while True:
                    await check()
                    await aio.sleep(1.5)
            """,
            "while True + asyncio.sleep",
            1.5,
        ),
        (
            """
            from asyncio import sleep

            async def watch():
                while True:
                    await check()
                    await sleep(2)
            """,
            "while True + asyncio.sleep",
            2,
        ),
        (
            """
            import trio

            async def watch():
                while 1:
                    await check()
                    await trio.sleep(4)
            """,
            "while 1 + trio.sleep",
            4,
        ),
        (
            """
            import anyio

            async def watch(self):
                while self.running:
                    await check()
                    await anyio.sleep(seconds=4)
            """,
            "while loop + anyio.sleep",
            4,
        ),
        (
            """
            import gevent

            def watch():
                while True:
                    check()
                    gevent.sleep(6)
            """,
            "while True + gevent.sleep",
            6,
        ),
        (
            """
            import threading

            class Refresher(threading.Thread):
                def run(self):
                    while not self._stop_event.wait(timeout=5):
                        self.refresh()
            """,
            "while loop + Event.wait",
            5,
        ),
        (
            """
            import threading

            stop = threading.Event()

            def watch():
                while not stop.is_set():
                    check()
                    stop.wait(10)
            """,
            "while loop + Event.wait",
            10,
        ),
        (
            """
            import asyncio

            class Watcher:
                async def run(self):
                    while True:
                        await self.refresh()
                        try:
                            await asyncio.wait_for(self._stop.wait(), timeout=30)
                        except TimeoutError:
                            pass
            """,
            "while True + asyncio.wait_for",
            30,
        ),
        (
            """
            import time

            def watch(stop):
                while not stop.is_set():
                    check()
                    for _ in range(6):  # wake up every second to notice a stop request
                        time.sleep(5)
            """,
            "while loop + time.sleep",
            30,
        ),
        (
            """
            import time

            class Exporter:
                def run(self):
                    while self.running:
                        self.export()
                        for _ in range(12):  # a stop request is noticed within a second
                            if not self.running:
                                return
                            time.sleep(1)
            """,
            "while loop + time.sleep",
            12,
        ),
        (
            """
            import itertools
            import time

            def watch():
                for tick in itertools.count():
                    check(tick)
                    time.sleep(3)
            """,
            "for itertools.count() + time.sleep",
            3,
        ),
    ],
)
def test_waits_and_aliases(code: str, mechanism: str, interval: float) -> None:
    site = only_site(code)
    assert (site.kind, site.mechanism, site.interval_seconds) == (SiteKind.LOOP, mechanism, interval)


@pytest.mark.parametrize(
    ("code", "interval", "env_var"),
    [
        ("time.sleep(5 * 60)", 300, None),
        ("time.sleep(POLL_INTERVAL)", 10, None),
        ("time.sleep(POLL_INTERVAL / 4)", 2.5, None),
        ('time.sleep(int(os.environ.get("SYNC_SECONDS", "20")))', 20, "SYNC_SECONDS"),
        ("time.sleep(ENV_INTERVAL)", 7.5, "POLL_SECONDS"),
        ('time.sleep(float(os.environ["SYNC_SECONDS"]))', None, "SYNC_SECONDS"),
        ('time.sleep(float(os.environ.get("SYNC_SECONDS") or 12))', 12, "SYNC_SECONDS"),
        ('time.sleep(int(os.environ.setdefault("SYNC_SECONDS", "9")))', 9, "SYNC_SECONDS"),
        ("time.sleep(EVERY.total_seconds())", 90, None),
        ("time.sleep(settings.poll_interval)", None, None),
    ],
)
def test_interval_resolution(code: str, interval: float | None, env_var: str | None) -> None:
    site = only_site(
        f"""
        import os
        import time
        from datetime import timedelta

        POLL_INTERVAL = 10
        ENV_INTERVAL = float(os.getenv("POLL_SECONDS", 7.5))
        EVERY = timedelta(minutes=1, seconds=30)


        def watch(settings):
            while True:
                check()
                {code}
        """
    )
    assert (site.interval_seconds, site.interval_env_var) == (interval, env_var)


def test_interval_from_init_parameter_default() -> None:
    site = only_site(
        """
        import asyncio


        class StatusWatcher:
            def __init__(self, client, interval: float = 2.0) -> None:
                self.client = client
                self.interval = interval

            async def run(self) -> None:
                while True:
                    await self.client.refresh()
                    await asyncio.sleep(self.interval)
        """
    )
    assert site.interval_seconds == 2.0


@pytest.mark.parametrize(
    ("code", "interval"),
    [
        (
            """
            class Poller:
                interval = 4

                def run(self):
                    while True:
                        self.check()
                        time.sleep(self.interval)
            """,
            4,
        ),
        (
            """
            def watch(interval: float = 2.5):
                while True:
                    check()
                    time.sleep(interval)
            """,
            2.5,
        ),
        (
            """
            def watch():
                delay = 3
                while True:
                    check()
                    time.sleep(delay)
            """,
            3,
        ),
        (
            """
            delay = 5

            def watch(delay):
                while True:
                    check()
                    time.sleep(delay)
            """,
            None,
        ),
        (
            """
            class Poller:
                def __init__(self, interval: float | None = None):
                    self.interval = interval or 30

                def run(self):
                    while True:
                        self.check()
                        time.sleep(self.interval)
            """,
            30,
        ),
    ],
)
def test_interval_from_attributes_defaults_and_locals(code: str, interval: float | None) -> None:
    assert only_site("import time\n" + _source(code)).interval_seconds == interval


def test_interval_imported_from_another_module_is_a_reference() -> None:
    site = only_site(
        """
        import time

        from ..config import POLL_SECONDS


        def watch():
            while True:
                check()
                time.sleep(POLL_SECONDS)
        """
    )
    assert site.interval_seconds is None
    assert site.interval_ref == ("app/server/config", "POLL_SECONDS")


def test_positions_when_the_running_python_cannot_parse_newer_syntax() -> None:
    # libcst reads PEP 695 aliases; Python 3.11's own parser does not, so positions come from libcst.
    site = only_site(
        """
        import time

        type Rows = list[dict]


        def watch():
            while True:
                refresh()
                time.sleep(5)
        """
    )
    assert site.location == Location(SERVICE, 7, 5, 9, 22)


def test_deeply_nested_expressions_are_walked_without_recursion() -> None:
    # libcst nests implicit concatenation ("a" "b" "c" ...) one level per part.
    parts = "\n".join(f'    "INSERT INTO audit_log VALUES ({i}); "' for i in range(1500))
    source = f"import time\n\nSEED_SQL = (\n{parts}\n)\n\nwhile True:\n    refresh()\n    time.sleep(5)\n"
    site = only_site(source)
    assert (site.location.line, site.interval_seconds) == (1506, 5)


def test_a_very_long_expression_is_parsed_and_the_rest_of_the_file_scanned() -> None:
    # A generated sum of 20,000 terms is 20,000 levels deep: deeper than Python's default recursion limit.
    terms = " + ".join(["1"] * 20_000)
    loop = "def watch():\n    while True:\n        refresh()\n        time.sleep(5)\n"
    source = f"import time\n\nTOTAL = {terms}\n\n\n{loop}"
    site = only_site(source)
    assert (site.location.line, site.function, site.interval_seconds) == (7, "watch", 5)


def test_columns_count_characters_not_bytes() -> None:
    site = only_site(
        """
        import time

        def watch():
            while True:
                show("état de la file: ▄▄▄"); time.sleep(5)
        """
    )
    assert (site.location.end_line, site.location.end_column) == (5, 52)  # 58 bytes, 51 characters


# ---------------------------------------------------------------------------------------------
# Not polling


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import queue
            import time

            def consume(jobs: queue.Queue) -> None:
                while True:
                    job = jobs.get()
                    handle(job)
                    time.sleep(0.1)
            """,
            id="queue-get",
        ),
        pytest.param(
            """
            import asyncio

            async def consume(queue: asyncio.Queue) -> None:
                while True:
                    item = await queue.get()
                    await handle(item)
            """,
            id="asyncio-queue-get",
        ),
        pytest.param(
            """
            import asyncio

            async def feed(websocket, manager):
                while True:
                    message = await websocket.receive_json()
                    await manager.handle(message)
                    await asyncio.sleep(0.05)  # heartbeat pacing
            """,
            id="websocket-receive-with-sleep",
        ),
        pytest.param(
            """
            import asyncio

            async def feed(websocket):
                while True:
                    try:
                        text = await asyncio.wait_for(websocket.receive_text(), timeout=30)
                    except TimeoutError:
                        await websocket.send_json({"type": "heartbeat"})
                        continue
                    await websocket.send_text(text)
            """,
            id="websocket-receive-in-wait-for",
        ),
        pytest.param(
            """
            import time

            def serve(sock):
                while True:
                    data = sock.recv(4096)
                    if not data:
                        time.sleep(0.1)
                    process(data)
            """,
            id="socket-recv",
        ),
        pytest.param(
            """
            import asyncio

            async def pump(reader):
                while True:
                    line = await reader.readline()
                    await forward(line)
                    await asyncio.sleep(0)
            """,
            id="stream-reader",
        ),
        pytest.param(
            """
            import asyncio

            async def relay(websocket):
                while True:
                    async for message in websocket:
                        await forward(message)
                    await asyncio.sleep(1)
            """,
            id="async-for-inside",
        ),
        pytest.param(
            """
            import time

            import requests

            def fetch_with_retry(url):
                for attempt in range(5):
                    try:
                        return requests.get(url, timeout=5).json()
                    except requests.RequestException:
                        time.sleep(2**attempt)
                raise RuntimeError("gave up")
            """,
            id="for-range-retry",
        ),
        pytest.param(
            """
            import asyncio

            async def connect_with_retry(dsn):
                delay = 1
                while True:
                    try:
                        return await asyncpg.connect(dsn)
                    except OSError:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 30)
            """,
            id="while-true-return-on-success",
        ),
        pytest.param(
            """
            import time

            def push(payload):
                while True:
                    ok = send(payload)
                    if ok:
                        break
                    time.sleep(5)
            """,
            id="while-true-break-on-success",
        ),
        pytest.param(
            """
            import time

            MAX_ATTEMPTS = 3

            def push(payload):
                attempt = 0
                while attempt < MAX_ATTEMPTS:
                    send(payload)
                    attempt += 1
                    time.sleep(1)
            """,
            id="while-attempt-counter",
        ),
        pytest.param(
            """
            def repl():
                while True:
                    command = input("> ")
                    run(command)
            """,
            id="input-loop",
        ),
        pytest.param(
            """
            def collatz(n):
                steps = 0
                while n != 1:
                    n = n // 2 if n % 2 == 0 else 3 * n + 1
                    steps += 1
                return steps
            """,
            id="computation",
        ),
        pytest.param(
            """
            import time

            def warm_up():
                start_workers()
                time.sleep(2)
                check_workers()
            """,
            id="single-sleep",
        ),
        pytest.param(
            """
            import asyncio

            class SearchBox:
                async def on_keystroke(self, text):
                    self.pending = text
                    await asyncio.sleep(0.3)  # debounce
                    if self.pending == text:
                        await self.search(text)
            """,
            id="debounce-in-callback",
        ),
        pytest.param(
            """
            import time

            def notify_all(users):
                for user in users:
                    send_mail(user)
                    time.sleep(0.2)  # provider rate limit
            """,
            id="rate-limited-iteration",
        ),
        pytest.param(
            """
            import concurrent.futures

            def drain(pending):
                while pending:
                    done, pending = concurrent.futures.wait(pending, timeout=0.1)
                    collect(done)
            """,
            id="waiting-on-futures",
        ),
        pytest.param(
            """
            import threading

            def worker(ready: threading.Event):
                while True:
                    ready.wait()
                    ready.clear()
                    process()
            """,
            id="event-wait-without-timeout",
        ),
        pytest.param(
            """
            import threading

            def remind_later():
                threading.Timer(60, send_reminder).start()
            """,
            id="one-shot-timer",
        ),
        pytest.param(
            """
            import asyncio

            def schedule_cleanup(loop: asyncio.AbstractEventLoop):
                loop.call_later(30, cleanup_temp_files)
            """,
            id="one-shot-call-later",
        ),
        pytest.param(
            """
            import schedule

            schedule.every().day.at("03:00").do(rotate_logs)
            schedule.every().monday.do(send_digest)
            """,
            id="schedule-at-a-time-of-day",
        ),
        pytest.param(
            """
            import threading
            from time import monotonic

            class JobSlots:
                def acquire(self, timeout: float) -> None:
                    deadline = monotonic() + timeout
                    with self._freed:
                        while not self._free:
                            remaining = deadline - monotonic()
                            if remaining <= 0:
                                raise TimeoutError("no free job slot")
                            self._freed.wait(remaining)
            """,
            id="condition-wait-until-a-deadline",
        ),
        pytest.param(
            """
            import time

            def wait_for_lease(lease, expires_at: float) -> None:
                time_left = expires_at - time.time()
                while time_left > 0:
                    time.sleep(time_left)
                    time_left = expires_at - time.time()
            """,
            id="sleep-out-a-deadline",
        ),
        pytest.param(
            """
            import time

            from watchdog.observers import Observer

            def main(handler) -> None:
                observer = Observer()
                observer.schedule(handler, "uploads/", recursive=True)
                observer.start()
                try:
                    while True:
                        time.sleep(1)
                except KeyboardInterrupt:
                    observer.stop()
                observer.join()
            """,
            id="main-thread-kept-alive-for-an-observer",
        ),
        pytest.param(
            """
            import asyncio

            import websockets

            async def follow(url: str, handle) -> None:
                delays = iter([1, 2, 5, 10, 30])
                while True:
                    try:
                        async with websockets.connect(url) as ws:
                            async for message in ws:
                                await handle(message)
                    except OSError:
                        await asyncio.sleep(next(delays, 30))
            """,
            id="sleeps-only-after-a-failure",
        ),
        pytest.param(
            """
            import asyncio

            class Connection:
                def schedule_ping(self) -> None:
                    self.ping_timer = self.loop.call_later(self.ping_interval, self.send_keepalive_ping)

                def send_keepalive_ping(self) -> None:
                    self.transport.write(self.conn.send(Ping(payload=b"beat")))
                    self.schedule_ping()
            """,
            id="heartbeat-timer-re-armed-through-a-helper",
        ),
    ],
)
def test_not_polling(code: str) -> None:
    assert sites_of(code) == ()


def test_a_poller_that_also_sleeps_after_errors_is_still_polling() -> None:
    site = only_site(
        """
        import time

        import requests

        def watch_deploys() -> None:
            while True:
                try:
                    requests.get("https://ci.example.com/api/deploys").raise_for_status()
                except requests.RequestException:
                    time.sleep(30)
                    continue
                time.sleep(10)
        """
    )
    assert (site.interval_seconds, site.polls) == (10, Polls.HTTP)


def test_a_drift_correcting_poller_is_still_polling() -> None:
    site = only_site(
        """
        import time

        INTERVAL = 5

        def watch_orders(db):
            next_tick = time.monotonic()
            while True:
                db.execute("SELECT id FROM orders WHERE status = 'new'")
                next_tick += INTERVAL
                delay = next_tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        """
    )
    assert (site.mechanism, site.tables) == ("while True + time.sleep", ("orders",))


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import asyncio
            import random


            class PgListener:
                async def _run(self) -> None:
                    attempt = 0
                    while True:
                        try:
                            await self._connect()
                            attempt = 0
                            await self._watch()
                        except OSError as error:
                            logger.warning("listener connection lost: %s", error)
                        attempt += 1
                        delay = min(self.backoff_max, self.backoff_initial * 2 ** (attempt - 1))
                        delay = random.uniform(delay / 2, delay)
                        await asyncio.sleep(delay)
            """,
            id="reconnect-supervisor-with-backoff",
        ),
        pytest.param(
            """
            import asyncio


            class PgListener:
                async def _watch(self) -> None:
                    connection = self._connection
                    while True:
                        try:
                            await asyncio.wait_for(self._lost.wait(), timeout=self.probe_interval)
                        except TimeoutError:
                            await connection.fetchval("SELECT 1", timeout=self.probe_timeout)
                            continue
                        raise ConnectionResetError("the database closed the listening connection")
            """,
            id="connection-health-probe",
        ),
        pytest.param(
            """
            import asyncio


            async def keepalive(ws, interval: float = 20.0) -> None:
                while True:
                    await asyncio.sleep(interval)
                    await ws.ping()
            """,
            id="websocket-keepalive-ping",
        ),
        pytest.param(
            """
            import asyncio


            class QueueEvents:
                async def on_queue_items_change(self, event) -> None:
                    if self._running:
                        self._pending = True
                        return
                    self._running = True
                    try:
                        while True:
                            self._pending = False
                            if self.debounce:
                                await asyncio.sleep(self.debounce)
                            await self._broadcast(event)
                            if not self._pending:
                                break
                    finally:
                        self._running = False
            """,
            id="drain-loop-in-event-callback",
        ),
    ],
)
def test_event_driven_machinery_is_not_polling(code: str) -> None:
    assert sites_of(code) == ()


def test_a_fixed_interval_reconnecting_poller_is_still_polling() -> None:
    site = only_site(
        """
        import asyncio


        class Feed:
            async def run(self) -> None:
                while True:
                    await self.connect()
                    rows = await self.db.fetch("SELECT * FROM feed_items")
                    await self.manager.broadcast({"type": "feed_update", "data": rows})
                    await asyncio.sleep(5)
        """
    )
    assert (site.interval_seconds, site.tables, site.restores_connection) == (5, ("feed_items",), True)


def test_a_stop_check_inside_try_is_not_an_exit_on_success() -> None:
    site = only_site(
        """
        import asyncio


        async def watch(self):
            while True:
                try:
                    if self._stopping:
                        break
                    await self.broadcast_jobs(await self.db.fetch("SELECT * FROM jobs"))
                except OSError:
                    self.log.exception("refresh failed")
                await asyncio.sleep(5)
        """
    )
    assert (site.interval_seconds, site.tables) == (5, ("jobs",))


# ---------------------------------------------------------------------------------------------
# What a site reads each tick


@pytest.mark.parametrize(
    ("code", "polls", "tables"),
    [
        pytest.param(
            """
            import sqlite3
            import time

            def watch(conn: sqlite3.Connection):
                while True:
                    cursor = conn.cursor()
                    cursor.execute("SELECT id, state FROM deployments WHERE state != 'done'")
                    show(cursor.fetchall())
                    time.sleep(15)
            """,
            Polls.DATABASE,
            ("deployments",),
            id="dbapi-cursor",
        ),
        pytest.param(
            """
            import asyncio

            PENDING_SQL = "SELECT j.id FROM jobs j JOIN job_runs r ON r.job_id = j.id WHERE r.finished_at IS NULL"

            async def watch(pool):
                while True:
                    count = await pool.fetchval(PENDING_SQL)
                    report(count)
                    await asyncio.sleep(5)
            """,
            Polls.DATABASE,
            ("job_runs", "jobs"),
            id="asyncpg-module-constant",
        ),
        pytest.param(
            """
            import time

            from sqlalchemy import text

            def watch(session):
                while True:
                    rows = session.execute(text("SELECT * FROM invoices WHERE paid = false")).all()
                    show(rows)
                    time.sleep(60)
            """,
            Polls.DATABASE,
            ("invoices",),
            id="sqlalchemy-text",
        ),
        pytest.param(
            """
            import time

            from sqlalchemy.orm import DeclarativeBase, Mapped

            class Base(DeclarativeBase):
                pass

            class Job(Base):
                __tablename__ = "job_queue"
                id: Mapped[int]

            def watch(session):
                while True:
                    pending = session.query(Job).filter_by(done=False).count()
                    show(pending)
                    time.sleep(10)
            """,
            Polls.DATABASE,
            ("job_queue",),
            id="sqlalchemy-query-tablename",
        ),
        pytest.param(
            """
            import time

            import sqlalchemy as sa

            def watch(session):
                while True:
                    rows = session.scalars(sa.select(PlannedFeature).where(PlannedFeature.done.is_(False)))
                    show(rows.all())
                    time.sleep(10)
            """,
            Polls.DATABASE,
            ("planned_feature",),
            id="sqlalchemy-select-model",
        ),
        pytest.param(
            """
            import time

            from django.db import models

            class Notification(models.Model):
                read = models.BooleanField(default=False)

                class Meta:
                    db_table = "user_notifications"

            def watch():
                while True:
                    unread = Notification.objects.filter(read=False).count()
                    show(unread)
                    time.sleep(30)
            """,
            Polls.DATABASE,
            ("user_notifications",),
            id="django-db-table",
        ),
        pytest.param(
            """
            import time

            from shop.models import OrderItem

            def watch():
                while True:
                    show(OrderItem.objects.filter(shipped=False).count())
                    time.sleep(30)
            """,
            Polls.DATABASE,
            ("shop_orderitem",),
            id="django-default-table-app-label-and-model-name",
        ),
        pytest.param(
            """
            import asyncio

            class Reporter:
                async def run(self):
                    while True:
                        await self._refresh()
                        await asyncio.sleep(20)

                async def _refresh(self):
                    self.latest = await self._load()

                async def _load(self):
                    return await self.db.fetch("SELECT * FROM metrics_daily")
            """,
            Polls.DATABASE,
            ("metrics_daily",),
            id="two-levels-of-same-file-calls",
        ),
        pytest.param(
            """
            import time

            def watch(db):
                while True:
                    db.execute("SELECT * FROM WHERE broken (")
                    time.sleep(5)
            """,
            Polls.DATABASE,
            (),
            id="unparsable-sql",
        ),
        pytest.param(
            """
            import os
            import time

            def watch(inbox):
                while True:
                    for name in os.listdir(inbox):
                        ingest(name)
                    time.sleep(2)
            """,
            Polls.FILE,
            (),
            id="os-listdir",
        ),
        pytest.param(
            """
            import time
            from pathlib import Path

            def watch(folder: Path):
                while True:
                    reports = sorted(folder.glob("*.json"))
                    show(reports)
                    time.sleep(2)
            """,
            Polls.FILE,
            (),
            id="path-glob",
        ),
        pytest.param(
            """
            import json
            import os
            import time

            def watch(path):
                seen = 0
                while True:
                    if os.path.getmtime(path) > seen:
                        config = json.load(open(path))
                        apply(config)
                    time.sleep(1)
            """,
            Polls.FILE,
            (),
            id="mtime-and-json-load",
        ),
        pytest.param(
            """
            import asyncio

            class Registry:
                async def report(self):
                    while True:
                        self.gauge = len(self._sessions)
                        await asyncio.sleep(60)
            """,
            Polls.MEMORY,
            (),
            id="in-process-state",
        ),
        pytest.param(
            """
            import time

            def watch(billing_client):
                while True:
                    billing_client.sync_invoices()
                    time.sleep(60)
            """,
            Polls.UNKNOWN,
            (),
            id="opaque-call",
        ),
    ],
)
def test_what_is_polled(code: str, polls: Polls, tables: tuple[str, ...]) -> None:
    site = only_site(code)
    assert (site.polls, site.tables) == (polls, tables)


def test_tables_of_sql_built_with_an_f_string() -> None:
    site = only_site(
        """
        import time

        def watch_events(conn, schema: str, batch: int):
            while True:
                conn.execute(f"SELECT * FROM {schema}.events WHERE seen = false LIMIT {batch}")
                time.sleep(15)
        """
    )
    assert (site.polls, site.tables) == (Polls.DATABASE, ("events",))


def test_django_model_of_the_same_app_is_named_after_the_app_package() -> None:
    site = only_site(
        """
        import time

        from .models import StockItem

        def watch_stock():
            while True:
                alert(StockItem.objects.filter(quantity=0).count())
                time.sleep(30)
        """,
        "inventory/monitors.py",
    )
    assert site.tables == ("inventory_stockitem",)


@pytest.mark.parametrize(
    ("code", "urls"),
    [
        (
            """
            import time

            import requests

            def watch():
                while True:
                    status = requests.get("https://status.example.com/api/v2/status.json", timeout=5).json()
                    show(status)
                    time.sleep(30)
            """,
            ("https://status.example.com/api/v2/status.json",),
        ),
        (
            """
            import asyncio

            import httpx

            async def watch(base_url):
                async with httpx.AsyncClient() as client:
                    while True:
                        response = await client.get(f"{base_url}/api/health")
                        show(response.json())
                        await asyncio.sleep(10)
            """,
            ("{base_url}/api/health",),
        ),
        (
            """
            import asyncio

            import aiohttp

            async def watch():
                async with aiohttp.ClientSession() as session:
                    while True:
                        async with session.get(STATUS_URL) as response:
                            show(await response.json())
                        await asyncio.sleep(10)

            STATUS_URL = "http://localhost:9000/status"
            """,
            ("http://localhost:9000/status",),
        ),
        (
            """
            import time
            import urllib.request

            def watch():
                while True:
                    with urllib.request.urlopen("http://localhost:8500/v1/health/state/critical") as response:
                        show(response.read())
                    time.sleep(30)
            """,
            ("http://localhost:8500/v1/health/state/critical",),
        ),
    ],
)
def test_http_polling_and_urls(code: str, urls: tuple[str, ...]) -> None:
    site = only_site(code)
    assert (site.polls, site.urls) == (Polls.HTTP, urls)


# ---------------------------------------------------------------------------------------------
# Broadcasting and state comparison (Anti-pattern 2)


@pytest.mark.parametrize(
    "code",
    [
        """
        import asyncio

        import httpx

        class PriceFeed:
            def __init__(self, client: httpx.AsyncClient | None = None) -> None:
                self.http = client

            async def run(self) -> None:
                while True:
                    self.latest = await self.http.get("https://prices.example.com/v2/latest")
                    await asyncio.sleep(30)
        """,
        """
        import time
        from typing import Optional

        from requests import Session

        def follow_builds(session: Optional[Session]) -> None:
            while True:
                show(session.get("https://ci.example.com/v2/latest").json())
                time.sleep(30)
        """,
    ],
)
def test_http_client_known_by_its_type(code: str) -> None:
    site = only_site(code)
    assert (site.polls, site.tables, len(site.urls)) == (Polls.HTTP, (), 1)


def test_broadcast_without_comparison() -> None:
    site = only_site(
        """
        import asyncio


        async def watch_data(self):
            while True:
                data = get_data()
                await websocket_manager.broadcast({"type": "data_update", "data": data})
                await asyncio.sleep(10)
        """
    )
    assert (site.broadcasts, site.compares_state, site.message_types) == (True, False, ("data_update",))


def test_a_filter_by_status_is_no_comparison_with_the_previous_state() -> None:
    site = only_site(
        """
        import asyncio


        async def watch_jobs(self):
            while True:
                ready = [job for job in await self.db.fetch("SELECT * FROM jobs") if job["status"] == "ready"]
                if ready:
                    await websocket_manager.broadcast({"type": "jobs_ready", "jobs": ready})
                await asyncio.sleep(10)
        """
    )
    assert (site.broadcasts, site.compares_state, site.tables) == (True, False, ("jobs",))


@pytest.mark.parametrize(
    "loop_body",
    [
        pytest.param(
            """
            data = get_data()
            current_state = json.dumps(data, sort_keys=True)
            if current_state != last_state:
                await websocket_manager.broadcast({"type": "data_update", "data": data})
                last_state = current_state
            """,
            id="serialised-snapshot",
        ),
        pytest.param(
            """
            data = get_data()
            if data == self._last:
                await asyncio.sleep(10)
                continue
            self._last = data
            await websocket_manager.broadcast({"type": "data_update", "data": data})
            """,
            id="guard-continue",
        ),
        pytest.param(
            """
            data = get_data()
            digest = hashlib.sha256(json.dumps(data).encode()).hexdigest()
            if digest != self._digest:
                self._digest = digest
                await websocket_manager.broadcast({"type": "data_update", "data": data})
            """,
            id="hash",
        ),
        pytest.param(
            """
            data = get_data()
            await websocket_manager.broadcast_if_changed({"type": "data_update", "data": data})
            """,
            id="broadcast-that-compares",
        ),
        pytest.param(
            """
            data, did_sync = workflow_service.get_workflow_history_with_cache()
            if did_sync:
                await websocket_manager.broadcast({"type": "data_update", "data": data})
            """,
            id="did-sync",
        ),
        pytest.param(
            """
            data = get_data()
            unseen = [item for item in data if item["id"] not in self._seen]
            if unseen:
                self._seen.update(item["id"] for item in unseen)
                await websocket_manager.broadcast({"type": "data_update", "data": unseen})
            """,
            id="only-what-was-not-seen",
        ),
        pytest.param(
            """
            current = set(get_data())
            added = current - last_state
            last_state = current
            if added:
                await websocket_manager.broadcast({"type": "data_update", "data": sorted(added)})
            """,
            id="set-difference",
        ),
    ],
)
def test_state_comparison_before_broadcast(loop_body: str) -> None:
    body = textwrap.indent(textwrap.dedent(loop_body).strip(), " " * 8)
    code = (
        "import asyncio\nimport hashlib\nimport json\n\n\n"
        "async def watch_data(self):\n    last_state = None\n    while True:\n"
        f"{body}\n        await asyncio.sleep(10)\n"
    )
    site = only_site(code)
    assert (site.broadcasts, site.compares_state, site.message_types) == (True, True, ("data_update",))


@pytest.mark.parametrize(
    ("send", "message_types"),
    [
        (
            'message = {"type": "queue_update", "items": items}\n        await manager.broadcast(message)',
            ("queue_update",),
        ),
        ('await sio.emit("queue", {"items": items})', ()),
        ('await manager.send_personal_update(user_id, {"type": "inbox_update"})', ("inbox_update",)),
        ('await websocket.send_text(json.dumps({"type": "tick", "items": items}))', ("tick",)),
    ],
)
def test_broadcast_forms(send: str, message_types: tuple[str, ...]) -> None:
    site = only_site(
        f"""
import asyncio
import json


async def push(manager, sio, websocket, user_id):
    while True:
        items = list_items()
        {send}
        await asyncio.sleep(5)
"""
    )
    assert (site.broadcasts, site.message_types) == (True, message_types)


# ---------------------------------------------------------------------------------------------
# Opt-in flags, logging, fallback, context, names


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        pytest.param(
            """
            import argparse
            import time

            parser = argparse.ArgumentParser()
            parser.add_argument("--watch", action="store_true")
            args = parser.parse_args()

            if args.watch:
                while True:
                    show_usage()
                    time.sleep(10)
            """,
            "--watch",
            id="argparse",
        ),
        pytest.param(
            """
            import argparse
            import time

            def follow(path):
                while True:
                    show(path.read_text())
                    time.sleep(1)

            def main():
                parser = argparse.ArgumentParser()
                parser.add_argument("-f", "--follow-log", action="store_true")
                args = parser.parse_args()
                if args.follow_log:
                    follow(args.path)
            """,
            "--follow-log",
            id="argparse-caller",
        ),
        pytest.param(
            """
            import time

            import click

            @click.command()
            @click.option("--live", is_flag=True)
            def main(live: bool = False):
                if live:
                    while True:
                        render()
                        time.sleep(2)
            """,
            "--live",
            id="click",
        ),
        pytest.param(
            """
            import time

            import typer

            app = typer.Typer()

            @app.command()
            def main(watch: bool = typer.Option(False, "--watch", help="keep refreshing")):
                if watch:
                    while True:
                        render()
                        time.sleep(2)
            """,
            "--watch",
            id="typer",
        ),
        pytest.param(
            """
            import time

            def run(options):
                if options.follow:
                    while True:
                        render()
                        time.sleep(2)
            """,
            "options.follow",
            id="undeclared-attribute",
        ),
        pytest.param(
            """
            import time

            def run(self):
                if self.enabled:
                    while True:
                        render()
                        time.sleep(2)
            """,
            None,
            id="not-a-flag",
        ),
        pytest.param(
            """
            import time

            def run(self):
                if self.monitoring:
                    while True:
                        render()
                        time.sleep(2)
            """,
            None,
            id="state-attribute-named-like-a-flag",
        ),
        pytest.param(
            """
            import time

            def run(path, follow=False):
                if follow:
                    while True:
                        render(path)
                        time.sleep(2)
            """,
            "follow",
            id="parameter",
        ),
    ],
)
def test_opt_in_flag(code: str, flag: str | None) -> None:
    assert only_site(code, "scripts/monitor.py").opt_in_flag == flag


def test_polling_in_the_else_branch_of_a_flag_is_not_opted_in() -> None:
    site = only_site(
        """
        import time

        if args.once:
            render()
        else:
            while True:
                render()
                time.sleep(5)
        """
    )
    assert site.opt_in_flag is None


@pytest.mark.parametrize(
    ("code", "logs_activity", "logs_warning"),
    [
        (
            """
            def poll(self):
                logger.warning("NOTIFY listener down: polling every 5s")
                while True:
                    self.refresh()
                    time.sleep(5)
            """,
            False,
            True,
        ),
        (
            """
            def poll(self):
                warnings.warn("falling back to polling", RuntimeWarning)
                while True:
                    self.refresh()
                    log.debug("refreshed")
                    time.sleep(5)
            """,
            True,
            True,
        ),
        (
            """
            def poll(self):
                while True:
                    self.refresh()
                    print("refreshed")
                    time.sleep(5)
            """,
            True,
            False,
        ),
        (
            """
            def poll(self):
                while True:
                    try:
                        self.refresh()
                    except OSError:
                        logging.warning("refresh failed")
                    time.sleep(5)
            """,
            True,
            False,
        ),
    ],
)
def test_logging(code: str, logs_activity: bool, logs_warning: bool) -> None:
    site = only_site("import logging\nimport time\nimport warnings\n\n" + _source(code))
    assert (site.logs_activity, site.logs_warning) == (logs_activity, logs_warning)


def test_emergency_fallback_facts() -> None:
    site = only_site(
        """
        import asyncio
        import logging
        import time

        logger = logging.getLogger(__name__)
        MAX_FALLBACK_SECONDS = 300


        class FeedFallback:
            async def run(self):
                logger.warning("LISTEN connection lost: polling until it is restored")
                started = time.monotonic()
                while not self.listener.is_connected():
                    elapsed = time.monotonic() - started
                    if elapsed > MAX_FALLBACK_SECONDS:
                        break
                    await self.push(await self.pool.fetch("SELECT * FROM feed_items"))
                    await self.listener.reconnect()
                    await asyncio.sleep(5)
        """
    )
    assert (site.fallback_only, site.max_duration_seconds, site.restores_connection, site.logs_warning) == (
        True,
        300,
        True,
        True,
    )
    assert site.tables == ("feed_items",)


@pytest.mark.parametrize(
    "code",
    [
        """
        async def watch(self):
            if self.fallback_mode:
                while True:
                    await self.refresh()
                    await asyncio.sleep(5)
        """,
        """
        async def _poll_while_disconnected(self):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                await self.refresh()
                await asyncio.sleep(5)
        """,
        """
        async def run_fallback(self):
            while True:
                await self.refresh()
                await asyncio.sleep(5)
        """,
    ],
)
def test_fallback_only(code: str) -> None:
    site = only_site("import asyncio\nimport time\n\n" + _source(code))
    assert site.fallback_only


def test_ordinary_watcher_is_not_a_fallback() -> None:
    site = only_site(
        """
        import asyncio

        async def watch(self):
            while self.running:
                await self.db.connect()
                await self.refresh()
                await asyncio.sleep(5)
        """
    )
    assert (site.fallback_only, site.max_duration_seconds) == (False, None)


@pytest.mark.parametrize(
    ("code", "function", "context"),
    [
        (
            """
            while True:
                refresh()
                time.sleep(5)
            """,
            None,
            Context.BACKEND,
        ),
        (
            """
            if __name__ == "__main__":
                while True:
                    refresh()
                    time.sleep(5)
            """,
            None,
            Context.SCRIPT,
        ),
        (
            """
            def main():
                while True:
                    refresh()
                    time.sleep(5)

            if __name__ == "__main__":
                main()
            """,
            "main",
            Context.SCRIPT,
        ),
        (
            """
            class Monitor:
                def loop(self):
                    while True:
                        refresh()
                        time.sleep(5)

            def cli():
                Monitor().loop()

            def start():
                cli()

            if __name__ == "__main__":
                start()
            """,
            "Monitor.loop",
            Context.SCRIPT,
        ),
        (
            """
            def watch():
                while True:
                    refresh()
                    time.sleep(5)

            def main():
                watch()

            def unused():
                pass

            if __name__ == "__main__":
                main()
            """,
            "watch",
            Context.SCRIPT,
        ),
        (
            """
            def start_worker():
                def tick():
                    while True:
                        refresh()
                        time.sleep(5)
                return tick
            """,
            "start_worker.tick",
            Context.BACKEND,
        ),
    ],
)
def test_function_and_context(code: str, function: str | None, context: Context) -> None:
    site = only_site("import time\n\n" + _source(code))
    assert (site.function, site.context) == (function, context)


# ---------------------------------------------------------------------------------------------
# Schedulers


def test_self_rescheduling_timer() -> None:
    site = only_site(
        """
        import threading

        import requests

        REFRESH_SECONDS = 30


        def refresh_rates():
            rates = requests.get("https://api.example.com/rates", timeout=5).json()
            store(rates)
            threading.Timer(REFRESH_SECONDS, refresh_rates).start()
        """
    )
    assert (site.kind, site.mechanism, site.function, site.interval_seconds, site.detail) == (
        SiteKind.SCHEDULER,
        "self-rescheduling threading.Timer",
        "refresh_rates",
        30,
        "reschedules itself",
    )
    assert (site.polls, site.urls, site.snippet) == (
        Polls.HTTP,
        ("https://api.example.com/rates",),
        "threading.Timer(REFRESH_SECONDS, refresh_rates)",
    )
    assert site.location == Location(SERVICE, 11, 5, 11, 52)


def test_timer_rearmed_by_the_method_that_starts_it() -> None:
    site = only_site(
        """
        import threading

        import requests


        class RatesPoller:
            def __init__(self, interval: float = 15.0) -> None:
                self.interval = interval

            def start(self) -> None:
                self._timer = threading.Timer(self.interval, self._tick)
                self._timer.start()

            def _tick(self) -> None:
                store(requests.get("https://api.example.com/rates", timeout=5).json())
                self.start()
        """
    )
    assert (site.mechanism, site.function, site.interval_seconds, site.polls) == (
        "self-rescheduling threading.Timer",
        "RatesPoller._tick",
        15,
        Polls.HTTP,
    )


def test_self_rescheduling_call_later() -> None:
    site = only_site(
        """
        import asyncio


        class Heartbeat:
            def tick(self) -> None:
                self.queue_depth = len(self.pending)
                asyncio.get_running_loop().call_later(15, self.tick)
        """
    )
    assert (site.kind, site.function, site.interval_seconds, site.polls) == (
        SiteKind.SCHEDULER,
        "Heartbeat.tick",
        15,
        Polls.MEMORY,
    )


@pytest.mark.parametrize(
    ("registration", "interval"),
    [
        ('scheduler.add_job(sync_queue, "interval", minutes=2)', 120),
        ("scheduler.add_job(sync_queue, IntervalTrigger(minutes=2, seconds=30))", 150),
        ('scheduler.add_job(func=sync_queue, trigger="interval", hours=1, id="sync")', 3600),
        ('scheduler.add_job(sync_queue, "interval", seconds=SYNC_SECONDS)', 45),
    ],
)
def test_apscheduler_interval_jobs(registration: str, interval: float) -> None:
    site = only_site(
        f"""
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        SYNC_SECONDS = 45


        def sync_queue():
            with connect() as conn:
                conn.execute("SELECT id FROM queue_items WHERE synced = false")


        scheduler = BackgroundScheduler()
        {registration}
        """
    )
    assert (site.kind, site.mechanism, site.function, site.interval_seconds) == (
        SiteKind.SCHEDULER,
        "APScheduler interval job",
        "sync_queue",
        interval,
    )
    assert (site.polls, site.tables) == (Polls.DATABASE, ("queue_items",))


def test_apscheduler_decorator() -> None:
    site = only_site(
        """
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler()


        @scheduler.scheduled_job("interval", seconds=45)
        def sync_inventory():
            for path in os.scandir("/srv/inventory"):
                load(path)
        """
    )
    assert (site.kind, site.mechanism, site.function, site.interval_seconds, site.polls) == (
        SiteKind.SCHEDULER,
        "APScheduler @scheduled_job interval",
        "sync_inventory",
        45,
        Polls.FILE,
    )
    assert site.snippet == '@scheduler.scheduled_job("interval", seconds=45) def sync_inventory'


@pytest.mark.parametrize(
    ("registration", "interval"),
    [
        ("schedule.every(5).minutes.do(export_metrics)", 300),
        ("schedule.every().second.do(export_metrics)", 1),
        ("schedule.every(10).seconds.do(export_metrics)", 10),
        ("schedule.every(2).hours.do(export_metrics)", 7200),
        ("schedule.every(5).to(10).minutes.do(export_metrics)", 300),
    ],
)
def test_schedule_library_reports_the_job_not_its_driver(registration: str, interval: float) -> None:
    site = only_site(
        f"""
        import time

        import schedule


        def export_metrics():
            rows = db.execute("SELECT * FROM metrics WHERE exported = false").fetchall()
            upload(rows)


        {registration}

        while True:
            schedule.run_pending()
            time.sleep(1)
        """
    )
    assert (site.kind, site.mechanism, site.interval_seconds, site.detail) == (
        SiteKind.SCHEDULER,
        "schedule.every",
        interval,
        "driven by schedule.run_pending()",
    )
    assert site.tables == ("metrics",)


def test_repeat_every() -> None:
    site = only_site(
        """
        from fastapi import FastAPI
        from fastapi_utils.tasks import repeat_every

        app = FastAPI()


        @app.on_event("startup")
        @repeat_every(seconds=60)
        async def refresh_exchange_rates() -> None:
            rows = await database.fetch_all("SELECT * FROM exchange_rates")
            cache.update(rows)
        """
    )
    assert (site.kind, site.mechanism, site.function, site.interval_seconds, site.tables) == (
        SiteKind.SCHEDULER,
        "@repeat_every",
        "refresh_exchange_rates",
        60,
        ("exchange_rates",),
    )


def test_repeat_every_in_minutes_from_a_module_constant() -> None:
    site = only_site(
        """
        from app.services.scheduler.runner import repeat_every

        MINUTES_5 = 5


        @repeat_every(minutes=MINUTES_5, wait_first=True)
        def post_group_webhooks() -> None:
            for hook in session.execute("SELECT * FROM webhook_urls WHERE enabled").fetchall():
                send(hook)
        """
    )
    assert (site.mechanism, site.interval_seconds, site.tables) == ("@repeat_every", 300, ("webhook_urls",))


def test_celery_beat_entries() -> None:
    sites = sites_of(
        """
        from datetime import timedelta

        from celery import Celery
        from celery.schedules import crontab

        app = Celery("tasks")


        @app.task
        def sync_queue():
            return db.execute("SELECT id FROM queue_items").fetchall()


        app.conf.beat_schedule = {
            "sync-queue": {"task": "tasks.sync_queue", "schedule": 30.0},
            "refresh-tokens": {"task": "tasks.refresh_tokens", "schedule": timedelta(minutes=5)},
            "nightly-report": {"task": "tasks.report", "schedule": crontab(hour=2, minute=0)},
        }
        """
    )
    assert [(s.mechanism, s.interval_seconds, s.function, s.tables, s.location.line) for s in sites] == [
        ("Celery beat schedule", 30, "sync_queue", ("queue_items",), 15),
        ("Celery beat schedule", 300, None, (), 16),
    ]
    assert sites[0].snippet == '"sync-queue": schedule=30.0'


def test_celery_periodic_task_and_settings_schedule() -> None:
    sites = sites_of(
        """
        from celery import Celery

        app = Celery("tasks")

        CELERY_BEAT_SCHEDULE = {"poll-inbox": {"task": "mail.poll_inbox", "schedule": 120}}


        @app.task
        def poll_inbox():
            fetch_new_mail()


        @app.on_after_configure.connect
        def setup_periodic_tasks(sender, **kwargs):
            sender.add_periodic_task(10.0, poll_inbox.s(), name="poll every 10")
        """
    )
    assert [(s.mechanism, s.interval_seconds, s.polls) for s in sites] == [
        ("Celery beat schedule", 120, Polls.UNKNOWN),
        ("Celery add_periodic_task", 10, Polls.UNKNOWN),
    ]


@pytest.mark.parametrize(
    ("registration", "mechanism", "interval"),
    [
        ('scheduler.add_job(sync_inbox, "cron", minute="*/5")', "APScheduler cron job", 300),
        ('scheduler.add_job(sync_inbox, CronTrigger(second="*/30"))', "APScheduler cron job", 30),
        ('scheduler.add_job(sync_inbox, "cron", minute=0)', "APScheduler cron job", 3600),
        ('scheduler.add_job(sync_inbox, "cron", minute=0, hour="*/2")', "APScheduler cron job", 7200),
        ('scheduler.add_job(sync_inbox, "cron", day_of_week="mon-fri", minute="0-59/10")', "APScheduler cron job", 600),
        (
            '@scheduler.scheduled_job("cron", minute="*/15")\ndef sync_job():\n    sync_inbox()',
            "APScheduler @scheduled_job cron",
            900,
        ),
        ('app.conf.beat_schedule = {"sync": {"task": "t.sync", "schedule": crontab()}}', "Celery beat schedule", 60),
        (
            'app.conf.beat_schedule = {"sync": {"task": "t.sync", "schedule": crontab("*/10")}}',
            "Celery beat schedule",
            600,
        ),
    ],
)
def test_cron_schedules_that_repeat_within_the_day_poll(registration: str, mechanism: str, interval: float) -> None:
    header = """
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger
        from celery import Celery
        from celery.schedules import crontab

        app = Celery("jobs")
        scheduler = AsyncIOScheduler()
        """
    site = only_site(textwrap.dedent(header) + registration + "\n")
    assert (site.mechanism, site.interval_seconds) == (mechanism, interval)


def test_apscheduler_cron_jobs_are_not_polling() -> None:
    assert (
        sites_of(
            """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            scheduler = AsyncIOScheduler()
            scheduler.add_job(send_daily_report, "cron", hour=6)
            scheduler.add_job(rotate_keys, "cron", day_of_week="sun", hour=3, minute=30)
            scheduler.add_job(send_reminder, "date", run_date="2026-12-01 09:00:00")
            """
        )
        == ()
    )


# ---------------------------------------------------------------------------------------------
# Routes


def test_fastapi_routes_with_router_prefix() -> None:
    facts = detect(
        _source(
            """
            from fastapi import APIRouter, FastAPI

            app = FastAPI()
            router = APIRouter(prefix="/api/v1")


            @router.get("/queue")
            async def list_queue(pool):
                return await pool.fetch("SELECT id, title FROM queue_items ORDER BY position")


            @router.post("/queue/{item_id}/retry")
            async def retry(item_id: int, pool, manager):
                await pool.execute("UPDATE queue_items SET status = 'pending' WHERE id = $1", item_id)
                await manager.broadcast({"type": "queue_update", "id": item_id})


            @app.get("/health")
            def health():
                return {"ok": True}
            """
        ),
        "app/server/routes/queue.py",
    )
    assert [(r.method, r.path, r.tables, r.message_types, r.location.line) for r in facts.routes] == [
        ("GET", "/api/v1/queue", ("queue_items",), (), 7),
        ("POST", "/api/v1/queue/{item_id}/retry", ("queue_items",), ("queue_update",), 12),
        ("GET", "/health", (), (), 18),
    ]


def test_route_prefixes_from_mounting_a_router_in_the_same_file() -> None:
    facts = detect(
        _source(
            """
            from fastapi import APIRouter, FastAPI
            from flask import Blueprint, Flask

            app = FastAPI()
            api = APIRouter()
            orders = APIRouter(prefix="/orders")

            @orders.get("/{order_id}")
            async def order(order_id: int):
                return {}

            @api.get("/health")
            def health():
                return {"ok": True}

            api.include_router(orders)
            app.include_router(api, prefix="/api/v2")

            web = Flask(__name__)
            jobs = Blueprint("jobs", __name__, url_prefix="/jobs")

            @jobs.route("/<int:job_id>")
            def job(job_id):
                return {}

            web.register_blueprint(jobs, url_prefix="/admin/jobs")
            """
        ),
        "app/server/main.py",
    )
    assert sorted((r.method, r.path) for r in facts.routes) == [
        ("GET", "/admin/jobs/<int:job_id>"),
        ("GET", "/api/v2/health"),
        ("GET", "/api/v2/orders/{order_id}"),
    ]


def test_flask_routes() -> None:
    facts = detect(
        _source(
            """
            from flask import Blueprint, Flask

            app = Flask(__name__)
            bp = Blueprint("jobs", __name__, url_prefix="/jobs")


            @app.route("/status", methods=["GET", "POST"])
            def status():
                return {"ok": True}


            @bp.get("/<int:job_id>")
            def job(job_id):
                return db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            """
        ),
        "app.py",
    )
    assert [(r.method, r.path, r.tables) for r in facts.routes] == [
        ("GET", "/status", ()),
        ("POST", "/status", ()),
        ("GET", "/jobs/<int:job_id>", ("jobs",)),
    ]


def test_django_urls() -> None:
    facts = detect(
        _source(
            """
            from django.urls import path, re_path

            from . import views


            def queue_count(request):
                return JsonResponse({"count": QueueItem.objects.count()})


            urlpatterns = [
                path("api/queue/", views.queue_list),
                path("api/queue/count/", queue_count),
                re_path(r"^api/items/(?P<pk>[0-9]+)/$", views.item_detail),
            ]
            """
        ),
        "shop/urls.py",
    )
    assert [(r.method, r.path, r.tables) for r in facts.routes] == [
        ("*", "/api/queue/", ()),
        ("*", "/api/queue/count/", ("queue_item",)),
        ("*", "/api/items/(?P<pk>[0-9]+)/", ()),
    ]


def test_websocket_route() -> None:
    facts = detect(
        _source(
            """
            from fastapi import APIRouter, WebSocket

            router = APIRouter()


            @router.websocket("/ws/queue")
            async def queue_feed(websocket: WebSocket):
                await websocket.accept()
                while True:
                    await websocket.receive_text()
            """
        ),
        "app/server/routes/ws.py",
    )
    assert [(r.method, r.path) for r in facts.routes] == [("WEBSOCKET", "/ws/queue")]
    assert facts.sites == ()


# ---------------------------------------------------------------------------------------------
# Comments and documentation


def test_suppressions_come_from_comments_only() -> None:
    facts = detect(
        _source(
            """
            import time

            HELP = "write '# polldetox: ignore[PD101]' above a loop to silence it"

            # Samples a gauge; nothing to subscribe to.
            # polldetox: ignore[PD101]
            while True:
                sample()
                time.sleep(60)  # polldetox: ignore
            """
        ),
        SERVICE,
    )
    assert facts.suppressions == (Suppression(line=6, rules=("PD101",)), Suppression(line=9, rules=()))


@pytest.mark.parametrize(
    ("header", "dev_tool"),
    [
        ('"""Development tool for monitoring token usage. NOT part of main application."""', True),
        ('"""Debugging utility: dumps the queue every few seconds."""', True),
        ("#!/usr/bin/env python3\n# Dev tool: tails the agent logs.\n# Uses polling on purpose.", True),
        ('"""Queue watcher that pushes updates to dashboards."""', False),
        ('"""Service module."""\n\n# development tool notes further down do not describe the module', False),
    ],
)
def test_documents_dev_tool(header: str, dev_tool: bool) -> None:
    source = header + "\n\nimport time\n\nwhile True:\n    show()\n    time.sleep(5)\n"
    assert detect(source, "scripts/tool.py").documents_dev_tool is dev_tool


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            '"""Why polling instead of webhooks?\n\nGitHub webhooks require a public endpoint."""',
            True,
        ),
        ("# We poll because the vendor offers no webhook support.", True),
        ('"""Receives GitHub webhook deliveries and starts workflows."""', False),
        ('"""Polls GitHub issues every 20 seconds."""', False),
    ],
)
def test_documents_webhook_reason(header: str, reason: bool) -> None:
    source = header + "\n\nimport time\n\nwhile True:\n    poll()\n    time.sleep(20)\n"
    assert detect(source, "adws/adw_triggers/trigger.py").documents_webhook_reason is reason


# ---------------------------------------------------------------------------------------------
# Parse failures and the prefilter


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import time\n\ndef watch(:\n    while True:\n        time.sleep(1)\n", 3),
        ("import time\n\nwhile True\n    time.sleep(1)\n", 3),
        ('QUERY = """SELECT 1\n\nwhile True:\n    pass\n', 1),
    ],
)
def test_invalid_python_raises_parse_failure_with_line(source: str, line: int) -> None:
    with pytest.raises(ParseFailure) as failure:
        detect(source, SERVICE)
    assert failure.value.line == line
    assert failure.value.message.startswith("Python syntax error: ")


def test_exported_constants_for_interval_references() -> None:
    source = _source(
        """
        import os
        from datetime import timedelta

        POLL_SECONDS = 10
        SLOW_POLL_SECONDS = POLL_SECONDS * 6
        RETRY = timedelta(minutes=2)
        SYNC_SECONDS = int(os.environ.get("SYNC_SECONDS", "45"))
        NAME = "queue"
        """
    )
    assert exported_constants(source, "app/server/config.py") == {
        "POLL_SECONDS": 10,
        "SLOW_POLL_SECONDS": 60,
        "RETRY": 120,
        "SYNC_SECONDS": 45,
    }


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio\n\nasync def watch(stop):\n    while True:\n        refresh()\n"
        "        await asyncio.wait_for(stop, 10)\n",
        'from fastapi import FastAPI\n\napi = FastAPI()\n\n@api.get("/items")\ndef items():\n    return []\n',
        'from .deps import api_router\n\n@api_router.get("/items")\ndef items():\n    return []\n',
    ],
)
def test_prefilter_admits_what_the_detector_finds(source: str) -> None:
    facts = detect(source, SERVICE)
    assert facts.sites or facts.routes
    assert any(token in source.encode() for token in TRIGGER_TOKENS)


@pytest.mark.parametrize(
    "source",
    [
        "from django.urls import path, re_path\n\nurlpatterns = [re_path(r'^q/$', views.queue)]\n",
        "from django.conf.urls import url\n\nurlpatterns = [url(r'^q/$', views.queue)]\n",
    ],
)
def test_prefilter_admits_django_url_modules(source: str) -> None:
    assert detect(source, "app/urls.py").routes
    assert any(token in source.encode() for token in TRIGGER_TOKENS)


def test_prefilter_drops_a_call_that_only_ends_in_path() -> None:
    source = "import os\n\ndef cache_path(name):\n    return os.path.join(ROOT, name)\n\nLOG = cache_path('log')\n"
    assert not any(token in source.encode() for token in TRIGGER_TOKENS)


def test_prefilter_admits_every_demo_file_with_a_site_or_route() -> None:
    for path in sorted(DEMO.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        facts = detect(source, path.relative_to(DEMO).as_posix())
        if facts.sites or facts.routes:
            assert any(token in source.encode() for token in TRIGGER_TOKENS), path


# ---------------------------------------------------------------------------------------------
# The demo app


def _demo_facts() -> dict[str, FileFacts]:
    return {
        path.relative_to(DEMO).as_posix(): detect(path.read_text(encoding="utf-8"), path.relative_to(DEMO).as_posix())
        for path in sorted(DEMO.rglob("*.py"))
    }


def test_demo_sites() -> None:
    found = {
        (path, site.function, site.kind, site.interval_seconds)
        for path, facts in _demo_facts().items()
        for site in facts.sites
    }
    services = "app/server/services"
    assert found == {
        (f"{services}/background_tasks.py", "BackgroundTaskManager.watch_workflow_history", SiteKind.LOOP, 10),
        (f"{services}/background_tasks.py", "BackgroundTaskManager.watch_queue", SiteKind.LOOP, 2),
        (f"{services}/background_tasks.py", "BackgroundTaskManager.watch_system_status", SiteKind.LOOP, 15),
        (f"{services}/background_tasks.py", "BackgroundTaskManager.watch_workflow_files", SiteKind.LOOP, 5),
        (f"{services}/scheduler.py", "refresh_agent_status", SiteKind.SCHEDULER, 30),
        (f"{services}/scheduler.py", "snapshot_disk_usage", SiteKind.SCHEDULER, 300),
        (f"{services}/event_fallback.py", "QueueFallbackPoller.run_while_listener_down", SiteKind.LOOP, 5),
        (f"{services}/metrics.py", "log_connection_gauge", SiteKind.LOOP, 60),
        ("scripts/monitor_adw_tokens.py", "main", SiteKind.LOOP, 10),
        ("scripts/tail_logs.py", "follow", SiteKind.LOOP, 0.5),
        ("adws/adw_triggers/trigger_cron.py", "main", SiteKind.LOOP, 20),
        ("adws/adw_triggers/trigger_issue_comments.py", "main", SiteKind.LOOP, 30),
    }


def test_demo_cross_stack_pair() -> None:
    facts = _demo_facts()
    watch_queue = next(
        site
        for site in facts["app/server/services/background_tasks.py"].sites
        if site.function == "BackgroundTaskManager.watch_queue"
    )
    assert (watch_queue.tables, watch_queue.message_types, watch_queue.compares_state) == (
        ("agents", "queue_items"),
        ("queue_update",),
        False,
    )
    routes = facts["app/server/routes/queue_routes.py"].routes
    assert ("GET", "/api/v1/queue", ("queue_items",)) in [(r.method, r.path, r.tables) for r in routes]


def test_demo_exceptions() -> None:
    facts = _demo_facts()
    fallback = facts["app/server/services/event_fallback.py"].sites[0]
    assert (
        fallback.fallback_only,
        fallback.logs_warning,
        fallback.max_duration_seconds,
        fallback.restores_connection,
    ) == (True, True, 300, True)

    monitor = facts["scripts/monitor_adw_tokens.py"]
    assert monitor.documents_dev_tool
    site = monitor.sites[0]
    assert (site.opt_in_flag, site.context, site.polls) == ("--watch", Context.SCRIPT, Polls.FILE)

    tail = facts["scripts/tail_logs.py"]
    assert not tail.documents_dev_tool
    assert tail.sites[0].opt_in_flag == "--follow"

    cron = facts["adws/adw_triggers/trigger_cron.py"]
    assert cron.documents_webhook_reason
    site = cron.sites[0]
    assert (site.interval_env_var, site.logs_activity, site.polls) == ("ADW_POLL_SECONDS", True, Polls.HTTP)

    comments = facts["adws/adw_triggers/trigger_issue_comments.py"]
    assert not comments.documents_webhook_reason
    assert comments.sites[0].interval_env_var is None

    metrics = facts["app/server/services/metrics.py"]
    assert metrics.suppressions == (Suppression(line=18, rules=("PD101",)),)
    assert metrics.sites[0].location.line == 19


# ---------------------------------------------------------------------------------------------
# Waiting for one operation, yielding between batches, stop-flag waits: not polling


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import time

            def wait_for_export(job):
                while not job.done():
                    log.info("export running")
                    time.sleep(2)
                return job.result()
            """,
            id="future-done",
        ),
        pytest.param(
            """
            import subprocess
            import time

            def run_migrations():
                proc = subprocess.Popen(["alembic", "upgrade", "head"])
                while proc.poll() is None:
                    time.sleep(0.5)
                return proc.returncode
            """,
            id="child-process-poll",
        ),
        pytest.param(
            """
            import time

            def join_worker(worker):
                while worker.is_alive():
                    report_progress(worker.name)
                    time.sleep(1)
            """,
            id="thread-is-alive",
        ),
        pytest.param(
            """
            import asyncio

            async def copy_all(source, target):
                offset = 0
                while True:
                    rows = await source.fetch("SELECT * FROM events ORDER BY id LIMIT 500 OFFSET $1", offset)
                    if not rows:
                        break
                    await target.insert(rows)
                    offset += len(rows)
                    await asyncio.sleep(0)
            """,
            id="batches-yield-with-sleep-zero",
        ),
        pytest.param(
            """
            import threading

            class Sampler:
                def __init__(self):
                    self.stop = threading.Event()
                    self.samples = []

                def run(self):
                    while not self.stop.wait(1):
                        self.samples.append(len(self.samples))
            """,
            id="stop-flag-wait-around-local-work",
        ),
        pytest.param(
            """
            import time

            def wait_for_glue_run(client, job_name, run_id, poll_seconds=60):
                while True:
                    job = client.get_job_run(JobName=job_name, RunId=run_id)
                    job_state = job["JobRun"]["JobRunState"]
                    if job_state in ERROR_STATES:
                        raise RuntimeError(job["JobRun"]["ErrorMessage"])
                    elif job_state == "SUCCEEDED":
                        break
                    time.sleep(poll_seconds)
            """,
            id="job-run-reaches-a-final-state",
        ),
        pytest.param(
            """
            from time import sleep

            def run_sync(client, connection_id, poll_interval=10):
                job_id = client.run_sync(connection_id)["id"]
                status = JOB_STATUS_PENDING
                while status not in [JOB_STATUS_FAILED, JOB_STATUS_SUCCEEDED]:
                    status = client.get_job_status(job_id)["status"]
                    sleep(poll_interval)
                return status
            """,
            id="while-status-not-in-final-states",
        ),
        pytest.param(
            """
            import anyio

            async def run_and_wait(client, deployment_id, poll_interval=5):
                run = await client.create_flow_run(deployment_id)
                while True:
                    run = await client.read_flow_run(run.id)
                    if run.state and run.state.is_final():
                        return run
                    await anyio.sleep(poll_interval)
            """,
            id="run-state-is-final",
        ),
        pytest.param(
            """
            import time

            def wait_for_lock(store, key):
                while store.is_locked(key):
                    time.sleep(0.1)
                return True
            """,
            id="lock-release",
        ),
        pytest.param(
            """
            import time

            def begin(engine):
                state = engine.set_state(Running())
                while state.is_pending():
                    time.sleep(0.2)
                    state = engine.set_state(Running())
                return state
            """,
            id="proposed-transition-pending",
        ),
        pytest.param(
            """
            from time import sleep

            def load(self, query):
                data = None
                tries = 0
                while data is None and tries < 3:
                    if tries >= 1:
                        sleep(1)
                    try:
                        data = self.client.execute(query).fetchall()
                    except UserError as err:
                        print(err)
                    tries += 1
                return data
            """,
            id="retry-bounded-by-tries-in-a-compound-test",
        ),
        pytest.param(
            """
            import asyncio

            async def open_page(page, url):
                response = None
                attempt = 0
                while not response:
                    response = await page.goto(url)
                    await asyncio.sleep(1)
                    if response:
                        break
                    if attempt >= 2:
                        raise EmptyReply(url)
                    attempt += 1
                return response
            """,
            id="retry-that-gives-up-after-a-few-attempts",
        ),
        pytest.param(
            """
            import asyncio

            async def poll_process_with_timeout(proc, timeout=10):
                ct = 0
                while ct < timeout * 2:
                    return_code = proc.poll()
                    if return_code is not None:
                        break
                    ct += 1
                    await asyncio.sleep(0.5)
                return proc.stdout.read()
            """,
            id="child-process-exit-code-checked-inside",
        ),
        pytest.param(
            """
            import os
            import signal

            import anyio

            async def terminate(pid, grace_seconds=30):
                os.kill(pid, signal.SIGTERM)
                with anyio.move_on_after(grace_seconds):
                    while True:
                        await anyio.sleep(3)
                        try:
                            os.kill(pid, 0)
                        except ProcessLookupError:
                            return
                os.kill(pid, signal.SIGKILL)
            """,
            id="process-gone-after-sigterm",
        ),
        pytest.param(
            """
            import time

            def item_lock(r, object_id, timeout=10):
                deadline = time.monotonic() + timeout * 60
                while time.monotonic() < deadline - 5:
                    if lock := r.set(f"lock:{object_id}", "1", nx=True, ex=timeout * 60):
                        break
                    time.sleep(timeout)
                return lock
            """,
            id="redis-lock-acquire",
        ),
        pytest.param(
            """
            import time

            def create_app(app):
                while import_in_progress():
                    print("Import in progress, start-up paused for 5 seconds")
                    time.sleep(5)
                return app
            """,
            id="start-up-paused-while-one-import-runs",
        ),
        pytest.param(
            """
            import threading
            import time

            def monitor_memory_usage(callback, interval_seconds=1.0):
                def monitor():
                    while not stop_event.is_set():
                        if callback:
                            callback(current_memory_usage())
                        time.sleep(interval_seconds)

                stop_event = threading.Event()
                threading.Thread(target=monitor).start()
                return stop_event
            """,
            id="memory-sampler-handing-samples-to-a-callback",
        ),
        pytest.param(
            """
            import time
            import urllib.request

            PUSH_URL = "https://status.example.com/api/push/key?status=up&msg=OK"

            while True:
                urllib.request.urlopen(PUSH_URL)
                print("Pushed!")
                time.sleep(60)
            """,
            id="heartbeat-push-sender",
        ),
    ],
)
def test_waiting_for_one_operation_or_yielding_is_not_polling(code: str) -> None:
    assert sites_of(code) == ()


def test_waiting_for_new_input_to_appear_still_polls() -> None:
    site = only_site(
        """
        import anyio

        async def next_input(client, run_id, poll_interval=10):
            while True:
                await anyio.sleep(poll_interval)
                inputs = await client.filter_inputs(run_id=run_id, state="pending")
                if inputs:
                    return inputs[0]
        """
    )
    assert site.interval_seconds == 10


def test_a_loop_that_reads_the_http_response_still_polls() -> None:
    site = only_site(
        """
        import time
        import requests

        def watch_prices(cache):
            while True:
                requests.post("https://rates.example.com/api/heartbeat")
                cache.update(requests.get("https://rates.example.com/api/prices").json())
                time.sleep(30)
        """
    )
    assert site.polls == Polls.HTTP


@pytest.mark.parametrize(
    ("receiver", "polls"),
    [("self.client", Polls.HTTP), ("orchestration_api", Polls.HTTP), ("self.redis_client", Polls.UNKNOWN)],
)
def test_a_service_client_read_is_an_http_read(receiver: str, polls: Polls) -> None:
    site = only_site(
        f"""
        import anyio

        async def next_input(self, run_id):
            while True:
                inputs = await {receiver}.read_run_inputs(run_id=run_id, limit=1)
                if inputs:
                    return inputs[0]
                await anyio.sleep(10)
        """
    )
    assert site.polls == polls


def test_a_stop_flag_loop_that_reads_the_database_still_polls() -> None:
    site = only_site(
        """
        import threading

        def watch(conn, stop: threading.Event):
            while not stop.wait(10):
                rows = conn.execute("SELECT id FROM orders WHERE status = 'new'").fetchall()
                notify(rows)
        """
    )
    assert (site.interval_seconds, site.tables) == (10, ("orders",))


def test_redis_publish_is_a_broadcast() -> None:
    site = only_site(
        """
        import json
        import time

        def relay(db, redis_client):
            while True:
                rows = db.execute("SELECT id, status FROM jobs").fetchall()
                redis_client.publish("jobs", json.dumps([dict(r) for r in rows]))
                time.sleep(5)
        """
    )
    assert site.broadcasts and site.tables == ("jobs",)


@pytest.mark.parametrize(
    ("code", "interval"),
    [
        pytest.param(
            """
            def watch(conn, interval: float = 60):
                while True:
                    refresh(conn)
                    time.sleep(interval)

            def start(conn):
                watch(conn, interval=5)
            """,
            5,
            id="keyword-at-the-call-site",
        ),
        pytest.param(
            """
            def watch(conn, interval=60):
                while True:
                    refresh(conn)
                    time.sleep(interval)

            SYNC_SECONDS = 15

            def main():
                watch(open_connection(), SYNC_SECONDS)
            """,
            15,
            id="positional-constant-at-the-call-site",
        ),
        pytest.param(
            """
            class StatusWatcher:
                def __init__(self, client, interval: float = 2.0):
                    self.client = client
                    self.interval = interval

                def run(self):
                    while True:
                        self.client.refresh()
                        time.sleep(self.interval)

            watcher = StatusWatcher(make_client(), interval=30)
            """,
            30,
            id="constructor-argument",
        ),
        pytest.param(
            """
            def watch(conn, interval=60):
                while True:
                    refresh(conn)
                    time.sleep(interval)

            def start(conn, fast):
                watch(conn, interval=1)
                watch(conn)
            """,
            None,
            id="callers-disagree",
        ),
    ],
)
def test_interval_from_the_callers_in_the_file(code: str, interval: float | None) -> None:
    assert only_site("import time\n" + _source(code)).interval_seconds == interval


def test_celery_beat_schedules_built_by_a_helper_a_loop_or_item_by_item() -> None:
    sites = sites_of(
        """
        from datetime import timedelta

        from celery import Celery

        app = Celery("shop")
        FEEDS = ("prices", "stock")


        @app.task
        def sync_prices():
            return db.execute("SELECT id FROM prices").fetchall()


        def build_schedule():
            schedule = {}
            for feed in FEEDS:
                schedule[f"sync-{feed}"] = {"task": f"shop.tasks.sync_{feed}", "schedule": timedelta(minutes=5)}
            return schedule


        app.conf.beat_schedule = build_schedule()
        app.conf.beat_schedule["sync-prices"] = {"task": "shop.tasks.sync_prices", "schedule": 30.0}
        app.conf.beat_schedule["purge-sessions"] = {"task": "shop.tasks.purge_sessions", "schedule": 60.0}
        CELERYBEAT_SCHEDULE = {
            "refresh-orders": dict(task="shop.tasks.refresh_orders", schedule=timedelta(seconds=45)),
            "cleanup-carts": {"task": "shop.tasks.cleanup_carts", "schedule": 600},
        }
        """
    )
    assert [(s.snippet, s.interval_seconds, s.function, s.location.line) for s in sites] == [
        ('f"sync-{feed}": schedule=timedelta(minutes=5)', 300, "build_schedule", 17),
        ('"sync-prices": schedule=30.0', 30, "sync_prices", 22),
        ('"refresh-orders": schedule=timedelta(seconds=45)', 45, None, 25),
    ]
    assert sites[1].tables == ("prices",)


def test_rq_scheduler_jobs() -> None:
    sites = sites_of(
        """
        from datetime import datetime, timedelta

        from redis import Redis
        from rq_scheduler import Scheduler

        scheduler = Scheduler(connection=Redis())


        def refresh_rates():
            return db.execute("SELECT code FROM currencies").fetchall()


        scheduler.schedule(scheduled_time=datetime.utcnow(), func=refresh_rates, interval=120, repeat=None)
        scheduler.schedule(scheduled_time=datetime.utcnow(), func=refresh_rates)
        scheduler.cron("*/10 * * * *", func=refresh_rates)
        scheduler.cron("0 4 * * *", func=refresh_rates)
        scheduler.cron("*/5 * * * *", func=cleanup_expired_tokens)
        """
    )
    assert [(s.mechanism, s.interval_seconds, s.function, s.tables) for s in sites] == [
        ("rq-scheduler interval job", 120, "refresh_rates", ("currencies",)),
        ("rq-scheduler cron job", 600, "refresh_rates", ("currencies",)),
    ]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import threading
            import time

            class BufferedExporter:
                def run(self):
                    while True:
                        time.sleep(self.flush_interval)
                        self.flush()
            """,
            id="buffer-flusher",
        ),
        pytest.param(
            """
            import asyncio

            import psutil

            async def sample_memory(gauge):
                while True:
                    gauge.set(psutil.virtual_memory().percent)
                    await asyncio.sleep(15)
            """,
            id="memory-sampler",
        ),
        pytest.param(
            """
            import asyncio

            async def sweep(cache):
                while True:
                    await asyncio.sleep(60)
                    cache.evict_expired()
            """,
            id="cache-expiry-sweep",
        ),
        pytest.param(
            """
            import time

            def serve(server):
                server.start()
                while True:
                    time.sleep(2**32)
            """,
            id="keep-alive-around-a-server",
        ),
    ],
)
def test_local_periodic_work_is_not_polling(code: str) -> None:
    assert sites_of(code) == ()


def test_a_flush_that_reads_the_database_still_polls() -> None:
    site = only_site(
        """
        import time

        class Outbox:
            def run(self):
                while True:
                    self.flush()
                    time.sleep(5)

            def flush(self):
                rows = self.db.execute("SELECT id, payload FROM outbox WHERE sent = false").fetchall()
                self.publish(rows)
        """
    )
    assert site.tables == ("outbox",)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import time

            def wait_for_database(engine):
                while not database_ready(engine):
                    time.sleep(1)
            """,
            id="readiness-wait-at-startup",
        ),
        pytest.param(
            """
            import socket
            import time

            def wait_for_port(host, port):
                while not port_is_open(host, port):
                    time.sleep(0.5)
            """,
            id="port-open-wait",
        ),
        pytest.param(
            """
            import time

            def wait_until_submitted(job):
                while job.status == JobStatus.SUBMITTED:
                    job.refresh()
                    time.sleep(0.5)
            """,
            id="one-job-state-moving-on",
        ),
        pytest.param(
            """
            import time

            def show(progress):
                while not progress.finished:
                    progress.render()
                    time.sleep(0.1)
            """,
            id="finished-flag",
        ),
        pytest.param(
            """
            import time

            import requests

            def export_all(url):
                page = 1
                while True:
                    items = requests.get(url, params={"page": page}).json()
                    if not items:
                        break
                    store(items)
                    page += 1
                    time.sleep(1)
            """,
            id="pagination-paced-by-a-sleep",
        ),
    ],
)
def test_readiness_waits_and_pagination_are_not_polling(code: str) -> None:
    assert sites_of(code) == ()
