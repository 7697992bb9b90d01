"""`polldetox migrate` on jobs whose schedule is the polling: an APScheduler interval job and a Celery beat entry."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
import websockets
from ci_fixtures.scans import REPO_ROOT, git, init_repo
from scaffold_support import free_port, fresh_database, postgres_server
from typer.testing import CliRunner, Result

from polldetox.cli import app
from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.python_schedules import ScheduleWiring, remove_schedule, wire_schedule

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "migrate-jobs"
JOBS = "app/server/jobs"
RUFF = Path(sys.executable).parent / "ruff"


def migrate(root: Path, *arguments: str) -> Result:
    return CliRunner().invoke(app, ["migrate", "orders", *arguments, "--root", str(root)])


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    root = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("jobs") / "stockroom"))
    init_repo(root)
    done = migrate(root)
    assert done.exit_code == 0, done.output
    return root, done


REFRESH = '''\
"""Jobs the API process runs on its scheduler."""

from __future__ import annotations

import logging

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


async def push_order_board(pool: asyncpg.Pool, manager) -> None:
    """Send every open order to the order board."""
    rows = await pool.fetch("SELECT id, customer, status FROM orders WHERE status = 'open'")
    await manager.broadcast({"type": "orders_update", "data": [dict(row) for row in rows]})


async def vacuum_sessions(pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM sessions WHERE expires_at < now()")


def build_scheduler(pool: asyncpg.Pool, manager) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(vacuum_sessions, "cron", hour=4, args=[pool])
    return scheduler
'''

WORKER_HEAD = '''\
"""Celery worker tasks and their beat schedule."""

from celery import Celery

from app.server.jobs.db import connect, publish

app = Celery("stockroom", broker="redis://localhost:6379/0")

# The worker's periodic tasks, run by `celery -A app.server.jobs.worker beat`.
app.conf.beat_schedule = {
    "nightly-stock-report": {
        "task": "app.server.jobs.worker.stock_report",
        "schedule": 86_400.0,
    },
}
'''


def test_the_interval_job_its_trigger_import_and_its_constant_go(migrated: tuple[Path, Result]) -> None:
    root, _ = migrated
    assert (root / JOBS / "refresh.py").read_text() == REFRESH


def test_the_beat_entry_and_its_constant_go_and_the_task_stays(migrated: tuple[Path, Result]) -> None:
    root, _ = migrated
    worker = (root / JOBS / "worker.py").read_text()
    original = (FIXTURE / JOBS / "worker.py").read_text()
    assert worker.startswith(WORKER_HEAD)
    assert worker[len(WORKER_HEAD) :] == original[original.index("\n\n\n@app.task") + 1 :]


MAIN = '''\
"""The stockroom API: the order board's WebSocket, and the jobs this process schedules."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from app.server.jobs.refresh import build_scheduler, push_order_board
from app.server.services.pg_listener import PgListener
from app.server.websocket import ConnectionManager

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost/stockroom")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=5)
    manager = ConnectionManager()
    app.state.manager = manager
    scheduler = build_scheduler(pool, manager)
    scheduler.start()
    listener = PgListener(DATABASE_URL)
    listener.register_callback("orders_changed", lambda event: push_order_board(pool, manager))
    listener.on_connect(lambda: push_order_board(pool, manager))
    await listener.start()
    try:
        yield
    finally:
        await listener.stop()
        scheduler.shutdown()
        await pool.close()
'''


def test_the_interval_job_is_started_by_a_listener_where_its_scheduler_starts(migrated: tuple[Path, Result]) -> None:
    root, done = migrated
    main = (root / "app/server/main.py").read_text()
    original = (FIXTURE / "app/server/main.py").read_text()
    assert main[: len(MAIN)] == MAIN
    assert main[len(MAIN) :] == original[original.index("\n\napp = FastAPI(") :]
    assert "lambda event: push_order_board" not in done.stdout  # not printed: it is wired


def test_a_beat_task_is_printed_when_no_start_up_hook_can_queue_it(migrated: tuple[Path, Result]) -> None:
    _, done = migrated
    assert (
        "app/server/jobs/worker.py: export_open_orders no longer runs on a schedule, but Celery beat runs in a "
        "process of its own, and no lifespan or startup hook was found in a module that imports "
        "app.server.jobs.worker, where the task could be queued from."
    ) in " ".join(done.stdout.split())
    assert (
        "    import asyncio\n"
        "    from app.server.jobs.worker import export_open_orders\n"
        "    from app.server.services.pg_listener import PgListener\n"
        "    listener = PgListener(DATABASE_URL)\n"
        '    listener.register_callback("orders_changed", lambda event: asyncio.to_thread(export_open_orders.delay))\n'
        "    listener.on_connect(lambda: asyncio.to_thread(export_open_orders.delay))\n"
        "    await listener.start()\n"
        "and to its shutdown:\n"
        "    await listener.stop()"
    ) in done.stdout


def test_a_beat_task_is_wired_into_a_start_up_hook_that_already_queues_its_module_tasks() -> None:
    worker = (FIXTURE / JOBS / "worker.py").read_text()
    removed = remove_schedule(
        worker,
        worker.count("\n", 0, worker.index('"export-open-orders"')) + 1,
        "export_open_orders",
        channel="orders_changed",
    )
    main = (FIXTURE / "app/server/main.py").read_text()
    producer = main.replace(
        "from app.server.websocket", "from app.server.jobs.worker import stock_report\nfrom app.server.websocket"
    )
    wiring = ScheduleWiring(removed, "app.server.jobs.worker", "orders_changed", "app.server.services.pg_listener")
    assert wire_schedule(main, wiring, same_module=False) is None
    wired = wire_schedule(producer, wiring, same_module=False)
    assert wired is not None
    assert "\nimport asyncio\nimport os\n" in wired
    assert "from app.server.jobs.worker import export_open_orders, stock_report\n" in wired
    assert (
        "    scheduler.start()\n"
        "    listener = PgListener(DATABASE_URL)\n"
        '    listener.register_callback("orders_changed", lambda event: asyncio.to_thread(export_open_orders.delay))\n'
        "    listener.on_connect(lambda: asyncio.to_thread(export_open_orders.delay))\n"
        "    await listener.start()\n"
        "    try:\n"
    ) in wired


def test_the_job_gets_the_arguments_the_hook_passes_its_scheduler_or_is_refused() -> None:
    refresh = (FIXTURE / JOBS / "refresh.py").read_text()
    removed = remove_schedule(
        refresh,
        refresh.count("\n", 0, refresh.index("scheduler.add_job(\n")) + 1,
        "push_order_board",
        channel="orders_changed",
    )
    assert (removed.holder, removed.parameters) == ("build_scheduler", ("pool", "manager"))
    wiring = ScheduleWiring(removed, "app.server.jobs.refresh", "orders_changed", "app.server.services.pg_listener")
    main = (FIXTURE / "app/server/main.py").read_text()
    renamed = main.replace("build_scheduler(pool, manager)", "build_scheduler(manager=board, pool=app.state.pool)")
    wired = wire_schedule(renamed, wiring, same_module=False)
    assert wired is not None and "lambda event: push_order_board(app.state.pool, board))\n" in wired
    with pytest.raises(Unsafe, match="the start-up hook does not pass build_scheduler the job's argument manager"):
        wire_schedule(main.replace("build_scheduler(pool, manager)", "build_scheduler(pool)"), wiring, False)
    on_startup = (
        "from app.server.jobs.refresh import build_scheduler\n\n\n"
        '@app.on_event("startup")\n'
        "async def start() -> None:\n"
        "    pool = await asyncpg.create_pool(DATABASE_URL)\n"
        "    build_scheduler(pool, manager).start()\n"
    )
    with pytest.raises(Unsafe, match="no shutdown part"):
        wire_schedule(on_startup, wiring, same_module=False)


def test_changed_python_passes_ruff(migrated: tuple[Path, Result]) -> None:
    root, _ = migrated
    lint = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "E,F,W,I", "--line-length", "120",
         f"{JOBS}/refresh.py", f"{JOBS}/worker.py", "app/server/main.py"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_second_run_changes_nothing(migrated: tuple[Path, Result]) -> None:
    root, _ = migrated
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "migrate orders", cwd=root)
    done = migrate(root)
    assert done.exit_code == 0 and "Nothing to migrate" in done.stdout
    assert git("status", "--porcelain", cwd=root) == ""


def test_json_plan_lists_both_schedules(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURE, tmp_path / "stockroom"))
    init_repo(root)
    plan = json.loads(migrate(root, "--dry-run", "--format", "json").stdout)
    edits = {edit["path"]: edit["reason"] for edit in plan["edits"]}
    assert edits[f"{JOBS}/refresh.py"] == (
        "APScheduler interval job of push_order_board removed: it runs on orders_changed instead"
    )
    assert edits[f"{JOBS}/worker.py"] == (
        "Celery beat schedule of export_open_orders removed: it runs on orders_changed instead"
    )
    assert "app/server/migrations/orders_notify.up.sql" in edits
    assert edits["app/server/main.py"] == (
        "start app.server.services.pg_listener.PgListener calling push_order_board on orders_changed"
    )
    assert plan["skipped"] == [] and len(plan["manual"]) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("IntervalTrigger(seconds=ORDER_BOARD_SECONDS)", '"cron"'),
            'a "cron" job of push_order_board runs at set times',
        ),
        (("args=[pool, manager]", "kwargs={'pool': pool}"), "the job push_order_board is given kwargs"),
        (("args=[pool, manager]", "args=job_args"), "the job's args job_args are not written out"),
    ],
)
def test_unsafe_schedules_are_refused(change: tuple[str, str], reason: str) -> None:
    source = (FIXTURE / JOBS / "refresh.py").read_text().replace(*change)
    line = source.count("\n", 0, source.index("scheduler.add_job(\n")) + 1
    with pytest.raises(Unsafe, match=re.escape(reason)):
        remove_schedule(source, line, "push_order_board", channel="orders_changed")


def test_a_beat_entry_with_kwargs_is_refused() -> None:
    source = (
        (FIXTURE / JOBS / "worker.py")
        .read_text()
        .replace(
            '"schedule": ORDER_EXPORT_SECONDS,', '"schedule": ORDER_EXPORT_SECONDS,\n        "kwargs": {"limit": 50},'
        )
    )
    line = source.count("\n", 0, source.index('"export-open-orders"')) + 1
    with pytest.raises(Unsafe, match="passes kwargs"):
        remove_schedule(source, line, "export_open_orders", channel="orders_changed")


async def _messages_until(socket: websockets.ClientConnection, customer: str) -> None:
    """Read the order board's pushes until one lists `customer`; a hang guard, not a latency check."""
    async with asyncio.timeout(60):
        while customer not in {row["customer"] for row in json.loads(await socket.recv())["data"]}:
            pass


async def test_an_insert_runs_the_job_through_the_listener_the_lifespan_starts(
    migrated: tuple[Path, Result], tmp_path: Path
) -> None:
    root, _ = migrated
    migrations = root / "app/server/migrations"
    port = free_port()
    with postgres_server() as server:
        dsn = await fresh_database(server.get_uri(), migrations / "001_orders.sql", migrations / "orders_notify.up.sql")
        log = (tmp_path / "uvicorn.log").open("w")
        uvicorn = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.server.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env={**os.environ, "DATABASE_URL": dsn}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        writer = await asyncpg.connect(dsn)
        try:
            async with asyncio.timeout(60):
                while True:
                    try:
                        socket = await websockets.connect(f"ws://127.0.0.1:{port}/ws/orders")
                        break
                    except OSError:
                        assert uvicorn.poll() is None, (tmp_path / "uvicorn.log").read_text()
                        await asyncio.sleep(0.2)
            async with socket:
                # The first row reaches the board by its notification, or by the resync of a listener that
                # connected after it; either way the listener is connected once it arrives.
                await writer.execute("INSERT INTO orders (customer, total_cents) VALUES ('first', 100)")
                await _messages_until(socket, "first")
                # No schedule runs the job any more: only the second row's NOTIFY can push it.
                await writer.execute("INSERT INTO orders (customer, total_cents) VALUES ('second', 200)")
                await _messages_until(socket, "second")
        finally:
            await writer.close()
            uvicorn.terminate()
            uvicorn.wait(timeout=60)
            log.close()
    assert "Traceback" not in (tmp_path / "uvicorn.log").read_text()  # no job or listener failed
