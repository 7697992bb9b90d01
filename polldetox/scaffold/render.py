"""The plan: which files a scaffold writes, rendered from the Jinja templates, and what each would do.

Templates live in the top-level templates/ folder, mapped into the wheel as polldetox/templates:
`db/`, `file/`, `action/` per
pattern, `common/` for the per-data-type files every pattern needs, `shared/` for files generated
once and used by every data type. `--templates DIR` overrides any of them by the same name.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from polldetox.naming import Names, quote_identifier, quote_literal
from polldetox.scaffold.layout import Layout, LayoutError
from polldetox.scaffold.schema import Column, Table
from polldetox.templates_dir import built_in_templates

if TYPE_CHECKING:
    import jinja2


class Pattern(StrEnum):
    """Decision Tree 1: where the data lives decides how a change is detected."""

    db = "db"  # PostgreSQL NOTIFY/LISTEN
    file = "file"  # a watchdog file watcher with debounce
    action = "action"  # a direct broadcast from the API endpoint that changes the data


class Payload(StrEnum):
    """What a change sends clients (db pattern): Decision Tree 3 asks for deltas above 100 KB."""

    auto = "auto"  # delta once the data's JSON passes 100 KB, decided at run time
    full = "full"  # the whole data on every change
    delta = "delta"  # changed rows and deleted keys only


class Action(StrEnum):
    create = "create"
    overwrite = "overwrite"  # only with --force
    skip = "skip"  # exists; left alone
    extend = "extend"  # a shared file generated earlier gains this data type's entry


_FRONTEND = ("reconnecting_socket", "api_config", "hook", "component", "test_ts")
KINDS_BY_PATTERN: dict[Pattern, tuple[str, ...]] = {
    Pattern.db: (
        "migration_up", "migration_down", "pg_listener", "connection_manager", "callback", "listener",
        "endpoint", "test_python", *_FRONTEND,
    ),
    Pattern.file: ("connection_manager", "callback", "file_watcher", "endpoint", "test_python", *_FRONTEND),
    Pattern.action: ("connection_manager", "callback", "action_route", "endpoint", "test_python", *_FRONTEND),
}  # fmt: skip

_TEMPLATE_BY_KIND = {
    "migration_up": "db/migration_up.sql.j2",
    "migration_down": "db/migration_down.sql.j2",
    "listener": "db/listener.py.j2",
    "file_watcher": "file/watcher.py.j2",
    "action_route": "action/routes.py.j2",
    "endpoint": "common/endpoint.py.j2",
    "hook": "common/hook.ts.j2",
    "component": "common/component.tsx.j2",
    "test_ts": "common/hook.test.tsx.j2",
    "connection_manager": "shared/realtime_connections.py.j2",
    "pg_listener": "shared/pg_listener.py.j2",
    "reconnecting_socket": "shared/useReconnectingWebSocket.ts.j2",
    "api_config": "shared/api.ts.j2",
}
_PER_PATTERN = {"callback": "events.py.j2", "test_python": "test_realtime.py.j2"}

# The line in a generated api.ts above which later scaffolds add their WebSocket URL.
API_CONFIG_MARKER = "// polldetox:websocket-urls"


def template_name(kind: str, pattern: Pattern) -> str:
    return f"{pattern.value}/{_PER_PATTERN[kind]}" if kind in _PER_PATTERN else _TEMPLATE_BY_KIND[kind]


@dataclass(frozen=True)
class PlannedFile:
    path: PurePosixPath  # relative to the output folder
    kind: str
    action: Action
    content: str  # what the scaffold renders for it (for `extend`: the existing file plus the new entry)
    existing: str | None  # what it holds now; None when absent

    @property
    def differs(self) -> bool:
        """A skipped file whose content is not what the scaffold would write."""
        return self.action == Action.skip and self.existing != self.content

    def diff(self) -> str:
        # A skipped file's diff too: what --force would change is what the user must decide on.
        if self.action == Action.create or self.existing is None:
            return ""
        lines = difflib.unified_diff(
            self.existing.splitlines(keepends=True), self.content.splitlines(keepends=True),
            fromfile=f"a/{self.path}", tofile=f"b/{self.path}",
        )  # fmt: skip
        return "".join(lines)


@dataclass(frozen=True)
class Request:
    names: Names
    pattern: Pattern
    table: Table | None  # None when no schema was given (file and action patterns)
    layout: Layout
    statement_level: bool = False
    payload: Payload = Payload.auto


def unmatched_overrides(user_templates: Path) -> list[str]:
    """Templates in `--templates` named like no built-in one: a misspelt override changes nothing."""
    import jinja2

    built_in = set(jinja2.FileSystemLoader(built_in_templates()).list_templates())
    user = jinja2.FileSystemLoader(user_templates).list_templates()
    return [name for name in user if name.endswith(".j2") and name not in built_in]


def environment(user_templates: Path | None) -> jinja2.Environment:
    import jinja2  # loaded when something is rendered, not by every command line start

    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(built_in_templates())]
    if user_templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(user_templates))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # the output is source code, never HTML
    )
    env.globals["first_party_imports"] = first_party_imports
    env.filters["python_string"] = python_string
    return env


def python_string(text: str, width: int = 90) -> str:
    """A Python expression for `text`: one literal, or adjacent literals in parentheses when long."""
    if len(text) <= width:
        return repr(text)
    return "(\n" + "".join(f"    {piece!r}\n" for piece in _chunks(text, width)) + ")"


def first_party_imports(imports: Iterable[tuple[str, str]]) -> str:
    """`from module import name` lines in the order isort (ruff I001) wants them."""
    by_module: dict[str, set[str]] = {}
    for module, name in imports:
        by_module.setdefault(module, set()).add(name)
    return "\n".join(
        f"from {module} import {', '.join(sorted(names, key=str.lower))}"
        for module, names in sorted(by_module.items(), key=lambda item: item[0].lower())
    )


def plan(request: Request, out: Path, env: jinja2.Environment, *, force: bool) -> list[PlannedFile]:
    """Every file of the pattern: rendered content and whether it would be created, overwritten or skipped."""
    kinds = KINDS_BY_PATTERN[request.pattern]
    paths = {kind: request.layout.path(kind, request.names.placeholders) for kind in kinds}
    context = _context(request, paths)
    planned = []
    for kind in kinds:
        content = env.get_template(template_name(kind, request.pattern)).render(context)
        target = out / paths[kind]
        existing = target.read_text(encoding="utf-8") if target.is_file() else None
        planned.append(_decide(paths[kind], kind, content, existing, request.names, force=force))
    return planned


def _decide(
    path: PurePosixPath, kind: str, content: str, existing: str | None, names: Names, *, force: bool
) -> PlannedFile:
    if existing is None:
        return PlannedFile(path, kind, Action.create, content, None)
    if kind == "api_config":
        # Shared by every data type: add this one's URL to a file polldetox wrote, never replace it.
        if re.search(rf"^\s*{re.escape(names.camel)}:", existing, re.M):
            return PlannedFile(path, kind, Action.skip, existing, existing)
        if API_CONFIG_MARKER not in existing:
            return PlannedFile(path, kind, Action.skip, content, existing)
        entry = next(line for line in content.splitlines(keepends=True) if line.strip().startswith(f"{names.camel}:"))
        marker_line = next(line for line in existing.splitlines(keepends=True) if API_CONFIG_MARKER in line)
        return PlannedFile(path, kind, Action.extend, existing.replace(marker_line, entry + marker_line, 1), existing)
    if force and existing != content:
        return PlannedFile(path, kind, Action.overwrite, content, existing)
    return PlannedFile(path, kind, Action.skip, content, existing)


def python_module(path: PurePosixPath, python_root: str) -> str:
    root = PurePosixPath(python_root)
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise LayoutError(f"{path} is not under python-root {python_root}: set python-root or the layout") from None
    return ".".join(relative.with_suffix("").parts)


def ts_import(from_file: PurePosixPath, to_file: PurePosixPath) -> str:
    relative = os.path.relpath(to_file.with_suffix("").as_posix(), from_file.parent.as_posix())
    return relative if relative.startswith(".") else f"./{relative}"


_TS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _ts_property(name: str) -> str:
    return name if _TS_IDENTIFIER.match(name) else quote_literal(name).replace("\\", "\\\\")


def _context(request: Request, paths: Mapping[str, PurePosixPath]) -> dict[str, object]:
    names, table = request.names, request.table
    words = names.snake.split("_")
    python_kinds = [kind for kind, path in paths.items() if path.suffix == ".py"]
    context: dict[str, object] = {
        "names": names,
        "pattern": request.pattern.value,
        "statement_level": request.statement_level,
        "payload": request.payload.value,
        "message_type": f"{names.snake}_update",
        "events_class": "".join(word.capitalize() for word in words) + "Events",
        "paths": {kind: path.as_posix() for kind, path in paths.items()},
        "modules": {kind: python_module(paths[kind], request.layout.python_root) for kind in python_kinds},
        "python_root": request.layout.python_root,
        "table_display": names.table.schema + "." + names.table.name if names.table.schema else names.table.name,
        "table_sql": names.table.sql(),
        "api_marker": API_CONFIG_MARKER,
        "ts_imports": {
            source: {target: ts_import(paths[source], paths[target]) for target in _FRONTEND if target in paths}
            for source in _FRONTEND
            if source in paths
        },
    }
    if "test_python" in paths:
        context["test_depth"] = len(paths["test_python"].parts) - 1
    if "migration_up" in paths:
        context["migration_paths"] = {kind: paths[kind].as_posix() for kind in ("migration_up", "migration_down")}
        context["up_name"] = paths["migration_up"].name
    if table is None:
        context.update(
            columns=[], key_columns=[], fields=[("id", "number")], row_key="row.id", ts_key_union="'id'",
            sample_row="{ id: 1 }",
        )  # fmt: skip
        return context
    key_pairs = ", ".join(f"{quote_literal(c)}, changed.{quote_identifier(c)}" for c in table.primary_key)
    schema = names.table.schema
    function = f"notify_{names.table.name}_change" + ("s" if request.statement_level else "")
    qualify = (lambda name: f"{quote_identifier(schema)}.{quote_identifier(name)}") if schema else quote_identifier
    column_list = ", ".join(quote_identifier(column.name) for column in table.columns)
    order = ", ".join(f"t.{quote_identifier(column)}" for column in table.primary_key)
    select = (
        f"SELECT COALESCE(json_agg(t ORDER BY {order}), '[]'::json)::text "
        f"FROM (SELECT {column_list} FROM {names.table.sql()}) AS t"
    )
    keys = ", ".join(quote_identifier(column) for column in table.primary_key)
    # json_populate_recordset with the table's row type casts each key back to its column's type.
    select_by_key = (
        f"SELECT COALESCE(json_agg(t ORDER BY {order}), '[]'::json)::text "
        f"FROM (SELECT {column_list} FROM {names.table.sql()} WHERE ({keys}) IN "
        f"(SELECT {keys} FROM json_populate_recordset(NULL::{names.table.sql()}, $1::json))) AS t"
    )
    context.update(
        columns=table.columns,
        key_columns=table.primary_key,
        function_sql=qualify(function),
        row_trigger=quote_identifier(f"{names.table.name}_notify"),
        statement_triggers={op: quote_identifier(f"{names.table.name}_notify_{op.lower()}") for op in _OPERATIONS},
        truncate_trigger=quote_identifier(f"{names.table.name}_notify_truncate"),
        channel_literal=quote_literal(names.channel),
        key_pairs=key_pairs,
        # Inside format('...'): quotes doubled again, % escaped.
        key_pairs_dynamic=key_pairs.replace("'", "''").replace("%", "%%"),
        select_sql=select,
        select_by_key_sql=select_by_key,
        key_columns_python="(" + "".join(f"{python_string(column)}, " for column in table.primary_key).rstrip() + ")",
        fields=[
            (_ts_property(column.name), column.ts_type + (" | null" if column.nullable else ""))
            for column in table.columns
        ],
        row_key=_row_key(table.primary_key),
        ts_key_union=" | ".join(_ts_string(name) for name in table.primary_key),
        sample_row=_sample_row(table),
        **_test_statements(names, table),
    )
    return context


_OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def _ts_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _row_key(key: tuple[str, ...]) -> str:
    access = [f"row.{name}" if _TS_IDENTIFIER.match(name) else f"row[{quote_literal(name)}]" for name in key]
    return access[0] if len(access) == 1 else f"JSON.stringify([{', '.join(access)}])"


def _test_statements(names: Names, table: Table) -> dict[str, str]:
    """SQL the generated Python tests run: insert a row with sample values, update and delete it by key."""
    table_sql = names.table.sql()
    keys = [quote_identifier(column) for column in table.primary_key]
    where = " AND ".join(f"{key} = ${index}" for index, key in enumerate(keys, start=1))
    required = [column for column in table.columns if not column.nullable and not column.has_default]
    if required:
        columns = ", ".join(quote_identifier(column.name) for column in required)
        values = ", ".join(_sample_sql(column, table_sql, column.name in table.primary_key) for column in required)
        insert = f"INSERT INTO {table_sql} ({columns}) VALUES ({values}) RETURNING {', '.join(keys)}"
    else:
        insert = f"INSERT INTO {table_sql} DEFAULT VALUES RETURNING {', '.join(keys)}"
    return {
        "insert_sql": insert,
        "update_sql": f"UPDATE {table_sql} SET {keys[0]} = {keys[0]} WHERE {where}",
        "delete_sql": f"DELETE FROM {table_sql} WHERE {where}",
    }


def _sample_sql(column: Column, table_sql: str, is_key: bool) -> str:
    """A value of the column's type; unique for key columns (random text, or max + 1)."""
    sql_type = column.sql_type.upper()
    if column.ts_type == "number":
        name = quote_identifier(column.name)
        return f"(SELECT COALESCE(max({name}), 0) + 1 FROM {table_sql})" if is_key else "1"
    if column.ts_type == "boolean":
        return "true"
    if column.ts_type == "unknown" or sql_type.endswith("]"):
        return f"'{{}}'::{column.sql_type}" if sql_type.endswith("]") else "'{}'"
    if sql_type.startswith(("DATE", "TIME")):
        return f"now()::{column.sql_type}"
    if sql_type == "UUID":
        return "gen_random_uuid()"
    # An explicit cast to varchar(n) / char(n) truncates instead of failing.
    return f"md5(random()::text)::{column.sql_type}"


def _sample_row(table: Table) -> str:
    """A TypeScript object literal of the row type, for the generated hook test."""
    samples = {"number": "1", "boolean": "true", "string": "'sample'", "unknown": "null"}
    values = [f"{_ts_property(c.name)}: {samples.get(c.ts_type, '[]')}" for c in table.columns]
    return "{ " + ", ".join(values) + " }"


def _chunks(text: str, width: int) -> list[str]:
    """Split at spaces into pieces of about `width` characters that concatenate back to `text`."""
    pieces, current = [], ""
    for word in re.split(r"(?<= )", text):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word
    return [*pieces, current] if current else pieces
