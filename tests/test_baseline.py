"""Fingerprints and baselines: adopt polldetox on legacy code, fail only on polling added after."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from ci_fixtures.results import HANDMADE, PANEL, WATCHER
from ci_fixtures.scans import DEMO, JOBS_WATCHER_PY, init_repo, polldetox

from polldetox.baseline import (
    FORMAT_VERSION,
    Baseline,
    BaselineEntry,
    BaselineError,
    apply_baseline,
    covered_by,
    load_baseline,
    prune_baseline,
    write_baseline,
)
from polldetox.config import load_config
from polldetox.findings import Finding
from polldetox.fingerprint import fingerprints
from polldetox.gitdiff import changed_lines, filter_to_changed, touches_changed
from polldetox.scan import engine

BASELINE = "polldetox-baseline.json"


def moved(finding: Finding, lines: int) -> Finding:
    location = finding.location
    return replace(finding, location=replace(location, line=location.line + lines, end_line=location.end_line + lines))


# --- Fingerprints ---------------------------------------------------------------------------------


def test_fingerprints_ignore_lines_and_whitespace() -> None:
    reformatted = replace(moved(WATCHER, 40), snippet="while   True:\n")
    assert fingerprints([reformatted]) == fingerprints([WATCHER])
    assert len(fingerprints([WATCHER])[0]) == 64


def test_fingerprints_tell_rule_path_and_source_apart() -> None:
    other_rule = replace(WATCHER, rule="PD102")
    other_file = replace(WATCHER, location=replace(WATCHER.location, path="app/server/other.py"))
    other_code = replace(WATCHER, snippet="while running:")
    ids = fingerprints([WATCHER, other_rule, other_file, other_code])
    assert len(set(ids)) == 4


def test_identical_sites_in_one_file_are_counted_by_their_order() -> None:
    sites = [moved(WATCHER, n * 10) for n in range(3)]
    ids = fingerprints(sites)
    assert len(set(ids)) == 3
    assert fingerprints(list(reversed(sites))) == list(reversed(ids))  # by line, not by list order
    assert fingerprints([*sites, moved(WATCHER, 30)])[:3] == ids


# --- The file -------------------------------------------------------------------------------------


def test_written_baseline_is_versioned_sorted_and_stable(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    assert write_baseline(HANDMADE, path) == len(HANDMADE.findings)
    first = path.read_text(encoding="utf-8")
    document = json.loads(first)
    assert document["version"] == FORMAT_VERSION
    entries = document["entries"]
    assert [set(entry) for entry in entries] == [{"fingerprint", "rule", "path", "line", "snippet"}] * len(entries)
    assert [(e["path"], e["line"], e["rule"]) for e in entries] == sorted(
        (e["path"], e["line"], e["rule"]) for e in entries
    )
    assert {e["rule"] for e in entries} == {f.rule for f in HANDMADE.findings}  # allowed ones too
    shuffled = replace(HANDMADE, findings=tuple(reversed(HANDMADE.findings)))
    write_baseline(shuffled, path)
    assert path.read_text(encoding="utf-8") == first
    assert not list(tmp_path.glob(".*.tmp"))


def test_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    write_baseline(HANDMADE, path)
    baseline = load_baseline(path)
    assert baseline.path == path
    assert sorted(e.fingerprint for e in baseline.entries) == sorted(fingerprints(HANDMADE.findings))
    watcher = next(e for e in baseline.entries if e.path == WATCHER.location.path)
    assert (watcher.rule, watcher.line, watcher.snippet) == ("PD101", 5, "while True:")


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "does not exist; record one with `polldetox scan --write-baseline"),
        ("{not json", "is not valid JSON"),
        ('{"version": 99, "entries": []}', "has format version 99"),
        ("[]", "has format version None"),
        ('{"version": 1}', "has no list of `entries`"),
        ('{"version": 1, "entries": [{"rule": "PD101"}]}', "entry 0 needs the fields fingerprint"),
        (
            '{"version": 1, "entries": [{"fingerprint": "a", "rule": "PD101", "path": "a.py", "line": "x", '
            '"snippet": ""}]}',
            "entry 0 has a line that is not a number",
        ),
    ],
)
def test_unusable_baselines_are_reported_clearly(tmp_path: Path, content: str | None, complaint: str) -> None:
    path = tmp_path / BASELINE
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as raised:
        load_baseline(path)
    assert complaint in str(raised.value)
    assert str(path) in str(raised.value)


def test_apply_hides_recorded_findings_and_lists_the_gone(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    write_baseline(HANDMADE, path)
    later = replace(HANDMADE, findings=(moved(WATCHER, 7), PANEL, moved(PANEL, 30)))  # PANEL twice now
    outcome = apply_baseline(later, load_baseline(path))
    assert outcome.result.findings == (moved(PANEL, 30),)  # the second copy is the new one
    assert outcome.baselined == 2
    assert sorted(entry.rule for entry in outcome.gone) == ["PD101", "PD103", "PD301"]
    assert outcome.result.errors == HANDMADE.errors and outcome.result.suppressed == HANDMADE.suppressed


def test_a_scan_of_some_files_finds_nothing_gone_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    write_baseline(HANDMADE, path)
    only_panel = replace(HANDMADE, findings=(PANEL,))  # pre-commit scanned the panel's file alone
    outcome = apply_baseline(only_panel, load_baseline(path), covered=covered_by([PANEL.location.path]))
    assert (outcome.result.findings, outcome.baselined) == ((), 1)
    assert [entry.rule for entry in outcome.gone] == ["PD301"]  # the pair in that file went away


def test_covered_by_files_and_folders() -> None:
    covered = covered_by(["app/server", "scripts/monitor.py"])
    assert covered("app/server/services/queue_watcher.py")  # also when the file has been deleted
    assert covered("scripts/monitor.py")
    assert not covered("app/serverless/handler.py")
    assert not covered("scripts/monitor.py.bak")
    assert not covered("app/client/src/App.tsx")
    assert covered_by(["."])("anything/at/all.py")


def test_prune_rewrites_the_file_without_the_gone(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    write_baseline(HANDMADE, path)
    baseline = load_baseline(path)
    gone = apply_baseline(replace(HANDMADE, findings=(WATCHER,)), baseline).gone
    assert prune_baseline(baseline, gone) == len(HANDMADE.findings) - 1
    assert [entry.path for entry in load_baseline(path).entries] == [WATCHER.location.path]


def test_prune_of_nothing_leaves_the_entries(tmp_path: Path) -> None:
    entry = BaselineEntry("f" * 64, "PD101", "a.py", 3, "while True:")
    baseline = Baseline(entries=(entry,), path=tmp_path / BASELINE)
    assert prune_baseline(baseline, ()) == 0
    assert load_baseline(baseline.path).entries == (entry,)


# --- End to end, on a copy of the demo app ------------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "demo"))


def findings_of(root: Path, *args: str) -> tuple[int, list[dict], str]:
    done = polldetox("scan", "--format", "json", "--no-cache", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)["findings"], done.stderr


def shift_every_line(root: Path) -> None:
    """Add a three-line header to every source file: no polling changes, every line moves."""
    comments = {".py": "#", ".ts": "//", ".tsx": "//", ".js": "//", ".jsx": "//", ".mjs": "//", ".cjs": "//"}
    for source in root.rglob("*"):
        marker = comments.get(source.suffix)
        if marker and source.is_file():
            header = f"{marker} Copyright the demo app authors.\n{marker} Licensed under MIT.\n\n"
            source.write_text(header + source.read_text(encoding="utf-8"), encoding="utf-8")


def test_baseline_gates_only_new_polling_in_the_demo_app(demo: Path) -> None:
    code, before, _ = findings_of(demo)
    assert code == 1 and before, "the demo app fails without a baseline"

    recorded = polldetox("scan", "--write-baseline", BASELINE, cwd=demo)
    assert recorded.returncode == 0, recorded.stderr
    assert len(json.loads((demo / BASELINE).read_text(encoding="utf-8"))["entries"]) == len(before)

    code, after, _ = findings_of(demo, "--baseline", BASELINE)
    assert (code, after) == (0, [])

    new_watcher = demo / "app" / "server" / "services" / "jobs_watcher.py"
    new_watcher.write_text("import asyncio\n" + JOBS_WATCHER_PY, encoding="utf-8")
    code, added, _ = findings_of(demo, "--baseline", BASELINE)
    assert code == 1
    assert [(f["path"], f["rule"]) for f in added] == [("app/server/services/jobs_watcher.py", "PD102")]

    new_watcher.unlink()
    shift_every_line(demo)
    code, shifted, stderr = findings_of(demo, "--baseline", BASELINE)
    assert (code, shifted) == (0, [])
    assert "gone" not in stderr
    _, unbaselined, _ = findings_of(demo)
    assert [f["line"] for f in unbaselined] == [f["line"] + 3 for f in before]


def test_a_copy_of_a_baselined_loop_is_new(demo: Path) -> None:
    watcher = demo / "app" / "server" / "services" / "queue_watcher.py"
    loop = "import asyncio\n" + JOBS_WATCHER_PY * 3
    watcher.write_text(loop, encoding="utf-8")
    assert polldetox("scan", "--write-baseline", BASELINE, cwd=demo).returncode == 0
    watcher.write_text(loop + JOBS_WATCHER_PY.replace("watch_jobs", "watch_jobs_again"), encoding="utf-8")
    code, new, _ = findings_of(demo, "--baseline", BASELINE)
    assert code == 1
    assert [f["path"] for f in new] == ["app/server/services/queue_watcher.py"]


def test_fixed_findings_are_listed_then_pruned(demo: Path) -> None:
    assert polldetox("scan", "--write-baseline", BASELINE, cwd=demo).returncode == 0
    entries = json.loads((demo / BASELINE).read_text(encoding="utf-8"))["entries"]
    fixed = entries[-1]["path"]
    (demo / fixed).unlink()

    code, _, stderr = findings_of(demo, "--baseline", BASELINE)
    assert code == 0
    assert "gone" in stderr and fixed in stderr

    pruned = polldetox("scan", "--baseline", BASELINE, "--prune-baseline", cwd=demo)
    assert pruned.returncode == 0, pruned.stderr
    left = json.loads((demo / BASELINE).read_text(encoding="utf-8"))["entries"]
    assert [e["path"] for e in left] == [e["path"] for e in entries if e["path"] != fixed]
    assert "gone" not in findings_of(demo, "--baseline", BASELINE)[2]


def test_scanning_one_file_does_not_call_the_rest_of_the_baseline_gone(demo: Path) -> None:
    assert polldetox("scan", "--write-baseline", BASELINE, cwd=demo).returncode == 0
    one_file = "app/server/services/scheduler.py"  # as pre-commit names a staged file
    code, findings, stderr = findings_of(demo, one_file, "--baseline", BASELINE)
    assert (code, findings) == (0, [])
    assert "gone" not in stderr
    pruned = polldetox("scan", one_file, "--baseline", BASELINE, "--prune-baseline", cwd=demo)
    assert pruned.returncode == 0, pruned.stderr
    assert len(json.loads((demo / BASELINE).read_text(encoding="utf-8"))["entries"]) == len(findings_of(demo)[1])


def test_a_copy_added_above_a_baselined_loop_is_the_one_a_change_reports(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    tasks = root / "app" / "tasks.py"
    tasks.parent.mkdir(parents=True)
    tasks.write_text("import asyncio\n" + JOBS_WATCHER_PY, encoding="utf-8")
    init_repo(root)
    config = load_config(root)
    write_baseline(engine.scan([root], config), root / BASELINE)
    # A new watcher above the old one, whose head reads the same: same rule, file and snippet.
    orders = JOBS_WATCHER_PY.replace("watch_jobs", "watch_orders").replace("id, state FROM jobs", "id FROM orders")
    tasks.write_text("import asyncio\n" + orders + JOBS_WATCHER_PY, encoding="utf-8")
    changed = changed_lines(root, "HEAD")
    scanned = engine.scan([root], config)
    assert [f.location.line for f in scanned.findings] == [5, 12]

    outcome = apply_baseline(scanned, load_baseline(root / BASELINE), changed=lambda f: touches_changed(f, changed))
    assert [f.location.line for f in outcome.result.findings] == [5]
    assert "orders" in outcome.result.findings[0].message
    assert filter_to_changed(outcome.result, changed).findings == outcome.result.findings
    assert outcome.gone == ()


def test_a_missing_baseline_is_a_usage_error(demo: Path) -> None:
    done = polldetox("scan", "--baseline", "nope.json", cwd=demo)
    assert done.returncode == 2
    assert "nope.json does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_written_file_in_full(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / BASELINE
    same_place = replace(WATCHER, rule="PD102", snippet="while  True:   # café")
    result = replace(HANDMADE, findings=(same_place, WATCHER))
    assert write_baseline(result, path) == 2
    entries = [
        {"fingerprint": fingerprints((WATCHER,))[0], "rule": "PD101", "path": WATCHER.location.path, "line": 5,
         "snippet": "while True:"},
        {"fingerprint": fingerprints((same_place,))[0], "rule": "PD102", "path": WATCHER.location.path, "line": 5,
         "snippet": "while True: # café"},
    ]  # fmt: skip
    assert path.read_text(encoding="utf-8") == json.dumps({"version": 1, "entries": entries}, indent=2,
                                                           ensure_ascii=False) + "\n"  # fmt: skip


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "baseline file {path} does not exist; record one with `polldetox scan --write-baseline {path}`"),
        ('{"version": 2}', "baseline file {path} has format version 2, this polldetox reads version 1; record one "
         "with `polldetox scan --write-baseline {path}`"),
        ('{"version": 1, "entries": {}}', "baseline file {path} has no list of `entries`; record one with "
         "`polldetox scan --write-baseline {path}`"),
        ('{"version": 1, "entries": [{"fingerprint": "a", "rule": "PD101", "path": "a.py", "line": 3, "snippet": ""}, '
         '["x"]]}', "baseline file {path}: entry 1 needs the fields fingerprint, rule, path, line, snippet"),
        ('{"version": 1, "entries": [{"fingerprint": "a", "rule": "PD101", "path": "a.py", "line": null, '
         '"snippet": ""}]}', "baseline file {path}: entry 0 has a line that is not a number"),
    ],
)  # fmt: skip
def test_unusable_baselines_in_full(tmp_path: Path, content: str | None, complaint: str) -> None:
    path = tmp_path / BASELINE
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as raised:
        load_baseline(path)
    assert str(raised.value) == complaint.format(path=path)


def test_unreadable_and_unwritable_baselines(tmp_path: Path) -> None:
    path = tmp_path / BASELINE
    path.write_bytes(b'{"version": 1, "entries": ["\xff"]}')
    with pytest.raises(BaselineError) as raised:
        load_baseline(path)
    assert str(raised.value).startswith(f"cannot read baseline file {path}: 'utf-8' codec can't decode")
    path.unlink()
    path.mkdir()
    with pytest.raises(BaselineError) as raised:
        load_baseline(path)
    assert str(raised.value).startswith(f"cannot read baseline file {path}: [Errno 21]")
    with pytest.raises(BaselineError) as raised:
        write_baseline(HANDMADE, path)
    assert str(raised.value).startswith(f"cannot write baseline file {path}: [Errno 21]")
    assert not (tmp_path / f".{BASELINE}.tmp").exists()


def test_covered_by_the_project_top_however_spelled() -> None:
    for top in ("", ".", "./"):
        assert covered_by([top, "app"])("anything/at/all.py"), top
    assert covered_by(["app/"])("app/a.py") and not covered_by(["app/"])("apps/a.py")
    assert covered_by(["app/a.py"])("app/a.py") and not covered_by(["app/a.py", "lib"])("app/b.py")
