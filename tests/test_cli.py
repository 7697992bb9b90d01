"""The command line as users and CI meet it: commands, output contracts and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polldetox import __version__
from polldetox.cli import STARTER_CONFIG, app
from polldetox.findings import Severity
from polldetox.rules import RULES
from tests.conftest import DEMO

runner = CliRunner()

WATCHER = """
import asyncio


async def watch_queue(pool, manager):
    while True:
        rows = await pool.fetch("SELECT id FROM queue_items")
        if rows != manager.last:
            await manager.broadcast({"type": "queue_update", "data": rows})
        await asyncio.sleep(5)
"""


def test_version_and_help() -> None:
    assert runner.invoke(app, ["--version"]).output.strip() == f"polldetox {__version__}"
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0
    for option in ("--format", "--fail-on", "--exit-zero", "--baseline", "--diff-base", "--output"):
        assert option in result.output


def test_rules_lists_every_rule_in_text_and_json() -> None:
    text = runner.invoke(app, ["rules"])
    assert text.exit_code == 0
    for rule in RULES.values():
        assert rule.id in text.output and rule.name in text.output
    rows = json.loads(runner.invoke(app, ["rules", "--format", "json"]).output)
    assert [row["id"] for row in rows] == list(RULES)
    assert {"id", "name", "severity", "summary", "section"} <= set(rows[0])


@pytest.mark.parametrize("key", ["PD102", "pd102", "broadcast-unchanged-data"])
def test_explain_prints_the_four_part_documentation(key: str) -> None:
    result = runner.invoke(app, ["explain", key])
    assert result.exit_code == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in result.output
    assert "Anti-Pattern 2" in result.output


def test_explain_unknown_rule_is_a_usage_error() -> None:
    result = runner.invoke(app, ["explain", "PD999"])
    assert result.exit_code == 2
    assert "unknown rule 'PD999'" in result.output


def test_init_adds_a_table_to_pyproject_and_never_overwrites(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "shop"\n', encoding="utf-8")
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    text = pyproject.read_text(encoding="utf-8")
    assert text.startswith('[project]\nname = "shop"\n\n[tool.polldetox]')
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "already has [tool.polldetox]" in again.output
    assert pyproject.read_text(encoding="utf-8") == text


def test_init_standalone_file_is_a_valid_config_even_with_every_example_uncommented(tmp_path: Path) -> None:
    from polldetox.config import load_config

    assert runner.invoke(app, ["init", str(tmp_path), "--standalone"]).exit_code == 0
    dotfile = tmp_path / ".polldetox.toml"
    written = dotfile.read_text(encoding="utf-8")
    assert "[tool.polldetox" not in written
    config = load_config(tmp_path)
    assert config.source == dotfile.resolve()
    assert config.trigger_paths == ("adws/adw_triggers/",)
    setting = re.compile(r"^# (\[|[a-z-]+ = |PD\d{3} = )")
    dotfile.write_text("\n".join(line[2:] if setting.match(line) else line for line in written.splitlines()))
    everything = load_config(tmp_path)
    assert everything.select == frozenset({"PD101", "PD201"})
    assert everything.rule_severity("PD203", "a.tsx", Severity.ERROR) == Severity.WARNING
    assert everything.per_path[0].patterns == ("app/client/src/legacy/",)
    assert everything.baseline == tmp_path.resolve() / "polldetox-baseline.json"


def test_scan_exit_codes_follow_fail_on(write_tree) -> None:
    root = write_tree({"app/services/queue.py": WATCHER})
    # The state-comparing variant is a warning: it passes by default and fails with --fail-on warning.
    assert runner.invoke(app, ["scan", str(root)]).exit_code == 0
    assert runner.invoke(app, ["scan", str(root), "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(app, ["scan", str(root), "--fail-on", "warning", "--exit-zero"]).exit_code == 0
    (root / "app" / "services" / "queue.py").write_text(WATCHER.replace("if rows != manager.last:\n", "if True:\n"))
    assert runner.invoke(app, ["scan", str(root)]).exit_code == 1


def test_scan_usage_errors_exit_2(write_tree) -> None:
    root = write_tree({"ok/a.py": "", "bad/.polldetox.toml": "fail-on = 'never'\n"})
    missing = runner.invoke(app, ["scan", str(root / "ok" / "nope")])
    assert missing.exit_code == 2 and "no such file or directory" in missing.output
    root = root / "bad"
    bad_config = runner.invoke(app, ["scan", str(root)])
    assert bad_config.exit_code == 2 and "fail-on" in bad_config.output
    assert runner.invoke(app, ["scan", str(root), "--format", "yaml"]).exit_code == 2


def test_unparsable_file_never_exits_2(write_tree) -> None:
    root = write_tree({"app/broken.py": "while True:\n  time.sleep(\n"})
    result = runner.invoke(app, ["scan", str(root), "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert report["errors"][0]["path"] == "app/broken.py"


def test_json_contract_on_the_demo_app() -> None:
    result = runner.invoke(app, ["scan", str(DEMO), "--format", "json", "--no-cache"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert set(report) == {"version", "findings", "errors", "summary"}
    assert report["errors"] == []
    required = {
        "rule", "name", "severity", "status", "path", "line", "column", "end_line", "message",
        "interval_seconds", "polls", "tables", "exception", "recommendation",
    }  # fmt: skip
    for finding in report["findings"]:
        assert required <= set(finding)
        assert finding["severity"] in ("error", "warning", "info")
        assert finding["status"] in ("violation", "allowed")
        assert finding["exception"] in (None, "devtool", "trigger", "fallback", "manual_refresh")
        assert not finding["path"].startswith("/") and "\\" not in finding["path"]
    rules = {f["rule"] for f in report["findings"]}
    assert {"PD101", "PD102", "PD103", "PD201", "PD203", "PD301"} <= rules
    assert {f["exception"] for f in report["findings"]} >= {"devtool", "trigger", "fallback", "manual_refresh"}
    summary = report["summary"]
    assert summary["suppressed"] == 2
    assert summary["load"] == DEMO_LOAD


# The demo app's polling load, worked out by hand from its violations' intervals (seconds).
# Backend watchers (PD101-PD103): 10, 2, 15, 5, 30, 300 and 10; those reading the database: 10, 2, 30, 10.
#   ticks/s   = 1/10 + 1/2 + 1/15 + 1/5 + 1/30 + 1/300 + 1/10 = 301/300 = 1.003
#   queries/s = 1/10 + 1/2 + 1/30 + 1/10                     = 22/30   = 0.733
# Frontend pollers (PD201-PD204, the usePolling engine itself not counted): 20, 5, 15, 300, 3, 30, 10, 60, 10,
# 2, 4, 45, 10, 60 and 120.
#   requests/min = 3 + 12 + 4 + 0.2 + 20 + 2 + 6 + 1 + 6 + 30 + 15 + 4/3 + 6 + 1 + 0.5 = 108.03
DEMO_LOAD = {
    "backend_watchers": 7,
    "backend_ticks_per_second": 1.003,
    "database_queries_per_second": 0.733,
    "frontend_pollers": 15,
    "frontend_requests_per_minute": 108.03,
    "unresolved_intervals": 0,
}


def test_text_report_groups_by_file_and_sums_the_load() -> None:
    result = runner.invoke(app, ["scan", str(DEMO), "--statistics", "--no-cache"])
    assert result.exit_code == 1
    assert "app/server/services/background_tasks.py" in result.output
    assert "Findings by rule" in result.output
    assert (
        "Polling load: 7 backend watchers, 0.733 database queries/s and 1 polls/s per server process; "
        "15 frontend pollers, 108 requests/min per open tab."
    ) in " ".join(result.output.split())
    assert "polldetox scaffold queue_items" in result.output


def test_output_file_gets_the_report_and_the_terminal_the_summary(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "polldetox.json"
    result = runner.invoke(app, ["scan", str(DEMO), "--format", "json", "--output", str(target)])
    assert result.exit_code == 1
    assert json.loads(target.read_text(encoding="utf-8"))["findings"]
    assert "Found" in result.output and "Report written to" in result.output


def test_module_entry_point_and_console_script_agree() -> None:
    module = subprocess.run([sys.executable, "-m", "polldetox", "--version"], capture_output=True, text=True)
    assert module.returncode == 0 and module.stdout.strip() == f"polldetox {__version__}"
    script = shutil.which("polldetox", path=str(Path(sys.executable).parent))
    assert script is not None
    assert subprocess.run([script, "--version"], capture_output=True, text=True).stdout == module.stdout


def test_explain_writes_the_documentation_as_is_when_not_a_terminal() -> None:
    result = runner.invoke(app, ["explain", "interval-fetch"])
    assert result.exit_code == 0
    assert result.stdout == RULES["PD203"].documentation()


def test_rules_text_points_to_explain() -> None:
    lines = runner.invoke(app, ["rules"]).stdout.splitlines()
    assert lines[0].split() == ["id", "name", "severity", "summary"]
    assert lines[-1] == "Run `polldetox explain RULE` for a rule's documentation."


@pytest.mark.parametrize(
    ("existing", "separator"),
    [('[project]\nname = "shop"', "\n\n"), ('[project]\nname = "shop"\n', "\n"), ('[project]\nname = "shop"\n\n', "")],
)
def test_init_keeps_one_blank_line_before_the_new_table(tmp_path: Path, existing: str, separator: str) -> None:
    (tmp_path / "pyproject.toml").write_text(existing, encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0
    assert " ".join(result.stdout.split()) == f"Added [tool.polldetox] to {tmp_path / 'pyproject.toml'}."
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == existing + separator + STARTER_CONFIG


def test_init_without_pyproject_writes_the_dotfile_and_refuses_a_second_time(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path)])
    dotfile = tmp_path / ".polldetox.toml"
    assert result.exit_code == 0
    assert " ".join(result.stdout.split()) == f"Wrote {dotfile}."
    written = dotfile.read_text(encoding="utf-8")
    assert written.startswith("# Paths use .gitignore syntax") and "[per-path]]" in written
    (tmp_path / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "already exists; nothing written" in again.output
    assert dotfile.read_text(encoding="utf-8") == written
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == "[project]\n"
    missing = runner.invoke(app, ["init", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such folder" in missing.output


def test_help_lists_every_command_once_the_lazy_ones_last() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    listed = re.findall(r"^│ (\w+) {2,}", result.output, flags=re.M)
    assert listed == ["scan", "rules", "explain", "init", "report", "status", "scaffold", "migrate"]


@pytest.mark.parametrize(("typed", "meant"), [("migrat", "migrate"), ("scafold", "scaffold"), ("scna", "scan")])
def test_a_mistyped_command_suggests_the_command_even_when_it_is_built_lazily(typed: str, meant: str) -> None:
    """scaffold and migrate are built only when invoked, yet a typo must still find them."""
    result = CliRunner().invoke(app, [typed, "x"])
    assert result.exit_code == 2
    assert f"No such command '{typed}'. Did you mean '{meant}'?" in " ".join(result.output.replace("│", " ").split())
