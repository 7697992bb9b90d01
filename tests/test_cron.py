"""Cron periods shared by the Python and TypeScript detectors."""

from __future__ import annotations

import pytest

from polldetox.scan.cron import expression_period, field_spacing, fields_period


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("* * * * *", 60),
        ("*/5 * * * *", 300),
        ("0 * * * *", 3600),
        ("0 */2 * * *", 7200),
        ("0,30 * * * *", 1800),
        ("*/10 * * * * *", 10),
        ("0 */15 9-17 * * 1-5", 900),
        ("0 9-17 * * 1-5", 3600),
        ("@hourly", 3600),
        ("0 6 * * *", None),
        ("30 2 * * 0", None),
        ("0 0 6 * * *", None),
        ("@daily", None),
        ("not a schedule", None),
    ],
)
def test_expression_period(expression: str, seconds: float | None) -> None:
    assert expression_period(expression) == seconds


@pytest.mark.parametrize(
    ("values", "seconds"),
    [
        ({"minute": "*/10"}, 600),
        ({"hour": "6", "minute": "0"}, None),
        ({"minute": "15"}, 3600),  # unset hour runs every hour
        ({"second": "0", "minute": "*"}, 60),
        ({"hour": "*/3"}, 10800),
    ],
)
def test_fields_period(values: dict[str, str], seconds: float | None) -> None:
    assert fields_period(values) == seconds


def test_field_spacing_of_fixed_and_unknown_fields() -> None:
    assert field_spacing("7") is None
    assert field_spacing("L") is None
    assert field_spacing("0-59/20") == 20
