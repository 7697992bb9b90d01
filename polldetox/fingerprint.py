"""Stable identities for findings, shared by baselines, SARIF, GitLab and JSON reports.

A fingerprint names a polling site by what it is (rule, file, the site's own source), not
where it is, so adding lines above a loop or moving it within its file keeps its identity.
Identical sites in one file are told apart by their order, so three copies of one loop are
three fingerprints and a fourth copy is a new one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence

from polldetox.findings import Finding

# Bumped only if the recipe changes: every recorded baseline would have to be written again.
FINGERPRINT_VERSION = "1"


def normalize_snippet(snippet: str) -> str:
    """Whitespace-insensitive source of a site: re-indenting or re-wrapping it keeps its identity."""
    return " ".join(snippet.split())


def fingerprints(findings: Sequence[Finding], ranked_last: Callable[[Finding], bool] | None = None) -> list[str]:
    """One hex id per finding, in the order given.

    Identical sites are ranked by place; those `ranked_last` picks (the sites a change touched)
    rank after the others, so that when a file holds more copies than a baseline records, the
    copies counted new are the ones the change added, wherever in the file they were added.
    """
    keys = [(f.rule, f.location.path, normalize_snippet(f.snippet)) for f in findings]
    by_key: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        by_key[key].append(index)
    last = [bool(ranked_last and ranked_last(f)) for f in findings]
    occurrence = [0] * len(findings)
    for indices in by_key.values():
        ordered = sorted(indices, key=lambda i: (last[i], findings[i].location.line, findings[i].location.column))
        for rank, index in enumerate(ordered):
            occurrence[index] = rank
    return [_digest(*key, occurrence[index]) for index, key in enumerate(keys)]


def _digest(rule: str, path: str, snippet: str, occurrence: int) -> str:
    # NUL separators: no field can contain one, so distinct tuples never hash alike.
    material = "\0".join((FINGERPRINT_VERSION, rule, path, snippet, str(occurrence)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
