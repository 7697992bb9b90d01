"""`--format text` (default): findings grouped by file with the source line, then a summary."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from polldetox.findings import Finding, ScanResult, Severity, Status
from polldetox.report.summary import Summary, summarize
from polldetox.rules import RULES

if TYPE_CHECKING:
    from polldetox.status import DataTypeStatus

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_text(result: ScanResult, console: Console, *, statistics: bool = False, show_allowed: bool = True) -> None:
    findings = [f for f in result.findings if show_allowed or f.status == Status.VIOLATION]
    for path, group in groupby(findings, key=lambda f: f.location.path):
        console.print(Text(path, style="bold underline"))
        for finding in group:
            _print_finding(finding, console)
        console.print()
    if result.errors:
        console.print(Text("Files that could not be scanned", style="bold"))
        for error in result.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            console.print(f"  [magenta]{escape(where)}[/] {escape(error.message)}")
        console.print()
    print_summary(summarize(result), console, statistics=statistics)


def _print_finding(finding: Finding, console: Console) -> None:
    where = f"{finding.location.line}:{finding.location.column}"
    label = "allowed" if finding.status == Status.ALLOWED else finding.severity.value
    style = (
        "dim" if finding.status == Status.ALLOWED and finding.severity == Severity.INFO else _STYLE[finding.severity]
    )
    line = Text("  ")
    line.append(f"{where:<8}", style="dim")
    line.append(f"{label:<8}", style=style)
    line.append(f"{finding.rule} ", style="bold")
    line.append(finding.message)
    console.print(line)
    if finding.snippet:
        console.print(Text("          │ ", style="dim") + Text(finding.snippet, style="dim italic"))
    for related in finding.related:
        place = f"{related.location.path}:{related.location.line}"
        console.print(Text("          ↳ ", style="dim") + Text(f"{place} {related.message}", style="dim"))
    if finding.recommendation and finding.status == Status.VIOLATION:
        advice = Text("          → ", style="green") + Text(finding.recommendation)
        if finding.scaffold:
            advice.append(f"  ({finding.scaffold})", style="green")
        console.print(advice)


def print_summary(summary: Summary, console: Console, *, statistics: bool = False) -> None:
    """The closing lines: counts, time, and the polling load; with `statistics`, counts by rule first."""
    if statistics:
        console.print(Text("Findings by rule", style="bold"))
        for rule_id, count in summary.by_rule.items():
            console.print(f"  {count:>5}  {rule_id}  {RULES[rule_id].name}")
        console.print()
    files = (
        f"{summary.files_scanned:,} file{'s' if summary.files_scanned != 1 else ''} ({summary.lines_scanned:,} lines)"
    )
    counts = ", ".join(f"{n} {level}" for level, n in summary.by_severity.items() if n)
    headline = f"{summary.violations} violation{'s' if summary.violations != 1 else ''}"
    headline += f" and {summary.allowed} allowed exception{'s' if summary.allowed != 1 else ''}"
    if counts:
        headline += f" ({counts})"
    extras = [f"{summary.suppressed} suppressed"] if summary.suppressed else []
    if summary.errors:
        extras.append(f"{summary.errors} file{'s' if summary.errors != 1 else ''} not scanned")
    tail = f"; {', '.join(extras)}" if extras else ""
    style = "bold red" if summary.violations else "bold green"
    console.print(Text(f"Found {headline} in {files} in {summary.elapsed_seconds:.2f} s{tail}.", style=style))
    load = summary.load
    if load.backend_watchers or load.frontend_pollers:
        parts = []
        if load.backend_watchers:
            parts.append(
                f"{load.backend_watchers} backend watcher{'s' if load.backend_watchers != 1 else ''}, "
                f"{load.database_queries_per_second:.3g} database queries/s and "
                f"{load.backend_ticks_per_second:.3g} polls/s per server process"
            )
        if load.frontend_pollers:
            parts.append(
                f"{load.frontend_pollers} frontend poller{'s' if load.frontend_pollers != 1 else ''}, "
                f"{load.frontend_requests_per_minute:.3g} requests/min per open tab"
            )
        note = (
            f" ({load.unresolved_intervals} with an interval not resolved statically)"
            if load.unresolved_intervals
            else ""
        )
        # Numbers and fixed words: no markup or emoji codes to look for (rich loads its emoji table for that).
        console.print(f"Polling load: {'; '.join(parts)}{note}.", markup=False, emoji=False)


def print_status(statuses: list[DataTypeStatus], console: Console) -> None:
    """`polldetox status`: a compact ✓/✗ checklist per data type, each step with its evidence."""
    if not statuses:
        console.print("No data type found: nothing polls, and no NOTIFY trigger or listener exists yet.")
        return
    width = max(len(step.id) for status in statuses for step in status.steps)
    for status in statuses:
        done = sum(step.done for step in status.steps)
        heading = Text(status.name, style="bold")
        heading.append(f"  {status.method}  ", style="dim")
        heading.append(f"{done}/{len(status.steps)}", style="bold green" if status.complete else "bold yellow")
        console.print(heading)
        for step in status.steps:
            line = Text("  ")
            line.append("✓ " if step.done else "✗ ", style="green" if step.done else "red")
            line.append(f"{step.id:<{width}}  ")
            line.append(step.title)
            if step.evidence:
                line.append(f"  {step.evidence}", style="dim" if step.done else "yellow")
            console.print(line)
        console.print()
