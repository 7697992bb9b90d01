"""Extracting a pinned commit from a repository snapshot that lacks some of its blobs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
spec = importlib.util.spec_from_file_location("snapshots", BENCH / "snapshots.py")
assert spec is not None and spec.loader is not None
snapshots = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = snapshots  # dataclasses look their module up there
spec.loader.exec_module(snapshots)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_extract_writes_the_commit_skips_exclusions_and_counts_missing_blobs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files = {
        "app/server/watch.py": "import time\n",
        "app/frontend_dist_pro/bundle.js": "minified();\n",
        "app/vendor/monaco-editor/editor.js": "vendored();\n",
        "data/huge.csv": "a,b\n1,2\n",
    }
    for relative, text in files.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(text)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one", cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    (repo / "app/server/watch.py").write_text("changed after the commit\n")
    # A snapshot without its largest blobs: delete the loose object of one file.
    blob = git("rev-parse", "HEAD:data/huge.csv", cwd=repo)
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()

    out = tmp_path / "out"
    extracted = snapshots.extract(repo / ".git", commit, out, ("**/frontend_dist*", "**/monaco-editor"))

    assert extracted.files == 1 and extracted.excluded == 2
    assert extracted.missing == ("data/huge.csv",)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["app/server/watch.py"]
    assert (out / "app/server/watch.py").read_text() == "import time\n"
