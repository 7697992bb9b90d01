"""Shared helpers: write small source trees that look like real projects."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

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
