"""Small apps that look like real ones, one per frontend surface, scanned end to end.

Each tree under tests/fixtures/ mixes polling with look-alikes that are not polling (clocks,
countdowns, debounced searches, one-shot timers, retries); the scan must report exactly the polling.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from polldetox.config import load_config
from polldetox.scan import engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"


Row = tuple[str, str, int, int, float | None, str]


def findings(app: str) -> list[Row]:
    root = FIXTURES / app
    result = engine.scan([root], load_config(root))
    assert result.errors == ()
    return [
        (f.rule, f.location.path, f.location.line, f.location.column, f.interval_seconds, f.polls.value)
        for f in result.findings
    ]


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (
            "angular-ops",
            [
                ("PD203", "src/app/services/me.service.ts", 12, 31, 30.0, "http"),
                ("PD203", "src/app/services/resource.service.ts", 20, 18, None, "http"),
            ],
        ),
        (
            "vue-ops",
            [
                ("PD203", "src/components/JobList.vue", 31, 11, 10.0, "http"),
                ("PD201", "src/components/StatsCard.vue", 8, 3, 30.0, "http"),
                ("PD203", "src/views/Queue.vue", 17, 19, 15.0, "http"),
            ],
        ),
        ("svelte-ops", [("PD203", "src/lib/NodeTable.svelte", 19, 14, 5.0, "http")]),
    ],
)
def test_app_reports_exactly_its_polling(app: str, expected: list[Row]) -> None:
    assert findings(app) == expected


def test_component_lines_point_into_the_file_as_written() -> None:
    source = (FIXTURES / "vue-ops/src/components/JobList.vue").read_text(encoding="utf-8").splitlines()
    assert source[31 - 1][11 - 1 :].startswith("window.setInterval(loadJobs, 10_000)")
    source = (FIXTURES / "svelte-ops/src/lib/NodeTable.svelte").read_text(encoding="utf-8").splitlines()
    assert source[19 - 1][14 - 1 :].startswith("setInterval(refresh, REFRESH_MS)")
