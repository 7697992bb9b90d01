"""Which tables a SQL string reads (sqlglot, PostgreSQL dialect)."""

import pytest

from polldetox.scan.sql import HOLE, tables_read


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("SELECT id, status FROM queue_items WHERE status = $1", ("queue_items",)),
        ("select * from workflow_history order by started_at desc limit %s", ("workflow_history",)),
        (
            "SELECT q.id, a.name FROM queue_items AS q LEFT JOIN agents AS a ON a.id = q.agent_id",
            ("agents", "queue_items"),
        ),
        ("SELECT * FROM public.jobs j JOIN audit.events e ON e.job_id = j.id", ("audit.events", "public.jobs")),
        ("SELECT id FROM (SELECT id FROM pending_jobs WHERE claimed_at IS NULL) AS open_jobs", ("pending_jobs",)),
        ("SELECT id FROM jobs WHERE owner_id IN (SELECT id FROM users WHERE active)", ("jobs", "users")),
        # CTE names are not tables; what the CTE reads is.
        (
            "WITH recent AS (SELECT * FROM workflow_history WHERE started_at > now() - interval '1 hour') "
            "SELECT count(*) FROM recent",
            ("workflow_history",),
        ),
        # A job-claiming UPDATE reads its table on every tick.
        (
            "UPDATE jobs SET claimed_by = :worker WHERE id = (SELECT id FROM jobs WHERE claimed_by IS NULL "
            "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
            ("jobs",),
        ),
        ("DELETE FROM sessions WHERE expires_at < now()", ("sessions",)),
        # An INSERT target is only written; the SELECT it copies from is read.
        ("INSERT INTO job_log (job_id) SELECT id FROM jobs WHERE done", ("jobs",)),
        ("INSERT INTO job_log (job_id, message) VALUES ($1, $2)", ()),
        ("SELECT 1; SELECT id FROM heartbeats", ("heartbeats",)),
        ('SELECT * FROM "QueueItems"', ("QueueItems",)),
    ],
)
def test_tables_read(sql: str, tables: tuple[str, ...]) -> None:
    assert tables_read(sql) == tables


@pytest.mark.parametrize("sql", ["", "SELEC id FROM (", "not sql at all ((( ", "SELECT * FROM t WHERE x = 'unclosed"])
def test_unparsable_sql_reads_nothing(sql: str) -> None:
    assert tables_read(sql) == ()


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        (f"SELECT * FROM {HOLE}.events WHERE seen = false LIMIT {HOLE}", ("events",)),
        (f"SELECT id FROM jobs WHERE id IN ({HOLE}) AND queue = '{HOLE}'", ("jobs",)),
        (f"SELECT * FROM {HOLE} JOIN users ON users.id = owner_id", ("users",)),
        (f"SELECT * FROM events_{HOLE}", ()),
    ],
)
def test_a_hole_filled_at_run_time_is_no_table(sql: str, tables: tuple[str, ...]) -> None:
    assert tables_read(sql) == tables
