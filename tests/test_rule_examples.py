"""Every rule's VALID and INVALID examples, run through the whole pipeline (files -> facts -> findings).

Generated from the catalogue, as in Fixit: a rule and its proof live side by side in
polldetox/rules/, and adding an example there adds a test here.

Each line an example must be reported on ends with a marker naming the rules, `# expect: PD101` in
Python and `// expect: PD203, PD301` in TypeScript and JavaScript; the scan must report exactly the
marked lines, no more and no fewer. An INVALID example without a marker for its own rule fails.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from polldetox.config import load_config
from polldetox.findings import Finding
from polldetox.rules import RULES, Invalid, Valid
from polldetox.scan import engine

VALID = [pytest.param(rule.id, example, id=f"{rule.id}-valid-{n}") for rule in RULES.values()
         for n, example in enumerate(rule.valid)]  # fmt: skip
INVALID = [pytest.param(rule.id, example, id=f"{rule.id}-invalid-{n}") for rule in RULES.values()
           for n, example in enumerate(rule.invalid)]  # fmt: skip

MARKER = re.compile(r"(?:#|//) expect: (PD\d{3}(?:, PD\d{3})*)\s*$")

Site = tuple[str, int, str]  # path, line, rule


def example_files(example: Valid | Invalid) -> list[tuple[str, str]]:
    return [(relative, textwrap.dedent(code).lstrip("\n")) for relative, code in ((example.path, example.code),
                                                                                  *example.extra_files)]  # fmt: skip


def expected_sites(example: Valid | Invalid) -> list[Site]:
    sites = []
    for relative, code in example_files(example):
        for number, line in enumerate(code.splitlines(), 1):
            if marker := MARKER.search(line):
                sites.extend((relative, number, rule) for rule in marker.group(1).split(", "))
    return sorted(sites)


def scan_example(root: Path, example: Valid | Invalid) -> list[Finding]:
    for relative, code in example_files(example):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    result = engine.scan([root], load_config(root))
    assert result.errors == (), result.errors
    return list(result.findings)


def assert_reported_as_marked(name: str, example: Valid | Invalid, findings: list[Finding]) -> None:
    reported = sorted((f.location.path, f.location.line, f.rule) for f in findings)
    expected = expected_sites(example)
    if reported == expected:
        return
    sources = dict(example_files(example))

    def show(sites: list[Site]) -> str:
        return "".join(f"\n  {path}:{line} {rule}  | {sources[path].splitlines()[line - 1].strip()}"
                       for path, line, rule in sites) or " none"  # fmt: skip

    missing = [site for site in expected if site not in reported]
    unmarked = [site for site in reported if site not in expected]
    pytest.fail(
        f"{name}: the scan does not report exactly the lines marked `# expect: PDxxx` / `// expect: PDxxx`."
        f"\nReported but not marked:{show(unmarked)}\nMarked but not reported:{show(missing)}",
        pytrace=False,
    )


def test_every_rule_is_proven_by_examples() -> None:
    for rule in RULES.values():
        assert rule.valid, f"{rule.id} has no VALID example"
        assert rule.invalid, f"{rule.id} has no INVALID example"


@pytest.mark.parametrize(("rule_id", "example"), VALID)
def test_valid_example(request: pytest.FixtureRequest, tmp_path: Path, rule_id: str, example: Valid) -> None:
    name = request.node.callspec.id
    assert rule_id not in {rule for _, _, rule in expected_sites(example)}, f"{name} marks its own rule"
    # Other rules may fire on a VALID example (a loop that compares state is still a loop); they are marked.
    assert_reported_as_marked(name, example, scan_example(tmp_path, example))


@pytest.mark.parametrize(("rule_id", "example"), INVALID)
def test_invalid_example(request: pytest.FixtureRequest, tmp_path: Path, rule_id: str, example: Invalid) -> None:
    name = request.node.callspec.id
    comment = "#" if example.path.endswith(".py") else "//"
    assert rule_id in {rule for _, _, rule in expected_sites(example)}, (
        f"{name} ({example.path}) marks no line for {rule_id}: end each line it must be reported on "
        f"with `{comment} expect: {rule_id}`"
    )
    findings = scan_example(tmp_path, example)
    assert_reported_as_marked(name, example, findings)
    # The properties describe the example's own file; extra files only set the scene.
    for finding in (f for f in findings if f.rule == rule_id and f.location.path == example.path):
        assert finding.status.value == example.status
        if example.severity is not None:
            assert finding.severity.value == example.severity
        if example.interval_seconds is not None:
            assert finding.interval_seconds == pytest.approx(example.interval_seconds)
        if example.exception is not None:
            assert finding.exception == example.exception
        assert set(example.missing) <= set(finding.missing), finding.missing
        if example.tables:
            assert set(example.tables) <= set(finding.tables)
        if example.polls is not None:
            assert finding.polls.value == example.polls
