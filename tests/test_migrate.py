"""`polldetox migrate` on a copy of the demo app: the diff, the plan, the safety rules, and the app afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_fixtures.scans import DEMO, REPO_ROOT, git, init_repo
from scaffold_support import postgres_server, pytest_outcomes
from typer.testing import CliRunner, Result

from polldetox.cli import app
from polldetox.config import load_config
from polldetox.data_sites import data_sites
from polldetox.naming import names_for
from polldetox.scan import engine

NODE_MODULES = REPO_ROOT / "node_modules"
RUFF = Path(sys.executable).parent / "ruff"
POLLED_TABLES = ("queue_items", "workflow_history")
SERVICES = "app/server/services"


def migrate(*arguments: str, cwd: Path) -> Result:
    """`polldetox migrate` in this process (a subprocess per call doubles the time): cwd becomes --root."""
    return CliRunner().invoke(app, ["migrate", *arguments, "--root", str(cwd)])


def demo_copy(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(DEMO, tmp_path / "demo"))
    init_repo(root)
    return root


def commit(root: Path, message: str) -> None:
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", message, cwd=root)


def status(root: Path) -> str:
    return git("status", "--porcelain", cwd=root)


@pytest.fixture(scope="module")
def migration(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[tuple[str, int]]]]:
    """The demo app after migrating each polled table, one commit per table, and the sites each run skipped."""
    root = demo_copy(tmp_path_factory.mktemp("migrated"))
    skipped = {}
    for table in POLLED_TABLES:
        done = migrate(table, "--format", "json", cwd=root)
        assert done.exit_code in (0, 1), done.stderr
        skipped[table] = {(site["path"], site["line"]) for site in json.loads(done.stdout)["skipped"]}
        commit(root, f"migrate {table}")
    return root, skipped


@pytest.fixture(scope="module")
def migrated(migration: tuple[Path, dict[str, set[tuple[str, int]]]]) -> Path:
    return migration[0]


def test_dry_run_prints_a_diff_that_applies_and_writes_nothing(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    done = migrate("queue_items", "--dry-run", cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "Skipped" not in done.stderr
    assert status(root) == ""
    diff = done.stdout
    assert "--- a/app/server/services/background_tasks.py" in diff
    assert "-    async def watch_queue(self) -> None:" in diff
    assert "+    async def on_queue_items_change(self, event: dict[str, Any]) -> None:" in diff
    assert "-            await asyncio.sleep(QUEUE_POLL_SECONDS)" in diff
    assert "-QUEUE_POLL_SECONDS = 2" in diff
    assert "-            asyncio.create_task(self.watch_queue())," in diff
    assert '+    listener.register_callback("queue_items_changed", background.on_queue_items_change)' in diff
    # The queue's query joins agents: a change there reruns the callback too, through agents' own trigger.
    assert '+    listener.register_callback("agents_changed", background.on_queue_items_change)' in diff
    assert "+++ b/app/server/migrations/agents_notify.up.sql" in diff
    assert '+    listener.on_connect(lambda: background.on_queue_items_change({"operation": "RESYNC"}))' in diff
    assert "+        await listener.stop()" in diff
    assert "-    refetchInterval: QUEUE_POLL_MS," in diff
    assert "+  useQueueWebSocket();" in diff
    assert "-export const QUEUE_POLL_MS = 3_000;" in diff  # config/polling.ts: nothing imports it any more
    # The class component polling the same API method as the queue's hook is wrapped onto the hook, which
    # gains the lastUpdated it reloads on.
    assert "-    this.timer = setInterval(this.loadItems, 15000);" in diff
    assert "+  const [lastUpdated, setLastUpdated] = useState<Date | null>(null);" in diff
    assert "+        setLastUpdated(new Date());" in diff
    assert "+++ b/app/server/migrations/queue_items_notify.up.sql" in diff
    (tmp_path / "change.diff").write_text(diff)
    git("apply", "--check", str(tmp_path / "change.diff"), cwd=root)


def test_json_plan_lists_edits_and_skipped_sites(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    done = migrate("workflow_history", "--dry-run", "--format", "json", cwd=root)
    # No hook handles workflow_history_update: scaffold's is generated, its URL added to the app's config.
    assert done.exit_code == 0, done.stderr
    plan = json.loads(done.stdout)
    edits = {(edit["path"], edit["action"]) for edit in plan["edits"]}
    assert edits == {
        (f"{SERVICES}/background_tasks.py", "edit"),
        ("app/server/server.py", "edit"),
        ("app/server/migrations/workflow_history_notify.up.sql", "create"),
        ("app/server/migrations/workflow_history_notify.down.sql", "create"),
        (f"{SERVICES}/pg_listener.py", "create"),
        ("app/client/src/config/api.ts", "edit"),
        (f"{SERVICES}/realtime_connections.py", "create"),
        (f"{SERVICES}/workflow_history_events.py", "create"),
        (f"{SERVICES}/workflow_history_listener.py", "create"),
        ("app/server/routes/workflow_history_websocket.py", "create"),
        ("app/server/tests/test_workflow_history_realtime.py", "create"),
        ("app/client/src/hooks/useReconnectingWebSocket.ts", "create"),
        ("app/client/src/hooks/useWorkflowHistoryWebSocket.ts", "create"),
        ("app/client/src/hooks/useWorkflowHistoryWebSocket.test.tsx", "create"),
        ("app/client/src/components/WorkflowHistoryPanel.tsx", "edit"),
    }
    assert all(edit["reason"] for edit in plan["edits"])
    assert plan["skipped"] == []
    assert status(root) == ""


def test_a_config_of_another_shape_leaves_the_panel_with_the_line_to_add(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    (root / "app/client/src/config/api.ts").write_text("export const apiConfig = { websocket: socketUrls() };\n")
    commit(root, "computed websocket urls")
    done = migrate("workflow_history", "--dry-run", "--format", "json", cwd=root)
    assert done.exit_code == 1, done.stderr
    plan = json.loads(done.stdout)
    assert plan["skipped"] == [
        {
            "path": "app/client/src/components/WorkflowHistoryPanel.tsx",
            "line": 12,
            "reason": "no use<Type>WebSocket hook handles this data, and the one polldetox scaffold writes "
            "(app/client/src/hooks/useWorkflowHistoryWebSocket.ts) reads apiConfig.websocket.workflowHistory, "
            "which polldetox cannot add: apiConfig in app/client/src/config/api.ts has no `websocket: { ... }` "
            "object literal; add `workflowHistory: () => websocketUrl('/ws/workflow-history')` (or however the "
            "file builds its URLs) to it and rerun",
        }
    ]
    assert "app/client/src/config/api.ts" not in {edit["path"] for edit in plan["edits"]}


def test_each_polled_table_leaves_no_violation_tied_to_it(
    migration: tuple[Path, dict[str, set[tuple[str, int]]]],
) -> None:
    root, skipped = migration
    # What still polls each table, by the selector status and migrate share: exactly what migrate listed
    # as skipped (nothing), nothing left silently.
    config = load_config(root)
    facts = engine.read_facts([root], config)
    for table in POLLED_TABLES:
        remaining = data_sites(facts, names_for(table), config)
        left = {(site.location.path, site.location.line) for site in (*remaining.backend, *remaining.frontend)}
        assert left == skipped[table], table
    assert skipped == {
        "queue_items": set(),
        "workflow_history": set(),
    }
    done = CliRunner().invoke(app, ["scan", str(root), "--format", "json", "--no-cache"])
    report = json.loads(done.stdout)
    tied = [
        finding
        for finding in report["findings"]
        if finding["status"] == "violation" and set(finding["tables"]) & set(POLLED_TABLES)
    ]
    assert tied == []
    messages = " ".join(f["message"] for f in report["findings"] if f["rule"] in ("PD101", "PD102"))
    assert "BackgroundTaskManager.watch_system_status" in messages  # other data polls until it is migrated


def test_changed_python_passes_ruff_and_imports(migrated: Path) -> None:
    changed = ["app/server/server.py", f"{SERVICES}/background_tasks.py", f"{SERVICES}/pg_listener.py"]
    lint = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "E,F,W,I", "--line-length", "120", *changed],
        cwd=migrated, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # -B: no __pycache__ left in the migrated tree, whose git status a later test reads.
    imported = subprocess.run(
        [sys.executable, "-B", "-c", "import app.server.server"], cwd=migrated, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr


def test_callbacks_keep_message_types_and_payloads(migrated: Path) -> None:
    source = (migrated / SERVICES / "background_tasks.py").read_text()
    assert "while True" in source  # the watchers of other data are left as they were
    assert "async def on_queue_items_change(self, event: dict[str, Any]) -> None:" in source
    assert '{"type": "queue_update", "data": [dict(row) for row in rows]}' in source
    assert '{"type": "workflow_history_update", "data": history}' in source
    assert "# the callback" not in source and "QUEUE_POLL_SECONDS" not in source
    assert "watch_queue" not in source and "watch_workflow_history" not in source
    server = (migrated / "app/server/server.py").read_text()
    assert "from app.server.services.pg_listener import PgListener\n" in server


def test_second_run_changes_nothing(migrated: Path) -> None:
    for table in POLLED_TABLES:
        done = migrate(table, cwd=migrated)
        assert done.exit_code in (0, 1), done.stderr
        assert "Changed" not in done.stdout
    assert status(migrated) == ""
    again = migrate("queue_items", cwd=migrated)
    assert again.exit_code == 0
    assert again.stdout == "Nothing to migrate: no polling site of this table is left.\n"


def test_refuses_files_with_uncommitted_changes(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    server = root / "app/server/server.py"
    server.write_text(server.read_text() + "\n# work in progress\n")
    done = migrate("queue_items", cwd=root)
    assert done.exit_code == 2
    assert "uncommitted changes in app/server/server.py" in done.stderr
    assert status(root) == " M app/server/server.py\n"
    allowed = migrate("queue_items", "--allow-dirty", cwd=root)
    assert allowed.exit_code == 0, allowed.stderr
    assert "# work in progress" in server.read_text() and "PgListener" in server.read_text()


def test_refuses_outside_git_without_allow_dirty(tmp_path: Path) -> None:
    root = Path(shutil.copytree(DEMO, tmp_path / "demo"))
    done = migrate("queue_items", cwd=root)
    assert done.exit_code == 2 and "not in a git repository" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("no_such_table",), 'table "no_such_table" is not created in'),
        (("1queue",), "is not a valid table name"),
        (("queue_items", "--site", "app/server/server.py"), "expected PATH:LINE"),
        (("queue_items", "--site", "app/server/server.py:1"), "is not a polling site of queue_items"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path, arguments: tuple[str, ...], message: str) -> None:
    root = demo_copy(tmp_path)
    done = migrate(*arguments, cwd=root)
    assert done.exit_code == 2
    assert message in " ".join(done.stderr.split())
    assert status(root) == ""


def test_no_project_root_exits_2(tmp_path: Path) -> None:
    done = migrate("queue_items", cwd=tmp_path)
    assert done.exit_code == 2
    assert "is no project root" in " ".join(done.stderr.split())


def test_an_interval_job_loses_its_schedule_and_its_registration_is_printed(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    done = migrate("agent_runs", cwd=root)
    assert done.exit_code == 0, done.output
    scheduler = (root / SERVICES / "scheduler.py").read_text()
    assert 'refresh_agent_status, "interval"' not in scheduler and "AGENT_STATUS_SECONDS" not in scheduler
    assert '    scheduler.add_job(purge_old_logs, "cron", hour=3, args=(pool,))\n' in scheduler
    assert "async def refresh_agent_status(pool: asyncpg.Pool, manager: ConnectionManager) -> None:" in scheduler
    assert (
        '    listener.register_callback("agent_runs_changed", lambda event: refresh_agent_status(pool, manager))'
        in done.stdout
    )


def test_site_option_migrates_only_that_site(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    done = migrate("queue_items", "--site", f"{SERVICES}/background_tasks.py:97", cwd=root)
    assert done.exit_code == 0, done.stderr
    changed = {line[3:] for line in status(root).splitlines()}
    assert "app/client/src/components/QueuePanel.tsx" not in changed
    assert f"{SERVICES}/background_tasks.py" in changed


def _tsc(client: Path) -> subprocess.CompletedProcess[str]:
    link = client / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict"],
        cwd=client, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_demo_client_passes_tsc_strict_before_and_after(tmp_path: Path, migrated: Path) -> None:
    before = _tsc(Path(shutil.copytree(DEMO / "app/client", tmp_path / "client")))
    assert before.returncode == 0, before.stdout + before.stderr
    after = _tsc(migrated / "app/client")
    assert after.returncode == 0, after.stdout + after.stderr
    panel = (migrated / "app/client/src/components/QueuePanel.tsx").read_text()
    assert "refetchInterval" not in panel and "useQueueWebSocket();" in panel
    table = (migrated / "app/client/src/components/LegacyQueueTable.tsx").read_text()
    assert "setInterval" not in table and "const { lastUpdated } = useQueueWebSocket();" in table


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_server() as server:
        yield server.get_uri()


def _demo_tests(root: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "app/server/tests"],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
        env={**__import__("os").environ, "DATABASE_URL": database_url, "TEST_DATABASE_URL": database_url},
    )  # fmt: skip


def test_demo_app_tests_pass_before_and_after(tmp_path: Path, migrated: Path, database_url: str) -> None:
    before = _demo_tests(Path(shutil.copytree(DEMO, tmp_path / "demo")), database_url)
    assert before.returncode == 0, before.stdout + before.stderr
    after = _demo_tests(migrated, database_url)
    assert after.returncode == 0, after.stdout + after.stderr
    # With the tests scaffold generated for workflow_history's new hook and endpoint.
    assert pytest_outcomes(after.stdout) == {"passed": 6}
