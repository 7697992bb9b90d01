"""Counts and the polling load a scan adds up to, shared by the text and JSON reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from polldetox.findings import Finding, Polls, ScanResult, SiteKind, Status

# Rules whose sites poll on their own (an Anti-pattern 3 pair or a manual refresh adds no load).
BACKEND_RULES = ("PD101", "PD102", "PD103")
FRONTEND_RULES = ("PD201", "PD202", "PD203", "PD204")


@dataclass(frozen=True, slots=True)
class Load:
    """What the prohibited polling costs, from the intervals that resolve statically."""

    backend_watchers: int
    backend_ticks_per_second: float  # per server process
    database_queries_per_second: float  # per server process, from watchers that read the database
    frontend_pollers: int
    frontend_requests_per_minute: float  # per open browser tab
    unresolved_intervals: int  # sites whose interval is unknown and not counted in the rates


@dataclass(frozen=True, slots=True)
class Summary:
    violations: int
    allowed: int
    suppressed: int
    errors: int
    files_scanned: int
    files_parsed: int
    lines_scanned: int
    elapsed_seconds: float
    by_rule: dict[str, int]
    by_severity: dict[str, int]
    load: Load


def summarize(result: ScanResult) -> Summary:
    findings = result.findings
    return Summary(
        violations=sum(1 for f in findings if f.status == Status.VIOLATION),
        allowed=sum(1 for f in findings if f.status == Status.ALLOWED),
        suppressed=len(result.suppressed),
        errors=len(result.errors),
        files_scanned=result.files_scanned,
        files_parsed=result.files_parsed,
        lines_scanned=result.lines_scanned,
        elapsed_seconds=round(result.elapsed_seconds, 3),
        by_rule=dict(sorted(Counter(f.rule for f in findings).items())),
        by_severity={level: sum(1 for f in findings if f.severity == level) for level in ("error", "warning", "info")},
        load=polling_load(findings),
    )


def polling_load(findings: tuple[Finding, ...]) -> Load:
    backend = [f for f in findings if f.rule in BACKEND_RULES and f.status == Status.VIOLATION]
    frontend = [
        f
        for f in findings
        if f.rule in FRONTEND_RULES and f.status == Status.VIOLATION and f.site_kind != SiteKind.POLLING_ENGINE
    ]

    def rate(group: list[Finding]) -> float:
        return sum(1 / f.interval_seconds for f in group if f.interval_seconds)

    return Load(
        backend_watchers=len(backend),
        backend_ticks_per_second=round(rate(backend), 3),
        database_queries_per_second=round(rate([f for f in backend if f.polls == Polls.DATABASE]), 3),
        frontend_pollers=len(frontend),
        frontend_requests_per_minute=round(60 * rate(frontend), 2),
        unresolved_intervals=sum(1 for f in (*backend, *frontend) if not f.interval_seconds),
    )
