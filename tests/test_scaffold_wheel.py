"""The templates ship in the wheel: build it, install it into a throwaway venv, scaffold from there."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from scaffold_support import PLANNED_FEATURES_SCHEMA, REPO_ROOT

from polldetox.scaffold.render import KINDS_BY_PATTERN, template_name

pytestmark = pytest.mark.slow

# One command app around the scaffold function: runs from the installed wheel alone.
SCAFFOLD_MAIN = """
import sys, typer, polldetox
from polldetox.scaffold.command import scaffold_command
print("polldetox from", polldetox.__file__, file=sys.stderr)
app = typer.Typer()
app.command()(scaffold_command)
app()
"""


def test_wheel_ships_every_template_and_scaffolds_from_an_install(tmp_path: Path) -> None:
    # Build from a copy: an in-tree build would leave build/ and egg-info in the repository.
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", source)
    shutil.copy(REPO_ROOT / "README.md", source)
    shutil.copytree(REPO_ROOT / "polldetox", source / "polldetox", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("polldetox-*.whl")

    templates = {
        path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "polldetox" / "templates").rglob("*.j2")
    }
    used = {
        f"polldetox/templates/{template_name(kind, pattern)}"
        for pattern, kinds in KINDS_BY_PATTERN.items()
        for kind in kinds
    }
    assert used <= templates
    with zipfile.ZipFile(wheel) as archive:
        assert templates <= set(archive.namelist())

    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    purelib = subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    # The dependencies (typer, jinja2, sqlglot...) come from this environment's site-packages as a
    # plain path entry; its editable polldetox is not activated, so the wheel's copy is the one imported.
    (Path(purelib) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", purelib, str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip

    out = tmp_path / "project"
    result = subprocess.run(
        [str(python), "-c", SCAFFOLD_MAIN, "planned_features", "--schema", str(PLANNED_FEATURES_SCHEMA),
         "--out", str(out), "--dry-run", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"polldetox from {purelib}" in result.stderr
    assert len(json.loads(result.stdout)["files"]) == 13

    result = subprocess.run(
        [str(python), "-c", SCAFFOLD_MAIN, "planned_features", "--schema", str(PLANNED_FEATURES_SCHEMA),
         "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "pg_notify('planned_features_changed'"
        in (out / "app/server/migrations/planned_features_notify.up.sql").read_text()
    )
    assert (out / "app/client/src/hooks/useReconnectingWebSocket.ts").is_file()
