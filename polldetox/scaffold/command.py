"""`polldetox scaffold <table>`: options in, plan, dry-run or write, manual steps out."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from polldetox.findings import Finding
from polldetox.naming import InvalidName, Names, names_for
from polldetox.scaffold.layout import Layout, LayoutError, layout_from_config
from polldetox.scaffold.render import (
    Action,
    Pattern,
    Payload,
    PlannedFile,
    Request,
    environment,
    plan,
    unmatched_overrides,
)
from polldetox.scaffold.schema import SchemaError, Table, read_table
from polldetox.scaffold.steps import manual_steps
from polldetox.scaffold.writer import write_plan
from polldetox.terminal import new_console


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


class ScaffoldProblem(Exception):
    """Why nothing was written (exit 2)."""


def scaffold_command(
    table: Annotated[
        str,
        typer.Argument(
            help='The table: planned_features, or schema-qualified and quoted like \'"Billing"."Order"\'.',
            show_default=False,
        ),
    ],
    pattern: Annotated[
        Pattern,
        typer.Option(help="db: PostgreSQL NOTIFY/LISTEN; file: a file watcher; action: a direct broadcast."),
    ] = Pattern.db,
    schema: Annotated[
        Path | None,
        typer.Option(
            help="A .sql file or a migrations folder (files applied in sorted order) that creates the table. "
            "Default: the configured schema folder (app/server/migrations) under --out, if it exists.",
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="The project root the layout's paths are relative to.")] = Path("."),
    statement_level: Annotated[
        bool,
        typer.Option(
            "--statement-level", help="Statement-level triggers that send the changed keys in chunks: for bulk updates."
        ),
    ] = False,
    payload: Annotated[
        Payload,
        typer.Option(
            help="db pattern: what a change sends clients. delta: changed rows and deleted keys; full: every row; "
            "auto: delta once the data passes 100 KB of JSON.",
        ),
    ] = Payload.auto,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and the diff against existing files; write nothing.")
    ] = False,
    format: Annotated[
        PlanFormat,
        typer.Option(
            "--format", help='text, or json: {"files": [{path, kind, action}]} (and "steps" when not --dry-run).'
        ),
    ] = PlanFormat.text,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files (never done without it).")] = False,
    templates: Annotated[
        Path | None,
        typer.Option(help="A folder of templates that override the built-in ones by name (db/events.py.j2)."),
    ] = None,
    scan: Annotated[
        Path | None,
        typer.Option(
            help="Scan this tree (off by default) and list, as `replaces: path:line`, the polling sites of "
            "this table, its URL or its message type that the new code replaces.",
        ),
    ] = None,
) -> None:
    """Generate the event-driven replacement for polling TABLE, per the Real-Time Data Architecture Standard.

    Writes the migration (NOTIFY trigger and its undo), listener, broadcast callback, WebSocket
    endpoint, React hook, component and tests; existing files are skipped unless --force. Shared
    files (connection manager, listener runtime, reconnecting socket hook, api.ts) are written once
    and reused by every table. Settings: [tool.polldetox.scaffold] (schema, python-root, layout).
    """
    import jinja2

    console = new_console(soft_wrap=True)
    errors = new_console(stderr=True, soft_wrap=True)
    try:
        names = names_for(table)
        layout = project_layout(out)
        shape = table_shape(names, pattern, schema, out, layout)
        env = environment(_templates_folder(templates))
        for name in unmatched_overrides(templates) if templates is not None else []:
            errors.print(
                f"[yellow]warning:[/] --templates {escape(str(templates))}: {escape(name)} overrides no built-in "
                "template (names are like db/events.py.j2 or common/hook.ts.j2); it is used only if another template "
                "includes it"
            )
        request = Request(names, pattern, shape, layout, statement_level=statement_level, payload=payload)
        planned = plan(request, out, env, force=force)
        replaces = _replaced_sites(scan, names) if scan else []
    except (InvalidName, SchemaError, LayoutError, ScaffoldProblem) as problem:
        errors.print(f"[bold red]error:[/] {escape(str(problem))}; nothing written")
        raise typer.Exit(2) from None
    except jinja2.TemplateError as problem:
        errors.print(f"[bold red]error:[/] template: {escape(str(problem))}; nothing written")
        raise typer.Exit(2) from None
    if dry_run:
        _print_plan(planned, console, format)
        return
    written = write_plan(planned, out)
    steps = manual_steps(request, planned, replaces)
    if format == PlanFormat.json:
        sys.stdout.write(json.dumps({"files": _file_rows(planned), "steps": steps}, indent=2) + "\n")
        return
    _print_result(planned, written, console)
    console.print("\n[bold]Remaining manual steps[/]")
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. {escape(step)}")


def project_layout(out: Path) -> Layout:
    from polldetox.config import ConfigError, load_config

    try:
        config = load_config(out)
    except ConfigError as error:
        raise ScaffoldProblem(str(error)) from error
    where = f"{config.source} [tool.polldetox.scaffold]" if config.source else "[tool.polldetox.scaffold]"
    return layout_from_config(dict(config.scaffold), where)


def table_shape(names: Names, pattern: Pattern, schema: Path | None, out: Path, layout: Layout) -> Table | None:
    if schema is not None:
        return read_table(schema, names.table)
    default = out / layout.schema
    if default.exists() and any(default.rglob("*.sql") if default.is_dir() else [default]):
        return read_table(default, names.table)
    if pattern == Pattern.db:
        raise ScaffoldProblem(
            f"--pattern db needs the table's columns and primary key: pass --schema FILE_OR_FOLDER "
            f"(no migrations found at {default})"
        )
    return None  # file and action patterns: rows typed by an `id` only until a schema is given


def _templates_folder(templates: Path | None) -> Path | None:
    if templates is not None and not templates.is_dir():
        raise ScaffoldProblem(f"--templates {templates}: no such folder")
    return templates


def _replaced_sites(root: Path, names: Names) -> list[Finding]:
    """Findings of a scan of `root` that poll this table, or whose code names its URL, query key or message."""
    from polldetox.config import ConfigError, load_config
    from polldetox.scan import engine

    try:
        result = engine.scan([root], load_config(root))
    except ConfigError as error:
        raise ScaffoldProblem(str(error)) from error
    table = names.table.name.lower()
    # Its URL path, its query key and its message type: specific enough for a short name like `order`.
    mentions = (f"/{names.kebab}", f"'{names.kebab}'", f'"{names.kebab}"', f"{names.snake}_update")
    return [
        finding
        for finding in result.findings
        if table in (name.lower().rsplit(".", 1)[-1].strip('"') for name in finding.tables)
        or any(mention in text for mention in mentions for text in (finding.snippet, finding.message))
    ]


def _print_plan(planned: list[PlannedFile], console: Console, format: PlanFormat) -> None:
    if format == PlanFormat.json:
        sys.stdout.write(json.dumps({"files": _file_rows(planned)}, indent=2) + "\n")
        return
    _plan_table(planned, console, title="Plan (dry run: nothing written)")
    for item in planned:
        if item.action == Action.create:
            console.print(
                f"\n[green]new file[/] {escape(item.path.as_posix())} ({len(item.content.splitlines())} lines)"
            )
        elif diff := item.diff():
            note = " (exists and differs; --force would make this change)" if item.action == Action.skip else ""
            console.print(f"\n[yellow]{item.action.value}[/] {escape(item.path.as_posix())}{note}")
            console.print(escape(diff), end="")
    skipped = [item for item in planned if item.differs]
    if skipped:
        console.print(
            f"\n{len(skipped)} existing file(s) differ and would be skipped: rerun with --force to overwrite."
        )


def _file_rows(planned: list[PlannedFile]) -> list[dict[str, str]]:
    return [{"path": item.path.as_posix(), "kind": item.kind, "action": item.action.value} for item in planned]


def _plan_table(planned: list[PlannedFile], console: Console, title: str) -> None:
    # Plain aligned lines rather than a table: paths are never cut or folded, whatever the width.
    colours = {Action.create: "green", Action.overwrite: "yellow", Action.extend: "cyan", Action.skip: "dim"}
    kind_width = max((len(item.kind) for item in planned), default=4)
    console.print(title)
    console.print(Text(f"{'action':<10}{'kind':<{kind_width + 2}}path", style="bold"))
    for item in planned:
        line = Text(f"{item.action.value:<10}", style=colours[item.action])
        line.append(f"{item.kind:<{kind_width + 2}}{item.path.as_posix()}")
        console.print(line)


def _print_result(planned: list[PlannedFile], written: list[PlannedFile], console: Console) -> None:
    _plan_table(planned, console, title=f"Wrote {len(written)} file(s)")
    for item in (item for item in planned if item.differs):
        console.print(
            f"[yellow]skipped[/] {escape(item.path.as_posix())}: it exists and differs; --force overwrites it"
        )
