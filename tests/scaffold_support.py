"""Helpers for the scaffold tests: run the command, import a generated tree, serve it with uvicorn."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import ModuleType

import asyncpg
import pgserver
import pytest
import typer
import uvicorn
from typer.testing import CliRunner, Result

from polldetox.scaffold.command import scaffold_command

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "scaffold_fixtures"
PLANNED_FEATURES_SCHEMA = FIXTURES / "migrations"
BILLING_SCHEMA = FIXTURES / "billing.sql"
BULK_SCHEMA = FIXTURES / "bulk.sql"
NODE_MODULES = REPO_ROOT / "node_modules"


def scaffold_app() -> typer.Typer:
    """The command as the CLI registers it, in an app of its own."""
    app = typer.Typer()
    app.command("scaffold")(scaffold_command)

    @app.callback()
    def main() -> None:
        """polldetox"""

    return app


def run_scaffold(*arguments: str | Path) -> Result:
    return CliRunner().invoke(scaffold_app(), ["scaffold", *map(str, arguments)])


@contextmanager
def generated_modules(python_root: Path, *names: str) -> Iterator[dict[str, ModuleType]]:
    """Import generated modules (dotted, relative to python_root); forget them afterwards."""
    sys.path.insert(0, str(python_root))
    before = set(sys.modules)
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(python_root))
        for name in set(sys.modules) - before:
            del sys.modules[name]


@contextmanager
def postgres_server() -> Iterator[pgserver.PostgresServer]:
    """A PostgreSQL server of its own (pgserver), stopped and deleted afterwards."""
    # Not under pytest's tmp folders: the server runs as its own user, which must reach the data folder.
    data = tempfile.mkdtemp(prefix="polldetox-pg-")
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


_databases = itertools.count(1)


async def fresh_database(server_uri: str, *schema_files: Path) -> str:
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


def schema_files(*sources: Path) -> list[Path]:
    """SQL files in order: a folder's *.sql sorted by name, a file as itself."""
    return [file for source in sources for file in (sorted(source.glob("*.sql")) if source.is_dir() else [source])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serving(app: object, **options: object) -> AsyncIterator[int]:
    """Run an ASGI app under a real uvicorn server on 127.0.0.1; yields the port. options: uvicorn.Config's."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):  # at most 20 s
            if server.started:
                break
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError("uvicorn did not start within 20 s")
        yield port
    finally:
        server.should_exit = True
        await task


def node_tree(project: Path) -> Path:
    """Make a generated tree checkable by tsc and vitest: the strict tsconfig, the vitest config, node_modules."""
    if not (NODE_MODULES / ".bin" / "tsc").exists():
        pytest.skip(f"{NODE_MODULES} is absent: run `npm ci` at the repository root")
    for name in ("tsconfig.json", "vitest.config.ts"):
        shutil.copy(REPO_ROOT / "tests" / "ts" / name, project / name)
    link = project / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return project
