"""The rule catalogue: ids, names, documentation and the examples that prove each rule.

As in Fixit, every rule carries VALID and INVALID code next to its documentation and the
test suite is generated from them (tests/test_rule_examples.py), so a rule and its proof
never drift apart. As in ruff, each rule is documented in four parts: what it does, why it
is bad, an example, and what to use instead; ours also cite the section of the standard.
"""

from __future__ import annotations

from dataclasses import dataclass

from polldetox.findings import Severity


@dataclass(frozen=True, slots=True)
class Valid:
    """Code that must produce no finding of the rule (or only an allowed one, if `allowed`)."""

    code: str
    path: str  # where the example lives in a pretend repository: decides language and context
    extra_files: tuple[tuple[str, str], ...] = ()  # (path, code) scanned alongside


@dataclass(frozen=True, slots=True)
class Invalid:
    """Code that must produce a finding of the rule with these properties."""

    code: str
    path: str
    extra_files: tuple[tuple[str, str], ...] = ()
    status: str = "violation"
    severity: str | None = None
    interval_seconds: float | None = None
    exception: str | None = None
    missing: tuple[str, ...] = ()  # requirements the finding must name as missing
    tables: tuple[str, ...] = ()
    polls: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    summary: str
    severity: Severity  # the default; config may change it
    section: str  # the section of the Real-Time Data Architecture Standard it enforces
    what: str
    why: str
    example: str
    use_instead: str
    valid: tuple[Valid, ...] = ()
    invalid: tuple[Invalid, ...] = ()

    def documentation(self) -> str:
        """The rule's documentation as Markdown (what `polldetox explain` prints)."""
        return (
            f"# {self.name} ({self.id})\n\n"
            f"Default severity: {self.severity.value}. Standard: {self.section}.\n\n"
            f"## What it does\n{self.what.strip()}\n\n"
            f"## Why is this bad?\n{self.why.strip()}\n\n"
            f"## Example\n{self.example.strip()}\n\n"
            f"## Use instead\n{self.use_instead.strip()}\n"
        )


def _catalogue() -> dict[str, Rule]:
    from polldetox.rules import backend, frontend, general

    rules = (*backend.RULES, *frontend.RULES, *general.RULES)
    catalogue = {rule.id: rule for rule in rules}
    assert len(catalogue) == len(rules), "duplicate rule id"
    return dict(sorted(catalogue.items()))


RULES: dict[str, Rule] = _catalogue()


def get_rule(rule_id_or_name: str) -> Rule | None:
    """Look a rule up by id (`PD101`, any case) or by name (`backend-polling-loop`)."""
    key = rule_id_or_name.strip()
    if key.upper() in RULES:
        return RULES[key.upper()]
    return next((rule for rule in RULES.values() if rule.name == key.lower()), None)
