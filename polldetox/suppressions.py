"""Reading suppression comments: `# polldetox: ignore[PD101, PD102]`, `// polldetox-ignore PD201`.

Detectors hand over each comment's text (from the language's own tokenizer or parse tree) and
this module decides whether it is a directive. A bare ignore suppresses every rule.
"""

from __future__ import annotations

import re

from polldetox.findings import Suppression

# Matches within one comment's text, never over source code.
# A rule is named by id (PD101) or by name (backend-polling-loop); free text after it is a reason.
_RULE = r"(?:[A-Za-z]{2}\d{3}|[a-z]+(?:-[a-z]+)+)"
_DIRECTIVE = re.compile(
    rf"polldetox(?::\s*|-)ignore(?:\[(?P<bracketed>[^\]]*)\]|(?P<spaced>[ \t]+{_RULE}(?:\s*,\s*{_RULE})*)?)",
)
_RULE_SPLIT = re.compile(r"[\s,]+")


def parse_suppression(comment: str, line: int) -> Suppression | None:
    """The suppression a comment declares, or None when it is an ordinary comment."""
    match = _DIRECTIVE.search(comment)
    if match is None:
        return None
    listed = match.group("bracketed") if match.group("bracketed") is not None else match.group("spaced")
    rules = tuple(_normalise(rule) for rule in _RULE_SPLIT.split(listed or "") if rule)
    return Suppression(line=line, rules=rules)


def _normalise(rule: str) -> str:
    """Rule ids are upper case (PD101); rule names stay as written (backend-polling-loop)."""
    return rule.upper() if re.fullmatch(r"[A-Za-z]{2}\d{3}", rule) else rule.lower()
