"""Guards of the test run itself: a skip cannot hide a missing tool, a hang cannot stall CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, SLOW_TIMEOUT_SECONDS

SAMPLE = """
import pytest


def test_runs():
    pass


def test_needs_a_tool():
    pytest.skip("the tool is not installed")


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""


def run_sample(tmp_path: Path, allowed: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import ALLOWED_SKIPS, pytest_runtest_logreport, pytest_sessionfinish, "
        f"pytest_terminal_summary\n\nALLOWED_SKIPS.update({allowed!r})\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_an_unexpected_skip_fails_the_run(tmp_path: Path) -> None:
    done = run_sample(tmp_path, {})
    assert done.returncode == 1, done.stdout
    assert "unexpected skips" in done.stdout
    assert "test_sample.py::test_needs_a_tool: the tool is not installed" in done.stdout
    assert "test_known_bug" not in done.stdout.split("unexpected skips")[1]  # an expected failure is no skip


def test_a_skip_on_the_allow_list_passes(tmp_path: Path) -> None:
    done = run_sample(tmp_path, {"test_sample.py::test_needs_a_tool": "needs hardware CI does not have"})
    assert done.returncode == 0, done.stdout
    assert "unexpected skips" not in done.stdout
    assert "SKIPPED [1] test_sample.py:" in done.stdout  # still listed by -rs


def test_every_test_has_the_default_timeout(request: pytest.FixtureRequest) -> None:
    assert float(request.config.getini("timeout")) == 300
    assert request.node.get_closest_marker("timeout") is None


@pytest.mark.slow
def test_a_slow_test_gets_a_longer_timeout(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("timeout").args == (SLOW_TIMEOUT_SECONDS,)
