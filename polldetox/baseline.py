"""Baselines: adopt polldetox on a legacy codebase today, fail only on polling added after.

`--write-baseline FILE` records every finding of a scan, violations and allowed exceptions
alike: a team that later raises a rule's severity or lowers `fail-on` to warnings then fails
only on new code, not on the legacy sites it already accepted. `--baseline FILE` hides the
findings it records; matching is by fingerprint (rule, file, normalized source of the site,
and its rank among identical sites), so edits that only move code within its file keep old
findings old, and a fourth copy of a loop recorded three times is one new finding.

The file is JSON with a format version and entries sorted by place, written atomically, so it
diffs cleanly in review.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from polldetox.atomic_write import write_atomically
from polldetox.findings import Finding, ScanResult
from polldetox.fingerprint import fingerprints, normalize_snippet

FORMAT_VERSION = 1
_FIELDS = ("fingerprint", "rule", "path", "line", "snippet")


class BaselineError(Exception):
    """The baseline file is missing or unreadable; the message says which and how to fix it."""


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    path: str
    line: int  # where the site was when recorded: shown to people, never used to match
    snippet: str


@dataclass(frozen=True)
class Baseline:
    entries: tuple[BaselineEntry, ...]
    path: Path


@dataclass(frozen=True)
class BaselineOutcome:
    result: ScanResult  # the scan without the findings the baseline records
    baselined: int  # how many findings it hid
    gone: tuple[BaselineEntry, ...]  # recorded findings the scan no longer finds


def write_baseline(result: ScanResult, path: Path) -> int:
    """Record every finding of `result` in `path`; returns how many were recorded."""
    entries = [
        BaselineEntry(fingerprint, f.rule, f.location.path, f.location.line, normalize_snippet(f.snippet))
        for f, fingerprint in zip(result.findings, fingerprints(result.findings), strict=True)
    ]
    _write(path, entries)
    return len(entries)


def load_baseline(path: Path) -> Baseline:
    hint = f"record one with `polldetox scan --write-baseline {path}`"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file {path} does not exist; {hint}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"cannot read baseline file {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(f"baseline file {path} is not valid JSON ({error}); {hint}") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        found = document.get("version") if isinstance(document, dict) else None
        raise BaselineError(
            f"baseline file {path} has format version {found!r}, this polldetox reads version {FORMAT_VERSION}; {hint}"
        )
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list):
        raise BaselineError(f"baseline file {path} has no list of `entries`; {hint}")
    return Baseline(entries=tuple(_entry(raw, path, index) for index, raw in enumerate(raw_entries)), path=path)


def apply_baseline(
    result: ScanResult,
    baseline: Baseline,
    covered: Callable[[str], bool] | None = None,
    changed: Callable[[Finding], bool] | None = None,
) -> BaselineOutcome:
    """Hide the findings the baseline records.

    `covered(path)` says whether the scan looked at a root-relative path (see `covered_by`): a
    recorded finding in a file the scan did not look at is not gone, it was not looked for. None
    means the scan covered the whole project.

    `changed(finding)` says whether a change under review touches a finding (`--diff-base`).
    Among identical sites in one file, the recorded ones are then those the change left alone,
    so a copy added above a recorded loop is the one reported, not the loop it copied.
    """
    recorded = {entry.fingerprint for entry in baseline.entries}
    ids = fingerprints(result.findings, ranked_last=changed)
    kept = tuple(f for f, fingerprint in zip(result.findings, ids, strict=True) if fingerprint not in recorded)
    present = set(ids)
    gone = tuple(
        entry
        for entry in baseline.entries
        if entry.fingerprint not in present and (covered is None or covered(entry.path))
    )
    return BaselineOutcome(
        result=replace(result, findings=kept),
        baselined=len(result.findings) - len(kept),
        gone=gone,
    )


def covered_by(targets: Sequence[str]) -> Callable[[str], bool]:
    """Which root-relative paths a scan of `targets` (root-relative files and folders) looked at.

    A file deleted from a scanned folder counts as looked at, so its findings are gone.
    """
    folders = tuple(target.rstrip("/") for target in targets)
    if any(folder in ("", ".") for folder in folders):
        return lambda path: True
    return lambda path: any(path == folder or path.startswith(f"{folder}/") for folder in folders)


def prune_baseline(baseline: Baseline, gone: Sequence[BaselineEntry]) -> int:
    """Rewrite the baseline file without the `gone` entries; returns how many were removed."""
    dropped = {entry.fingerprint for entry in gone}
    remaining = [entry for entry in baseline.entries if entry.fingerprint not in dropped]
    _write(baseline.path, remaining)
    return len(baseline.entries) - len(remaining)


def _entry(raw: object, path: Path, index: int) -> BaselineEntry:
    if not isinstance(raw, dict) or any(field not in raw for field in _FIELDS):
        raise BaselineError(f"baseline file {path}: entry {index} needs the fields {', '.join(_FIELDS)}")
    try:
        return BaselineEntry(
            fingerprint=str(raw["fingerprint"]),
            rule=str(raw["rule"]),
            path=str(raw["path"]),
            line=int(raw["line"]),
            snippet=str(raw["snippet"]),
        )
    except (TypeError, ValueError):
        raise BaselineError(f"baseline file {path}: entry {index} has a line that is not a number") from None


def _write(path: Path, entries: Sequence[BaselineEntry]) -> None:
    ordered = sorted(entries, key=lambda e: (e.path, e.line, e.rule, e.fingerprint))
    document = {
        "version": FORMAT_VERSION,
        "entries": [{field: getattr(entry, field) for field in _FIELDS} for entry in ordered],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomically(path, text)
    except OSError as error:
        raise BaselineError(f"cannot write baseline file {path}: {error}") from None
