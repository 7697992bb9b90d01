"""Size and load time of `polldetox report` with thousands of findings, against the JSON report of the same scan.

    python bench/report_size.py [--modules N] [--repeat N] [--tree PATH]

Without --tree, the tree is generated in a temporary folder: N data types (default 600), each a
backend watcher re-reading its table and a React panel polling its endpoint (PD102, PD201 and the
Anti-pattern 3 pair PD301), plus an allowed development script for every tenth: 1,860 findings by
default. With --tree, any real project is scanned instead.

Measured in one session, each a median of --repeat runs:
- rendering: render_html against render_json, from the same ScanResult;
- size: the HTML file against the JSON file;
- in Chromium (Debian's, through Playwright), from file://: the report's load (DOMContentLoaded
  and load events) against opening the JSON file in the same browser, and inside the report the
  time to filter the findings by path, by rule, and to sort them by severity.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from polldetox.config import load_config
from polldetox.report.html import render_html
from polldetox.report.json import render_json
from polldetox.scan import engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
CONFIG = 'dev-tool-paths = ["scripts/"]\n'

# One data type per module, as in a large dashboard: a backend watcher re-reading its table, a panel
# polling its endpoint, and every tenth module a development script following a log.
WATCHER = """\
import asyncio


async def watch_{name}(pool, manager):
    while True:
        rows = await pool.fetch("SELECT id, state FROM {name} ORDER BY id")
        await manager.broadcast({{"type": "{name}_update", "data": [dict(r) for r in rows]}})
        await asyncio.sleep({seconds})
"""
PANEL = """\
import {{ useQuery }} from '@tanstack/react-query';

export function {pascal}Panel() {{
  const {{ data = [] }} = useQuery({{
    queryKey: ['{name}'],
    queryFn: () => fetch('/api/v1/{name}').then((response) => response.json()),
    refetchInterval: {milliseconds},
  }});
  return <ul>{{data.map((row: {{ id: number }}) => <li key={{row.id}}>{{row.id}}</li>)}}</ul>;
}}
"""
SCRIPT = """\
import time
from pathlib import Path


def follow(path: Path):
    while True:
        print(path.read_text()[-200:])
        time.sleep(2)
"""


def stress_tree(folder: Path, modules: int) -> Path:
    """`modules` data types: two violations each, and an allowed development script for every tenth."""
    for index in range(modules):
        name = f"resource_{index:04d}"
        pascal = f"Resource{index:04d}"
        seconds = 1 + index % 30
        backend = folder / "server" / "watchers" / f"{name}.py"
        frontend = folder / "web" / "src" / "panels" / f"{pascal}Panel.tsx"
        for path in (backend, frontend):
            path.parent.mkdir(parents=True, exist_ok=True)
        backend.write_text(WATCHER.format(name=name, seconds=seconds), encoding="utf-8")
        frontend.write_text(PANEL.format(name=name, pascal=pascal, milliseconds=seconds * 1000), encoding="utf-8")
        if index % 10 == 0:
            script = folder / "scripts" / f"follow_{name}.py"
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(SCRIPT, encoding="utf-8")
    (folder / ".polldetox.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def median_time(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def navigation(page: Page, url: str) -> tuple[float, float]:
    """(DOMContentLoaded, load) in ms after navigation start, as the browser measured them."""
    page.goto(url, wait_until="load")
    timing = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
    return timing["domContentLoadedEventEnd"], timing["loadEventEnd"]


INTERACTIONS = """
() => {
  const time = (action) => { const start = performance.now(); action(); document.body.offsetHeight;
                             return performance.now() - start; };
  const path = document.getElementById('filter-path');
  const rule = document.getElementById('filter-rule');
  return {
    filter_path: time(() => { path.value = 'resource_00'; path.dispatchEvent(new Event('input')); }),
    clear_path: time(() => { path.value = ''; path.dispatchEvent(new Event('input')); }),
    filter_rule: time(() => { rule.value = 'PD101'; rule.dispatchEvent(new Event('change')); }),
    sort_severity: time(() => document.querySelector('button[data-sort="severity"]').click()),
    shown: document.getElementById('findings-count').textContent,
  };
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=600, help="data types in the stress tree (default 600)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--tree", type=Path, help="scan this tree instead of the demo copies")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polldetox-report-bench-") as temporary:
        work = Path(temporary)
        root = options.tree.resolve() if options.tree else stress_tree(work / "tree", options.modules)
        start = time.perf_counter()
        result = engine.scan([root], load_config(root))
        scan_seconds = time.perf_counter() - start
        html_seconds = median_time(lambda: render_html(result), options.repeat)
        json_seconds = median_time(lambda: render_json(result), options.repeat)
        report, document = work / "report.html", work / "scan.json"
        report.write_text(render_html(result), encoding="utf-8")
        document.write_text(render_json(result), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            navigation(page, report.as_uri())  # warm the browser's own caches once
            html_loads = [navigation(page, report.as_uri()) for _ in range(options.repeat)]
            json_loads = [navigation(page, document.as_uri()) for _ in range(options.repeat)]
            interactions = []
            for _ in range(options.repeat):
                page.goto(report.as_uri(), wait_until="load")
                interactions.append(page.evaluate(INTERACTIONS))
            browser.close()
        html_kib, json_kib = report.stat().st_size / 1024, document.stat().st_size / 1024

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values):8.1f} ms"

    findings = len(result.findings)
    print(f"{findings:,} findings in {result.files_scanned:,} files (scan {scan_seconds:.1f} s)")
    print(f"{'':28}{'report.html':>14}{'scan.json':>14}{'ratio':>8}")
    print(f"{'size':28}{html_kib:>10,.0f} KiB{json_kib:>10,.0f} KiB{html_kib / json_kib:>8.2f}")
    render_ratio = html_seconds / json_seconds
    print(f"{'render':28}{html_seconds * 1000:>11.1f} ms{json_seconds * 1000:>11.1f} ms{render_ratio:>8.2f}")
    html_dcl, json_dcl = [d for d, _ in html_loads], [d for d, _ in json_loads]
    html_load, json_load = [lo for _, lo in html_loads], [lo for _, lo in json_loads]
    ratio = statistics.median(html_load) / statistics.median(json_load)
    print(f"{'Chromium DOMContentLoaded':28}{ms(html_dcl):>14}{ms(json_dcl):>14}")
    print(f"{'Chromium load event':28}{ms(html_load):>14}{ms(json_load):>14}{ratio:>8.2f}")
    for key in ("filter_path", "clear_path", "filter_rule", "sort_severity"):
        print(f"{'in page: ' + key:28}{ms([sample[key] for sample in interactions]):>14}")
    print(f"after the rule filter: {interactions[-1]['shown']}")


if __name__ == "__main__":
    main()
