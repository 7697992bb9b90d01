"""`polldetox report`: one self-contained HTML page (inline CSS, JS and SVG) from a scan result.

Rendered from templates/report/; the environment escapes every value, unlike scaffold's, which
renders source code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import jinja2

from polldetox import __version__
from polldetox.findings import ScanResult, Status
from polldetox.report.inventory import END_TO_END_MS, DataType, inventory
from polldetox.report.summary import summarize
from polldetox.templates_dir import built_in_templates

CHART_ROWS = 25  # the chart shows the worst offenders; the inventory table lists every data type
PAGE_SIZE = 100  # findings laid out at once: the browser lays out a page of rows, not thousands
_BAR_WIDTH = 560


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    backend_per_minute: float  # backend polls per server process
    frontend_per_minute: float  # frontend requests per open tab
    backend: float  # bar widths in px
    frontend: float

    @property
    def total(self) -> float:
        return self.backend_per_minute + self.frontend_per_minute


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(built_in_templates() / "report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = seconds
    env.filters["rate"] = rate
    return env


def render_html(result: ScanResult) -> str:
    summary = summarize(result)
    data_types = inventory(result.findings)
    violation_files = sorted(Counter(f.location.path for f in result.findings if f.status == Status.VIOLATION).items())
    findings = sorted(result.findings, key=lambda f: (f.location.path, f.location.line, f.location.column))
    delays = [d.delay_seconds for d in data_types if d.delay_seconds]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            version=__version__,
            summary=summary,
            data_types=data_types,
            bars=_bars(data_types),
            findings=findings,
            allowed=[f for f in result.findings if f.status == Status.ALLOWED],
            errors=result.errors,
            violation_files=violation_files,
            rules=sorted({f.rule for f in result.findings}),
            longest_delay=max(delays, default=None),
            shortest_delay=min(delays, default=None),
            end_to_end_ms=END_TO_END_MS,
            chart_width=_BAR_WIDTH,
            page_size=PAGE_SIZE,
        )
    )


def _bars(data_types: list[DataType]) -> list[Bar]:
    worst = [d for d in data_types if d.polls_per_minute > 0][:CHART_ROWS]
    scale = _BAR_WIDTH / max((d.polls_per_minute for d in worst), default=1)
    return [
        Bar(d.name, backend, frontend, backend * scale, frontend * scale)
        for d in worst
        for backend, frontend in [(60 * d.load.backend_ticks_per_second, d.load.frontend_requests_per_minute)]
    ]


def seconds(value: float | None) -> str:
    """An interval as people say it: 500 ms, 3 s, 5 min, 2 h; "unknown" when not resolved."""
    if value is None:
        return "unknown"
    if value < 1:
        return f"{value * 1000:g} ms"
    if value < 60:
        return f"{value:g} s"
    if value < 3600:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"


def rate(value: float) -> str:
    return f"{value:,.3g}" if value < 1000 else f"{value:,.0f}"
