"""Helpers shared by the CI tests: run the real CLI, write polling code, drive git."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "fixtures" / "demo"

QUEUE_WATCHER_PY = """\
import asyncio


async def watch_queue(pool, websocket_manager):
    while True:
        rows = await pool.fetch("SELECT id, name, status FROM queue_items")
        await websocket_manager.broadcast({"type": "queue_update", "data": [dict(r) for r in rows]})
        await asyncio.sleep(2)
"""

JOBS_WATCHER_PY = """

async def watch_jobs(pool, websocket_manager):
    while True:
        rows = await pool.fetch("SELECT id, state FROM jobs")
        await websocket_manager.broadcast({"type": "jobs_update", "data": [dict(r) for r in rows]})
        await asyncio.sleep(5)
"""


def polldetox(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`polldetox ARGS` as CI runs it: a separate process, no terminal."""
    env = {**os.environ, "CI": "true", "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "polldetox", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def init_repo(root: Path) -> None:
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "first", cwd=root)
