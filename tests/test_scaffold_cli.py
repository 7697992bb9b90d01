"""`polldetox scaffold` as a user runs it: names, errors, dry-run plans, overwrites, overrides, layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scaffold_support import BILLING_SCHEMA, FIXTURES, PLANNED_FEATURES_SCHEMA, run_scaffold

from polldetox.naming import InvalidName, names_for, quote_identifier, singularize
from polldetox.scaffold.schema import SchemaError, read_table

DB_KINDS = [
    "migration_up", "migration_down", "pg_listener", "connection_manager", "callback", "listener", "endpoint",
    "test_python", "reconnecting_socket", "api_config", "hook", "component", "test_ts",
]  # fmt: skip


def _files(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): path.read_text() for path in root.rglob("*") if path.is_file()}


def _plan(*arguments: str | Path) -> list[dict[str, str]]:
    result = run_scaffold(*arguments, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["files"]


# Names


def test_one_argument_gives_every_name() -> None:
    names = names_for("planned_features")
    assert (names.snake, names.kebab, names.pascal, names.camel, names.channel) == (
        "planned_features", "planned-features", "PlannedFeature", "plannedFeatures", "planned_features_changed",
    )  # fmt: skip
    assert names.table.sql() == '"planned_features"'


def test_quoted_schema_qualified_names_keep_their_case_and_unquoted_ones_fold() -> None:
    order = names_for('"Billing"."Order"')
    assert (order.table.schema, order.table.name, order.table.sql()) == ("Billing", "Order", '"Billing"."Order"')
    assert (order.snake, order.pascal, order.channel) == ("order", "Order", "order_changed")
    assert names_for("Sales.OrderLines").table.sql() == '"sales"."orderlines"'
    assert names_for('"QueueItems"').snake == "queue_items"
    assert quote_identifier('we"ird') == '"we""ird"'


@pytest.mark.parametrize("word, singular", [("features", "feature"), ("categories", "category"),
                                            ("boxes", "box"), ("status", "status"), ("data", "data")])  # fmt: skip
def test_singular_row_type(word: str, singular: str) -> None:
    assert singularize(word) == singular


@pytest.mark.parametrize("argument", ["bad-name", "a.b.c", '"unterminated', "1table", '"1st"', "", "x" * 64])
def test_invalid_names_are_refused(argument: str) -> None:
    with pytest.raises(InvalidName):
        names_for(argument)


# Schema


def test_schema_replays_alter_table_over_a_migrations_folder() -> None:
    table = read_table(PLANNED_FEATURES_SCHEMA, names_for("planned_features").table)
    assert [column.name for column in table.columns] == [
        "id", "title", "details", "priority", "status", "updated_at", "tags",
    ]  # fmt: skip
    assert table.primary_key == ("id",)
    types = {column.name: (column.ts_type, column.nullable) for column in table.columns}
    assert types["id"] == ("number", False)
    assert types["details"] == ("string", True)
    assert types["tags"] == ("(string | null)[]", True)
    assert types["updated_at"] == ("string", False)


def test_schema_follows_renames_and_added_primary_keys(tmp_path: Path) -> None:
    (tmp_path / "001.sql").write_text("CREATE TABLE items (tenant int NOT NULL, code text NOT NULL, qty int);")
    (tmp_path / "002.sql").write_text(
        "ALTER TABLE items ADD CONSTRAINT items_pk PRIMARY KEY (tenant, code);\n"
        "ALTER TABLE items RENAME COLUMN qty TO quantity;\n"
        "ALTER TABLE items RENAME TO stock_items;\n"
    )
    table = read_table(tmp_path, names_for("stock_items").table)
    assert table.primary_key == ("tenant", "code")
    assert [column.name for column in table.columns] == ["tenant", "code", "quantity"]
    with pytest.raises(SchemaError, match="not created"):
        read_table(tmp_path, names_for("items").table)


def test_composite_key_goes_into_every_payload(tmp_path: Path) -> None:
    assert run_scaffold('"Billing"."Order"', "--schema", BILLING_SCHEMA, "--out", tmp_path).exit_code == 0
    migration = (tmp_path / "app/server/migrations/order_notify.up.sql").read_text()
    assert """json_build_object('TenantId', changed."TenantId", 'select', changed."select")""" in migration
    assert 'ON "Billing"."Order"' in migration
    assert 'FUNCTION "Billing"."notify_Order_change"()' in migration
    hook = (tmp_path / "app/client/src/hooks/useOrderWebSocket.ts").read_text()
    assert "  TenantId: number;\n  select: string;\n  Amount: number;\n  meta: unknown | null;\n" in hook
    assert "export type OrderKey = Pick<Order, 'TenantId' | 'select'>;" in hook
    assert "return JSON.stringify([row.TenantId, row.select]);" in hook
    events = (tmp_path / "app/server/services/order_events.py").read_text()
    assert "KEY_COLUMNS = ('TenantId', 'select',)" in events
    assert (
        """WHERE ("TenantId", "select") IN (SELECT "TenantId", "select" FROM json_populate_recordset("""
        in events.replace("'\n    '", "")
    )


@pytest.mark.parametrize("payload", [None, "auto", "full", "delta"])
def test_payload_option_sets_what_a_change_sends(payload: str | None, tmp_path: Path) -> None:
    option = ["--payload", payload] if payload else []
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, *option, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    events = (tmp_path / "app/server/services/planned_features_events.py").read_text()
    assert f'PAYLOAD = "{payload or "auto"}"' in events


def test_an_unknown_payload_is_a_usage_error(tmp_path: Path) -> None:
    result = run_scaffold(
        "planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--payload", "some", "--out", tmp_path
    )
    assert result.exit_code == 2
    assert not (tmp_path / "app").exists()


# Errors: exit 2, nothing written


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("unknown_table", "--schema", PLANNED_FEATURES_SCHEMA), "not created"),
        (("audit_log", "--schema", FIXTURES / "no_key.sql"), "no primary key"),
        (("bad-name", "--schema", PLANNED_FEATURES_SCHEMA), "not a valid table name"),
        (("planned_features",), "needs the table's columns"),
        (("planned_features", "--schema", FIXTURES / "missing.sql"), "no such file"),
        (("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--templates", FIXTURES / "nope"), "no such folder"),
    ],
)
def test_errors_exit_2_and_write_nothing(arguments: tuple[object, ...], message: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = run_scaffold(*arguments, "--out", out)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert _files(out) == {}


# Dry run


def test_dry_run_json_lists_every_file_and_writes_nothing(tmp_path: Path) -> None:
    files = _plan("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path)
    assert [entry["kind"] for entry in files] == DB_KINDS
    assert {entry["action"] for entry in files} == {"create"}
    paths = {entry["kind"]: entry["path"] for entry in files}
    assert paths["hook"] == "app/client/src/hooks/usePlannedFeatureWebSocket.ts"
    assert paths["endpoint"] == "app/server/routes/planned_features_websocket.py"
    assert _files(tmp_path) == {}


def test_dry_run_text_shows_the_diff_of_what_would_change(tmp_path: Path) -> None:
    run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path)
    endpoint = tmp_path / "app/server/routes/planned_features_websocket.py"
    endpoint.write_text(endpoint.read_text().replace("PATH = ", "PATH_CHANGED_BY_HAND = "))
    before = _files(tmp_path)
    result = run_scaffold(
        "planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path, "--dry-run", "--force"
    )
    assert result.exit_code == 0, result.output
    assert "-PATH_CHANGED_BY_HAND = " in result.output and "+PATH = " in result.output
    assert _files(tmp_path) == before

    without_force = run_scaffold(
        "planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path, "--dry-run"
    )
    assert without_force.exit_code == 0, without_force.output
    assert "planned_features_websocket.py (exists and differs; --force would make this change)" in without_force.output
    assert "-PATH_CHANGED_BY_HAND = " in without_force.output and "+PATH = " in without_force.output
    assert _files(tmp_path) == before


@pytest.mark.parametrize("pattern, kinds", [
    ("file", {"file_watcher", "callback", "endpoint", "connection_manager", "hook"}),
    ("action", {"action_route", "callback", "endpoint", "connection_manager", "hook"}),
])  # fmt: skip
def test_file_and_action_patterns_need_no_schema(pattern: str, kinds: set[str], tmp_path: Path) -> None:
    files = _plan("workflow_definitions", "--pattern", pattern, "--out", tmp_path)
    planned = {entry["kind"] for entry in files}
    assert kinds <= planned
    assert not planned & {"migration_up", "listener", "pg_listener"}


# Existing files


def test_existing_files_are_skipped_without_force_and_overwritten_with_it(tmp_path: Path) -> None:
    arguments = ("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path)
    assert run_scaffold(*arguments).exit_code == 0
    callback = tmp_path / "app/server/services/planned_features_events.py"
    callback.write_text("# edited by hand\n")

    plan = {entry["kind"]: entry["action"] for entry in _plan(*arguments)}
    assert set(plan.values()) == {"skip"}
    result = run_scaffold(*arguments)
    assert result.exit_code == 0
    assert "it exists and differs; --force overwrites it" in " ".join(result.output.split())
    assert callback.read_text() == "# edited by hand\n"

    assert {e["kind"]: e["action"] for e in _plan(*arguments, "--force")}["callback"] == "overwrite"
    assert run_scaffold(*arguments, "--force").exit_code == 0
    assert "class PlannedFeaturesEvents" in callback.read_text()


def test_a_second_table_reuses_shared_files_and_extends_api_config(tmp_path: Path) -> None:
    assert run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path).exit_code == 0
    shared = {
        name: (tmp_path / name).read_text()
        for name in ("app/server/services/pg_listener.py", "app/client/src/hooks/useReconnectingWebSocket.ts")
    }
    plan = {e["kind"]: e["action"] for e in _plan('"Billing"."Order"', "--schema", BILLING_SCHEMA, "--out", tmp_path)}
    assert plan["api_config"] == "extend"
    assert plan["pg_listener"] == plan["connection_manager"] == plan["reconnecting_socket"] == "skip"
    assert plan["hook"] == "create"
    assert run_scaffold('"Billing"."Order"', "--schema", BILLING_SCHEMA, "--out", tmp_path).exit_code == 0
    api = (tmp_path / "app/client/src/config/api.ts").read_text()
    assert "plannedFeatures: (): string => websocketUrl('/ws/planned-features')," in api
    assert "order: (): string => websocketUrl('/ws/order')," in api
    assert all((tmp_path / name).read_text() == text for name, text in shared.items())
    again = _plan('"Billing"."Order"', "--schema", BILLING_SCHEMA, "--out", tmp_path)
    assert {entry["action"] for entry in again} == {"skip"}


def test_a_users_own_api_config_is_left_alone_and_the_step_says_what_to_add(tmp_path: Path) -> None:
    api = tmp_path / "app/client/src/config/api.ts"
    api.parent.mkdir(parents=True)
    api.write_text("export const apiConfig = { websocket: {} };\n")
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path, "--force")
    assert result.exit_code == 0
    assert api.read_text() == "export const apiConfig = { websocket: {} };\n"
    assert "plannedFeatures: () => websocketUrl('/ws/planned-features')" in result.output


# Templates, writes, layout


def test_user_templates_override_built_in_ones_by_name(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "common"
    templates.mkdir(parents=True)
    (templates / "endpoint.py.j2").write_text('"""Our own endpoint for {{ names.kebab }}."""\n')
    out = tmp_path / "out"
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", out,
                          "--templates", tmp_path / "templates")  # fmt: skip
    assert result.exit_code == 0, result.output
    endpoint = out / "app/server/routes/planned_features_websocket.py"
    assert endpoint.read_text() == '"""Our own endpoint for planned-features."""\n'
    assert "class PlannedFeaturesEvents" in (out / "app/server/services/planned_features_events.py").read_text()


def test_an_override_named_like_no_built_in_template_is_warned_about(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "common"
    templates.mkdir(parents=True)
    (templates / "endpoint.py.j2").write_text('"""Ours."""\n')
    (templates / "endpiont.py.j2").write_text('"""A misspelt override."""\n')
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path / "out",
                          "--templates", tmp_path / "templates", "--dry-run")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "common/endpiont.py.j2 overrides no built-in template" in result.output
    assert "common/endpoint.py.j2 overrides" not in result.output


def test_layout_from_pyproject_moves_files_and_fixes_imports(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.polldetox.scaffold]\n"
        'python-root = "backend"\n'
        'schema = "db/migrations"\n'
        "[tool.polldetox.scaffold.layout]\n"
        'pg_listener = "backend/realtime/listen.py"\n'
        'connection_manager = "backend/realtime/connections.py"\n'
        'callback = "backend/realtime/{snake}_callbacks.py"\n'
        'listener = "backend/realtime/{snake}_listener.py"\n'
        'endpoint = "backend/api/ws_{snake}.py"\n'
        'test_python = "backend/tests/realtime/test_{snake}.py"\n'
        'hook = "web/src/live/use{pascal}Live.ts"\n'
    )
    (tmp_path / "db/migrations").mkdir(parents=True)
    schema = (PLANNED_FEATURES_SCHEMA / "001_create_planned_features.sql").read_text()
    (tmp_path / "db/migrations/001.sql").write_text(schema)
    result = run_scaffold("planned_features", "--out", tmp_path)  # the schema folder comes from the config
    assert result.exit_code == 0, result.output
    callback = (tmp_path / "backend/realtime/planned_features_callbacks.py").read_text()
    assert "from realtime.connections import ConnectionManager" in callback
    listener = (tmp_path / "backend/realtime/planned_features_listener.py").read_text()
    assert "from realtime.listen import PgListener\nfrom realtime.planned_features_callbacks import" in listener
    component = (tmp_path / "app/client/src/components/PlannedFeaturePanel.tsx").read_text()
    assert "from '../../../../web/src/live/usePlannedFeatureLive';" in component
    test = (tmp_path / "backend/tests/realtime/test_planned_features.py").read_text()
    assert 'PROJECT_ROOT = Path(__file__).resolve().parents[3]\nPYTHON_ROOT = PROJECT_ROOT / "backend"' in test


def test_python_files_outside_the_python_root_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.polldetox.scaffold]\npython-root = "backend"\n')
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path)
    assert result.exit_code == 2
    assert "is not under python-root backend" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "settings, message",
    [
        ("colour = 'blue'", "unknown key(s) colour"),
        ("[tool.polldetox.scaffold.layout]\nwidget = 'x/{snake}.py'", "unknown file kind(s) widget"),
        ("[tool.polldetox.scaffold.layout]\nhook = 'x/{Snake}.ts'", "unknown placeholder(s) {Snake}"),
        ("[tool.polldetox.scaffold.layout]\napi_config = 'x/{snake}.ts'", "cannot use placeholders"),
        ("[tool.polldetox.scaffold.layout]\nhook = '../outside/{snake}.ts'", "must be a path inside"),
    ],
)
def test_invalid_scaffold_settings_exit_2(settings: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.polldetox.scaffold]\n" + settings + "\n")
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert _files(tmp_path) == {"pyproject.toml": (tmp_path / "pyproject.toml").read_text()}


def test_scan_lists_the_polling_sites_the_new_code_replaces(tmp_path: Path) -> None:
    watcher = tmp_path / "app/server/watcher.py"
    watcher.parent.mkdir(parents=True)
    watcher.write_text(
        "import asyncio\n\n\n"
        "async def watch_features(conn, manager):\n"
        "    while True:\n"
        '        rows = await conn.fetch("SELECT * FROM planned_features")\n'
        '        await manager.broadcast({"type": "planned_features_update", "data": rows})\n'
        "        await asyncio.sleep(5)\n"
    )
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path,
                          "--scan", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "replaces: app/server/watcher.py:5" in result.output


def test_python_m_polldetox_scaffold(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "polldetox",
        "scaffold",
        "planned_features",
        "--schema",
        str(PLANNED_FEATURES_SCHEMA),
    ]
    planned = subprocess.run(
        [*command, "--out", str(tmp_path), "--dry-run", "--format", "json"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert [entry["kind"] for entry in json.loads(planned.stdout)["files"]] == DB_KINDS
    refused = subprocess.run(
        [sys.executable, "-m", "polldetox", "scaffold", "audit_log", "--schema", str(FIXTURES / "no_key.sql"),
         "--out", str(tmp_path)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "no primary key" in refused.stderr
    assert not any(tmp_path.iterdir())


def test_json_after_writing_reports_actions_and_manual_steps(tmp_path: Path) -> None:
    arguments = ("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path, "--format", "json")
    first = json.loads(run_scaffold(*arguments).stdout)
    assert {entry["action"] for entry in first["files"]} == {"create"}
    assert any(step.startswith("Run the migration app/server/migrations/") for step in first["steps"])
    assert all((tmp_path / entry["path"]).is_file() for entry in first["files"])
    second = json.loads(run_scaffold(*arguments).stdout)
    assert {entry["action"] for entry in second["files"]} == {"skip"}


def test_scan_links_frontend_polling_by_url_and_query_key(tmp_path: Path) -> None:
    panel = tmp_path / "app/client/src/components/FeatureList.tsx"
    panel.parent.mkdir(parents=True)
    panel.write_text(
        "import { useQuery } from '@tanstack/react-query';\n\n"
        "export function FeatureList() {\n"
        "  const { data } = useQuery({\n"
        "    queryKey: ['planned-features'],\n"
        "    queryFn: () => fetch('/api/planned-features').then((r) => r.json()),\n"
        "    refetchInterval: 5000,\n"
        "  });\n"
        "  return <ul>{JSON.stringify(data)}</ul>;\n"
        "}\n"
    )
    result = run_scaffold("planned_features", "--schema", PLANNED_FEATURES_SCHEMA, "--out", tmp_path / "out",
                          "--scan", tmp_path / "app")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "replaces: client/src/components/FeatureList.tsx:7" in result.output


@pytest.mark.parametrize("pattern", ["db", "file", "action"])
def test_the_steps_and_the_endpoint_say_to_run_uvicorn_standard_with_small_frames(pattern: str, tmp_path: Path) -> None:
    """uvicorn[standard]'s C parser and loop are what the stack is measured and tested on (bench/README.md)."""
    schema = ("--schema", PLANNED_FEATURES_SCHEMA) if pattern == "db" else ()
    result = run_scaffold("planned_features", *schema, "--pattern", pattern, "--out", tmp_path, "--format", "json")
    report = json.loads(result.stdout)
    [step] = [step for step in report["steps"] if "uvicorn" in step]
    assert "pip install 'uvicorn[standard]'" in step and "(httptools, uvloop)" in step
    assert "--ws-max-size 65536" in step
    [endpoint] = [entry["path"] for entry in report["files"] if entry["kind"] == "endpoint"]
    docstring = (tmp_path / endpoint).read_text().split('"""')[1]
    assert "pip install 'uvicorn[standard]'" in docstring and "--ws-max-size 65536" in docstring
