"""Which tables a SQL string reads: what a polling loop re-queries on every tick.

Uses sqlglot with the PostgreSQL dialect. "Read" is taken broadly, because the question is
which table's changes the loop is waiting for: tables in FROM / JOIN / subqueries, the targets
of UPDATE and DELETE (a job-claiming `UPDATE ... RETURNING` reads its table on every tick), and
the sources of `INSERT ... SELECT`. A plain INSERT target is only written, so it is left out, as
are CTE names, which are not tables.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

_DIALECT = "postgres"
# Stands for a value filled in at run time (an f-string hole): an identifier, so that it parses
# wherever a value or a name can stand. A table named by it is unknown; a schema named by it is dropped.
HOLE = "polldetox_hole"


@lru_cache(maxsize=4096)  # the same query is often read by a watcher and a route, file after file
def tables_read(sql: str) -> tuple[str, ...]:
    """Sorted unique tables a SQL string reads, schema-qualified as written; () when it does not parse."""
    # Loaded on first use: a scan that parses no query (a warm one, say) does not pay for sqlglot.
    import sqlglot

    try:
        statements = sqlglot.parse(sql, read=_DIALECT)
    except Exception:  # sqlglot raises several error types (ParseError, TokenError, ...); never fail a scan
        return ()
    tables: set[str] = set()
    for statement in statements:
        if statement is not None:
            tables.update(_statement_tables(statement))
    return tuple(sorted(tables))


def _statement_tables(statement: exp.Expression) -> set[str]:
    from sqlglot import exp

    cte_names = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    written = _insert_targets(statement)
    names: set[str] = set()
    for table in statement.find_all(exp.Table):
        if not table.name or id(table) in written or HOLE in table.name:
            continue
        if not table.db and table.name in cte_names:
            continue
        names.add(f"{table.db}.{table.name}" if table.db and HOLE not in table.db else table.name)
    return names


def _insert_targets(statement: exp.Expression) -> set[int]:
    """Ids of the Table nodes that INSERT statements only write into."""
    from sqlglot import exp

    targets: set[int] = set()
    for insert in statement.find_all(exp.Insert):
        target = insert.this
        if isinstance(target, exp.Schema):  # INSERT INTO t (a, b) wraps the table in a Schema
            target = target.this
        if isinstance(target, exp.Table):
            targets.add(id(target))
    return targets
