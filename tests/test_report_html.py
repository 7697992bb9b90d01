"""The HTML report as a string: one self-contained file, every value escaped, the inventory it draws."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from typer.testing import CliRunner

from polldetox.cli import app
from polldetox.config import load_config
from polldetox.findings import Context, Finding, Location, Polls, Related, ScanResult, Severity, SiteKind, Status
from polldetox.report.html import render_html
from polldetox.report.inventory import inventory
from polldetox.scan import engine
from tests.ci_fixtures.results import HANDMADE
from tests.conftest import DEMO


def finding(index: int, **changes: object) -> Finding:
    """A frontend poller of one data type, as the policy rules it."""
    values: dict[str, object] = {
        "rule": "PD201",
        "name": "frontend-polling-query",
        "severity": Severity.ERROR,
        "status": Status.VIOLATION,
        "location": Location(f"web/src/panels/Panel{index:04d}.tsx", 7, 3, 7, 30),
        "message": f"useQuery refetchInterval polls /api/v1/resource_{index:04d} every 5 s",
        "snippet": "refetchInterval: 5000",
        "interval_seconds": 5.0,
        "polls": Polls.HTTP,
        "scaffold": f"polldetox scaffold resource_{index:04d}",
        "site_kind": SiteKind.QUERY_OPTION,
        "context": Context.COMPONENT,
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value and not value.startswith("#"):
                self.references.append((tag, name, value))


def test_a_hostile_path_and_message_are_escaped_everywhere() -> None:
    hostile = finding(
        1,
        location=Location("web/<img src=x onerror=alert(1)>.tsx", 3, 1, 3, 9),
        message="polls /api/</td><script>alert('message')</script> every 5 s",
        scaffold="polldetox scaffold '<svg onload=alert(2)>'",
    )
    html = render_html(ScanResult(findings=(hostile,), errors=()))
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;/td&gt;&lt;script&gt;alert(&#39;message&#39;)&lt;/script&gt;" in html
    assert 'data-path="web/&lt;img src=x onerror=alert(1)&gt;.tsx"' in html


def test_the_page_loads_nothing_and_carries_its_own_style_and_script() -> None:
    result = engine.scan([DEMO], load_config(DEMO))
    html = render_html(result)
    collector = _Collector()
    collector.feed(html)
    assert collector.references == []
    assert collector.scripts == 1 and "<style>" in html and "<svg" in html
    assert not re.search(r"https?://(?!localhost:8100|api\.github\.com)", html), "no URL but those the app polls"
    assert "default-src 'none'" in html  # the browser refuses any load the page did not inline


def test_inventory_joins_an_anti_pattern_3_pair_under_the_table_it_reads() -> None:
    result = engine.scan([DEMO], load_config(DEMO))
    by_name = {data.name: data for data in inventory(result.findings)}
    queue = by_name["queue_items"]
    assert queue.source == "table" and queue.tables == ("agents", "queue_items")
    assert {f.location.path for f in queue.backend} == {"app/server/services/background_tasks.py"}
    assert {f.location.path for f in queue.frontend} == {
        "app/client/src/components/QueuePanel.tsx",
        "app/client/src/components/LegacyQueueTable.tsx",
    }
    assert [f.rule for f in queue.pairs] == ["PD301"]
    assert queue.scaffold == "polldetox scaffold queue_items" and queue.migrate == "polldetox migrate queue_items"
    assert queue.delay_seconds == 2.0 and queue.target_ms == (50, 100)
    # 1/2 s backend, 60/3 + 60/15 per minute frontend
    assert queue.polls_per_minute == 30 + 20 + 4
    # What the backend watcher reads decides the method: a health check is a direct broadcast.
    assert by_name["system_status"].scaffold == "polldetox scaffold system_status --pattern action"
    assert next(iter(by_name)) == "queue_items", "the heaviest first"


def test_report_command_writes_the_page_and_exits_2_on_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    output = tmp_path / "out" / "report.html"
    written = runner.invoke(app, ["report", str(DEMO), "-o", str(output), "--select", "PD101"])
    assert written.exit_code == 0, written.output
    assert f"Report written to {output}." in written.stdout
    page = output.read_text(encoding="utf-8")
    assert page.count("<tr data-path") == 8 and 'data-rule="PD201"' not in page  # --select applies
    missing = runner.invoke(app, ["report", str(tmp_path / "nowhere"), "-o", str(output)])
    assert missing.exit_code == 2 and "no such file or directory" in missing.output


def test_intervals_and_rates_read_as_people_say_them() -> None:
    from polldetox.report.html import rate, seconds

    assert [seconds(value) for value in (None, 0.25, 1, 2.5, 59, 60, 90, 3599, 3600, 5400)] == [
        "unknown", "250 ms", "1 s", "2.5 s", "59 s", "1 min", "1.5 min", "60 min", "1 h", "1.5 h"
    ]  # fmt: skip
    assert [rate(value) for value in (0.5, 12.345, 999.4, 1000, 12345.6)] == ["0.5", "12.3", "999", "1,000", "12,346"]


def test_inventory_of_hand_made_sites_names_sources_patterns_and_order() -> None:
    from polldetox.report.inventory import END_TO_END_MS, scaffold_target

    watcher = finding(
        1, rule="PD101", location=Location("app/jobs.py", 4, 5, 9, 20), interval_seconds=10.0, polls=Polls.DATABASE,
        tables=("jobs",), scaffold="polldetox scaffold jobs",
    )  # fmt: skip
    # Joined to the watcher by its pair finding's related place, though it names another resource.
    panel = finding(2, scaffold="polldetox scaffold job_list", interval_seconds=3.0)
    pair = finding(
        2, rule="PD301", scaffold=None, related=(Related(Location("app/jobs.py", 4, 5, 9, 20), "backend loop"),)
    )
    folder = finding(
        3, rule="PD102", location=Location("app/watch.py", 2, 1, 2, 9), interval_seconds=30.0, polls=Polls.FILE,
        scaffold="polldetox scaffold 'upload dir' --pattern file",
    )  # fmt: skip
    health = finding(4, interval_seconds=None, scaffold="polldetox scaffold health --pattern action")
    helper = finding(5, scaffold=None, interval_seconds=0.5)
    allowed = finding(6, status=Status.ALLOWED)
    types = inventory((watcher, panel, pair, folder, health, helper, allowed))
    assert [(d.name, d.source, d.pattern) for d in types] == [
        ("web/src/panels/Panel0005.tsx", "code", None),  # 120 requests/min
        ("jobs", "table", "db"),  # 6 polls + 20 requests/min
        ("upload dir", "file", "file"),  # 2 polls/min
        ("health", "endpoint", "action"),  # interval unknown
    ]
    helper_type, jobs, uploads, health_type = types
    assert (jobs.backend, jobs.frontend, jobs.pairs, jobs.tables) == ((watcher,), (panel,), (pair,), ("jobs",))
    assert (jobs.polls_per_minute, jobs.delay_seconds, jobs.target_ms) == (26.0, 3.0, (50, 100))
    assert (jobs.method, jobs.scaffold, jobs.migrate) == (
        "PostgreSQL NOTIFY/LISTEN (Method 1)", "polldetox scaffold jobs", "polldetox migrate jobs"
    )  # fmt: skip
    assert (uploads.method, uploads.scaffold, uploads.migrate, uploads.target_ms) == (
        "File system watcher (Method 2)", "polldetox scaffold 'upload dir' --pattern file", None, (200, 500)
    )  # fmt: skip
    assert (health_type.method, health_type.target_ms, health_type.delay_seconds) == (
        "Direct broadcast call (Method 3)", (20, 50), None
    )  # fmt: skip
    assert health_type.polls_per_minute == 0
    assert (helper_type.method, helper_type.scaffold, helper_type.migrate, helper_type.target_ms) == (
        "Move each caller to its data's WebSocket hook", None, None, END_TO_END_MS
    )  # fmt: skip
    assert (helper_type.frontend, helper_type.tables, helper_type.delay_seconds) == ((helper,), (), 0.5)
    assert scaffold_target(folder) == ("upload dir", "file") and scaffold_target(pair) is None
    # An endpoint read by the database pattern, with no table known: its resource's endpoint.
    assert [(d.name, d.source) for d in inventory((finding(7),))] == [("resource_0007", "endpoint")]


def test_inventory_prefers_the_table_then_the_backend_then_the_most_named() -> None:
    from polldetox.report.inventory import inventory

    place = Location("app/poll.py", 3, 1, 3, 9)
    by_frontend = [finding(n, location=place, scaffold="polldetox scaffold items") for n in (1, 2)]
    backend = finding(3, rule="PD103", location=place, scaffold="polldetox scaffold item_feed")
    assert [d.name for d in inventory((*by_frontend, backend))] == ["item_feed"]
    assert [d.name for d in inventory((*by_frontend, finding(4, location=place)))] == ["items"]
    table = finding(5, location=place, tables=("stock",), polls=Polls.DATABASE, scaffold="polldetox scaffold stock")
    assert [(d.name, d.source) for d in inventory((*by_frontend, backend, table))] == [("stock", "table")]
    # A site that reads the database names the data type only with the table it reads.
    feed = finding(6, rule="PD103", location=place, polls=Polls.HTTP, scaffold="polldetox scaffold feed")
    untabled = finding(7, location=place, polls=Polls.DATABASE, scaffold="polldetox scaffold items")
    assert [d.name for d in inventory((feed, untabled))] == ["feed"]
    # Equal load: by name.
    assert [d.name for d in inventory((finding(9), finding(8)))] == ["resource_0008", "resource_0009"]


def test_the_page_states_the_numbers_it_was_given() -> None:
    from polldetox import __version__
    from polldetox.report.html import CHART_ROWS, PAGE_SIZE, _bars

    many = tuple(finding(n, interval_seconds=float(n)) for n in range(1, PAGE_SIZE + 3))
    bars = _bars(inventory(many))
    assert len(bars) == CHART_ROWS == 25
    assert (bars[0].label, bars[0].frontend_per_minute, bars[0].frontend, bars[0].backend) == (
        "resource_0001", 60.0, 560.0, 0.0
    )  # fmt: skip
    assert (bars[1].total, bars[1].frontend) == (30.0, 280.0)
    assert _bars(inventory((finding(1, interval_seconds=None),))) == []
    page = render_html(ScanResult(findings=many, errors=(), files_scanned=1234, lines_scanned=56789))
    assert f'<meta name="generator" content="polldetox {__version__}">' in page
    assert f"1,234 files (56,789 lines) scanned by polldetox {__version__}," in page
    assert "a change reaches the page after up to 1 s to 1.7 min, depending on the data type." in page
    assert "under 100 ms end to end (acceptable: under 500 ms)" in page
    assert f"{PAGE_SIZE + 2} of {PAGE_SIZE + 2} findings shown; rows 1–{PAGE_SIZE}" in page
    assert page.count("<tr data-path") == PAGE_SIZE + 2 and page.count('" hidden>') >= 2
    assert f"{PAGE_SIZE + 2} files with violations" in page
    assert '<option value="PD201">PD201</option>' in page and '<option value="PD101">' not in page
    assert 'width="560.0" height="18"' in page


def test_allowed_exceptions_and_unscanned_files_are_listed_line_by_line() -> None:
    page = render_html(HANDMADE)
    assert (
        "    <tbody>\n"
        "      <tr>\n"
        '        <td><code>scripts/monitor_tokens.py:20</code> <abbr title="backend-polling-loop">PD101</abbr></td>\n'
        "        <td>devtool</td>\n"
        '        <td><span class="ok">nothing</span></td>\n'
        "      </tr>\n"
        "      <tr>\n"
        '        <td><code>adws/adw_triggers/trigger_cron.py:30</code> <abbr title="scheduled-polling-job">PD103</abbr>'
        "</td>\n"
        "        <td>trigger</td>\n"
        "        <td><ul><li>a comment that says why webhooks are not used</li></ul></td>\n"
        "      </tr>\n"
        "    </tbody>\n"
    ) in page
    assert (
        '<section aria-labelledby="errors-title">\n'
        '  <h2 id="errors-title">Files that could not be scanned</h2>\n'
        "  <ul>\n"
        "    <li><code>app/server/broken.py:3</code> invalid syntax</li>\n"
        "    <li><code>app/client/src/bad.ts</code> not UTF-8</li>\n"
        "  </ul>\n"
        "</section>\n"
    ) in page
    assert "No allowed exceptions." not in page and "No allowed exceptions." in render_html(
        ScanResult(findings=(finding(1),), errors=())
    )


def test_a_name_the_templates_do_not_get_is_an_error_not_a_blank() -> None:
    from polldetox.report.html import _environment

    with pytest.raises(jinja2.UndefinedError):
        _environment().from_string("{{ summary }}").render()


def test_a_clean_scan_and_a_slow_poller_still_render() -> None:
    from polldetox.report.html import _bars

    clean = render_html(ScanResult(findings=(), errors=(), files_scanned=3))
    assert "No allowed exceptions." in clean and "Latency now:" not in clean
    # Once every two minutes is still polling: it gets its bar.
    assert [
        (bar.label, bar.frontend_per_minute) for bar in _bars(inventory((finding(1, interval_seconds=120.0),)))
    ] == [("resource_0001", 0.5)]


def test_backend_polls_get_their_share_of_a_bar() -> None:
    from polldetox.report.html import _bars, seconds

    watcher = finding(1, rule="PD101", interval_seconds=4.0, polls=Polls.DATABASE, tables=("jobs",))
    panel = finding(2, interval_seconds=6.0)
    bars = _bars(inventory((watcher, panel)))
    # 15 backend polls/min (the widest bar, 560 px), 10 frontend requests/min.
    assert [(b.label, b.backend_per_minute, b.frontend_per_minute, b.backend, b.frontend) for b in bars] == [
        ("resource_0001", 15.0, 0.0, 560.0, 0.0),
        ("resource_0002", 0.0, 10.0, 0.0, pytest.approx(373.333)),
    ]
    assert seconds(4446.36) == "1.24 h"
