"""The command line. Thin: options in, one call per command, results handed to a reporter.

Exit codes, as ruff and ESLint: 0 no finding at or above --fail-on, 1 findings, 2 usage error or
the tool itself failed. A file that cannot be parsed is reported and never changes the exit code.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from polldetox import __version__
from polldetox.atomic_write import write_atomically
from polldetox.baseline import BaselineError, apply_baseline, covered_by, load_baseline, prune_baseline
from polldetox.baseline import write_baseline as record_baseline
from polldetox.config import Config, ConfigError, load_config, parse_fail_on, with_overrides
from polldetox.findings import ScanResult
from polldetox.gitdiff import GitDiffError, changed_lines, filter_to_changed, from_repository_top, touches_changed
from polldetox.report import FORMATS, renderer
from polldetox.report.summary import summarize
from polldetox.report.text import print_status, print_summary, print_text
from polldetox.rules import RULES, get_rule
from polldetox.scan import engine
from polldetox.scan.files import BadPath, relative_to_root
from polldetox.terminal import new_console

if TYPE_CHECKING:
    from rich.progress import Progress

# Every command is built (its options read off its signature) only when invoked or listed (--help):
# building all eight cost every run about 17 ms, and the last two load the template engine, the SQL
# parser and the detectors' callers besides.
_COMMANDS = {
    "scan": ("polldetox.cli", "scan"),
    "rules": ("polldetox.cli", "list_rules"),
    "explain": ("polldetox.cli", "explain"),
    "init": ("polldetox.cli", "init"),
    "report": ("polldetox.cli", "report"),
    "status": ("polldetox.cli", "status"),
    "scaffold": ("polldetox.scaffold.command", "scaffold_command"),
    "migrate": ("polldetox.migrate.command", "migrate_command"),
}


class _LazyGroup(TyperGroup):
    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str):
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            module, function = _COMMANDS[cmd_name]
            info = CommandInfo(name=cmd_name, callback=getattr(importlib.import_module(module), function))
            self.commands[cmd_name] = get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
            )
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        if args and args[0] not in _COMMANDS:
            for name in _COMMANDS:  # a mistyped command is compared with every command's name
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="polldetox",
    cls=_LazyGroup,
    help=(
        "Find polling in Python and TypeScript code, judge it against the Real-Time Data Architecture "
        "Standard, gate CI on it, and scaffold the event-driven replacement."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)

stdout = new_console(soft_wrap=True)
stderr = new_console(stderr=True)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"
    junit = "junit"


assert tuple(ReportFormat) == FORMATS


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


class UsageProblem(Exception):
    """A problem with how polldetox was called or configured (exit 2, no traceback)."""


def _fail(message: object) -> NoReturn:
    """Report a usage problem on stderr, exactly as written, and exit 2."""
    stderr.print(Text.assemble(("error: ", "bold red"), str(message)), soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"polldetox {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """polldetox: from polling to event-driven updates."""


def _split_rules(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


# Options `scan` and `report` share: one definition, so both read the same configuration the same way.
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Files and folders to scan (default: the current folder).", show_default=False),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (default: nearest .polldetox.toml or pyproject.toml)."),
]
SelectOption = Annotated[list[str] | None, typer.Option(help="Only these rules (ids or names, comma-separated).")]
IgnoreOption = Annotated[list[str] | None, typer.Option(help="Skip these rules (ids or names, comma-separated).")]
ExcludeOption = Annotated[
    list[str] | None, typer.Option("--exclude", help="Also exclude paths matching this .gitignore-style pattern.")
]
GitignoreOption = Annotated[
    bool | None, typer.Option("--respect-gitignore/--no-respect-gitignore", help="Skip files .gitignore ignores.")
]
ForceExcludeOption = Annotated[
    bool,
    typer.Option("--force-exclude", help="Apply exclusions to files named on the command line too (pre-commit)."),
]
IncludeTestsOption = Annotated[
    bool, typer.Option("--include-tests", help="Judge polling in test files too (skipped by default).")
]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="Parser processes (default: one per core).")
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Parse every file, ignoring cached results.")]
BaselineOption = Annotated[Path | None, typer.Option(help="Fail only on findings not recorded in this baseline file.")]
DiffBaseOption = Annotated[
    str | None, typer.Option(help="Report only findings on lines changed since this git revision.")
]


def scan(
    paths: PathsArgument = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE; the terminal still gets the text summary."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(help="Lowest severity that makes the exit code 1 (default from config, else error)."),
    ] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings fail the scan.")] = False,
    config_file: ConfigOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    extend_exclude: ExcludeOption = None,
    respect_gitignore: GitignoreOption = None,
    force_exclude: ForceExcludeOption = False,
    include_tests: IncludeTestsOption = False,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
    statistics: Annotated[bool, typer.Option("--statistics", help="Print counts by rule.")] = False,
    hide_allowed: Annotated[
        bool, typer.Option("--hide-allowed", help="Text report: leave out allowed exceptions.")
    ] = False,
    baseline: BaselineOption = None,
    write_baseline: Annotated[Path | None, typer.Option(help="Record today's findings in FILE and exit 0.")] = None,
    prune_baseline: Annotated[
        bool, typer.Option("--prune-baseline", help="Rewrite the baseline without findings that are gone.")
    ] = False,
    diff_base: DiffBaseOption = None,
) -> None:
    """Scan for polling and judge each site by the standard."""
    targets = paths or [Path(".")]
    try:
        config = _configured(
            targets,
            config_file,
            select,
            ignore,
            extend_exclude,
            respect_gitignore,
            force_exclude,
            include_tests,
            jobs,
            no_cache,
        )
        if fail_on:
            config = with_overrides(config, fail_on=parse_fail_on(fail_on.value))
        # Ask git first: a missing revision should fail before a long scan, not after it.
        changed = changed_lines(config.root, diff_base) if diff_base and not write_baseline else None
        with _progress_reporter() as progress:
            result = engine.scan(targets, config, progress)
        # The baseline sees the whole scan: fingerprints count identical sites across a file.
        if write_baseline:
            count = record_baseline(result, write_baseline)
            stderr.print(f"Recorded {count} finding{'s' if count != 1 else ''} in {escape(str(write_baseline))}.")
            raise typer.Exit(0)
        result = _narrowed(result, targets, config, baseline, prune_baseline, changed)
    except (ConfigError, BadPath, UsageProblem, BaselineError, GitDiffError) as problem:
        _fail(problem)
    if format in _CI_FORMATS:
        result = from_repository_top(result, config.root)
    _report(result, format, output, statistics, hide_allowed)
    failing = [f for f in result.findings if f.severity.rank >= config.fail_on.rank]
    raise typer.Exit(1 if failing and not exit_zero else 0)


def _configured(
    targets: list[Path],
    config_file: Path | None,
    select: list[str] | None,
    ignore: list[str] | None,
    extend_exclude: list[str] | None,
    respect_gitignore: bool | None,
    force_exclude: bool,
    include_tests: bool,
    jobs: int | None,
    no_cache: bool,
) -> Config:
    """The settings file's configuration with the command line's scan options on top."""
    return with_overrides(
        _load_config(targets, config_file),
        select=_split_rules(select),
        ignore=_split_rules(ignore),
        extend_exclude=tuple(extend_exclude) if extend_exclude else None,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude or None,
        include_tests=include_tests or None,
        jobs=jobs,
        cache=False if no_cache else None,
    )


def _narrowed(
    result: ScanResult,
    targets: list[Path],
    config: Config,
    baseline: Path | None,
    prune: bool,
    changed: Mapping[str, frozenset[int]] | None,
) -> ScanResult:
    """The findings to report: without those the baseline records, then only on changed lines."""
    baseline_path = baseline or config.baseline
    if baseline_path:
        scanned = covered_by([relative_to_root(target.resolve(), config.root) for target in targets])
        result = _apply_baseline(result, baseline_path, prune, scanned, changed)
    elif prune:
        raise UsageProblem("--prune-baseline needs --baseline FILE (or `baseline` in the config)")
    if changed is not None:
        result = filter_to_changed(result, changed)
    return result


# Formats read by tools that place findings by their path in the repository.
_CI_FORMATS = (ReportFormat.sarif, ReportFormat.github, ReportFormat.gitlab, ReportFormat.junit)


def _load_config(targets: list[Path], config_file: Path | None) -> Config:
    """Settings for the scanned paths. Without a settings file the project root is the current
    folder when every path lies under it (as when pre-commit passes staged files), so paths in
    the report read the same as in `git status`; otherwise the folder the paths share."""
    resolved = [target.resolve() for target in targets]
    config = load_config(Path(os.path.commonpath(resolved)), config_file)
    cwd = Path.cwd().resolve()
    if config.source is None and all(path.is_relative_to(cwd) for path in resolved):
        config = replace(config, root=cwd)
    return config


def _apply_baseline(
    result: ScanResult,
    path: Path,
    prune: bool,
    scanned: Callable[[str], bool],
    changed: Mapping[str, frozenset[int]] | None,
) -> ScanResult:
    loaded = load_baseline(path)
    touched = None if changed is None else partial(touches_changed, changed=changed)
    outcome = apply_baseline(result, loaded, covered=scanned, changed=touched)
    if outcome.gone:
        if prune:
            removed = prune_baseline(loaded, outcome.gone)
            stderr.print(
                f"Pruned {removed} finding{'s that are' if removed != 1 else ' that is'} gone from {escape(str(path))}."
            )
        else:
            stderr.print(
                f"{len(outcome.gone)} baselined finding{'s are' if len(outcome.gone) != 1 else ' is'} gone "
                f"(run with --prune-baseline to drop them from {escape(str(path))}):"
            )
            for entry in outcome.gone:
                stderr.print(f"  {entry.path}:{entry.line} {entry.rule} {entry.snippet}", markup=False)
    if outcome.baselined:
        stderr.print(f"{outcome.baselined} finding{'s' if outcome.baselined != 1 else ''} in the baseline not shown.")
    return outcome.result


def _report(
    result: ScanResult, format: ReportFormat, output: Path | None, statistics: bool, hide_allowed: bool
) -> None:
    if format == ReportFormat.text:
        if output is None:
            print_text(result, stdout, statistics=statistics, show_allowed=not hide_allowed)
            return
        buffer = io.StringIO()
        print_text(
            result,
            new_console(file=buffer, width=120, no_color=True),
            statistics=statistics,
            show_allowed=not hide_allowed,
        )
        text = buffer.getvalue()
    else:
        text = renderer(format.value)(result)
    if output is None:
        sys.stdout.write(text)
        # CI logs hide workflow commands and reports go to tools: people still read what was found.
        print_summary(summarize(result), stderr, statistics=statistics)
        return
    write_atomically(output, text)
    print_summary(summarize(result), stdout, statistics=statistics)
    stdout.print(f"Report written to {escape(str(output))}.")


class _progress_reporter:
    """A progress bar on stderr for long scans, only when a person is watching a terminal."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not stderr.is_terminal or os.environ.get("CI"):
            return None
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.progress is None:
            if total < 200:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("Scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=stderr, transient=True,
            )  # fmt: skip
            self.progress.start()
            self.task = self.progress.add_task("parse", total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc_info: object) -> None:
        if self.progress is not None:
            self.progress.stop()


class RulesFormat(StrEnum):
    text = "text"
    json = "json"


def list_rules(
    format: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.text,
) -> None:
    """List every rule with its id, name, default severity and summary."""
    if format == RulesFormat.json:
        import json

        rows = [
            {"id": r.id, "name": r.name, "severity": r.severity.value, "summary": r.summary, "section": r.section}
            for r in RULES.values()
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("id", "name", "severity", "summary"):
        table.add_column(column)
    for rule in RULES.values():
        table.add_row(rule.id, rule.name, rule.severity.value, rule.summary)
    stdout.print(table)
    stdout.print("\nRun `polldetox explain RULE` for a rule's documentation.")


def explain(rule: Annotated[str, typer.Argument(help="A rule id (PD101) or name (backend-polling-loop).")]) -> None:
    """Print a rule's documentation: what it does, why it is bad, an example, what to use instead."""
    found = get_rule(rule)
    if found is None:
        _fail(f"unknown rule {rule!r}; `polldetox rules` lists them")
    if stdout.is_terminal:
        from rich.markdown import Markdown  # markdown-it is slow to import; only explain needs it

        stdout.print(Markdown(found.documentation()))
    else:
        sys.stdout.write(found.documentation())


STARTER_CONFIG = """\
[tool.polldetox]
# Paths use .gitignore syntax, relative to this file's folder.
# include = ["app/**"]                      # default: every Python / TypeScript / JavaScript file
# extend-exclude = ["legacy/", "**/*.stories.tsx"]
# respect-gitignore = true

# The standard's exception locations (Exception Cases 1 and 2).
dev-tool-paths = ["scripts/", "adws/"]       # development tools: polling allowed behind --watch
trigger-paths = ["adws/adw_triggers/"]       # automation triggers: allowed when webhooks are not viable
# Test files (tests/, test_*.py, *.test.ts, e2e/, ...) are not judged; add folders, or judge them too.
# extend-test-paths = ["qa/"]
# include-tests = true

# Exit 1 when a finding at or above this severity remains: "error" or "warning".
fail-on = "error"

# Legacy code: fail only on findings that are not in this file (`polldetox scan --write-baseline FILE`).
# baseline = "polldetox-baseline.json"

# Rules: `polldetox rules` lists them. Severity: "error", "warning", "info" or "off".
# select = ["PD101", "PD201"]
# ignore = ["PD205"]
# [tool.polldetox.severity]
# PD203 = "warning"

# Loosen or tighten rules under some paths.
# [[tool.polldetox.per-path]]
# paths = ["app/client/src/legacy/"]
# severity = { PD201 = "warning" }
"""


def init(
    directory: Annotated[Path, typer.Argument(help="Project folder.", file_okay=False)] = Path("."),
    standalone: Annotated[
        bool, typer.Option("--standalone", help="Write .polldetox.toml instead of adding to pyproject.toml.")
    ] = False,
) -> None:
    """Write a commented starting configuration ([tool.polldetox] in pyproject.toml, or .polldetox.toml)."""
    if not directory.is_dir():
        _fail(f"no such folder: {directory}")
    pyproject = directory / "pyproject.toml"
    dotfile = directory / ".polldetox.toml"
    if dotfile.exists():
        _fail(f"{dotfile} already exists; nothing written")
    if not standalone and pyproject.is_file():
        existing = pyproject.read_text(encoding="utf-8")
        if "[tool.polldetox" in existing:
            _fail(f"{pyproject} already has [tool.polldetox]; nothing written")
        separator = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        write_atomically(pyproject, existing + separator + STARTER_CONFIG)
        stdout.print(f"Added [tool.polldetox] to {pyproject}.", markup=False)  # not a rich style tag
        return
    standalone_text = STARTER_CONFIG.replace("[tool.polldetox]\n", "", 1).replace("tool.polldetox.", "")
    write_atomically(dotfile, standalone_text)
    stdout.print(f"Wrote {escape(str(dotfile))}.")


def report(
    paths: PathsArgument = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "polldetox-report.html"
    ),
    config_file: ConfigOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    extend_exclude: ExcludeOption = None,
    respect_gitignore: GitignoreOption = None,
    force_exclude: ForceExcludeOption = False,
    include_tests: IncludeTestsOption = False,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
    baseline: BaselineOption = None,
    diff_base: DiffBaseOption = None,
) -> None:
    """Write the scan as one self-contained HTML page: summary and polling load, inventory by data type
    with the recommended replacement, a load chart, every finding (sortable, filterable) and the allowed
    exceptions. Exit 0 once written, whatever it found."""
    from polldetox.report.html import render_html

    targets = paths or [Path(".")]
    try:
        config = _configured(
            targets,
            config_file,
            select,
            ignore,
            extend_exclude,
            respect_gitignore,
            force_exclude,
            include_tests,
            jobs,
            no_cache,
        )
        changed = changed_lines(config.root, diff_base) if diff_base else None
        with _progress_reporter() as progress:
            result = engine.scan(targets, config, progress)
        result = _narrowed(result, targets, config, baseline, False, changed)
    except (ConfigError, BadPath, UsageProblem, BaselineError, GitDiffError) as problem:
        _fail(problem)
    write_atomically(output, render_html(result))
    print_summary(summarize(result), stdout)
    stdout.print(f"Report written to {escape(str(output))}.")


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


def status(
    tables: Annotated[
        list[str] | None,
        typer.Argument(
            help="Data types to check (default: every one the project polls or already serves).", show_default=False
        ),
    ] = None,
    root: Annotated[Path, typer.Option("--root", help="The project root.", file_okay=False)] = Path("."),
    format: Annotated[StatusFormat, typer.Option("--format", "-f", help="Output format.")] = StatusFormat.text,
    fail_on_incomplete: Annotated[
        bool, typer.Option("--fail-on-incomplete", help="Exit 1 when any step of any data type is not done.")
    ] = False,
    config_file: ConfigOption = None,
) -> None:
    """The standard's migration checklist for each data type (trigger, listener, callback, endpoint, hook,
    component, polling removed, tests), each step checked from the code with the file that shows it."""
    from polldetox.naming import InvalidName
    from polldetox.status import UnknownDataType, migration_status

    if not root.is_dir():
        _fail(f"no such folder: {root}")
    try:
        config = _load_config([root], config_file)
        statuses = migration_status(root.resolve(), config, tables or ())
    except (ConfigError, InvalidName, UnknownDataType) as problem:
        _fail(problem)
    if format == StatusFormat.json:
        import json

        document = {
            "data_types": [
                {"name": s.name, "method": s.method, "steps": [asdict(step) for step in s.steps]} for s in statuses
            ]
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        print_status(statuses, stdout)
    incomplete = any(not s.complete for s in statuses)
    raise typer.Exit(1 if fail_on_incomplete and incomplete else 0)


def main() -> None:
    try:
        app()  # Typer ends a Ctrl-C itself, with exit 130
    except Exception as problem:  # the tool itself failed: say so in one line and exit 2, like ruff
        stderr.print(Text.assemble(("polldetox failed: ", "bold red"), f"{type(problem).__name__}: {problem}"))
        if os.environ.get("POLLDETOX_DEBUG"):
            raise
        sys.exit(2)
