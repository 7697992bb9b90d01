"""The HTML report as a string: one self-contained file, every value escaped, the inventory it draws."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from polldetox.cli import app
from polldetox.config import load_config
from polldetox.findings import Context, Finding, Location, Polls, ScanResult, Severity, SiteKind, Status
from polldetox.report.html import render_html
from polldetox.report.inventory import inventory
from polldetox.scan import engine
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
