"""The cache across scans: an unchanged tree is neither listed nor read again, and every change is seen.

Files and folders are dated back first, as in a real checkout: fresh timestamps cannot vouch for
anything, so a tree written a moment ago is listed again whatever the cache holds.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from polldetox.config import load_config
from polldetox.scan import engine
from polldetox.scan import files as discovery

WATCHER = """
import asyncio


async def watch_{name}(pool):
    while True:
        await pool.fetch("SELECT id FROM {name}")
        await asyncio.sleep(5)
"""

TREE = {
    "app/services/queue.py": WATCHER.format(name="queue_items"),
    "app/services/jobs.py": WATCHER.format(name="jobs"),
    "app/models.py": "class Item:\n    id: int\n",
    "web/src/utils.ts": "export const add = (a: number, b: number) => a + b;\n",
}


def _age(root: Path, seconds: float = 60) -> None:
    """Date every file and folder under root back."""
    past = time.time() - seconds
    for path in [*root.rglob("*"), root]:
        os.utime(path, (past, past))


def _scan(root: Path, **overrides):
    return engine.scan([root], replace(load_config(root), jobs=1, **overrides))


def _tables(result) -> list[str]:
    return sorted(finding.location.path for finding in result.findings)


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders the walk lists from now on (by name), rather than taking them from the cache."""
    names: list[str] = []
    real_list = discovery._Walker._list

    def counting_list(self, directory: str, *args):
        names.append(os.path.basename(directory))
        return real_list(self, directory, *args)

    monkeypatch.setattr(discovery._Walker, "_list", counting_list)
    return names


def test_a_warm_scan_of_an_unchanged_tree_lists_no_folder(write_tree, listed) -> None:
    root = write_tree(TREE)
    _age(root)
    cold = _scan(root)
    assert sorted(listed) == sorted([root.name, "app", "services", "web", "src"])
    listed.clear()
    warm = _scan(root)
    assert listed == []
    assert warm.findings == cold.findings
    assert (warm.files_scanned, warm.lines_scanned) == (4, cold.lines_scanned)


def test_new_and_deleted_files_and_folders_are_seen(write_tree, listed) -> None:
    root = write_tree(TREE)
    _age(root)
    assert _tables(_scan(root)) == ["app/services/jobs.py", "app/services/queue.py"]
    (root / "app/services/orders.py").write_text(WATCHER.format(name="orders"), encoding="utf-8")
    (root / "app/services/jobs.py").unlink()
    (root / "app/workers").mkdir()
    (root / "app/workers/mail.py").write_text(WATCHER.format(name="mail"), encoding="utf-8")
    listed.clear()
    result = _scan(root)
    assert _tables(result) == ["app/services/orders.py", "app/services/queue.py", "app/workers/mail.py"]
    assert result.files_scanned == 5
    assert sorted(listed) == ["app", "services", "workers"]  # only the folders that changed


def test_a_folder_that_becomes_a_virtualenv_is_left_out(write_tree) -> None:
    root = write_tree(TREE)
    _age(root)
    assert _scan(root).files_scanned == 4
    (root / "app/services/pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    assert _tables(_scan(root)) == []


def test_a_gitignore_edited_in_place_is_seen(write_tree) -> None:
    root = write_tree({**TREE, ".gitignore": "# nothing ignored\n"})
    _age(root)
    assert _scan(root).files_scanned == 4
    gitignore = root / ".gitignore"
    folder_mtime = root.stat().st_mtime_ns
    with gitignore.open("a", encoding="utf-8") as handle:  # appended in place: the folder is unchanged
        handle.write("app/services/jobs.py\n")
    _age(gitignore)
    assert root.stat().st_mtime_ns == folder_mtime
    result = _scan(root)
    assert _tables(result) == ["app/services/queue.py"]
    assert result.files_scanned == 3


def test_a_new_gitignore_in_a_parent_folder_reaches_the_folders_below(write_tree) -> None:
    root = write_tree(TREE)
    _age(root)
    assert _scan(root).files_scanned == 4
    (root / "app/.gitignore").write_text("services/jobs.py\n", encoding="utf-8")
    _age(root)  # app/services itself is unchanged: only the .gitignore above it tells
    result = _scan(root)
    assert _tables(result) == ["app/services/queue.py"]
    assert result.files_scanned == 3
    (root / "app/.gitignore").unlink()
    assert _scan(root).files_scanned == 4


def test_a_changed_exclusion_setting_lists_the_tree_again(write_tree, listed) -> None:
    root = write_tree(TREE)
    _age(root)
    assert _scan(root).files_scanned == 4
    config = load_config(root)
    excluded = engine.scan([root], replace(config, jobs=1, extend_exclude=("web/",)))
    assert excluded.files_scanned == 3
    assert _scan(root).files_scanned == 4
    (root / ".polldetox.toml").write_text('extend-exclude = ["app/services/jobs.py"]\n', encoding="utf-8")
    assert _tables(_scan(root)) == ["app/services/queue.py"]


def test_without_respecting_gitignore_ignored_files_come_back(write_tree) -> None:
    root = write_tree({**TREE, ".gitignore": "web/\n"})
    _age(root)
    assert _scan(root).files_scanned == 3
    assert _scan(root, respect_gitignore=False).files_scanned == 4
    assert _scan(root).files_scanned == 3


def test_a_constant_changed_in_place_reaches_the_files_importing_it(write_tree, listed) -> None:
    root = write_tree(
        {
            "app/server/settings.py": "QUEUE_POLL_SECONDS = 2\n",
            "app/server/services/queue.py": """
            import asyncio

            from app.server.settings import QUEUE_POLL_SECONDS


            async def watch_queue(pool):
                while True:
                    await pool.fetch("SELECT id FROM queue_items")
                    await asyncio.sleep(QUEUE_POLL_SECONDS)
            """,
        }
    )
    _age(root)
    assert [finding.interval_seconds for finding in _scan(root).findings] == [2.0]
    settings = root / "app/server/settings.py"
    settings.write_text("QUEUE_POLL_SECONDS = 45\n", encoding="utf-8")  # its folder is unchanged
    _age(settings)
    listed.clear()
    assert [finding.interval_seconds for finding in _scan(root).findings] == [45.0]
    assert listed == []
