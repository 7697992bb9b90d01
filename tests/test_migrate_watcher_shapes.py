"""Watcher loops nested in a block: the loop inside `with` or `try` is migrated; each refusal names the shape."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ci_fixtures.scans import init_repo
from typer.testing import CliRunner

from polldetox.cli import app
from polldetox.migrate.python_edits import Unsafe, Watcher, migrate_watcher

RUFF = Path(sys.executable).parent / "ruff"
WATCHER = Watcher("Broadcaster.watch_patterns", "on_patterns_change")

ORDERS_WATCHER = """\
import asyncio


async def watch_orders(pool, manager):
    async with pool.acquire() as conn:
        while True:
            rows = await conn.fetch("SELECT id, status FROM orders")
            await manager.broadcast({"type": "orders_update", "orders": [dict(r) for r in rows]})
            await asyncio.sleep(5)
"""


def test_the_loop_inside_async_with_becomes_a_callback_that_enters_the_block(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n')
    (root / "app/__init__.py").write_text("")
    (root / "app/watch.py").write_text(ORDERS_WATCHER)
    init_repo(root)
    done = CliRunner().invoke(app, ["migrate", "orders", "--root", str(root)])
    assert done.exit_code == 0, done.output
    assert (root / "app/watch.py").read_text() == (
        "from typing import Any\n\n\n"
        "async def on_orders_change(pool, manager, event: dict[str, Any]):\n"
        "    async with pool.acquire() as conn:\n"
        '        rows = await conn.fetch("SELECT id, status FROM orders")\n'
        '        await manager.broadcast({"type": "orders_update", "orders": [dict(r) for r in rows]})\n'
    )
    checked = subprocess.run([RUFF, "check", "--select", "F,E9,B", "app"], cwd=root, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def broadcaster(body: str) -> str:
    """A watcher method whose body is `body`, in the module shape of a FastAPI app's background tasks."""
    method = textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8)
    return (
        "import asyncio\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
        "class Broadcaster:\n"
        "    async def start(self) -> None:\n"
        "        self.tasks = [asyncio.create_task(self.watch_patterns())]\n\n"
        f"    async def watch_patterns(self) -> None:\n{method}\n"
    )


CANCEL_WRAPPED = """
    try:
        # Import here to avoid circular dependencies
        from services.pattern_sync import sync_patterns

        while True:
            try:
                result = await sync_patterns(self.pool)
                await self.manager.broadcast({"type": "patterns_update", "data": result})
                await asyncio.sleep(3600)
            except Exception as e:
                logger.error(f"pattern sync failed: {e}")
                await asyncio.sleep(300)  # back off
    except asyncio.CancelledError:
        logger.info("pattern sync watcher cancelled")
        raise
"""


def test_set_up_imports_in_a_try_that_only_logs_cancellation_move_into_the_callback() -> None:
    out = migrate_watcher(broadcaster(CANCEL_WRAPPED), WATCHER)
    assert (
        "    async def on_patterns_change(self, event: dict[str, Any]) -> None:\n"
        "        # Import here to avoid circular dependencies\n"
        "        from services.pattern_sync import sync_patterns\n\n"
        "        try:\n"
        "            result = await sync_patterns(self.pool)\n"
        '            await self.manager.broadcast({"type": "patterns_update", "data": result})\n'
        "        except Exception as e:\n"
        '            logger.error(f"pattern sync failed: {e}")\n'
    ) in out
    assert "CancelledError" not in out and "while" not in out and "sleep" not in out
    assert "self.tasks = []" in out


def test_a_try_whose_handler_catches_the_watchers_errors_stays_around_the_callback() -> None:
    source = broadcaster(
        """
        try:
            while True:
                rows = await self.pool.fetch("SELECT id, name FROM patterns")
                await self.manager.broadcast({"type": "patterns_update", "data": rows})
                await asyncio.sleep(60)
        except OSError:
            logger.exception("pattern watcher stopped")
        """
    )
    out = migrate_watcher(source, WATCHER)
    assert (
        "        try:\n"
        '            rows = await self.pool.fetch("SELECT id, name FROM patterns")\n'
        '            await self.manager.broadcast({"type": "patterns_update", "data": rows})\n'
        "        except OSError:\n"
        '            logger.exception("pattern watcher stopped")\n'
    ) in out


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            CANCEL_WRAPPED.replace(
                "        while True:", "        service = PatternSync(self.pool)\n\n        while True:"
            ),
            "it sets up state before the loop inside `try:` (service) that each tick reads",
        ),
        (
            CANCEL_WRAPPED.replace(
                "        while True:", '        logger.info("pattern sync started")\n        while True:'
            ),
            'it runs `logger.info("pattern sync started")` once before the loop inside `try:`; '
            "a callback would run it on every change: move it to start-up by hand",
        ),
        (
            """
            conn = await asyncpg.connect(self.dsn)
            with Live(refresh_per_second=1) as live:
                while True:
                    live.update(await conn.fetch("SELECT pid FROM pg_stat_activity"))
                    await asyncio.sleep(1)
            """,
            "it sets up state before the loop inside `with Live(refresh_per_second=1) as live:` (conn)",
        ),
        (
            """
            if self.enabled:
                while True:
                    await asyncio.sleep(1)
            """,
            "the loop sits in a block other than `with` or `try` (`if self.enabled:`): move it out of that block",
        ),
        (
            """
            async with self.pool.acquire() as conn:
                while True:
                    await asyncio.sleep(1)
            await conn.close()
            """,
            "statements follow the loop",
        ),
        (
            """
            async with self.pool.acquire() as conn:
                while True:
                    await asyncio.sleep(1)
            while True:
                await asyncio.sleep(1)
            """,
            "the watcher does more than one loop",
        ),
        ("await asyncio.sleep(1)", "the watcher has no `while` loop"),
    ],
)
def test_nested_shapes_left_alone_name_the_shape(body: str, reason: str) -> None:
    with pytest.raises(Unsafe) as refused:
        migrate_watcher(broadcaster(body), WATCHER)
    assert reason in str(refused.value)
