"""The HTML report of the demo app in a real Chromium: loads from disk alone, says what the JSON says,
filters and sorts, and passes axe-core's accessibility rules."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from typer.testing import CliRunner

from polldetox.cli import app
from polldetox.findings import ScanResult, Status
from polldetox.report.html import render_html
from tests.conftest import DEMO, REPO_ROOT
from tests.test_report_html import finding

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The report and the JSON scan of the demo app, made by the CLI with the same options."""
    folder = tmp_path_factory.mktemp("report")
    runner = CliRunner()
    written = runner.invoke(app, ["report", str(DEMO), "-o", str(folder / "report.html"), "--no-cache"])
    assert written.exit_code == 0, written.output
    scanned = runner.invoke(app, ["scan", str(DEMO), "--format", "json", "-o", str(folder / "scan.json"), "--no-cache"])
    assert scanned.exit_code == 1, scanned.output
    return folder / "report.html", json.loads((folder / "scan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, demo_report: tuple[Path, dict]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.goto(demo_report[0].as_uri())
    yield opened
    context.close()


def _number(page: Page, selector: str) -> float:
    return float(page.locator(selector).inner_text().replace(",", ""))


def _shown(page: Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#findings tbody tr:not([hidden])",
        "rows => rows.map(row => ({rule: row.dataset.rule, status: row.dataset.status, path: row.dataset.path,"
        " severity: row.dataset.severity}))",
    )


def test_loads_from_disk_with_no_console_error_and_no_request(browser: Browser, demo_report: tuple[Path, dict]) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: _record(message, problems))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(demo_report[0].as_uri(), wait_until="load")
    page.locator("#filter-rule").select_option("PD101")
    findings = demo_report[1]["findings"]
    expected = f"{sum(1 for f in findings if f['rule'] == 'PD101')} of {len(findings)} findings shown"
    assert page.locator("#findings-count").inner_text() == expected, "the inline script runs"
    context.close()
    assert problems == []
    assert requests == [demo_report[0].as_uri()], "only the page itself is loaded"


def _record(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type in ("error", "warning"):
        problems.append(message.text)


def test_counts_on_the_page_equal_the_json_summary(page: Page, demo_report: tuple[Path, dict]) -> None:
    summary = demo_report[1]["summary"]
    assert _number(page, "#count-violations") == summary["violations"] > 0
    assert _number(page, "#count-allowed") == summary["allowed"] > 0
    assert _number(page, "#count-suppressed") == summary["suppressed"]
    for level, count in summary["by_severity"].items():
        assert _number(page, f"#count-{level}") == count
    load = summary["load"]
    assert _number(page, "#load-database-qps") == pytest.approx(load["database_queries_per_second"], rel=0.01)
    assert _number(page, "#load-backend-ticks") == pytest.approx(load["backend_ticks_per_second"], rel=0.01)
    assert _number(page, "#load-frontend-rpm") == pytest.approx(load["frontend_requests_per_minute"], rel=0.01)
    total = len(demo_report[1]["findings"])
    assert page.locator("#findings tbody tr").count() == total
    assert page.locator("#findings-count").inner_text() == f"{total} of {total} findings shown"
    assert "under 100 ms end to end" in page.locator("#latency").inner_text()


def test_every_file_with_a_violation_is_listed(page: Page, demo_report: tuple[Path, dict]) -> None:
    findings = demo_report[1]["findings"]
    violating = {f["path"] for f in findings if f["status"] == "violation"}
    listed = page.eval_on_selector_all(
        "#violation-files button[data-path]", "buttons => buttons.map(b => b.textContent)"
    )
    assert sorted(listed) == sorted(violating)
    rows = {(row["path"], row["rule"]) for row in _shown(page)}
    assert {(f["path"], f["rule"]) for f in findings} == rows


def test_filters_by_rule_status_and_path_and_sorts_by_keyboard(page: Page, demo_report: tuple[Path, dict]) -> None:
    findings = demo_report[1]["findings"]
    page.get_by_label("Rule", exact=True).select_option("PD101")
    shown = _shown(page)
    assert len(shown) == sum(1 for f in findings if f["rule"] == "PD101") > 1
    assert {row["rule"] for row in shown} == {"PD101"}
    page.get_by_label("Status", exact=True).select_option("allowed")
    assert len(_shown(page)) == sum(1 for f in findings if f["rule"] == "PD101" and f["status"] == "allowed")
    _clear_filters(page, len(findings))
    assert len(_shown(page)) == len(findings)

    page.get_by_label("Path contains", exact=True).fill("client/src/hooks/")
    shown = _shown(page)
    assert len(shown) == sum(1 for f in findings if "client/src/hooks/" in f["path"]) > 1
    assert page.locator("#findings-count").inner_text() == f"{len(shown)} of {len(findings)} findings shown"
    page.get_by_label("Path contains", exact=True).fill("")

    # A file in the list of violating files narrows the table to that file's violations.
    page.locator("#violation-files summary").click()
    page.locator("#violation-files button[data-path='app/server/services/background_tasks.py']").click()
    assert {row["path"] for row in _shown(page)} == {"app/server/services/background_tasks.py"}
    _clear_filters(page, len(findings))

    severity = page.get_by_role("button", name="Severity")
    severity.focus()
    page.keyboard.press("Enter")
    ranks = [int(row["severity"]) for row in _shown(page)]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]
    assert page.locator("th:has(button[data-sort='severity'])").get_attribute("aria-sort") == "ascending"
    page.keyboard.press("Enter")
    assert [int(row["severity"]) for row in _shown(page)] == sorted(ranks)


def _clear_filters(page: Page, total: int) -> None:
    """A form's reset event fires before its fields are reset, so the table is redrawn a task later."""
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#findings-count")).to_have_text(f"{total} of {total} findings shown")


def test_axe_finds_no_serious_or_critical_violation(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert results["testEngine"]["name"] == "axe-core"


def test_screenshot_of_the_report(page: Page, tmp_path: Path) -> None:
    """README shows this screenshot (docs/report.png is a copy of what this test writes)."""
    shot = tmp_path / "report.png"
    page.set_viewport_size({"width": 1200, "height": 760})
    page.screenshot(path=shot)
    if target := os.environ.get("POLLDETOX_README_SCREENSHOT"):  # how docs/report.png is refreshed
        shutil.copyfile(shot, target)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The chart puts the heaviest data type first, as the inventory does.
    heaviest = page.locator("#inventory tbody tr .name").first.inner_text()
    assert page.locator("#load-chart .bar text").first.text_content() == heaviest == "queue_items"


def test_a_thousand_findings_are_paged_filtered_and_sorted(browser: Browser, tmp_path: Path) -> None:
    allowed = {index for index in range(0, 1200, 7)}
    findings = tuple(
        finding(index, status=Status.ALLOWED, exception="fallback") if index in allowed else finding(index)
        for index in range(1200)
    )
    report = tmp_path / "report.html"
    report.write_text(render_html(ScanResult(findings=findings, errors=())), encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    page.goto(report.as_uri())
    count = page.locator("#findings-count")
    assert count.inner_text() == "1200 of 1200 findings shown; rows 1–100"
    assert len(_shown(page)) == 100
    page.get_by_role("button", name="Next rows").click()
    assert count.inner_text() == "1200 of 1200 findings shown; rows 101–200"
    assert _shown(page)[0]["path"] == "web/src/panels/Panel0100.tsx"

    page.get_by_label("Status", exact=True).select_option("allowed")
    assert count.inner_text() == f"{len(allowed)} of 1200 findings shown; rows 1–100"
    assert {row["status"] for row in _shown(page)} == {"allowed"}
    page.get_by_label("Rows per page", exact=True).select_option("0")
    assert len(_shown(page)) == len(allowed)
    assert page.locator("#pages").is_hidden()

    page.get_by_label("Path contains", exact=True).fill("Panel011")
    assert count.inner_text() == "2 of 1200 findings shown"  # Panel0112 and Panel0119 are the allowed ones
    context.close()
