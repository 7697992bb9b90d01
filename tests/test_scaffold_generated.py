"""The generated code passes the checks a project runs on it: ruff, tsc --strict, vitest, its own pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scaffold_support import (
    BILLING_SCHEMA,
    NODE_MODULES,
    PLANNED_FEATURES_SCHEMA,
    node_tree,
    pytest_outcomes,
    run_scaffold,
    vitest_outcomes,
)

pytestmark = pytest.mark.slow

RUFF = Path(sys.executable).parent / "ruff"
# The newest ruff's default rules plus the project's own selection; src makes the generated
# services/ and routes/ first-party, as the app's own packages.
RUFF_CONFIG = """\
line-length = 120
target-version = "py311"
src = ["app/server"]
[lint]
extend-select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tables scaffolded into one project: the second extends the shared api.ts."""
    out = tmp_path_factory.mktemp("project")
    for arguments in (
        ("planned_features", "--schema", PLANNED_FEATURES_SCHEMA),
        ('"Billing"."Order"', "--schema", BILLING_SCHEMA, "--statement-level"),
    ):
        result = run_scaffold(*arguments, "--out", out)
        assert result.exit_code == 0, result.output
    return out


def _ruff(tree: Path) -> subprocess.CompletedProcess[str]:
    (tree / "ruff.toml").write_text(RUFF_CONFIG)
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "."], cwd=tree, capture_output=True, text=True, check=False
    )


def test_generated_python_passes_ruff(project: Path) -> None:
    result = _ruff(project)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("pattern", ["file", "action"])
def test_file_and_action_patterns_pass_ruff_tsc_and_their_own_tests(pattern: str, tmp_path: Path) -> None:
    result = run_scaffold("workflow_definitions", "--pattern", pattern, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    lint = _ruff(tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "app/server/tests"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert pytest_outcomes(tests.stdout) == {"passed": 2}
    tree = node_tree(tmp_path)
    tsc = subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict", "--noEmit"],
        cwd=tree, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    vitest = subprocess.run(
        [str(NODE_MODULES / ".bin" / "vitest"), "run", "--config", "vitest.config.ts"],
        cwd=tree, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "CI": "1", "NO_COLOR": "1"},
    )  # fmt: skip
    assert vitest.returncode == 0, vitest.stdout + vitest.stderr
    outcomes = vitest_outcomes(vitest.stdout)
    assert outcomes["tests passed"] == 9 and not any("failed" in kind for kind in outcomes), vitest.stdout


def test_generated_typescript_passes_tsc_strict(project: Path) -> None:
    tree = node_tree(project)
    api = (tree / "app/client/src/config/api.ts").read_text()
    assert "plannedFeatures: (): string =>" in api and "order: (): string =>" in api
    result = subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict", "--noEmit"],
        cwd=tree, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_hook_tests_pass_under_vitest(project: Path) -> None:
    tree = node_tree(project)
    result = subprocess.run(
        [str(NODE_MODULES / ".bin" / "vitest"), "run", "--config", "vitest.config.ts"],
        cwd=tree, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "CI": "1", "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert vitest_outcomes(result.stdout) == {"files passed": 2, "tests passed": 18}, result.stdout


@pytest.mark.parametrize("pattern", ["db", "file", "action"])
def test_polldetox_finds_no_polling_in_what_it_generates(pattern: str, tmp_path: Path) -> None:
    from polldetox.config import load_config
    from polldetox.scan import engine

    arguments = ["--schema", PLANNED_FEATURES_SCHEMA] if pattern == "db" else []
    assert run_scaffold("planned_features", "--pattern", pattern, *arguments, "--out", tmp_path).exit_code == 0
    result = engine.scan([tmp_path], load_config(tmp_path))
    assert result.errors == ()
    assert result.findings == (), [f"{f.location.path}:{f.location.line} {f.message}" for f in result.findings]
    assert result.suppressed == ()  # and without a single suppression comment
