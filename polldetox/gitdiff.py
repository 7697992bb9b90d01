"""What git knows about the scanned project, for CI.

`--diff-base REV`: which lines a pull request touches, so only polling it adds is reported. The
working tree is compared with the merge base of REV and HEAD (what a pull request adds, even
when the target branch has moved on since), through `git diff -U0`. Files git does not track yet
are new in their entirety.

Paths from the repository's top: code scanning, pull request annotations and merge request
widgets place a finding by its path in the repository, and a project configured in a folder of
a monorepo reports paths relative to that folder.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from polldetox.findings import Finding, Location, ScanResult

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPE = re.compile(rb"\\(?:([0-7]{3})|(.))", re.DOTALL)
_C_ESCAPES = {b"a": b"\a", b"b": b"\b", b"t": b"\t", b"n": b"\n", b"v": b"\v", b"f": b"\f", b"r": b"\r"}


class GitDiffError(Exception):
    """The changed lines cannot be known; the message says why and what to do."""


def changed_lines(root: Path, rev: str) -> dict[str, frozenset[int]]:
    """Root-relative "/" paths -> line numbers added or modified in the working tree since REV."""
    if _git(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise GitDiffError(f"--diff-base needs a git repository, and {root} is not inside one")
    base = _base(root, rev)
    # Options that repository settings could otherwise change: a moved file is not new code, and
    # line numbers are those of the file itself, not of a textconv filter's rendering of it.
    diff = _git(
        root,
        *("diff", "-U0", "--find-renames", "--no-textconv", "--no-color", "--no-ext-diff"),
        *("--relative", "--no-prefix", base, "--"),
    )
    if diff.returncode != 0:
        raise GitDiffError(f"git diff against {rev} failed: {diff.stderr.decode(errors='replace').strip()}")
    changed = _parse_diff(diff.stdout)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for name in filter(None, untracked.stdout.split(b"\0")):
        relative = name.decode("utf-8", errors="surrogateescape")
        changed[relative] = frozenset(range(1, _line_count(root / relative) + 1))
    return changed


def filter_to_changed(result: ScanResult, changed: Mapping[str, frozenset[int]]) -> ScanResult:
    """Keep the findings (and scan errors) that touch a changed line; counts of the scan stay."""
    return replace(
        result,
        findings=_touching(result.findings, changed),
        suppressed=_touching(result.suppressed, changed),
        errors=tuple(error for error in result.errors if error.path in changed),
    )


def from_repository_top(result: ScanResult, root: Path) -> ScanResult:
    """The result with every path relative to the top of the git work tree holding `root`.

    Unchanged when `root` is that top, or is not in a git work tree (or git is not installed).
    """
    try:
        shown = _git(root, "rev-parse", "--show-prefix")
    except GitDiffError:
        return result
    prefix = shown.stdout.decode("utf-8", errors="surrogateescape").strip() if shown.returncode == 0 else ""
    if not prefix:
        return result
    return replace(
        result,
        findings=tuple(_prefixed(f, prefix) for f in result.findings),
        suppressed=tuple(_prefixed(f, prefix) for f in result.suppressed),
        errors=tuple(replace(error, path=prefix + error.path) for error in result.errors),
    )


def _prefixed(finding: Finding, prefix: str) -> Finding:
    def place(location: Location) -> Location:
        return replace(location, path=prefix + location.path)

    related = tuple(replace(r, location=place(r.location)) for r in finding.related)
    return replace(finding, location=place(finding.location), related=related)


def touches_changed(finding: Finding, changed: Mapping[str, frozenset[int]]) -> bool:
    """Whether the finding, or a place it involves, is on a changed line."""
    return any(_touches(place, changed) for place in (finding.location, *(r.location for r in finding.related)))


def _touching(findings: tuple[Finding, ...], changed: Mapping[str, frozenset[int]]) -> tuple[Finding, ...]:
    return tuple(finding for finding in findings if touches_changed(finding, changed))


def _touches(location: Location, changed: Mapping[str, frozenset[int]]) -> bool:
    lines = changed.get(location.path)
    if not lines:
        return False
    return any(line in lines for line in range(location.line, max(location.end_line, location.line) + 1))


def _base(root: Path, rev: str) -> str:
    if _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise GitDiffError(f"unknown git revision {rev!r}{_shallow_advice(root, rev)}")
    merge_base = _git(root, "merge-base", rev, "HEAD")
    if merge_base.returncode == 0:
        return merge_base.stdout.decode().strip()
    if _is_shallow(root):
        raise GitDiffError(
            f"{rev!r} and HEAD have no common ancestor in the fetched history{_shallow_advice(root, rev)}"
        )
    return rev  # unrelated histories: compare with REV itself


def _shallow_advice(root: Path, rev: str) -> str:
    if not _is_shallow(root):
        return ""
    # A shallow clone usually fetches one branch only, so a plain `git fetch` never brings in the
    # target branch: name it, and where its remote-tracking branch goes, when REV is one.
    remote, _, branch = rev.partition("/")
    remotes = _git(root, "remote").stdout.decode("utf-8", errors="replace").split()
    target = (
        f"{remote} +refs/heads/{branch}:refs/remotes/{remote}/{branch}" if branch and remote in remotes else "origin"
    )
    return (
        f"; this checkout is shallow, so fetch more history: git fetch --deepen=200 {target}, "
        "or set actions/checkout fetch-depth: 0"
    )


def _is_shallow(root: Path) -> bool:
    return _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"


def _parse_diff(patch: bytes) -> dict[str, frozenset[int]]:
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in patch.splitlines():
        if line.startswith(b"+++ "):
            # git ends the name with a tab when it holds a space, so that it reads unambiguously.
            target = line[4:].removesuffix(b"\t")
            current = None if target == b"/dev/null" else changed.setdefault(_unquote(target), set())
        elif current is not None and line.startswith(b"@@"):
            match = _HUNK.match(line)
            if match:
                start, count = int(match[1]), int(match[2] or b"1")
                current.update(range(start, start + count))
    return {path: frozenset(lines) for path, lines in changed.items() if lines}


def _unquote(name: bytes) -> str:
    """A path as git prints it: C-quoted (with octal escapes for non-ASCII bytes) when unusual."""
    if name.startswith(b'"') and name.endswith(b'"'):
        name = _ESCAPE.sub(_unescape, name[1:-1])
    return name.decode("utf-8", errors="surrogateescape")


def _unescape(match: re.Match[bytes]) -> bytes:
    octal, char = match[1], match[2]
    if octal:
        return bytes([int(octal, 8)])
    return _C_ESCAPES.get(char, char)


def _line_count(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitDiffError("--diff-base needs git, and it is not installed") from None
