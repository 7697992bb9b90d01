import pytest

from polldetox.findings import Suppression
from polldetox.suppressions import parse_suppression


@pytest.mark.parametrize(
    ("comment", "rules"),
    [
        ("# polldetox: ignore[PD101]", ("PD101",)),
        ("# polldetox: ignore[pd101, PD102] -- legacy, see #412", ("PD101", "PD102")),
        ("# polldetox: ignore[backend-polling-loop]", ("backend-polling-loop",)),
        ("# polldetox: ignore", ()),
        ("// polldetox-ignore PD201", ("PD201",)),
        ("// polldetox-ignore PD201, PD203 until the socket ships", ("PD201", "PD203")),
        ("/* polldetox-ignore query-refetch-interval */", ("query-refetch-interval",)),
        ("// polldetox-ignore", ()),
        ("// polldetox-ignore because legacy", ()),
    ],
)
def test_directives(comment: str, rules: tuple[str, ...]) -> None:
    assert parse_suppression(comment, 7) == Suppression(line=7, rules=rules)


@pytest.mark.parametrize(
    "comment",
    ["# TODO: replace polling", "# polldetox found this in 2024", "// ignore this", "# noqa: E501"],
)
def test_ordinary_comments(comment: str) -> None:
    assert parse_suppression(comment, 1) is None
