"""The templates ship in the wheel and the sdist: build them, install into a throwaway venv, scaffold from there."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from scaffold_support import PLANNED_FEATURES_SCHEMA, REPO_ROOT

from polldetox.scaffold.render import KINDS_BY_PATTERN, template_name

pytestmark = pytest.mark.slow

# `polldetox scaffold ...` through the installed package's own command-line app.
SCAFFOLD_MAIN = """
import sys, polldetox
from polldetox.cli import app
print("polldetox from", polldetox.__file__, file=sys.stderr)
app(["scaffold", *sys.argv[1:]], prog_name="polldetox")
"""


def _source_copy(tmp_path: Path) -> Path:
    """The files a release is built from; an in-tree build would leave build output in the repository."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", source)
    shutil.copy(REPO_ROOT / "README.md", source)
    for folder in ("polldetox", "templates"):
        shutil.copytree(REPO_ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True, timeout=300)


def _templates_in_repository() -> set[str]:
    return {path.relative_to(REPO_ROOT / "templates").as_posix() for path in (REPO_ROOT / "templates").rglob("*.j2")}


def test_wheel_and_sdist_ship_every_template(tmp_path: Path) -> None:
    source = _source_copy(tmp_path)
    dist = tmp_path / "dist"
    # `python -m build` makes the sdist, then the wheel from the unpacked sdist, as a release does.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("polldetox-*.whl")
    templates = _templates_in_repository()
    used = {template_name(kind, pattern) for pattern, kinds in KINDS_BY_PATTERN.items() for kind in kinds}
    assert used <= templates
    with zipfile.ZipFile(wheel) as archive:
        assert {f"polldetox/templates/{name}" for name in templates} <= set(archive.namelist())

    (sdist,) = dist.glob("polldetox-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {f"templates/{name}" for name in templates} <= names


@pytest.mark.parametrize("install_from", ["wheel", "source folder"])
def test_an_install_scaffolds_from_its_own_templates(tmp_path: Path, install_from: str) -> None:
    source = _source_copy(tmp_path)
    target = source
    if install_from == "wheel":
        _pip("wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source))
        (target,) = (tmp_path / "dist").glob("polldetox-*.whl")
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
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", purelib, str(target)],
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
