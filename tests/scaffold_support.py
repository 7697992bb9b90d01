"""Helpers for the scaffold tests: run the command, import a generated tree, serve it with uvicorn."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import re
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
import uvicorn
from typer.testing import CliRunner, Result

from polldetox.cli import app as polldetox_app

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "scaffold_fixtures"
PLANNED_FEATURES_SCHEMA = FIXTURES / "migrations"
BILLING_SCHEMA = FIXTURES / "billing.sql"
BULK_SCHEMA = FIXTURES / "bulk.sql"
NODE_MODULES = REPO_ROOT / "node_modules"


def run_scaffold(*arguments: str | Path) -> Result:
    """`polldetox scaffold ...` through the real command-line app."""
    return CliRunner().invoke(polldetox_app, ["scaffold", *map(str, arguments)])


def pytest_outcomes(output: str) -> dict[str, int]:
    """pytest's closing line as numbers: "12 passed, 1 warning in 0.40s" -> {"passed": 12}."""
    closing = output.strip().splitlines()[-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", closing)}
    assert counts, f"no pytest summary in {closing!r}"
    return counts


def vitest_outcomes(output: str) -> dict[str, int]:
    """vitest's closing counts as numbers: {"files passed": 2, "tests passed": 12}."""
    found = re.findall(r"^\s*(Test Files|Tests)\s+(.+?)\s+\(\d+\)\s*$", output, flags=re.M)
    counts = {}
    for label, detail in found:
        for n, kind in re.findall(r"(\d+) (passed|failed|skipped|todo)", detail):
            counts[f"{'files' if label == 'Test Files' else 'tests'} {kind}"] = int(n)
    assert counts, f"no vitest summary in {output[-500:]!r}"
    return counts


def _loaded_from(module: ModuleType, root: Path) -> bool:
    """Whether a module (or a namespace package, which has no file) was loaded from under root."""
    places = [module.__file__] if getattr(module, "__file__", None) else list(getattr(module, "__path__", []))
    return any(Path(place).resolve().is_relative_to(root) for place in places)


@contextmanager
def generated_modules(python_root: Path, *names: str) -> Iterator[dict[str, ModuleType]]:
    """Import generated modules (dotted, relative to python_root); forget them afterwards.

    Only the generated tree's modules are forgotten. A library first imported meanwhile (uvicorn loads
    its httptools protocol when the first server starts) stays: a C extension is not loaded twice, so a
    re-imported httptools would define new exception classes while its parser still raises the old
    ones, and uvicorn would no longer catch the upgrade of a WebSocket request."""
    root = python_root.resolve()
    sys.path.insert(0, str(python_root))
    before = set(sys.modules)
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(python_root))
        for name in set(sys.modules) - before:
            if _loaded_from(sys.modules[name], root):
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
    # Bounded shutdown: a connection a test's clients aborted must not keep the server, and the test, open.
    options.setdefault("timeout_graceful_shutdown", 10)
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
        raise AssertionError(f"{NODE_MODULES} is absent: run `npm ci` at the repository root")
    for name in ("tsconfig.json", "vitest.config.ts"):
        shutil.copy(REPO_ROOT / "tests" / "ts" / name, project / name)
    link = project / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return project
