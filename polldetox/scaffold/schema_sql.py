"""Replaying a file's SQL onto the tables it creates and alters, with sqlglot (PostgreSQL dialect).

Kept apart from schema.py so that sqlglot loads only when a schema is really read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from polldetox.naming import QualifiedName
from polldetox.scaffold.schema import Column, SchemaError, Table


def replay(text: str, file: Path, tables: dict[QualifiedName, Table]) -> None:
    """Apply every CREATE / ALTER / DROP TABLE of one file's SQL to `tables`, in order."""
    for statement in _statements(text, file):
        _apply(statement, tables)


def _statements(text: str, file: Path) -> list[exp.Expression]:
    # sqlglot warns on every statement it falls back to a Command for; those are not tables.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(text, read="postgres", error_level=ErrorLevel.IGNORE)
    except ParseError as error:
        raise SchemaError(f"{file}: cannot parse SQL: {error}") from error
    finally:
        logger.setLevel(level)
    return [statement for statement in parsed if statement is not None]


def _identifier(node: exp.Expression) -> str:
    identifier = node if isinstance(node, exp.Identifier) else node.find(exp.Identifier)
    if identifier is None:
        return node.name
    return identifier.this if identifier.quoted else identifier.this.lower()


def _table_name(table: exp.Table) -> QualifiedName:
    schema = table.args.get("db")
    return QualifiedName(name=_identifier(table.this), schema=_identifier(schema) if schema else None)


def _apply(statement: exp.Expression, tables: dict[QualifiedName, Table]) -> None:
    if isinstance(statement, exp.Create) and statement.kind == "TABLE" and isinstance(statement.this, exp.Schema):
        table = statement.this.this
        if isinstance(table, exp.Table):
            created = _create_table(_table_name(table), statement.this.expressions)
            tables[_key(created.name, tables)] = created
    elif isinstance(statement, exp.Alter) and statement.kind == "TABLE" and isinstance(statement.this, exp.Table):
        key = _key(_table_name(statement.this), tables)
        if key in tables:
            for action in statement.args.get("actions") or []:
                tables[key] = _alter(tables[key], action)
            renamed = tables[key].name
            if renamed != key:
                tables[renamed] = tables.pop(key)
    elif isinstance(statement, exp.Drop) and statement.kind == "TABLE":
        for table in statement.find_all(exp.Table):
            tables.pop(_key(_table_name(table), tables), None)


def _key(name: QualifiedName, tables: dict[QualifiedName, Table]) -> QualifiedName:
    """The key an existing table is stored under (public.x and x are one table)."""
    return next((key for key in tables if key.matches(name)), name)


def _create_table(name: QualifiedName, definitions: list[exp.Expression]) -> Table:
    columns: list[Column] = []
    primary_key: tuple[str, ...] = ()
    for definition in definitions:
        if isinstance(definition, exp.ColumnDef):
            column, is_key = _column(definition)
            columns.append(column)
            if is_key:
                primary_key = (column.name,)
        else:
            primary_key = _primary_key(definition) or primary_key
    table = Table(name=name, columns=tuple(columns), primary_key=())
    return _with_primary_key(table, primary_key)


def _primary_key(node: exp.Expression) -> tuple[str, ...]:
    key = node if isinstance(node, exp.PrimaryKey) else node.find(exp.PrimaryKey)
    if key is None:
        return ()
    return tuple(_identifier(column) for column in key.expressions)


def _with_primary_key(table: Table, key: tuple[str, ...]) -> Table:
    """Key columns are NOT NULL, as PostgreSQL makes them."""
    names = {column.name for column in table.columns}
    missing = [column for column in key if column not in names]
    if missing:
        raise SchemaError(f"table {table.name.sql()}: primary key names unknown column(s) {', '.join(missing)}")
    columns = tuple(replace(column, nullable=False) if column.name in key else column for column in table.columns)
    return replace(table, columns=columns, primary_key=key)


def _column(definition: exp.ColumnDef) -> tuple[Column, bool]:
    kind = definition.args.get("kind")
    constraints = [constraint.args.get("kind") for constraint in definition.args.get("constraints") or []]
    is_key = any(isinstance(constraint, exp.PrimaryKeyColumnConstraint) for constraint in constraints)
    not_null = is_key or any(
        isinstance(constraint, exp.NotNullColumnConstraint) and not constraint.args.get("allow_null")
        for constraint in constraints
    )
    generated = (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)
    serial = isinstance(kind, exp.DataType) and kind.this in _SERIAL_TYPES
    has_default = serial or any(isinstance(constraint, generated) for constraint in constraints)
    column = Column(
        name=_identifier(definition.this),
        sql_type=kind.sql(dialect="postgres") if kind else "TEXT",
        ts_type=ts_type(kind) if isinstance(kind, exp.DataType) else "unknown",
        nullable=not not_null,
        has_default=has_default,
    )
    return column, is_key


def _alter(table: Table, action: exp.Expression) -> Table:
    if isinstance(action, exp.ColumnDef):
        column, is_key = _column(action)
        table = replace(table, columns=(*table.columns, column))
        return _with_primary_key(table, (column.name,)) if is_key else table
    if isinstance(action, exp.Drop) and action.args.get("kind") == "COLUMN":
        dropped = {_identifier(column) for column in action.args.get("tables") or []}
        key = () if dropped & set(table.primary_key) else table.primary_key
        columns = tuple(column for column in table.columns if column.name not in dropped)
        return replace(table, columns=columns, primary_key=key)
    if isinstance(action, exp.RenameColumn):
        old, new = _identifier(action.this), _identifier(action.args["to"])
        columns = tuple(replace(c, name=new) if c.name == old else c for c in table.columns)
        key = tuple(new if name == old else name for name in table.primary_key)
        return replace(table, columns=columns, primary_key=key)
    if isinstance(action, exp.AddConstraint):
        key = _primary_key(action)
        return _with_primary_key(table, key) if key else table
    if isinstance(action, exp.AlterRename):
        renamed = action.this
        if isinstance(renamed, exp.Table):
            name = _table_name(renamed)
            return replace(table, name=QualifiedName(name=name.name, schema=name.schema or table.name.schema))
        return table
    if isinstance(action, exp.AlterColumn):
        return _alter_column(table, action)
    return table


def _alter_column(table: Table, action: exp.AlterColumn) -> Table:
    name = _identifier(action.this)
    changes: dict[str, object] = {}
    allow_null = action.args.get("allow_null")
    if allow_null is not None:
        changes["nullable"] = bool(allow_null) and name not in table.primary_key
    new_type = action.args.get("dtype")
    if isinstance(new_type, exp.DataType):
        changes["sql_type"] = new_type.sql(dialect="postgres")
        changes["ts_type"] = ts_type(new_type)
    if action.args.get("drop") and "default" in action.sql(dialect="postgres").lower():
        changes["has_default"] = False
    elif action.args.get("default") is not None:
        changes["has_default"] = True
    columns = tuple(replace(column, **changes) if column.name == name else column for column in table.columns)  # type: ignore[arg-type]
    return replace(table, columns=columns)


_T = exp.DataType.Type
_SERIAL_TYPES = {_T.SERIAL, _T.SMALLSERIAL, _T.BIGSERIAL}
# What PostgreSQL's row_to_json gives for each type: the generated code sends rows as that JSON.
_NUMBER = {
    _T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.SERIAL, _T.SMALLSERIAL, _T.BIGSERIAL, _T.FLOAT, _T.DOUBLE,
    _T.DECIMAL, _T.MONEY, _T.UTINYINT, _T.USMALLINT, _T.UINT, _T.UBIGINT, _T.SMALLMONEY, _T.BIGDECIMAL,
}  # fmt: skip
_BOOLEAN = {_T.BOOLEAN, _T.BIT}
_JSON = {_T.JSON, _T.JSONB}


def ts_type(kind: exp.DataType) -> str:
    """The TypeScript type of a column's value in PostgreSQL's JSON rendering of the row."""
    if kind.this == _T.ARRAY:
        inner = kind.expressions[0] if kind.expressions else None
        element = ts_type(inner) if isinstance(inner, exp.DataType) else "unknown"
        return f"({element} | null)[]"
    if kind.this in _NUMBER:
        return "number"
    if kind.this in _BOOLEAN:
        return "boolean"
    if kind.this in _JSON:
        return "unknown"
    if kind.this == _T.USERDEFINED:
        return "string"  # enums and domains over text are the common case
    return "string"  # text, varchar, uuid, dates and times (ISO 8601), bytea (hex), inet, intervals
