"""The table's shape from the project's SQL: columns, types, nullability and primary key.

Reads one `.sql` file or every `.sql` file of a migrations folder in sorted order with sqlglot
(PostgreSQL dialect) and replays CREATE TABLE and the ALTER TABLEs that follow: ADD / DROP /
RENAME COLUMN, ALTER COLUMN SET / DROP NOT NULL and TYPE, ADD [CONSTRAINT ...] PRIMARY KEY,
RENAME TO, plus DROP TABLE. Statements sqlglot cannot parse (functions, DO blocks) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polldetox.naming import QualifiedName


class SchemaError(ValueError):
    """The schema cannot give what the scaffold needs; the message says why."""


@dataclass(frozen=True)
class Column:
    name: str  # exact identifier (case-folded as PostgreSQL does)
    sql_type: str  # as written after normalisation: "BIGINT", "TEXT[]", "DECIMAL(10, 2)"
    ts_type: str  # the TypeScript type of the value in the row JSON, without `| null`
    nullable: bool
    has_default: bool  # DEFAULT, serial or identity: an INSERT may leave it out


@dataclass(frozen=True)
class Table:
    name: QualifiedName
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def read_table(source: Path, table: QualifiedName) -> Table:
    """The table as the SQL under `source` leaves it; raises SchemaError when absent or keyless."""
    files = sorted(source.rglob("*.sql")) if source.is_dir() else [source]
    if not source.exists():
        raise SchemaError(f"{source}: no such file or folder")
    if not files:
        raise SchemaError(f"{source}: no .sql files in this folder")
    from polldetox.scaffold.schema_sql import replay  # sqlglot loads only when a schema is read

    tables: dict[QualifiedName, Table] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SchemaError(f"{file}: cannot read: {error}") from error
        replay(text, file, tables)
    found = next((value for key, value in tables.items() if key.matches(table)), None)
    if found is None:
        if table.schema is None:
            candidates = [key for key in tables if key.name == table.name]
            if len(candidates) == 1:
                found = tables[candidates[0]]
        if found is None:
            known = ", ".join(sorted(key.sql() for key in tables)) or "none"
            raise SchemaError(f"table {table.sql()} is not created in {source} (tables found: {known})")
    if not found.primary_key:
        raise SchemaError(
            f"table {found.name.sql()} has no primary key: the NOTIFY payload carries the key of each "
            "changed row, so add one (ALTER TABLE ... ADD PRIMARY KEY (...))"
        )
    return found
