"""Which sites `polldetox migrate` (and `status`) take as a table's polling, and what they scaffold for them:
only what the scan reports as polling."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from ci_fixtures.scans import REPO_ROOT, init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app

FIXTURES = REPO_ROOT / "tests" / "fixtures"
NODE_MODULES = REPO_ROOT / "node_modules"


def fixture_copy(name: str, tmp_path: Path) -> Path:
    root = Path(shutil.copytree(FIXTURES / name, tmp_path / name))
    init_repo(root)
    return root


def migrate(root: Path, *arguments: str) -> Result:
    return CliRunner().invoke(app, ["migrate", *arguments, "--root", str(root)])


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_test_code_and_a_daily_job_are_left_as_the_scan_leaves_them(tmp_path: Path) -> None:
    root = fixture_copy("migrate-judged", tmp_path)
    done = migrate(root, "orders", "--dry-run")
    assert done.exit_code == 0, done.output
    assert "-    scheduler.add_job(refresh_orders, " in done.stdout
    # The test's own copy of the schedule and the nightly report are no polling in the scan's eyes.
    assert "b/tests/support.py" not in done.stdout
    assert not [line for line in changed_lines(done.stdout) if "nightly" in line]
    assert "nightly" not in done.stderr
    nightly = migrate(root, "orders", "--dry-run", "--site", "app/jobs.py:24")
    assert nightly.exit_code == 2
    assert "app/jobs.py:24 is not a polling site of orders" in nightly.stderr


def test_status_counts_the_same_sites_as_polling(tmp_path: Path) -> None:
    root = fixture_copy("migrate-judged", tmp_path)
    done = CliRunner().invoke(app, ["status", "orders", "--root", str(root), "--format", "json"])
    assert done.exit_code == 0, done.output
    [data_type] = json.loads(done.stdout)["data_types"]
    steps = {step["id"]: step for step in data_type["steps"]}
    assert steps["polling_removed"]["evidence"] == "still polls: app/jobs.py:23"


def edited_sources(root: Path, table: str) -> set[str]:
    done = migrate(root, table, "--dry-run", "--format", "json")
    assert done.exit_code == 0, done.output
    return {edit["path"] for edit in json.loads(done.stdout)["edits"] if edit["path"].startswith("src/")}


def test_a_site_is_tied_by_the_key_segment_naming_its_table_not_a_prefix_or_a_parameter(tmp_path: Path) -> None:
    root = fixture_copy("migrate-keys", tmp_path)
    # 'workflow-run' is a run of a workflow: its data is workflow_run; 'workflow:list' lists workflows.
    assert edited_sources(root, "workflow") == {"src/WorkflowPicker.tsx"}
    assert edited_sources(root, "workflow_run") == {"src/RunStatus.tsx"}
    # `{ websiteId }` is a parameter of the realtime data; 'websites' is the table, plural.
    assert edited_sources(root, "website") == {"src/WebsiteList.tsx"}


def test_nothing_is_scaffolded_for_frontend_sites_that_were_all_skipped(tmp_path: Path) -> None:
    root = fixture_copy("migrate-keys", tmp_path)
    done = migrate(root, "worker", "--dry-run", "--format", "json")
    assert done.exit_code == 1, done.output
    plan = json.loads(done.stdout)
    assert plan == {
        "edits": [],
        "skipped": [
            {
                "path": "src/WorkerList.tsx",
                "line": 8,
                "reason": "the polling option is not a plain `key: value` property here",
            }
        ],
        "manual": [],
        "ignored": [],
    }
    # With a site to migrate, the hook it calls is generated with the server side that feeds it.
    used = migrate(root, "website", "--dry-run", "--format", "json")
    created = {edit["path"] for edit in json.loads(used.stdout)["edits"] if edit["action"] == "create"}
    assert "app/client/src/hooks/useWebsiteWebSocket.ts" in created
    assert "app/server/routes/website_websocket.py" in created


def tsc(package: Path) -> subprocess.CompletedProcess[str]:
    (package / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict"],
        cwd=package, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_generated_hook_goes_into_the_frontend_package_of_its_sites(tmp_path: Path) -> None:
    root = fixture_copy("migrate-frontend-package", tmp_path)
    done = migrate(root, "orders")
    assert done.exit_code == 0, done.output
    created = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()} - {
        path.relative_to(FIXTURES / "migrate-frontend-package").as_posix()
        for path in (FIXTURES / "migrate-frontend-package").rglob("*")
    }
    client = {path for path in created if not path.startswith(("app/server/", ".git/"))}
    assert client == {
        "frontend/src/hooks/useOrderWebSocket.ts",
        "frontend/src/hooks/useOrderWebSocket.test.tsx",
        "frontend/src/hooks/useReconnectingWebSocket.ts",
        "frontend/src/config/api.ts",
    }
    assert (
        "import { useOrderWebSocket } from './hooks/useOrderWebSocket';"
        in (root / "frontend/src/Orders.tsx").read_text()
    )
    # `react` and `@tanstack/react-query` resolve from the package the hook now sits in.
    checked = tsc(root / "frontend")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_configured_hook_path_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "configured"
    shutil.copytree(FIXTURES / "migrate-frontend-package", root)
    with (root / ".polldetox.toml").open("a") as config:
        config.write('[scaffold.layout]\nhook = "frontend/src/realtime/use{pascal}Feed.ts"\n')
    init_repo(root)
    done = migrate(root, "orders", "--dry-run", "--format", "json")
    assert done.exit_code == 0, done.output
    created = {edit["path"] for edit in json.loads(done.stdout)["edits"] if edit["action"] == "create"}
    assert "frontend/src/realtime/useOrderFeed.ts" in created
    assert "frontend/src/hooks/useReconnectingWebSocket.ts" in created  # left unset: moved into the package
