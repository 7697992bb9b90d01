"""Shared helpers: write small source trees that look like real projects."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import uvloop

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO = REPO_ROOT / "fixtures" / "demo"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own facts cache, so no test sees another's cached facts."""
    monkeypatch.setenv("POLLDETOX_CACHE_DIR", str(tmp_path_factory.mktemp("polldetox-cache")))


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[Mapping[str, str]], Path]:
    """Write {relative path: source} under tmp_path (dedented) and return the root."""

    def write(files: Mapping[str, str]) -> Path:
        for relative, source in files.items():
            target = tmp_path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


# The event loops a test may ask for with mark.asyncio(loop_factories=[...]): asyncio's own, and uvloop's,
# which uvicorn runs on by itself when it is installed (`uvicorn[standard]`). Other tests run on asyncio's.
EVENT_LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], object]]:
    marker = item.get_closest_marker("asyncio")
    if marker is not None and "loop_factories" in marker.kwargs:
        return EVENT_LOOPS
    return {"asyncio": EVENT_LOOPS["asyncio"]}


# A skipped test proves nothing, and a skip that hides a missing tool hides a broken CI. The run fails
# on any skip not listed here, by test id, with the reason it is acceptable.
ALLOWED_SKIPS: dict[str, str] = {}

# End-to-end tests start PostgreSQL, uvicorn, node or a wheel build: they get longer than the default
# timeout in pyproject.toml.
SLOW_TIMEOUT_SECONDS = 900

_unexpected_skips: list[pytest.TestReport] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_SECONDS))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail") and report.nodeid not in ALLOWED_SKIPS:
        _unexpected_skips.append(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _unexpected_skips:
        return
    terminalreporter.section("unexpected skips", red=True, bold=True)
    for report in _unexpected_skips:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.line(f"{report.nodeid}: {reason.removeprefix('Skipped: ')}")
    terminalreporter.line("Make .ci/run install what they need, or list them in ALLOWED_SKIPS with the reason.")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
