"""Every `scan` option and error path through the real `polldetox` app, each checked by what it changes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from polldetox import cli
from polldetox.cli import ReportFormat, app
from polldetox.scan import engine
from tests.ci_fixtures.scans import init_repo
from tests.conftest import DEMO

runner = CliRunner()

WATCHER = """
import time


def watch_orders(db):
    while True:
        db.execute("SELECT id FROM orders")
        time.sleep(5)
"""

# Compares with the last state before broadcasting: a warning, not an error.
STATE_WATCHER = """
import asyncio


async def watch_orders(pool, manager):
    while True:
        rows = await pool.fetch("SELECT id FROM orders")
        if rows != manager.last:
            await manager.broadcast({"type": "orders_update", "data": rows})
        await asyncio.sleep(5)
"""

ORDERS_PANEL = """
import { useQuery } from '@tanstack/react-query';

export function Orders() {
  const { data } = useQuery({
    queryKey: ['orders'],
    queryFn: () => fetch('/api/orders').then((r) => r.json()),
    refetchInterval: 5000,
  });
  return <ul>{JSON.stringify(data)}</ul>;
}
"""

FETCHER = """
export function watchOrders(render: (rows: unknown) => void) {
  setInterval(async () => {
    render(await fetch('/api/orders').then((r) => r.json()));
  }, 5000);
}
"""


def scan_json(*arguments: str | Path) -> tuple[int, dict]:
    result = runner.invoke(app, ["scan", "--format", "json", *map(str, arguments)])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def places(report: dict) -> list[tuple[str, str]]:
    return sorted((f["path"], f["rule"]) for f in report["findings"])


@pytest.fixture(scope="module")
def demo_report() -> dict:
    return scan_json(DEMO, "--no-cache")[1]


def test_select_and_ignore_split_commas_and_accept_repeats_and_names(demo_report: dict) -> None:
    every_rule = {f["rule"] for f in demo_report["findings"]}
    assert {"PD101", "PD102", "PD201", "PD203"} <= every_rule
    _, selected = scan_json(DEMO, "--select", "PD101, pd203", "--select", "query-refetch-interval")
    assert {f["rule"] for f in selected["findings"]} == {"PD101", "PD201", "PD203"}
    _, ignored = scan_json(DEMO, "--ignore", "PD101,PD102", "--ignore", "PD203")
    assert {f["rule"] for f in ignored["findings"]} == every_rule - {"PD101", "PD102", "PD203"}


def test_an_unknown_rule_in_select_is_a_usage_error() -> None:
    result = runner.invoke(app, ["scan", str(DEMO), "--select", "PD101,PD999"])
    assert result.exit_code == 2
    assert "--select: unknown rule 'PD999'" in result.output


def test_exclude_adds_patterns_to_the_configured_ones(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": 'extend-exclude = ["legacy/"]\n',
            "app/services/orders.py": WATCHER,
            "legacy/orders.py": WATCHER,
            "app/client/Orders.tsx": ORDERS_PANEL,
            "app/client/orders.ts": FETCHER,
        }
    )
    _, everything = scan_json(root)
    assert {path for path, _ in places(everything)} == {
        "app/services/orders.py",
        "app/client/Orders.tsx",
        "app/client/orders.ts",
    }
    _, fewer = scan_json(root, "--exclude", "*.tsx", "--exclude", "services/")
    assert {path for path, _ in places(fewer)} == {"app/client/orders.ts"}


def test_force_exclude_applies_exclusions_to_named_files(write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(write_tree({"legacy/orders.py": WATCHER}))
    named = "legacy/orders.py"  # as pre-commit names a staged file
    assert places(scan_json(named, "--exclude", "legacy/")[1]) == [("legacy/orders.py", "PD101")]
    assert places(scan_json(named, "--exclude", "legacy/", "--force-exclude")[1]) == []


def test_respect_gitignore_both_ways_over_the_config(write_tree) -> None:
    root = write_tree({".gitignore": "generated/\n", "generated/orders.py": WATCHER, "app/orders.py": WATCHER})
    seen = [("app/orders.py", "PD101")]
    assert places(scan_json(root)[1]) == seen
    assert places(scan_json(root, "--no-respect-gitignore")[1]) == [*seen, ("generated/orders.py", "PD101")]
    (root / ".polldetox.toml").write_text("respect-gitignore = false\n", encoding="utf-8")
    assert len(places(scan_json(root)[1])) == 2
    assert places(scan_json(root, "--respect-gitignore")[1]) == seen


def test_jobs_sets_the_parser_process_count(write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree({"app/orders.py": WATCHER, "app/client/Orders.tsx": ORDERS_PANEL})
    workers: list[int | None] = []
    examine_all = engine._examine_all

    def spy(jobs, count, progress):
        workers.append(count)
        return examine_all(jobs, count, progress)

    monkeypatch.setattr(engine, "_examine_all", spy)
    scan_json(root, "--jobs", "3", "--no-cache")
    scan_json(root, "-j", "1", "--no-cache")
    scan_json(root, "--no-cache")
    assert workers == [3, 1, None]
    refused = runner.invoke(app, ["scan", str(root), "--jobs", "0"])
    assert refused.exit_code == 2 and "--jobs" in refused.output


def test_no_cache_neither_reads_nor_writes_the_cache(write_tree) -> None:
    root = write_tree({"app/orders.py": WATCHER})
    cache_dir = Path(os.environ["POLLDETOX_CACHE_DIR"])
    scan_json(root, "--no-cache")
    assert not any(cache_dir.rglob("*.pickle"))
    scan_json(root)
    assert len(list(cache_dir.rglob("*.pickle"))) == 1


def test_config_file_given_on_the_command_line_wins_and_sets_the_root(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": 'ignore = ["PD101"]\n',
            "ci/strict.toml": 'fail-on = "warning"\nselect = ["PD101"]\n',
            "app/orders.py": WATCHER.replace("time.sleep(5)", "time.sleep(5)\n        print('tick')"),
        }
    )
    code, nearest = scan_json(root / "app")
    assert (code, nearest["findings"]) == (0, [])
    code, strict = scan_json(root / "app", "--config", root / "ci" / "strict.toml")
    # The settings file's folder is the root: paths are relative to ci/.
    assert [(f["path"], f["rule"]) for f in strict["findings"]] == [("../app/orders.py", "PD101")]
    assert code == 1
    missing = runner.invoke(app, ["scan", str(root), "--config", str(root / "nope.toml")])
    assert missing.exit_code == 2 and "nope.toml: cannot read" in missing.output


def test_prune_baseline_without_a_baseline_is_a_usage_error(write_tree) -> None:
    root = write_tree({"app/orders.py": WATCHER})
    result = runner.invoke(app, ["scan", str(root), "--prune-baseline"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --prune-baseline needs --baseline FILE (or `baseline` in the config)"


def test_no_paths_scans_the_current_folder(write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree({"app/orders.py": WATCHER})
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["scan", "--format", "json"])
    assert result.exit_code == 1
    assert places(json.loads(result.stdout)) == [("app/orders.py", "PD101")]


def _without_timing(text: str) -> str:
    """The report without its elapsed time, and with the text report's line wrapping undone."""
    return " ".join(re.sub(r'"elapsed_seconds": [0-9.]+|in [0-9.]+ s', "<elapsed>", text).split())


@pytest.mark.parametrize("format", list(ReportFormat))
def test_output_writes_each_format_to_the_file_and_the_summary_to_the_terminal(
    format: ReportFormat, tmp_path: Path
) -> None:
    printed = runner.invoke(app, ["scan", str(DEMO), "--format", format.value])
    target = tmp_path / "reports" / f"polldetox.{format.value}"
    written = runner.invoke(app, ["scan", str(DEMO), "--format", format.value, "--output", str(target)])
    assert printed.exit_code == written.exit_code == 1
    report = target.read_text(encoding="utf-8")
    if format == ReportFormat.text:
        assert "app/server/services/background_tasks.py" in report and "\x1b[" not in report
        assert 80 < max(map(len, report.splitlines())) <= 120  # 120 columns, not a file's default 80
        assert _without_timing(report) in _without_timing(printed.stdout)
    else:
        assert _without_timing(report) == _without_timing(printed.stdout)
    assert written.stdout.startswith("Found ") and f"Report written to {target}." in written.stdout
    assert report not in written.stdout
    assert not list(target.parent.glob(".*.tmp"))


def allowed_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\s+\d+:\d+\s+allowed ", line)]


def test_hide_allowed_leaves_allowed_exceptions_out_of_the_terminal_and_the_file(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["scan", str(DEMO)])
    assert len(allowed_lines(shown.stdout)) >= 4
    hidden = runner.invoke(app, ["scan", str(DEMO), "--hide-allowed"])
    assert allowed_lines(hidden.stdout) == []
    assert hidden.stdout.count(" error ") == shown.stdout.count(" error ") > 0
    shown_file, hidden_file = tmp_path / "shown.txt", tmp_path / "hidden.txt"
    runner.invoke(app, ["scan", str(DEMO), "--output", str(shown_file)])
    runner.invoke(app, ["scan", str(DEMO), "--hide-allowed", "--output", str(hidden_file)])
    assert len(allowed_lines(shown_file.read_text(encoding="utf-8"))) == len(allowed_lines(shown.stdout))
    assert allowed_lines(hidden_file.read_text(encoding="utf-8")) == []


def statistics_rows(text: str) -> dict[str, int]:
    return {rule: int(count) for count, rule in re.findall(r"^\s+(\d+)  (PD\d{3})  ", text, flags=re.M)}


@pytest.mark.parametrize("format", ["text", "json"])
def test_statistics_counts_findings_by_rule(format: str, tmp_path: Path, demo_report: dict) -> None:
    expected = demo_report["summary"]["by_rule"]
    plain = runner.invoke(app, ["scan", str(DEMO), "--format", format])
    assert "Findings by rule" not in plain.output
    result = runner.invoke(app, ["scan", str(DEMO), "--format", format, "--statistics"])
    assert statistics_rows(result.output) == expected
    written = runner.invoke(app, ["scan", str(DEMO), "--statistics", "--output", str(tmp_path / "report.txt")])
    assert statistics_rows(written.stdout) == expected
    assert statistics_rows((tmp_path / "report.txt").read_text(encoding="utf-8")) == expected


def test_fail_on_from_the_config_and_the_command_line(write_tree) -> None:
    root = write_tree({"app/orders.py": STATE_WATCHER})
    code, report = scan_json(root)
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("PD101", "warning")]
    assert code == 0
    assert scan_json(root, "--fail-on", "warning")[0] == 1
    (root / ".polldetox.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    assert scan_json(root)[0] == 1
    assert scan_json(root, "--fail-on", "error")[0] == 0
    assert scan_json(root, "--exit-zero")[0] == 0
    assert runner.invoke(app, ["scan", str(root), "--fail-on", "info"]).exit_code == 2


def _console_script() -> str:
    return str(Path(sys.executable).parent / "polldetox")


def test_a_failure_of_the_tool_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the report folder should be\n", encoding="utf-8")
    command = [_console_script(), "scan", str(DEMO), "--format", "json", "--output", str(blocker / "out.json")]
    environment = {key: value for key, value in os.environ.items() if key != "POLLDETOX_DEBUG"}
    failed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)
    assert failed.returncode == 2
    assert failed.stderr.startswith("polldetox failed: FileExistsError: ")
    assert "Traceback" not in failed.stderr and str(blocker) in " ".join(failed.stderr.split())
    debug = subprocess.run(
        command, capture_output=True, text=True, env={**environment, "POLLDETOX_DEBUG": "1"}, timeout=120, check=False
    )
    assert debug.returncode == 1  # Python's own exit status for an uncaught exception
    assert debug.stderr.startswith("polldetox failed: FileExistsError: ")
    assert "Traceback (most recent call last)" in debug.stderr
    assert "\nFileExistsError: [Errno 17] File exists: " in debug.stderr


def test_an_interrupted_scan_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*arguments: object) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises in the middle of a scan

    monkeypatch.setattr(engine, "scan", interrupted)
    monkeypatch.setattr(sys, "argv", ["polldetox", "scan", str(DEMO)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 130  # 128 + SIGINT, as shells report it
    assert capsys.readouterr().err == ""  # the shell has shown ^C; no traceback, no "polldetox failed"


def words(text: str) -> str:
    """Text with rich's line wrapping undone."""
    return " ".join(text.split())


def test_baseline_record_gone_and_prune_messages(write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree({"app/orders.py": WATCHER, "app/invoices.py": WATCHER.replace("orders", "invoices")})
    monkeypatch.chdir(root)
    recorded = runner.invoke(app, ["scan", "--write-baseline", "baseline.json", "--diff-base", "no-such-revision"])
    assert recorded.exit_code == 0  # recording takes every finding: the diff base is not even asked for
    assert words(recorded.stderr) == "Recorded 2 findings in baseline.json."
    held = runner.invoke(app, ["scan", "--baseline", "baseline.json"])
    assert held.exit_code == 0
    assert words(held.stderr) == "2 findings in the baseline not shown."

    one_file = runner.invoke(app, ["scan", "app/orders.py", "--baseline", "baseline.json"])
    assert words(one_file.stderr) == "1 finding in the baseline not shown."  # the other file was not scanned
    Path("app/invoices.py").unlink()
    gone = runner.invoke(app, ["scan", "--baseline", "baseline.json"])
    assert gone.exit_code == 0
    assert words(gone.stderr) == (
        "1 baselined finding is gone (run with --prune-baseline to drop them from baseline.json): "
        "app/invoices.py:5 PD101 while True: ... time.sleep(5) 1 finding in the baseline not shown."
    )
    assert len(json.loads(Path("baseline.json").read_text(encoding="utf-8"))["entries"]) == 2
    pruned = runner.invoke(app, ["scan", "--baseline", "baseline.json", "--prune-baseline"])
    assert pruned.exit_code == 0
    assert words(pruned.stderr) == (
        "Pruned 1 finding that is gone from baseline.json. 1 finding in the baseline not shown."
    )
    entries = json.loads(Path("baseline.json").read_text(encoding="utf-8"))["entries"]
    assert [entry["path"] for entry in entries] == ["app/orders.py"]

    # Two gone, with the baseline named in the config instead of on the command line.
    Path("app/more.py").write_text(WATCHER + WATCHER.replace("watch_orders", "watch_more"), encoding="utf-8")
    Path("app/orders.py").unlink()
    assert words(runner.invoke(app, ["scan", "--write-baseline", "baseline.json"]).stderr).startswith("Recorded 2 ")
    Path("app/more.py").unlink()
    Path(".polldetox.toml").write_text('baseline = "baseline.json"\n', encoding="utf-8")
    listed = runner.invoke(app, ["scan"])
    assert listed.exit_code == 0
    assert words(listed.stderr).startswith("2 baselined findings are gone (run with --prune-baseline")
    pruned = runner.invoke(app, ["scan", "--prune-baseline"])
    assert words(pruned.stderr).startswith("Pruned 2 findings that are gone from ")
    assert json.loads(Path("baseline.json").read_text(encoding="utf-8"))["entries"] == []


@pytest.mark.parametrize("format", list(ReportFormat))
def test_ci_formats_place_findings_from_the_repository_top(format: ReportFormat, write_tree) -> None:
    root = write_tree({"services/api/app/orders.py": WATCHER, "services/api/.polldetox.toml": ""})
    init_repo(root)
    result = runner.invoke(app, ["scan", str(root / "services" / "api"), "--format", format.value])
    assert result.exit_code == 1
    from_top = "services/api/app/orders.py" in result.stdout
    assert from_top == (format in cli._CI_FORMATS), result.stdout


def test_diff_base_reports_only_changed_lines_and_a_bad_revision_is_a_usage_error(
    write_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"app/orders.py": WATCHER})
    init_repo(root)
    monkeypatch.chdir(root)
    Path("app/invoices.py").write_text(WATCHER.replace("orders", "invoices"), encoding="utf-8")
    code, report = scan_json("--diff-base", "HEAD")
    assert (code, places(report)) == (1, [("app/invoices.py", "PD101")])
    code, report = scan_json("--diff-base", "HEAD", "--baseline", write_baseline_of(root))
    assert (code, report["findings"]) == (0, [])
    # A copy of a baselined loop added above it reads the same to the baseline; the diff tells them apart.
    Path("app/orders.py").write_text(WATCHER.replace("watch_orders", "watch_orders_again") + WATCHER, encoding="utf-8")
    code, report = scan_json("--diff-base", "HEAD", "--baseline", root.parent / f"{root.name}-baseline.json")
    assert (code, places(report), [f["line"] for f in report["findings"]]) == (1, [("app/orders.py", "PD101")], [6])
    refused = runner.invoke(app, ["scan", "--diff-base", "no-such-revision"])
    assert refused.exit_code == 2 and "unknown git revision 'no-such-revision'" in refused.output


def write_baseline_of(root: Path) -> Path:
    target = root.parent / f"{root.name}-baseline.json"
    assert runner.invoke(app, ["scan", str(root), "--write-baseline", str(target)]).exit_code == 0
    return target


def test_an_internal_failure_in_process_is_one_line_exit_2_or_raised_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*arguments: object) -> None:
        raise RuntimeError("a bug in the scanner")  # stands for any defect the tool itself has

    monkeypatch.setattr(engine, "scan", broken)
    monkeypatch.setattr(sys, "argv", ["polldetox", "scan", str(DEMO)])
    monkeypatch.delenv("POLLDETOX_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "polldetox failed: RuntimeError: a bug in the scanner\n"
    monkeypatch.setenv("POLLDETOX_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug in the scanner"):
        cli.main()
    assert capsys.readouterr().err == "polldetox failed: RuntimeError: a bug in the scanner\n"


@pytest.mark.parametrize(("files", "shown"), [(200, True), (150, False)])  # a bar from 200 files on
def test_a_progress_bar_only_for_long_scans_in_a_terminal(
    files: int, shown: bool, write_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({f"app/watcher_{n}.py": WATCHER for n in range(files)})
    terminal = io.StringIO()
    monkeypatch.setattr(cli, "stderr", Console(file=terminal, force_terminal=True, width=100))
    monkeypatch.delenv("CI", raising=False)
    result = runner.invoke(app, ["scan", str(root), "--format", "json", "-j", "1", "--no-cache"])
    assert len(json.loads(result.stdout)["findings"]) == files
    drawn = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())  # without colours
    # The last frame, then the cursor back up and the line erased: the bar is gone once scanning is done.
    last_frame = rf"\x1b\[2KScanning ━{{40}} {files}/{files} \d:\d\d:\d\d\n\x1b\[\?25h\r\x1b\[1A\x1b\[2K"
    assert (re.search(last_frame, drawn) is not None) == shown, drawn
    monkeypatch.setenv("CI", "true")  # CI logs get no bar, terminal or not
    terminal.truncate(0)
    runner.invoke(app, ["scan", str(root), "--format", "json", "-j", "1", "--no-cache"])
    assert "Scanning" not in terminal.getvalue()


def test_a_gone_baseline_entry_is_listed_as_written_even_with_brackets(write_tree, monkeypatch) -> None:
    flagged = WATCHER.replace("while True:", "while flags[running]:").replace("(db)", "(db, flags, running)")
    root = write_tree({"app/orders.py": flagged})
    monkeypatch.chdir(root)
    assert runner.invoke(app, ["scan", "--write-baseline", "baseline.json"]).exit_code == 0
    Path("app/orders.py").write_text("", encoding="utf-8")
    gone = runner.invoke(app, ["scan", "--baseline", "baseline.json"])
    assert gone.stderr.splitlines()[-1] == "  app/orders.py:5 PD101 while flags[running]: ... time.sleep(5)"


def test_output_creates_every_missing_folder(write_tree, tmp_path: Path) -> None:
    root = write_tree({"app/orders.py": WATCHER})
    target = tmp_path / "ci" / "reports" / "polldetox.json"
    result = runner.invoke(app, ["scan", str(root), "--format", "json", "--output", str(target)])
    assert result.exit_code == 1
    assert places(json.loads(target.read_text(encoding="utf-8"))) == [("app/orders.py", "PD101")]


# The helpers behind `scan`, called directly: each checked on its own, without a whole scan per case.


def test_load_config_roots_at_the_current_folder_only_when_every_path_is_under_it(
    write_tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"app/a.py": "", "app/b/c.py": "", "lib/d.py": "", "cfg/.polldetox.toml": "jobs = 2\n"})
    root = root.resolve()
    monkeypatch.chdir(root / "app")
    assert cli._load_config([Path("a.py"), Path("b/c.py")], None).root == root / "app"
    # One path outside the current folder: the folder the paths share.
    assert cli._load_config([Path("a.py"), root / "lib" / "d.py"], None).root == root
    monkeypatch.chdir(root / "lib")
    assert cli._load_config([root / "app" / "b" / "c.py", root / "app" / "a.py"], None).root == root / "app"
    # A settings file decides the root, wherever the current folder is.
    monkeypatch.chdir(root)
    config = cli._load_config([Path("app/a.py")], root / "cfg" / ".polldetox.toml")
    assert (config.root, config.jobs) == (root / "cfg", 2)


def test_configured_puts_each_command_line_option_over_the_settings_file(write_tree) -> None:
    root = write_tree(
        {".polldetox.toml": "extend-exclude = ['old/']\nrespect-gitignore = false\njobs = 3\n", "a.py": ""}
    ).resolve()
    unchanged = cli._configured([root], None, None, None, None, None, False, False, None, False)
    assert (unchanged.select, unchanged.ignore, unchanged.extend_exclude) == (frozenset(), frozenset(), ("old/",))
    assert (unchanged.respect_gitignore, unchanged.force_exclude, unchanged.include_tests) == (False, False, False)
    assert (unchanged.jobs, unchanged.cache, unchanged.root) == (3, True, root)
    changed = cli._configured(
        [root], None, ["PD101,manual-refresh", "PD201"], ["PD203"], ["gen/", "tmp/"], True, True, True, 1, True
    )
    assert (changed.select, changed.ignore) == (frozenset({"PD101", "PD205", "PD201"}), frozenset({"PD203"}))
    assert (changed.extend_exclude, changed.respect_gitignore) == (("old/", "gen/", "tmp/"), True)
    assert (changed.force_exclude, changed.include_tests, changed.jobs, changed.cache) == (True, True, 1, False)


def test_narrowed_by_the_configured_or_given_baseline_and_by_changed_lines(
    write_tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({"app/orders.py": WATCHER, "app/users.py": WATCHER.replace("orders", "users")}).resolve()
    messages = io.StringIO()
    monkeypatch.setattr(cli, "stderr", Console(file=messages, width=200))
    config = cli._configured([root], None, None, None, None, None, False, False, 1, True)
    result = engine.scan([root], config)
    assert [(f.location.path, f.location.line) for f in result.findings] == [("app/orders.py", 5), ("app/users.py", 5)]
    with pytest.raises(cli.UsageProblem) as problem:
        cli._narrowed(result, [root], config, None, True, None)
    assert str(problem.value) == "--prune-baseline needs --baseline FILE (or `baseline` in the config)"
    assert cli._narrowed(result, [root], config, None, False, None) is result
    only_users = cli._narrowed(result, [root], config, None, False, {"app/users.py": frozenset({5})})
    assert [f.location.path for f in only_users.findings] == ["app/users.py"]
    assert cli._narrowed(result, [root], config, None, False, {"app/users.py": frozenset({4})}).findings == ()
    record = root / "baseline.json"
    cli.record_baseline(replace(result, findings=result.findings[:1]), record)
    from_config = cli._narrowed(result, [root], replace(config, baseline=record), None, False, None)
    assert [f.location.path for f in from_config.findings] == ["app/users.py"]
    assert messages.getvalue() == "1 finding in the baseline not shown.\n"
    # The file given on the command line wins over the configured one.
    other = root / "other.json"
    cli.record_baseline(replace(result, findings=result.findings[1:]), other)
    given = cli._narrowed(result, [root], replace(config, baseline=record), other, False, None)
    assert [f.location.path for f in given.findings] == ["app/orders.py"]
    # A scan of users.py alone did not look for the orders finding the baseline records: not gone.
    messages.truncate(0)
    messages.seek(0)
    users = engine.scan([root / "app" / "users.py"], config)
    assert cli._narrowed(users, [root / "app" / "users.py"], config, record, False, None).findings == users.findings
    assert messages.getvalue() == ""


def test_progress_reporter_draws_from_200_files_in_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(cli, "stderr", Console(file=terminal, force_terminal=True, width=100))
    monkeypatch.setenv("CI", "true")
    with cli._progress_reporter() as progress:
        assert progress is None
    monkeypatch.delenv("CI")
    with cli._progress_reporter() as progress:
        progress(10, 199)
        assert terminal.getvalue() == ""
    reporter = cli._progress_reporter()
    with reporter as progress:
        progress(10, 200)
        progress(150, 200)
        task = reporter.progress.tasks[0]
        assert (task.total, task.completed, reporter.progress.live.is_started) == (200, 150, True)
    assert not reporter.progress.live.is_started
    monkeypatch.setattr(cli, "stderr", Console(file=io.StringIO(), force_terminal=False))
    with cli._progress_reporter() as progress:
        assert progress is None
