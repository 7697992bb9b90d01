"""`polldetox migrate` on jobs whose schedule is the polling: an APScheduler interval job and a Celery beat entry."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ci_fixtures.scans import REPO_ROOT, git, init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app
from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.python_schedules import remove_schedule

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


def test_the_listener_registration_is_printed_for_each_job(migrated: tuple[Path, Result]) -> None:
    _, done = migrated
    assert (
        "    from app.server.jobs.refresh import push_order_board\n"
        "    from app.server.services.pg_listener import PgListener\n"
        "    listener = PgListener(DATABASE_URL)\n"
        '    listener.register_callback("orders_changed", lambda event: push_order_board(pool, manager))\n'
        "    listener.on_connect(lambda: push_order_board(pool, manager))\n"
    ) in done.stdout
    assert (
        "    import asyncio\n    from app.server.jobs.worker import export_open_orders\n" in done.stdout
        and "lambda event: asyncio.to_thread(export_open_orders.delay))" in done.stdout
    )


def test_changed_python_passes_ruff(migrated: tuple[Path, Result]) -> None:
    root, _ = migrated
    lint = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "E,F,W,I", "--line-length", "120",
         f"{JOBS}/refresh.py", f"{JOBS}/worker.py"],
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
    assert plan["skipped"] == [] and len(plan["manual"]) == 2


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
        remove_schedule(source, line, "push_order_board")


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
        remove_schedule(source, line, "export_open_orders")
