"""`polldetox migrate <table>`: options in, select, plan, then a diff, a JSON plan, or the writes.

Exit codes: 0 done or nothing to do, 1 some sites were left alone (listed with the reason),
2 bad input (unknown table, bad identifier, no project root, uncommitted changes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from polldetox.config import ConfigError, load_config
from polldetox.migrate.select import Selection, SiteNotFound, select
from polldetox.naming import InvalidName, names_for
from polldetox.scaffold.command import PlanFormat, ScaffoldProblem, project_layout, table_shape
from polldetox.scaffold.layout import Layout, LayoutError
from polldetox.scaffold.render import Action as FileAction
from polldetox.scaffold.render import Pattern, PlannedFile
from polldetox.scaffold.schema import SchemaError, Table
from polldetox.scaffold.writer import write_plan
from polldetox.terminal import new_console

if TYPE_CHECKING:
    from polldetox.migrate.plan import MigrationPlan

_PROJECT_MARKERS = ("pyproject.toml", "package.json", "setup.py", "setup.cfg", ".git")


class MigrateProblem(Exception):
    """Why nothing was changed (exit 2)."""


def migrate_command(
    table: Annotated[
        str,
        typer.Argument(help="The table whose polling to replace: queue_items, or schema.table.", show_default=False),
    ],
    site: Annotated[
        str | None, typer.Option("--site", metavar="PATH:LINE", help="Migrate only the polling site at PATH:LINE.")
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(help="A .sql file or migrations folder that creates the table (default: the configured one)."),
    ] = None,
    root: Annotated[
        Path, typer.Option(help="The project root: scanned, and the layout's paths are relative to it.")
    ] = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the unified diff; write nothing.")] = False,
    format: Annotated[
        PlanFormat,
        typer.Option(
            "--format", help='text, or json: {"edits": [{path, action, reason}], "skipped": [{path, line, reason}]}.'
        ),
    ] = PlanFormat.text,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Change files even when they have uncommitted changes.")
    ] = False,
) -> None:
    """Rewrite the polling of TABLE onto the event-driven stack, as a reviewable diff.

    Each Python watcher loop that polls TABLE becomes the callback of a PostgreSQL NOTIFY listener
    (its fetch, comparison and broadcast kept; its sleep, loop and start-up task removed), and the
    listener is started in the app's lifespan; an interval job (APScheduler, Celery beat) loses its
    schedule. Each TanStack Query, SWR, Apollo or RTK Query site of the same data loses its polling
    option and calls the data's WebSocket hook, which refreshes its cache on push; an effect's
    timer loop reloads on the hook's updates instead. Shapes that are not safe to rewrite are left
    alone and listed. Missing pieces (trigger migration, listener runtime, the hook) are scaffolded.
    """
    console = new_console(soft_wrap=True)
    errors = new_console(stderr=True, soft_wrap=True)
    try:
        result = _plan(table, site, schema, root)
        if not dry_run:
            _refuse_dirty(root, result.changed_paths(), allow_dirty)
    except (
        InvalidName,
        SchemaError,
        LayoutError,
        ScaffoldProblem,
        ConfigError,
        MigrateProblem,
        SiteNotFound,
    ) as problem:
        errors.print(f"[bold red]error:[/] {escape(str(problem))}; nothing changed")
        raise typer.Exit(2) from None
    ignored = _git_ignored(root, [change.path for change in result.changes if change.action == "create"])
    if format == PlanFormat.json:
        sys.stdout.write(json.dumps(_json(result, ignored), indent=2) + "\n")
    elif dry_run:
        sys.stdout.write(result.diff())
    if not dry_run:
        _write(result, root)
    if format == PlanFormat.text:
        _report(result, console if not dry_run else errors, dry_run, ignored)
    raise typer.Exit(1 if result.skipped else 0)


def _plan(table: str, site: str | None, schema: Path | None, root: Path) -> MigrationPlan:
    names = names_for(table)
    root = root.resolve()
    if not root.is_dir() or not any((root / marker).exists() for marker in _PROJECT_MARKERS):
        raise MigrateProblem(
            f"{root} is no project root (no {', '.join(_PROJECT_MARKERS[:2])} or .git): run from the project root "
            "or pass --root"
        )
    config = load_config(root)
    layout = project_layout(root)
    selection = select(root, config, names, _site(site, root))
    try:
        shape = table_shape(names, Pattern.db, schema, root, layout)
    except ScaffoldProblem:  # no schema: the sites can still be rewritten; the trigger is left to a person
        if not selection.backend and not selection.frontend:
            raise MigrateProblem(
                f"unknown table {names.table.sql()}: no polling site reads it and no schema creates it"
            ) from None
        shape = None
    from polldetox.migrate.plan import build_plan  # libcst loads only when a migration is planned

    return build_plan(root, config, names, layout, shape, selection, _joined_shapes(selection, schema, root, layout))


def _joined_shapes(selection: Selection, schema: Path | None, root: Path, layout: Layout) -> dict[str, Table | None]:
    """Each joined table's shape for its NOTIFY trigger; None where no schema creates it."""
    shapes: dict[str, Table | None] = {}
    for name in selection.joined:
        try:
            shapes[name] = table_shape(names_for(name), Pattern.db, schema, root, layout)
        except (InvalidName, ScaffoldProblem, SchemaError):
            shapes[name] = None
    return shapes


def _site(site: str | None, root: Path) -> tuple[str, int] | None:
    if site is None:
        return None
    path, _, line = site.rpartition(":")
    if not path or not line.isdigit():
        raise MigrateProblem(f"--site {site}: expected PATH:LINE, such as app/server/services/watchers.py:42")
    relative = Path(path)
    if relative.is_absolute():
        relative = relative.resolve().relative_to(root.resolve())
    return PurePosixPath(relative).as_posix(), int(line)


def _refuse_dirty(root: Path, paths: list[str], allow_dirty: bool) -> None:
    """Refuse to rewrite a file whose uncommitted changes the rewrite would mix with its own."""
    if allow_dirty or not paths:
        return
    existing = [path for path in paths if (root / path).exists()]
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", *existing], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        raise MigrateProblem(
            f"{root} is not in a git repository, so uncommitted changes cannot be told apart from the migration's: "
            "commit the project first, or pass --allow-dirty"
        ) from None
    dirty = sorted({line[3:].strip() for line in status.splitlines() if line.strip()})
    if dirty:
        raise MigrateProblem(f"uncommitted changes in {', '.join(dirty)}: commit or stash them, or pass --allow-dirty")


def _git_ignored(root: Path, created: list[str]) -> list[str]:
    """The created files git ignores: a review of `git status` or `git diff` would not see them."""
    if not created:
        return []
    try:
        found = subprocess.run(
            ["git", "check-ignore", "--stdin"], cwd=root, input="\n".join(created), capture_output=True, text=True
        )
    except OSError:
        return []
    # 0: some are ignored, 1: none is, 128: not a repository (the dirty check has had its say on that).
    return [line for line in found.stdout.splitlines() if line] if found.returncode == 0 else []


def _write(result: MigrationPlan, root: Path) -> None:
    planned = [
        PlannedFile(PurePosixPath(path), "migrate", FileAction.overwrite, result.after[path], result.before.get(path))
        for path in result.changed_paths()
    ]
    write_plan(planned, root)


def _json(result: MigrationPlan, ignored: list[str]) -> dict[str, object]:
    return {
        "edits": [{"path": c.path, "action": c.action, "reason": c.reason} for c in result.changes],
        "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in result.skipped],
        "manual": result.manual,
        "ignored": ignored,
    }


def _report(result: MigrationPlan, console: Console, dry_run: bool, ignored: list[str]) -> None:
    verb = "Would change" if dry_run else "Changed"
    if not result.changes and not result.skipped:
        console.print("Nothing to migrate: no polling site of this table is left.")
    for change in result.changes:
        console.print(f"[green]{verb}[/] {escape(change.path)}: {escape(change.reason)}")
    for skipped in result.skipped:
        console.print(f"[yellow]Skipped[/] {escape(skipped.path)}:{skipped.line}: {escape(skipped.reason)}")
    for step in result.manual:
        console.print(f"[bold]By hand:[/] {escape(step)}")
    if ignored:
        created = "would create" if dry_run else "created"
        console.print(
            f"[yellow]warning:[/] git ignores {len(ignored)} file{'s' if len(ignored) != 1 else ''} this run "
            f"{created}, so `git status` and `git diff` do not show them; add them with `git add -f` or change "
            f"the .gitignore or the layout: {escape(', '.join(ignored))}"
        )
