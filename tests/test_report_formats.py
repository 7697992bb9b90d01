"""GitHub annotations, GitLab Code Quality and JUnit XML, from a hand-made result and a real scan."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

import pytest
from ci_fixtures.results import DEV_TOOL, HANDMADE, PAIR, PANEL, WATCHER
from ci_fixtures.scans import JOBS_WATCHER_PY, QUEUE_WATCHER_PY, polldetox

from polldetox.findings import Location, Polls, ScanError, ScanResult, Severity
from polldetox.fingerprint import fingerprints
from polldetox.report.github import escape_data, escape_property, render_github
from polldetox.report.gitlab import render_gitlab
from polldetox.report.json import render_json
from polldetox.report.junit import render_junit
from polldetox.report.sarif import finding_message
from polldetox.rules import RULES

# The workflow command grammar GitHub's runner parses: ::name key=value,key=value::message
COMMAND = re.compile(r"^::(?P<name>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for encoded, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(encoded, plain)
    return text


def parse_annotations(output: str) -> list[tuple[str, dict[str, str], str]]:
    annotations = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        properties = dict(pair.split("=", 1) for pair in match["properties"].split(","))
        annotations.append((match["name"], {k: unescape(v) for k, v in properties.items()}, unescape(match["message"])))
    return annotations


# --- GitHub ---------------------------------------------------------------------------------------


def test_github_annotations_round_trip_through_the_runner_grammar() -> None:
    annotations = parse_annotations(render_github(HANDMADE))
    by_title = {props["title"]: (name, props, message) for name, props, message in annotations if "line" in props}
    name, props, message = by_title["PD201 query-refetch-interval (violation)"]
    assert name == "warning"
    assert props == {
        "file": PANEL.location.path,  # "Queue, Panel: v2.tsx" survives the , and : of the grammar
        "line": "12",
        "col": "3",
        "endLine": "12",
        "endColumn": "26",
        "title": "PD201 query-refetch-interval (violation)",
    }
    assert message.startswith(PANEL.message)  # its newline and "100%" come back intact
    assert "Use instead: Subscribe with useQueueWebSocket()" in message


def test_github_severities_and_order() -> None:
    annotations = parse_annotations(render_github(HANDMADE))
    assert [(name, props.get("title")) for name, props, _ in annotations] == [
        ("error", "PD101 backend-polling-loop (violation)"),
        ("error", "PD301 double-polling (violation)"),
        ("warning", "PD201 query-refetch-interval (violation)"),
        ("warning", "PD103 scheduled-polling-job (allowed)"),
        ("notice", "PD101 backend-polling-loop (allowed)"),
        ("warning", "polldetox could not scan this file"),
        ("warning", "polldetox could not scan this file"),
    ]


def test_github_names_both_places_of_a_pair_and_reports_scan_errors() -> None:
    annotations = parse_annotations(render_github(HANDMADE))
    pair = next(message for _, props, message in annotations if props.get("title", "").startswith("PD301"))
    assert f"See {PAIR.related[0].location.path}:5: backend polling loop" in pair.splitlines()
    broken = [props for _, props, _ in annotations if props["file"] == "app/server/broken.py"]
    assert broken == [{"file": "app/server/broken.py", "title": "polldetox could not scan this file", "line": "3"}]


def test_github_end_column_only_on_a_one_line_span() -> None:
    def properties(line: int, column: int, end_line: int, end_column: int) -> dict[str, str]:
        finding = replace(WATCHER, location=Location(WATCHER.location.path, line, column, end_line, end_column))
        [(_, props, _)] = parse_annotations(render_github(ScanResult(findings=(finding,), errors=())))
        return {key: props[key] for key in props if key in ("line", "col", "endLine", "endColumn")}

    assert properties(5, 5, 5, 30) == {"line": "5", "col": "5", "endLine": "5", "endColumn": "30"}
    assert properties(5, 5, 9, 35) == {"line": "5", "col": "5", "endLine": "9"}  # a column range over lines
    assert properties(5, 5, 5, 5) == {"line": "5", "col": "5", "endLine": "5"}  # an empty range
    assert properties(5, 5, 0, 0) == {"line": "5", "col": "5", "endLine": "5"}  # no known end


def test_github_escaping_rules() -> None:
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("src/a:b,c%.py") == "src/a%3Ab%2Cc%25.py"


def test_github_reports_nothing_for_a_clean_scan() -> None:
    assert render_github(ScanResult(findings=(), errors=())) == ""


# --- GitLab ---------------------------------------------------------------------------------------


def test_gitlab_code_quality_report() -> None:
    issues = json.loads(render_gitlab(HANDMADE))
    assert len(issues) == len(HANDMADE.findings)
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= issue.keys()
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["lines"]["begin"] >= 1
    assert [issue["fingerprint"] for issue in issues] == fingerprints(HANDMADE.findings)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    first = issues[0]
    assert first["check_name"] == "PD101 backend-polling-loop"
    assert first["severity"] == "major"
    assert first["location"] == {"path": WATCHER.location.path, "lines": {"begin": 5, "end": 9}}
    assert first["description"].startswith(WATCHER.message)
    assert "## What it does" in first["content"]["body"]
    assert [issue["severity"] for issue in issues] == ["major", "major", "minor", "info", "info"]


def test_gitlab_issues_in_full() -> None:
    issues = json.loads(render_gitlab(HANDMADE))
    bodies = [issue["content"].pop("body") for issue in issues]
    assert bodies == [RULES[finding.rule].documentation() for finding in HANDMADE.findings]
    assert [issue["fingerprint"] for issue in issues] == fingerprints(HANDMADE.findings)
    places = [("app/server/services/queue_watcher.py", 5, 9), (PANEL.location.path, 12, 12),
              (PANEL.location.path, 12, 12), ("scripts/monitor_tokens.py", 20, 24),
              ("adws/adw_triggers/trigger_cron.py", 30, 30)]  # fmt: skip
    assert issues == [
        {
            "type": "issue",
            "check_name": f"{finding.rule} {finding.name}",
            "description": finding_message(finding),
            "content": {},
            "categories": ["Performance"],
            "fingerprint": fingerprint,
            "severity": severity,
            "location": {"path": path, "lines": {"begin": begin, "end": end}},
        }
        for finding, fingerprint, severity, (path, begin, end) in zip(
            HANDMADE.findings,
            fingerprints(HANDMADE.findings),
            ["major", "major", "minor", "info", "info"],  # allowed exceptions are info, whatever their severity
            places,
            strict=True,
        )
    ]
    assert finding_message(WATCHER) == (
        "Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep). Use instead:"
        " PostgreSQL NOTIFY trigger on queue_items and a LISTEN callback (Event Detection Method 1). Scaffold it"
        " with `polldetox scaffold queue_items`."
    )


def test_gitlab_report_is_indented_utf8_json() -> None:
    accented = replace(WATCHER, location=replace(WATCHER.location, path="app/naïve_watcher.py"))
    text = render_gitlab(ScanResult(findings=(accented,), errors=()))
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert text.startswith('[\n  {\n    "type": "issue",\n') and '"path": "app/naïve_watcher.py"' in text


def test_json_report_of_a_pair_in_full() -> None:
    [finding] = json.loads(render_json(ScanResult(findings=(PAIR,), errors=())))["findings"]
    assert finding == {
        "rule": "PD301",
        "name": "double-polling",
        "severity": "error",
        "status": "violation",
        "path": "app/client/src/components/Queue, Panel: v2.tsx",
        "line": 12,
        "column": 3,
        "end_line": 12,
        "end_column": 26,
        "message": PAIR.message,
        "snippet": "refetchInterval: 5000",
        "interval_seconds": None,
        "polls": "database",
        "tables": ["queue_items"],
        "exception": None,
        "missing": [],
        "recommendation": None,
        "scaffold": None,
        "related": [
            {"path": "app/server/services/queue_watcher.py", "line": 5, "column": 5, "message": "backend polling loop"},
            {"path": "app/server/routes/queue_routes.py", "line": 7, "column": 1, "message": "route GET /api/v1/queue"},
        ],
        "fingerprint": fingerprints((PAIR,))[0],
    }
    allowed = json.loads(render_json(ScanResult(findings=(replace(DEV_TOOL, missing=("logs polling activity",)),),
                                                errors=())))["findings"][0]  # fmt: skip
    assert (allowed["missing"], allowed["scaffold"]) == (["logs polling activity"], None)


def test_json_report_lists_scan_errors_and_is_indented() -> None:
    text = render_json(HANDMADE)
    assert json.loads(text)["errors"] == [
        {"path": "app/server/broken.py", "line": 3, "message": "invalid syntax"},
        {"path": "app/client/src/bad.ts", "line": None, "message": "not UTF-8"},
    ]
    assert text.startswith('{\n  "version": ')


def test_json_report_places_a_finding_by_its_whole_span() -> None:
    [finding] = json.loads(render_json(ScanResult(findings=(WATCHER,), errors=())))["findings"]
    assert {key: finding[key] for key in ("path", "line", "column", "end_line", "end_column")} == {
        "path": "app/server/services/queue_watcher.py",
        "line": 5,
        "column": 5,
        "end_line": 9,
        "end_column": 35,
    }


def test_gitlab_info_violation_and_a_location_without_an_end() -> None:
    point = replace(WATCHER, severity=Severity.INFO, location=Location(WATCHER.location.path, 7, 1, 0, 0))
    [issue] = json.loads(render_gitlab(ScanResult(findings=(point,), errors=())))
    assert (issue["severity"], issue["location"]["lines"]) == ("info", {"begin": 7, "end": 7})


def test_gitlab_report_of_a_clean_scan_is_an_empty_list() -> None:
    assert json.loads(render_gitlab(ScanResult(findings=(), errors=()))) == []


# --- JUnit ----------------------------------------------------------------------------------------


def test_junit_groups_findings_by_file() -> None:
    root = ElementTree.fromstring(render_junit(HANDMADE))
    assert root.tag == "testsuites"
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "8",
        "failures": "3",
        "errors": "2",
        "skipped": "1",
    }
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    panel = suites[PANEL.location.path]
    assert (panel.get("tests"), panel.get("failures")) == ("2", "2")
    failure = panel.find("testcase/failure[@type='PD201']")
    assert failure is not None and failure.get("message") == PANEL.message
    trigger = suites["adws/adw_triggers/trigger_cron.py"].find("testcase")
    assert trigger is not None and trigger.find("failure") is None and trigger.find("system-out") is not None
    skipped = suites["app/client/src/legacy/clock.ts"].find("testcase/skipped")
    assert skipped is not None
    error_case = suites["app/server/broken.py"].find("testcase")
    assert error_case is not None
    assert {key: error_case.get(key) for key in ("name", "classname", "file")} == {
        "name": "scan",
        "classname": "app/server/broken.py",
        "file": "app/server/broken.py",
    }
    error = error_case.find("error")
    assert error is not None
    assert (error.get("message"), error.get("type"), error.text) == ("invalid syntax", "ScanError", "invalid syntax")


def test_junit_report_in_full() -> None:
    expected = (Path(__file__).parent / "ci_fixtures" / "handmade.junit.xml").read_text(encoding="utf-8")
    assert render_junit(HANDMADE) == expected


def test_junit_numbers_identical_sites_and_replaces_what_xml_cannot_hold() -> None:
    odd = "app/server/odd\x01name.py"
    copies = tuple(replace(WATCHER, location=replace(WATCHER.location, line=line)) for line in (5, 15, 25))
    strange = replace(WATCHER, location=replace(WATCHER.location, path=odd), message="polls\x1b[31m")
    root = ElementTree.fromstring(render_junit(ScanResult(findings=(*copies, strange), errors=())))
    names = [[case.get("name") for case in suite] for suite in root.findall("testsuite")]
    assert names == [
        ["PD101 backend-polling-loop: while True:"],
        [
            "PD101 backend-polling-loop: while True:",
            "PD101 backend-polling-loop: while True: (2)",
            "PD101 backend-polling-loop: while True: (3)",
        ],
    ]
    case = root.find("testsuite/testcase")
    assert case is not None
    assert (case.get("classname"), case.get("file")) == ("app/server/odd\ufffdname.py",) * 2
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "polls\ufffd[31m"
    assert failure.text is not None and failure.text.startswith("app/server/odd\ufffdname.py:5:5: polls\ufffd[31m.")
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4",
        "failures": "4",
        "errors": "0",
        "skipped": "0",
    }


def test_junit_report_of_a_clean_scan_is_one_passing_test() -> None:
    root = ElementTree.fromstring(render_junit(ScanResult(findings=(), errors=(), files_scanned=12)))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    assert [suite.get("name") for suite in root.iter("testsuite")] == ["polldetox"]
    [case] = root.iter("testcase")
    assert (case.get("name"), case.get("classname"), [child.tag for child in case]) == (
        "no polling to report",
        "polldetox",
        ["system-out"],
    )
    assert case.findtext("system-out") == "polldetox scanned 12 files and has no finding to report."
    one = ElementTree.fromstring(render_junit(ScanResult(findings=(), errors=(), files_scanned=1)))
    assert one.findtext("testsuite/testcase/system-out") == "polldetox scanned 1 file and has no finding to report."


# --- Through the command line, on a real scan -------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    source = tmp_path / "app" / "server" / "services" / "queue_watcher.py"
    source.parent.mkdir(parents=True)
    source.write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    return tmp_path


def test_cli_github_format(project: Path) -> None:
    done = polldetox("scan", "--format", "github", "--no-cache", cwd=project)
    assert done.returncode == 1, done.stderr
    [(name, props, message)] = parse_annotations(done.stdout)
    assert name == "error"
    assert props["file"] == "app/server/services/queue_watcher.py"
    assert props["line"] == "5"
    assert "queue_items" in message


def test_cli_gitlab_and_junit_reports_to_files(project: Path) -> None:
    gitlab = project / "reports" / "gl-code-quality-report.json"
    junit = project / "reports" / "polldetox-junit.xml"
    assert polldetox("scan", "-f", "gitlab", "-o", str(gitlab), "--no-cache", cwd=project).returncode == 1
    assert polldetox("scan", "-f", "junit", "-o", str(junit), "--exit-zero", cwd=project).returncode == 0
    [issue] = json.loads(gitlab.read_text(encoding="utf-8"))
    assert issue["location"] == {"path": "app/server/services/queue_watcher.py", "lines": {"begin": 5, "end": 8}}
    root = ElementTree.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("1", "1")


def test_cli_junit_report_when_the_baseline_holds_every_finding(project: Path) -> None:
    assert polldetox("scan", "--write-baseline", "baseline.json", "--no-cache", cwd=project).returncode == 0
    junit = project / "polldetox-junit.xml"
    done = polldetox("scan", "-f", "junit", "-o", str(junit), "--baseline", "baseline.json", cwd=project)
    assert done.returncode == 0, done.stderr
    root = ElementTree.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("1", "0")


def test_cli_junit_report_of_a_file_name_xml_cannot_hold(project: Path) -> None:
    (project / "app" / "server" / "queue\x1bwatcher.py").write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    done = polldetox("scan", "-f", "junit", "--exit-zero", "--no-cache", cwd=project)
    assert done.returncode == 0, done.stderr
    names = {suite.get("name") for suite in ElementTree.fromstring(done.stdout).iter("testsuite")}
    assert names == {"app/server/queue\ufffdwatcher.py", "app/server/services/queue_watcher.py"}


def test_cli_junit_test_names_survive_lines_added_above(project: Path) -> None:
    watcher = project / "app" / "server" / "services" / "jobs_watcher.py"
    loops = "import asyncio\n" + JOBS_WATCHER_PY * 2

    def cases() -> list[tuple[str | None, str | None, str | None]]:
        done = polldetox(
            "scan", "-f", "junit", "--exit-zero", "--no-cache", str(watcher.relative_to(project)), cwd=project
        )
        assert done.returncode == 0, done.stderr
        root = ElementTree.fromstring(done.stdout)
        return [(case.get("classname"), case.get("name"), case.get("line")) for case in root.iter("testcase")]

    watcher.write_text(loops, encoding="utf-8")
    before = cases()
    watcher.write_text("# Jobs.\n\n" + loops, encoding="utf-8")
    after = cases()
    assert [(c, n) for c, n, _ in after] == [(c, n) for c, n, _ in before]
    assert [int(line or 0) for _, _, line in after] == [int(line or 0) + 2 for _, _, line in before]
    names = [name for _, name, _ in before]
    assert len(names) == 2 and len(set(names)) == 2
    assert names[1] == f"{names[0]} (2)"
    assert "while True: ... await asyncio.sleep(5)" in names[0]


# --- Text and summary -----------------------------------------------------------------------------

HANDMADE_TEXT = """\
app/server/services/queue_watcher.py
  5:5     error   PD101 Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep)
          │ while True:
          → PostgreSQL NOTIFY trigger on queue_items and a LISTEN callback (Event Detection Method 1)  (polldetox \
scaffold queue_items)

app/client/src/components/Queue, Panel: v2.tsx
  12:3    error   PD301 useQuery refetchInterval in `QueuePanel` polls every 5 s while Backend watcher \
`watch_queue` polls
          │ refetchInterval: 5000
          ↳ app/server/services/queue_watcher.py:5 backend polling loop
          ↳ app/server/routes/queue_routes.py:7 route GET /api/v1/queue
  12:3    warning PD201 useQuery refetchInterval in `QueuePanel` polls /api/v1/queue every 5 s
100% of the time, a:b
          │ refetchInterval: 5000
          → Subscribe with useQueueWebSocket(), fed by the backend's event broadcast; remove the polling

scripts/monitor_tokens.py
  20:9    allowed PD101 Backend watcher `monitor` polls the file system every 10 s. Allowed as a development tool
          │ while args.watch:

adws/adw_triggers/trigger_cron.py
  30:5    allowed PD103 Scheduled job `check_issues` polls an HTTP endpoint every 20 s. Allowed as an automation trigger
          │ schedule.every(20).seconds.do(check_issues)

Files that could not be scanned
  app/server/broken.py:3 invalid syntax
  app/client/src/bad.ts not UTF-8

Findings by rule
      2  PD101  backend-polling-loop
      1  PD103  scheduled-polling-job
      1  PD201  query-refetch-interval
      1  PD301  double-polling

Found 3 violations and 2 allowed exceptions (2 error, 2 warning, 1 info) in 40 files (1,200 lines) in 0.00 s; \
1 suppressed, 2 files not scanned.
Polling load: 1 backend watcher, 0.5 database queries/s and 0.5 polls/s per server process; 1 frontend poller, \
12 requests/min per open tab.
"""


def text_of(result: ScanResult, **options: bool) -> str:
    from rich.console import Console

    from polldetox.report.text import print_text

    buffer = io.StringIO()
    print_text(result, Console(file=buffer, width=200, no_color=True, highlight=False), **options)
    return buffer.getvalue()


def test_text_report_in_full() -> None:
    assert text_of(HANDMADE, statistics=True) == HANDMADE_TEXT
    without_allowed = text_of(HANDMADE, show_allowed=False)
    assert "scripts/monitor_tokens.py" not in without_allowed and "allowed PD10" not in without_allowed
    assert without_allowed.startswith(HANDMADE_TEXT.split("scripts/")[0])
    assert "Findings by rule" not in without_allowed


def test_text_report_styles_by_severity_and_status() -> None:
    from rich.console import Console

    from polldetox.report.text import print_text

    buffer = io.StringIO()
    print_text(HANDMADE, Console(file=buffer, width=200, force_terminal=True, color_system="standard", highlight=False))
    styled = buffer.getvalue()
    assert "\x1b[1;4mapp/server/services/queue_watcher.py\x1b[0m" in styled
    assert "\x1b[2m5:5     \x1b[0m\x1b[1;31merror   \x1b[0m\x1b[1mPD101 \x1b[0m" in styled
    assert "\x1b[33mwarning \x1b[0m\x1b[1mPD201 \x1b[0m" in styled
    assert "\x1b[2mallowed \x1b[0m\x1b[1mPD101 \x1b[0m" in styled  # an allowed info site is dimmed
    assert "\x1b[33mallowed \x1b[0m\x1b[1mPD103 \x1b[0m" in styled  # an allowed warning keeps its colour
    assert "\x1b[2m          │ \x1b[0m\x1b[2;3mwhile True:\x1b[0m" in styled
    assert (
        "\x1b[2m          ↳ \x1b[0m\x1b[2mapp/server/routes/queue_routes.py:7 route GET /api/v1/queue\x1b[0m" in styled
    )
    assert "\x1b[32m          → PostgreSQL NOTIFY trigger on queue_items" in styled
    assert "\x1b[32m  (polldetox scaffold queue_items)\x1b[0m" in styled
    assert "\x1b[1mFiles that could not be scanned\x1b[0m" in styled
    assert "  \x1b[35mapp/server/broken.py:3\x1b[0m invalid syntax" in styled
    assert "\x1b[1;31mFound 3 violations" in styled
    clean = io.StringIO()
    print_text(
        ScanResult(findings=(), errors=(), files_scanned=1, lines_scanned=3, elapsed_seconds=0.1234),
        Console(file=clean, width=200, force_terminal=True, color_system="standard", highlight=False),
    )
    assert clean.getvalue() == (
        "\x1b[1;32mFound 0 violations and 0 allowed exceptions in 1 file (3 lines) in 0.12 s.\x1b[0m\n"
    )


def test_summary_counts_and_the_load_of_a_hand_made_result() -> None:
    from polldetox.report.summary import Load, Summary, summarize

    assert summarize(replace(HANDMADE, elapsed_seconds=1.23456)) == Summary(
        violations=3, allowed=2, suppressed=1, errors=2, files_scanned=40, files_parsed=9, lines_scanned=1200,
        elapsed_seconds=1.235, by_rule={"PD101": 2, "PD103": 1, "PD201": 1, "PD301": 1},
        by_severity={"error": 2, "warning": 2, "info": 1},
        load=Load(backend_watchers=1, backend_ticks_per_second=0.5, database_queries_per_second=0.5,
                  frontend_pollers=1, frontend_requests_per_minute=12.0, unresolved_intervals=0),
    )  # fmt: skip


def test_polling_load_sums_rates_and_counts_unresolved_intervals() -> None:
    from polldetox.findings import Polls, SiteKind, Status
    from polldetox.report.summary import Load, polling_load

    http_watcher = replace(WATCHER, rule="PD103", interval_seconds=3.0, polls=Polls.HTTP)
    unknown = replace(WATCHER, rule="PD102", interval_seconds=None)
    engine = replace(PANEL, site_kind=SiteKind.POLLING_ENGINE, interval_seconds=1.0)
    fetcher = replace(PANEL, rule="PD203", interval_seconds=7.0)
    allowed = replace(PANEL, rule="PD204", status=Status.ALLOWED)
    assert polling_load((WATCHER, http_watcher, unknown, PANEL, engine, fetcher, allowed, PAIR, DEV_TOOL)) == Load(
        backend_watchers=3, backend_ticks_per_second=0.833, database_queries_per_second=0.5,
        frontend_pollers=2, frontend_requests_per_minute=20.57, unresolved_intervals=1,
    )  # fmt: skip


def test_summary_lines_in_the_singular_and_with_unresolved_intervals() -> None:
    from polldetox.findings import Status

    unknown = replace(WATCHER, interval_seconds=None, polls=Polls.HTTP)
    result = ScanResult(
        findings=(unknown, replace(DEV_TOOL, severity=Severity.WARNING), replace(PANEL, status=Status.ALLOWED)),
        errors=(ScanError("a.py", "invalid syntax"),),
        files_scanned=1,
        lines_scanned=1000,
        elapsed_seconds=2,
    )
    assert text_of(result).splitlines()[-2:] == [
        "Found 1 violation and 2 allowed exceptions (1 error, 2 warning) in 1 file (1,000 lines) in 2.00 s; "
        "1 file not scanned.",
        "Polling load: 1 backend watcher, 0 database queries/s and 0 polls/s per server process "
        "(1 with an interval not resolved statically).",
    ]
    frontend_only = ScanResult(findings=(PANEL, replace(PANEL, interval_seconds=60.0)), errors=(), files_scanned=2)
    assert text_of(frontend_only).splitlines()[-1] == (
        "Polling load: 2 frontend pollers, 13 requests/min per open tab."
    )


def test_status_checklist_in_full_with_its_colours() -> None:
    from rich.console import Console

    from polldetox.report.text import print_status
    from polldetox.status import DataTypeStatus, Step

    statuses = [
        DataTypeStatus("orders", "PostgreSQL NOTIFY/LISTEN (Method 1)", (
            Step("trigger", "NOTIFY trigger", True, "db/orders_notify.sql:3"),
            Step("frontend-polling", "No frontend polling", False, "web/src/Orders.tsx:12 polls every 5 s"),
            Step("hook", "WebSocket hook", False, None),
        )),
        DataTypeStatus("jobs", "Direct broadcast call (Method 3)", (Step("broadcast", "Broadcast", True, None),)),
    ]  # fmt: skip
    plain = io.StringIO()
    print_status(statuses, Console(file=plain, width=200, no_color=True, highlight=False))
    assert plain.getvalue() == (
        "orders  PostgreSQL NOTIFY/LISTEN (Method 1)  1/3\n"
        "  ✓ trigger           NOTIFY trigger  db/orders_notify.sql:3\n"
        "  ✗ frontend-polling  No frontend polling  web/src/Orders.tsx:12 polls every 5 s\n"
        "  ✗ hook              WebSocket hook\n"
        "\n"
        "jobs  Direct broadcast call (Method 3)  1/1\n"
        "  ✓ broadcast         Broadcast\n"
        "\n"
    )
    styled = io.StringIO()
    print_status(statuses, Console(file=styled, width=200, force_terminal=True, color_system="standard"))
    colours = styled.getvalue()
    assert "\x1b[1morders\x1b[0m\x1b[1;2m  PostgreSQL NOTIFY/LISTEN (Method 1)  \x1b[0m\x1b[1;33m1/3\x1b[0m" in colours
    assert "\x1b[1;32m1/1\x1b[0m" in colours
    assert "  \x1b[32m✓ \x1b[0mtrigger           NOTIFY trigger\x1b[2m  db/orders_notify.sql:3\x1b[0m" in colours
    assert "  \x1b[31m✗ \x1b[0mfrontend-polling  No frontend polling\x1b[33m  web/src/Orders.tsx:12" in colours
    nothing = io.StringIO()
    print_status([], Console(file=nothing, width=200))
    assert nothing.getvalue() == "No data type found: nothing polls, and no NOTIFY trigger or listener exists yet.\n"
