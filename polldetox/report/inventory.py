"""Violations grouped by the data they poll: the inventory the HTML report draws and `status` checks.

A data type is what one event-driven replacement serves: the name `polldetox scaffold` would take
(a table, an endpoint's resource or a watched folder). Sites are joined when they share that name,
a location (a frontend site with its Anti-pattern 3 finding) or an Anti-pattern 3 pair; a site with
no name (a polling helper, client-wide defaults) stands for its own file.
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass

from polldetox.findings import Finding, Polls, Status
from polldetox.report.summary import BACKEND_RULES, FRONTEND_RULES, Load, polling_load

PAIR_RULE = "PD301"

# Decision Tree 1: where the data lives decides the event detection method; with the standard's
# latency targets for it (Performance Standards: target and acceptable, in milliseconds).
METHODS = {
    "db": "PostgreSQL NOTIFY/LISTEN (Method 1)",
    "file": "File system watcher (Method 2)",
    "action": "Direct broadcast call (Method 3)",
}
TARGET_MS = {"db": (50, 100), "file": (200, 500), "action": (20, 50)}
END_TO_END_MS = (100, 500)


@dataclass(frozen=True, slots=True)
class DataType:
    name: str
    source: str  # "table" | "file" | "endpoint" | "code" (no data type known: the findings' file)
    pattern: str | None  # the scaffold's --pattern: db, file or action; None for "code"
    backend: tuple[Finding, ...]
    frontend: tuple[Finding, ...]
    pairs: tuple[Finding, ...]  # Anti-pattern 3: the frontend polls what a backend watcher already polls
    load: Load
    tables: tuple[str, ...]

    @property
    def method(self) -> str:
        return METHODS[self.pattern] if self.pattern else "Move each caller to its data's WebSocket hook"

    @property
    def scaffold(self) -> str | None:
        if self.pattern is None:
            return None
        option = "" if self.pattern == "db" else f" --pattern {self.pattern}"
        return f"polldetox scaffold {shlex.quote(self.name)}{option}"

    @property
    def migrate(self) -> str | None:
        return f"polldetox migrate {shlex.quote(self.name)}" if self.source == "table" else None

    @property
    def polls_per_minute(self) -> float:
        """Backend polls and frontend requests (per open tab) per minute: what the chart compares."""
        return 60 * self.load.backend_ticks_per_second + self.load.frontend_requests_per_minute

    @property
    def delay_seconds(self) -> float | None:
        """How long a change can wait now before anyone sees it: the shortest interval polling it."""
        intervals = [f.interval_seconds for f in (*self.backend, *self.frontend) if f.interval_seconds]
        return min(intervals) if intervals else None

    @property
    def target_ms(self) -> tuple[int, int]:
        """The standard's (target, acceptable) detection latency for the recommended method."""
        return TARGET_MS[self.pattern] if self.pattern else END_TO_END_MS


def scaffold_target(finding: Finding) -> tuple[str, str] | None:
    """(name, pattern) of the finding's `polldetox scaffold NAME [--pattern P]` advice."""
    if not finding.scaffold:
        return None
    words = shlex.split(finding.scaffold)[2:]
    pattern = words[words.index("--pattern") + 1] if "--pattern" in words else "db"
    return words[0], pattern


def inventory(findings: tuple[Finding, ...]) -> list[DataType]:
    """The data types of the violations, those adding the most polling first."""
    polling = [f for f in findings if f.status == Status.VIOLATION]
    parent = list(range(len(polling)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_by_key: dict[object, int] = {}
    for index, finding in enumerate(polling):
        target = scaffold_target(finding)
        where = (finding.location.path, finding.location.line)
        keys: list[object] = [where, *((r.location.path, r.location.line) for r in finding.related)]
        keys.append(target[0] if target else ("file", finding.location.path))
        for key in keys:
            if key in first_by_key:
                parent[root(index)] = root(first_by_key[key])
            else:
                first_by_key[key] = index
    groups: dict[int, list[Finding]] = {}
    for index, finding in enumerate(polling):
        groups.setdefault(root(index), []).append(finding)
    data_types = [_data_type(group) for group in groups.values()]
    return sorted(data_types, key=lambda d: (-d.polls_per_minute, d.name))


def _data_type(group: list[Finding]) -> DataType:
    targets = [(target, f) for f in group if (target := scaffold_target(f))]
    # The table's name wins over an endpoint's (the trigger goes on the table), then what the backend
    # polls (it knows where the data lives), then what the frontend fetches.
    by_table = [target for target, f in targets if f.tables and f.polls == Polls.DATABASE]
    by_backend = [target for target, f in targets if f.rule in BACKEND_RULES]
    chosen = Counter(by_table or by_backend or [target for target, _ in targets]).most_common(1)
    tables = tuple(sorted({table for f in group for table in f.tables}))
    backend = tuple(f for f in group if f.rule in BACKEND_RULES)
    frontend = tuple(f for f in group if f.rule in FRONTEND_RULES)
    pairs = tuple(f for f in group if f.rule == PAIR_RULE)
    if not chosen:
        return DataType(group[0].location.path, "code", None, backend, frontend, pairs, polling_load(tuple(group)), ())
    (name, pattern), _ = chosen[0]
    source = {"db": "table" if tables else "endpoint", "file": "file", "action": "endpoint"}[pattern]
    return DataType(name, source, pattern, backend, frontend, pairs, polling_load(tuple(group)), tables)
