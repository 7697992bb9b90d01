"""Extract a pinned commit of a fetched repository snapshot (a bare git directory) into a folder.

Snapshots may lack their largest blobs (and Git LFS content), which makes `git archive` fail: every
blob is streamed through one `git cat-file --batch` instead, and the ones the snapshot does not hold
are skipped and counted. Paths matching an exclusion glob are never written.
"""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True, slots=True)
class Extracted:
    files: int
    missing: tuple[str, ...]  # blobs the snapshot does not hold
    excluded: int


def excluded_by(path: str, patterns: Sequence[str]) -> bool:
    """Whether a glob names the path or one of its folders (`**/frontend_dist*` excludes what lies under it)."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    return any(fnmatch.fnmatchcase(prefix, pattern) for pattern in patterns for prefix in prefixes)


def extract(git_dir: Path, commit: str, destination: Path, exclude: Sequence[str] = ()) -> Extracted:
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "--full-tree", commit],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    blobs: list[tuple[str, str]] = []
    excluded = 0
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path_bytes = record.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        path = path_bytes.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode == "120000":  # submodules and symlinks are not source files
            continue
        if excluded_by(path, exclude):
            excluded += 1
            continue
        blobs.append((path, sha))
    missing: list[str] = []
    batch = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert batch.stdin is not None and batch.stdout is not None
    for path, sha in blobs:
        batch.stdin.write(sha.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            missing.append(path)
            continue
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)  # the newline after each object
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    batch.stdin.close()
    batch.wait()
    return Extracted(files=len(blobs) - len(missing), missing=tuple(missing), excluded=excluded)
