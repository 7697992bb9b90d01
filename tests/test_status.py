"""`polldetox status`: the migration checklist on the demo app before and after scaffold and migration,
and on hand-written equivalents that follow no naming convention."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from polldetox.cli import app
from polldetox.naming import names_for
from polldetox.status_frontend import Frontend
from polldetox.status_sql import defines_sql, notify_channels, read_sql
from tests.conftest import DEMO

runner = CliRunner()


def status(root: Path, *arguments: str) -> Result:
    return runner.invoke(app, ["status", "--root", str(root), *arguments])


def steps(root: Path, table: str) -> dict[str, dict]:
    result = status(root, table, "--format", "json")
    assert result.exit_code == 0, result.output
    [data_type] = json.loads(result.stdout)["data_types"]
    assert data_type["name"] == table
    return {step["id"]: step for step in data_type["steps"]}


def done(checklist: dict[str, dict]) -> set[str]:
    return {step_id for step_id, step in checklist.items() if step["done"]}


def evidence(checklist: dict[str, dict]) -> dict[str, str | None]:
    return {step_id: step["evidence"] for step_id, step in checklist.items()}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo app, whose migrations create workflow_history."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


SCAFFOLDED = {
    "trigger": "app/server/migrations/workflow_history_notify.up.sql",
    "listener": "app/server/services/workflow_history_listener.py",
    "callback": "app/server/services/workflow_history_events.py",
    "endpoint": "app/server/routes/workflow_history_websocket.py",
    "hook": "app/client/src/hooks/useWorkflowHistoryWebSocket.ts",
    "tests": "app/server/tests/test_workflow_history_realtime.py, "
    "app/client/src/hooks/useWorkflowHistoryWebSocket.test.tsx",
}


def test_steps_flip_with_evidence_after_scaffold_and_after_migrate(demo: Path) -> None:
    before = steps(demo, "workflow_history")
    assert evidence(before) == {
        "trigger": None,
        "listener": None,
        "callback": None,
        # The dashboard feed hands its sockets to the manager the watcher broadcasts workflow_history_update
        # through, so it serves the data already; no hook handles that message type yet.
        "endpoint": "app/server/routes/websocket_routes.py",
        "hook": None,
        "component": None,
        "polling_removed": "still polls: app/server/services/background_tasks.py:84, "
        "app/client/src/components/WorkflowHistoryPanel.tsx:12",
        # The dashboard test opens that feed (at /ws/queue); nothing tests a trigger.
        "tests": "no test for the trigger (found: app/server/tests/test_dashboard.py)",
    }
    assert done(before) == {"endpoint"}
    assert status(demo, "workflow_history", "--fail-on-incomplete").exit_code == 1

    scaffolded = runner.invoke(app, ["scaffold", "workflow_history", "--out", str(demo)])
    assert scaffolded.exit_code == 0, scaffolded.output
    after_scaffold = steps(demo, "workflow_history")
    # The panel existed, so scaffold left it alone: it still polls and does not use the hook yet.
    assert evidence(after_scaffold) == {
        **SCAFFOLDED,
        "component": None,
        "polling_removed": before["polling_removed"]["evidence"],
    }
    assert done(after_scaffold) == set(SCAFFOLDED)
    assert status(demo, "workflow_history", "--fail-on-incomplete").exit_code == 1

    migrated = runner.invoke(app, ["migrate", "workflow_history", "--root", str(demo), "--allow-dirty"])
    assert migrated.exit_code == 0, migrated.output
    # The hook scaffold wrote reads its URL from the app's own api.ts, which scaffold left alone: migrate adds it.
    assert (
        "    queue: (): string => `${API_BASE.replace(/^http/, 'ws')}/ws/queue`,\n"
        "    workflowHistory: (): string => `${API_BASE.replace(/^http/, 'ws')}/ws/workflow-history`,\n  },\n"
    ) in (demo / "app/client/src/config/api.ts").read_text()
    after_migrate = steps(demo, "workflow_history")
    assert evidence(after_migrate) == {
        **SCAFFOLDED,
        "listener": "app/server/server.py",  # the rewritten watcher is registered in the lifespan
        "callback": "app/server/services/background_tasks.py",
        "component": "app/client/src/components/WorkflowHistoryPanel.tsx",
        "polling_removed": None,
    }
    assert done(after_migrate) == set(after_migrate)
    text = status(demo, "workflow_history")
    assert text.exit_code == 0
    assert "workflow_history  PostgreSQL NOTIFY/LISTEN (Method 1)  8/8" in text.stdout
    assert "  ✓ component        Components use the hook  app/client/src/components/WorkflowHistoryPanel.tsx\n" in (
        text.stdout
    )
    assert status(demo, "workflow_history", "--fail-on-incomplete").exit_code == 0
    # Another table of the same app is untouched by all this.
    assert done(steps(demo, "queue_items")) == {"endpoint", "hook"}


def test_every_data_type_by_default_as_a_text_checklist(demo: Path) -> None:
    result = status(demo)
    assert result.exit_code == 0, result.output
    headings = [line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    assert {"queue_items", "workflow_history", "agent_runs", "jobs", "system_status"} <= set(headings)
    assert "  ✗ trigger" in result.stdout and "still polls: app/server/services/scheduler.py:37" in result.stdout
    # The file and action patterns need no trigger or listener (Decision Tree 1).
    [system_status] = [
        d for d in json.loads(status(demo, "--format", "json").stdout)["data_types"] if d["name"] == "system_status"
    ]
    assert system_status["method"] == "Direct broadcast call (Method 3)"
    assert system_status["steps"][0] == {
        "id": "trigger",
        "title": "Migration creates a NOTIFY trigger on the table",
        "done": True,
        "evidence": "not needed: Direct broadcast call (Method 3)",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("bad-name",), "not a valid table name"),
        (("no_such_table",), "nothing in"),
    ],
)
def test_bad_input_exits_2(demo: Path, arguments: tuple[str, ...], message: str) -> None:
    result = status(demo, *arguments)
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_table_is_a_clear_error(demo: Path) -> None:
    result = status(demo, "queue_items", "no_such_table", "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: no_such_table: nothing in {demo.resolve()} polls it, creates it, serves it, triggers on it "
        "or listens for it"
    )


def test_named_tables_in_the_order_asked_with_the_documented_shape(demo: Path) -> None:
    result = status(demo, "workflow_history", "queue_items", "--format", "json")
    assert result.exit_code == 0, result.output
    data_types = json.loads(result.stdout)["data_types"]
    assert [d["name"] for d in data_types] == ["workflow_history", "queue_items"]
    for data_type in data_types:
        assert set(data_type) == {"name", "method", "steps"}
        assert data_type["method"] == "PostgreSQL NOTIFY/LISTEN (Method 1)"
        assert [step["id"] for step in data_type["steps"]] == [
            "trigger", "listener", "callback", "endpoint", "hook", "component", "polling_removed", "tests"
        ]  # fmt: skip
        assert all(set(step) == {"id", "title", "done", "evidence"} for step in data_type["steps"])
    text = status(demo, "workflow_history", "queue_items").stdout
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert headings == [
        "workflow_history  PostgreSQL NOTIFY/LISTEN (Method 1)  1/8",
        "queue_items  PostgreSQL NOTIFY/LISTEN (Method 1)  2/8",
    ]


def test_missing_root_exits_2(tmp_path: Path) -> None:
    result = status(tmp_path / "nowhere")
    assert result.exit_code == 2


HAND_WRITTEN = {
    "db/versions/7f3a_order_events.py": '''
        """Alembic revision: tell listeners when orders change."""
        from alembic import op

        def upgrade():
            op.execute("""
                CREATE FUNCTION public.announce_orders() RETURNS trigger AS $$
                BEGIN
                  PERFORM pg_notify('orders_changed', json_build_object('id', NEW.id)::text);
                  RETURN NEW;
                END;
                $$ LANGUAGE plpgsql;
            """)
            op.execute(
                "CREATE TRIGGER orders_announce AFTER INSERT OR UPDATE ON public.orders "
                "FOR EACH ROW EXECUTE PROCEDURE public.announce_orders()"
            )
    ''',
    "db/schema.sql": """
        CREATE TABLE public.orders (id serial PRIMARY KEY, total numeric NOT NULL);
        CREATE TABLE invoices (id serial PRIMARY KEY, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END; $$
            LANGUAGE plpgsql;
        -- CREATE TRIGGER invoices_notify AFTER INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION notify_invoices();
        CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION touch();
    """,
    "backend/realtime.py": """
        import asyncpg
        from fastapi import APIRouter, WebSocket

        router = APIRouter()


        class Hub:
            def __init__(self, pool, clients):
                self.pool = pool
                self.clients = clients

            async def start(self, connection):
                await connection.add_listener("orders_changed", self.orders_moved)
                await connection.add_listener("invoices_changed", self.invoices_moved)

            async def orders_moved(self, connection, pid, channel, payload):
                await self.push_orders()

            async def push_orders(self):
                rows = await self.pool.fetch("SELECT id, total FROM orders")
                for client in self.clients:
                    await client.send_json({"type": "orders_update", "data": [dict(r) for r in rows]})

            async def invoices_moved(self, connection, pid, channel, payload):
                print("invoices changed", payload)


        @router.websocket("/ws/orders")
        async def live_orders(websocket: WebSocket):
            await websocket.accept()
    """,
    "web/src/live.ts": """
        import { useEffect, useState } from 'react';

        export function useLiveOrders() {
          const [orders, setOrders] = useState([]);
          useEffect(() => {
            const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/ws/orders`);
            socket.onmessage = (event) => {
              const message = JSON.parse(event.data);
              if (message.type === 'orders_update') setOrders(message.data);
            };
            return () => socket.close();
          }, []);
          return orders;
        }
    """,
    "web/src/pages/Checkout.tsx": """
        import { useLiveOrders } from '../live';

        export function Checkout() {
          const orders = useLiveOrders();
          return <ul>{orders.map((o) => <li key={o.id}>{o.total}</li>)}</ul>;
        }
    """,
    "backend/tests/test_orders_feed.py": """
        from fastapi.testclient import TestClient

        async def test_insert_notifies(connection):
            await connection.add_listener("orders_changed", lambda *args: None)
            await connection.execute("INSERT INTO orders (total) VALUES (1)")

        def test_feed(client: TestClient):
            with client.websocket_connect("/ws/orders") as websocket:
                websocket.receive_json()
    """,
}


def test_hand_written_equivalents_are_recognised_by_what_they_do(write_tree) -> None:
    root = write_tree(HAND_WRITTEN)
    orders = steps(root, "orders")
    assert done(orders) == {step_id for step_id in orders}
    assert {step_id: step["evidence"] for step_id, step in orders.items()} == {
        "trigger": "db/versions/7f3a_order_events.py",
        "listener": "backend/realtime.py",
        "callback": "backend/realtime.py",
        "endpoint": "backend/realtime.py",
        "hook": "web/src/live.ts",
        "component": "web/src/pages/Checkout.tsx",
        "polling_removed": None,
        "tests": "backend/tests/test_orders_feed.py",
    }
    # A trigger that does not notify, a commented-out one, and a callback that fetches nothing prove nothing.
    invoices = steps(root, "invoices")
    assert done(invoices) == {"listener", "polling_removed"}
    # --fail-on-incomplete judges the data types asked for: all of them by default.
    assert status(root, "orders", "--fail-on-incomplete").exit_code == 0
    assert status(root, "orders", "invoices", "--fail-on-incomplete").exit_code == 1
    assert status(root, "--fail-on-incomplete").exit_code == 1
    assert status(root).exit_code == 0


TRICKY_MIGRATIONS = {
    "db/001_lines.sql": """
        CREATE TABLE "Order Lines" (id serial PRIMARY KEY);
        CREATE TABLE shipments (id serial PRIMARY KEY);
        CREATE TABLE refunds (id serial PRIMARY KEY);
        -- A NOTIFY statement rather than pg_notify, a multi-line trigger on quoted names.
        CREATE OR REPLACE FUNCTION "Sales"."Announce Lines"() RETURNS trigger AS $body$
        BEGIN
          NOTIFY order_lines_changed;
          RETURN NEW;
        END;
        $body$ LANGUAGE plpgsql;
        CREATE
          TRIGGER "Lines Announce"
          AFTER UPDATE
          ON "Order Lines"
          FOR EACH ROW
          EXECUTE FUNCTION "Sales"."Announce Lines"();
    """,
    "db/002_shipments.sql": """
        /*
        CREATE FUNCTION notify_shipments() RETURNS trigger AS $$
        BEGIN PERFORM pg_notify('shipments_changed', NEW.id::text); RETURN NEW; END; $$ LANGUAGE plpgsql;
        CREATE TRIGGER shipments_notify AFTER INSERT ON shipments FOR EACH ROW EXECUTE FUNCTION notify_shipments();
        */
        CREATE FUNCTION log_refunds() RETURNS trigger AS $$
        BEGIN
          -- PERFORM pg_notify('refunds_changed', NEW.id::text);
          RAISE NOTICE 'would call pg_notify(refunds_changed) here';
          RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER refunds_log AFTER INSERT ON refunds FOR EACH ROW EXECUTE FUNCTION log_refunds();
    """,
}


def test_triggers_are_read_from_sql_tokens_not_from_text(write_tree) -> None:
    """Quoted and multi-line names count; a commented-out block, a commented-out pg_notify and one
    inside a string literal do not."""
    root = write_tree(TRICKY_MIGRATIONS)
    facts = read_sql((path.read_text(encoding="utf-8"), str(path.relative_to(root))) for path in root.rglob("*.sql"))
    assert facts.triggers == (("Order Lines", "db/001_lines.sql"),)
    assert facts.created_tables == {"Order Lines", "shipments", "refunds"}
    assert steps(root, "shipments")["trigger"]["done"] is False
    assert steps(root, "refunds")["trigger"]["done"] is False


def test_notify_channels_come_from_the_body_tokens() -> None:
    body = """
        BEGIN
          IF TG_OP = 'DELETE' THEN NOTIFY orders_changed; END IF;
          PERFORM pg_notify('orders_changed', row_to_json(NEW)::text);
          PERFORM pg_notify(TG_TABLE_NAME || '_changed', '');
          -- NOTIFY hidden_changed;
          RAISE NOTICE 'NOTIFY quoted_changed';
        END;
    """
    assert notify_channels(body) == ["orders_changed", "orders_changed", ""]
    assert defines_sql("CREATE OR REPLACE CONSTRAINT TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f()")
    assert not defines_sql("Create the table for orders (see docs).")
    assert not defines_sql("-- CREATE TABLE orders (id int)")


FRONTEND_SHAPES = {
    "db/schema.sql": """
        CREATE TABLE orders (id serial PRIMARY KEY);
        CREATE TABLE invoices (id serial PRIMARY KEY);
    """,
    "web/src/hooks/liveOrders.ts": """
        import { useReconnectingWebSocket } from '../lib/socket';

        const ORDERS_URL = `${location.origin.replace('http', 'ws')}/ws/orders`;

        export const useLiveOrders = () => {
          const { data } = useReconnectingWebSocket<{ type: string }>({ url: ORDERS_URL });
          return data;
        };
    """,
    "web/src/hooks/index.ts": """
        export { useLiveOrders as useOrdersFeed } from './liveOrders';
    """,
    "web/src/pages/Checkout.tsx": """
        import { useOrdersFeed as useFeed } from '../hooks';

        export function Checkout() {
          const orders = useFeed();
          return <ul>{orders.map((o) => <li key={o.id}>{o.total}</li>)}</ul>;
        }
    """,
    "web/src/pages/Help.tsx": """
        // Call useLiveOrders() or useOrdersFeed() to get live orders.
        export function Help() {
          return <p>{'Use useLiveOrders() in your page'}</p>;
        }
    """,
    "web/src/legacy/invoices.ts": """
        // Was: const socket = new WebSocket('/ws/invoices');
        export function useInvoices() {
          const note = 'new WebSocket("/ws/invoices") is gone';
          return fetch('/api/invoices').then((response) => response.json());
        }
    """,
    "web/src/pages/Invoices.tsx": """
        import { useInvoices } from '../legacy/invoices';

        export function Invoices() {
          useInvoices();
          return null;
        }
    """,
}


def test_hooks_and_their_callers_are_read_from_the_syntax_tree(write_tree) -> None:
    """A hook found through a module constant and a reconnecting socket, called through a renaming
    re-export and an import alias; names in comments and strings are neither sockets nor calls."""
    root = write_tree(FRONTEND_SHAPES)
    orders = steps(root, "orders")
    assert orders["hook"]["evidence"] == "web/src/hooks/liveOrders.ts"
    assert orders["component"]["evidence"] == "web/src/pages/Checkout.tsx"
    invoices = steps(root, "invoices")
    assert invoices["hook"]["done"] is False
    assert invoices["component"]["done"] is False


def test_frontend_files_are_parsed_only_when_their_bytes_may_matter(write_tree) -> None:
    root = write_tree(FRONTEND_SHAPES)
    frontend = Frontend(
        [(str(path.relative_to(root)), path.read_bytes()) for path in sorted((root / "web").rglob("*.ts*"))]
    )
    hook = frontend.hook(names_for("orders"))
    assert hook is not None and hook.name == "useLiveOrders"
    assert frontend.parsed == 2  # the two files that mention a Socket
    assert frontend.callers(hook) == ["web/src/pages/Checkout.tsx"]
    assert frontend.parsed == 5  # and those that name the hook or its alias; never Invoices.tsx


def test_sql_under_excluded_folders_is_never_read(write_tree) -> None:
    root = write_tree(
        {
            "db/schema.sql": "CREATE TABLE shipments (id serial PRIMARY KEY);",
            "node_modules/some-orm/fixtures/notify.sql": """
                CREATE FUNCTION notify_shipments() RETURNS trigger AS $$
                BEGIN PERFORM pg_notify('shipments_changed', NEW.id::text); RETURN NEW; END; $$ LANGUAGE plpgsql;
                CREATE TRIGGER shipments_notify AFTER INSERT ON shipments
                    FOR EACH ROW EXECUTE FUNCTION notify_shipments();
            """,
        }
    )
    assert steps(root, "shipments")["trigger"]["done"] is False
    (root / "db/notify.sql").write_bytes((root / "node_modules/some-orm/fixtures/notify.sql").read_bytes())
    assert steps(root, "shipments")["trigger"]["evidence"] == "db/notify.sql"


QUEUE_BEFORE = {
    "trigger": None,
    "listener": None,
    "callback": None,
    # Hand-written before polldetox and named for no table: recognised by what they do. The feed hands its
    # sockets to the manager the watcher broadcasts queue_update through; the hook opens /ws/queue (through
    # apiConfig.websocket.queue) and handles queue_update.
    "endpoint": "app/server/routes/websocket_routes.py",
    "hook": "app/client/src/hooks/useQueueWebSocket.ts",
    "component": None,
    "polling_removed": "still polls: app/server/services/background_tasks.py:97, "
    "app/client/src/components/LegacyQueueTable.tsx:18, app/client/src/components/QueuePanel.tsx:21",
    # test_feed_pushes_a_changed_queue_item opens /ws/queue; no test listens on queue_items_changed.
    "tests": "no test for the trigger (found: app/server/tests/test_dashboard.py)",
}
QUEUE_AFTER_MIGRATE = {
    "trigger": "app/server/migrations/queue_items_notify.up.sql",
    "listener": "app/server/server.py",
    "callback": "app/server/services/background_tasks.py",
    "endpoint": "app/server/routes/websocket_routes.py",
    "hook": "app/client/src/hooks/useQueueWebSocket.ts",
    # The class component, which polled queueClient.getAll (the API method the hook falls back on), now
    # reloads on the hook's lastUpdated, which migrate added to it.
    "component": "app/client/src/components/LegacyQueueTable.tsx, app/client/src/components/QueuePanel.tsx",
    "polling_removed": None,
    "tests": "no test for the trigger (found: app/server/tests/test_dashboard.py)",
}


def test_the_real_migrate_command_on_the_demo_app(demo: Path) -> None:
    before = steps(demo, "queue_items")
    assert evidence(before) == QUEUE_BEFORE
    assert done(before) == {"endpoint", "hook"}
    migrated = runner.invoke(app, ["migrate", "queue_items", "--root", str(demo), "--allow-dirty"])
    # The class component's setInterval fetches queueClient.getAll, the API method the queue's hook falls
    # back on, so it polled queue_items too: it is wrapped onto the hook, like QueuePanel's query.
    assert migrated.exit_code == 0, migrated.output
    assert "Skipped" not in migrated.output
    after = steps(demo, "queue_items")
    assert evidence(after) == QUEUE_AFTER_MIGRATE
    assert done(after) == set(QUEUE_AFTER_MIGRATE) - {"tests"}
    text = status(demo, "queue_items")
    assert text.exit_code == 0
    assert text.stdout.strip().splitlines() == [
        "queue_items  PostgreSQL NOTIFY/LISTEN (Method 1)  7/8",
        "  ✓ trigger          Migration creates a NOTIFY trigger on the table  "
        "app/server/migrations/queue_items_notify.up.sql",
        "  ✓ listener         Listener registered for queue_items_changed  app/server/server.py",
        "  ✓ callback         Callback fetches fresh data and broadcasts it  app/server/services/background_tasks.py",
        "  ✓ endpoint         WebSocket endpoint serves it  app/server/routes/websocket_routes.py",
        "  ✓ hook             Frontend hook subscribes to it  app/client/src/hooks/useQueueWebSocket.ts",
        "  ✓ component        Components use the hook  "
        "app/client/src/components/LegacyQueueTable.tsx, app/client/src/components/QueuePanel.tsx",
        "  ✓ polling_removed  No polling site for it remains",
        "  ✗ tests            Tests for the trigger and the endpoint exist  "
        "no test for the trigger (found: app/server/tests/test_dashboard.py)",
    ]
    assert status(demo, "queue_items", "--fail-on-incomplete").exit_code == 1
    # The class component is not listed as a `queue` data type named after its API client. It uses the queue's
    # hook, which carries agents' changes too (the queue joins agents), so both list it among their components.
    every = {d["name"]: d for d in json.loads(status(demo, "--format", "json").stdout)["data_types"]}
    assert "queue" not in every
    assert [d["name"] for d in every.values() if "LegacyQueueTable" in json.dumps(d)] == ["agents", "queue_items"]
    # The queue's watcher joins agents, so migrate gave agents a trigger and registered the queue's
    # callback on agents_changed too: agents' changes reach the queue's clients. Its own pollers remain.
    agents = {step["id"]: step for step in every["agents"]["steps"]}
    assert agents["trigger"]["evidence"] == "app/server/migrations/agents_notify.up.sql"
    assert agents["listener"]["evidence"] == "app/server/server.py"
    assert agents["polling_removed"]["evidence"] == (
        "still polls: app/client/src/components/AgentActivityPanel.tsx:14, app/client/src/hooks/useAgents.ts:6, "
        "app/client/src/hooks/useAgents.ts:23"
    )
    assert done(agents) == {"trigger", "listener", "callback", "endpoint", "hook", "component"}


LINKED_POLLERS = {
    "pyproject.toml": '[project]\nname = "backlog"\n',
    "backend/routes.py": """
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/api/backlog")
        async def list_backlog(request):
            return await request.app.state.pool.fetch("SELECT id, title FROM tickets ORDER BY id")


        @router.post("/api/backlog/{ticket_id}/close")
        async def close_ticket(ticket_id: int, request):
            pool = request.app.state.pool
            await pool.execute("UPDATE tickets SET closed = true WHERE id = $1", ticket_id)
            rows = await pool.fetch("SELECT id, title FROM tickets ORDER BY id")
            await request.app.state.hub.broadcast({"type": "backlog_refresh", "data": [dict(r) for r in rows]})


        @router.get("/api/users")
        async def list_users(request):
            return await request.app.state.pool.fetch("SELECT id, name FROM users")
    """,
    "web/src/BacklogBoard.tsx": """
        import { useQuery } from '@tanstack/react-query';

        export function BacklogBoard() {
          const { data = [] } = useQuery({
            queryKey: ['board'],
            queryFn: () => fetch('/api/backlog').then((response) => response.json()),
            refetchInterval: 5000,
          });
          return <ul>{data.map((t: { id: number; title: string }) => <li key={t.id}>{t.title}</li>)}</ul>;
        }
    """,
    "web/src/backlogApi.ts": """
        export const backlogApi = {
          list: () => fetch('/api/backlog').then((response) => response.json()),
        };
    """,
    "web/src/useBacklogFeed.ts": """
        import { useEffect, useState } from 'react';
        import { backlogApi } from './backlogApi';

        export function useBacklogFeed() {
          const [tickets, setTickets] = useState([]);
          useEffect(() => {
            const socket = new WebSocket('/ws/feed');
            socket.onmessage = (event) => {
              const message = JSON.parse(event.data);
              if (message.type === 'backlog_refresh') setTickets(message.data);
            };
            const timer = setInterval(async () => setTickets(await backlogApi.list()), 10000);
            return () => {
              clearInterval(timer);
              socket.close();
            };
          }, []);
          return tickets;
        }
    """,
    "web/src/Sidebar.tsx": """
        import { useEffect, useState } from 'react';
        import { backlogApi } from './backlogApi';

        export function Sidebar() {
          const [count, setCount] = useState(0);
          useEffect(() => {
            const timer = setInterval(async () => setCount((await backlogApi.list()).length), 30000);
            return () => clearInterval(timer);
          }, []);
          return <span>{count}</span>;
        }
    """,
    "web/src/People.tsx": """
        import { useEffect, useState } from 'react';

        export function People() {
          const [people, setPeople] = useState([]);
          useEffect(() => {
            const timer = setInterval(async () => setPeople(await (await fetch('/api/users')).json()), 20000);
            return () => clearInterval(timer);
          }, []);
          return <span>{people.length}</span>;
        }
    """,
}


def test_polling_sites_tied_to_the_table_by_any_link_still_count(write_tree) -> None:
    """No frontend poller names `tickets`: the board fetches a URL served by a route reading it, the
    feed's file handles the message type a route reading it sends, and the sidebar calls the same API
    method as the feed. The users poller reads another table."""
    root = write_tree(LINKED_POLLERS)
    tickets = steps(root, "tickets")
    assert tickets["polling_removed"]["evidence"] == (
        "still polls: web/src/BacklogBoard.tsx:7, web/src/Sidebar.tsx:7, web/src/useBacklogFeed.ts:12"
    )
    selected = runner.invoke(app, ["migrate", "tickets", "--root", str(root), "--dry-run", "--format", "json"])
    assert {(s["path"], s["line"]) for s in json.loads(selected.stdout)["skipped"]} == {
        ("web/src/BacklogBoard.tsx", 7),
        ("web/src/Sidebar.tsx", 7),
        ("web/src/useBacklogFeed.ts", 12),
    }


ENDPOINT_SHAPES = {
    "pyproject.toml": '[project]\nname = "desk"\n',
    "db/schema.sql": "CREATE TABLE tickets (id serial PRIMARY KEY, title text);",
    "backend/live.py": """
        from fastapi import APIRouter, WebSocket

        router = APIRouter()


        @router.websocket("/live")
        async def live(websocket: WebSocket):
            await websocket.accept()
            rows = await websocket.app.state.pool.fetch("SELECT id, title FROM tickets")
            await websocket.send_json({"type": "snapshot", "data": [dict(r) for r in rows]})
    """,
    "backend/chat.py": """
        from fastapi import APIRouter, WebSocket

        router = APIRouter()


        class Room:
            def __init__(self):
                self.sockets = set()

            async def join(self, websocket):
                self.sockets.add(websocket)

            async def say(self, text):
                for socket in self.sockets:
                    await socket.send_json({"type": "chat_message", "text": text})


        chat_room = Room()


        @router.websocket("/ws/chat")
        async def chat(websocket: WebSocket):
            await websocket.accept()
            await chat_room.join(websocket)
    """,
    "web/src/useDesk.ts": """
        import { useEffect, useState } from 'react';

        const LIVE_URL = `${location.origin.replace(/^http/, 'ws')}/live`;

        export function useDesk() {
          const [tickets, setTickets] = useState([]);
          useEffect(() => {
            const socket = new WebSocket(LIVE_URL);
            socket.onmessage = (event) => setTickets(JSON.parse(event.data).data);
            return () => socket.close();
          }, []);
          return tickets;
        }
    """,
    "web/src/useChat.ts": """
        import { useEffect, useState } from 'react';

        export function useChat() {
          const [lines, setLines] = useState<string[]>([]);
          useEffect(() => {
            const socket = new WebSocket('/ws/chat');
            socket.onmessage = (event) => setLines((old) => [...old, JSON.parse(event.data).text]);
            return () => socket.close();
          }, []);
          return lines;
        }
    """,
}


def test_existing_endpoints_and_hooks_are_recognised_by_what_they_serve(write_tree) -> None:
    """`/live` names no table but its handler reads tickets; the hook opening it checks no message type.
    The chat room's endpoint and hook carry other data."""
    root = write_tree(ENDPOINT_SHAPES)
    tickets = steps(root, "tickets")
    assert tickets["endpoint"]["evidence"] == "backend/live.py"
    assert tickets["hook"]["evidence"] == "web/src/useDesk.ts"


TEST_SHAPES = {
    **{path: source for path, source in HAND_WRITTEN.items() if "tests/" not in path},
    "backend/tests/test_mentions.py": '''
        """Covers INSERT INTO orders and the orders_changed channel, and /ws/orders, some day."""

        # await connection.add_listener("orders_changed", handler)
        # await connection.execute("INSERT INTO orders (total) VALUES (1)")
        # client.websocket_connect("/ws/orders")


        async def test_insert_without_listening(connection):
            await connection.execute("INSERT INTO orders (total) VALUES (1)")


        async def test_listening_without_writing(connection):
            await connection.add_listener("orders_changed", print)
            await connection.fetch("SELECT * FROM orders")


        def test_wrong_socket(client):
            with client.websocket_connect("/ws/orders-archive") as websocket:
                websocket.receive_json()
    ''',
    "web/src/live.test.ts": """
        // const socket = new WebSocket('ws://localhost:8000/ws/orders');
        test('says hello', () => {
          expect('new WebSocket("/ws/orders")').toContain('WebSocket');
        });
    """,
}


def test_tests_are_read_from_their_syntax_trees(write_tree) -> None:
    """Comments, docstrings and strings that are not run prove nothing; neither does a test that writes
    without listening, listens without writing, or opens another path."""
    root = write_tree(TEST_SHAPES)
    assert steps(root, "orders")["tests"] == {
        "id": "tests",
        "title": "Tests for the trigger and the endpoint exist",
        "done": False,
        "evidence": "no test for the trigger and endpoint",
    }
    write_tree(
        {
            "backend/tests/test_orders_live.py": """
                import asyncpg
                import websockets

                CHANNEL = "orders_changed"
                INSERT = "INSERT INTO public.orders (total) VALUES ($1) RETURNING id"


                async def _write(connection, total):
                    return await connection.fetchval(INSERT, total)


                async def test_insert_notifies(database_url):
                    listening = await asyncpg.connect(database_url)
                    writing = await asyncpg.connect(database_url)
                    await listening.add_listener(CHANNEL, lambda *args: None)
                    await _write(writing, 3)
            """,
            "web/src/live.e2e.test.ts": """
                test('the feed answers', async () => {
                  const socket = new WebSocket(`ws://${process.env.HOST}/ws/orders`);
                  await new Promise((resolve) => socket.addEventListener('message', resolve));
                });
            """,
        }
    )
    assert steps(root, "orders")["tests"]["evidence"] == ("backend/tests/test_orders_live.py, web/src/live.e2e.test.ts")
