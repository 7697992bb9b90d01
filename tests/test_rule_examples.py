"""Every rule's VALID and INVALID examples, run through the whole pipeline (files -> facts -> findings).

Generated from the catalogue, as in Fixit: a rule and its proof live side by side in
polldetox/rules/, and adding an example there adds a test here.
"""

from __future__ import annotations

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


def scan_example(root: Path, example: Valid | Invalid) -> list[Finding]:
    for relative, code in ((example.path, example.code), *example.extra_files):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    result = engine.scan([root], load_config(root))
    assert result.errors == (), result.errors
    return list(result.findings)


def test_every_rule_is_proven_by_examples() -> None:
    for rule in RULES.values():
        assert rule.valid, f"{rule.id} has no VALID example"
        assert rule.invalid, f"{rule.id} has no INVALID example"


@pytest.mark.parametrize(("rule_id", "example"), VALID)
def test_valid_example(tmp_path: Path, rule_id: str, example: Valid) -> None:
    findings = scan_example(tmp_path, example)
    assert [f for f in findings if f.rule == rule_id] == []


@pytest.mark.parametrize(("rule_id", "example"), INVALID)
def test_invalid_example(tmp_path: Path, rule_id: str, example: Invalid) -> None:
    findings = [f for f in scan_example(tmp_path, example) if f.rule == rule_id]
    assert findings, f"{rule_id} not reported"
    finding = findings[0]
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
