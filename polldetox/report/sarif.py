"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and any other SARIF consumer.

How findings map onto results, and why:
- a violation is a `fail` result at its severity (error / warning / note);
- an allowed exception of the standard is an `informational` result at level `none`: the spec
  forbids any other level for a non-`fail` kind, and code scanning never fails a check on it;
- a finding silenced by a `polldetox: ignore` comment is an `informational` result at level
  `none` with an `inSource` suppression. Consumers that honour suppressions hide it; code
  scanning does not read `suppressions`, so the kind and level are what keep it from raising
  an alert that fails a pull request;
- a file that could not be parsed is a tool execution notification, not a result.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from polldetox import __version__
from polldetox.findings import Finding, Location, ScanError, ScanResult, Severity, Status
from polldetox.fingerprint import FINGERPRINT_VERSION, fingerprints
from polldetox.rules import RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/polldetox/polldetox"
FINGERPRINT_KEY = f"polldetox/v{FINGERPRINT_VERSION}"
# Suppressed findings are counted among themselves, so one can share a fingerprint with a reported
# twin in the same file; their own key keeps a consumer from merging the two into one alert.
SUPPRESSED_FINGERPRINT_KEY = f"polldetox/suppressed/v{FINGERPRINT_VERSION}"
SRCROOT = "%SRCROOT%"

# GitHub code scanning rejects a run with more results than this (documented upload limits).
MAX_RESULTS = 25_000

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {rule_id: index for index, rule_id in enumerate(RULES)}


def finding_message(finding: Finding) -> str:
    """The finding's message and what to use instead, as full sentences (shared by the CI formats)."""
    text = _sentence(finding.message)
    if finding.status != Status.VIOLATION:
        return text
    if finding.recommendation:
        text += f" Use instead: {_sentence(finding.recommendation)}"
    if finding.scaffold:
        text += f" Scaffold it with `{finding.scaffold}`."
    return text


def render_sarif(result: ScanResult) -> str:
    results = [
        *(
            _result(f, fp, suppressed=False)
            for f, fp in zip(result.findings, fingerprints(result.findings), strict=True)
        ),
        *(
            _result(f, fp, suppressed=True)
            for f, fp in zip(result.suppressed, fingerprints(result.suppressed), strict=True)
        ),
    ]
    notifications = [_notification(error) for error in result.errors]
    if len(results) > MAX_RESULTS:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"Only the first {MAX_RESULTS} of {len(results)} results are included "
                    "(the most a code scanning upload accepts)."
                },
            }
        )
        results = results[:MAX_RESULTS]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver()},
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _driver() -> dict[str, Any]:
    return {
        "name": "polldetox",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(rule) for rule in RULES.values()],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    documentation = rule.documentation()
    return {
        "id": rule.id,
        "name": _pascal(rule.name),  # SARIF's convention for a rule's friendly name
        "shortDescription": {"text": _sentence(rule.summary)},
        "fullDescription": {"text": _sentence(" ".join(rule.what.split()))},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": ["polling", "real-time"], "standardSection": rule.section},
    }


def _result(finding: Finding, fingerprint: str, suppressed: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": _RULE_INDEX[finding.rule],
        "message": {"text": finding_message(finding)},
        "locations": [{"physicalLocation": _physical(finding.location)}],
        "partialFingerprints": {SUPPRESSED_FINGERPRINT_KEY if suppressed else FINGERPRINT_KEY: fingerprint},
    }
    if suppressed or finding.status == Status.ALLOWED:
        result["kind"] = "informational"
        result["level"] = "none"
    else:
        result["level"] = _LEVELS[finding.severity]
    if suppressed:
        result["suppressions"] = [{"kind": "inSource"}]
    if finding.related:
        result["relatedLocations"] = [
            {"id": index, "physicalLocation": _physical(related.location), "message": {"text": related.message}}
            for index, related in enumerate(finding.related, start=1)
        ]
    result["properties"] = _properties(finding)
    return result


def _properties(finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {"severity": finding.severity.value, "status": finding.status.value}
    if finding.exception:
        properties["exception"] = finding.exception
    if finding.missing:
        properties["missing"] = list(finding.missing)
    if finding.interval_seconds is not None:
        properties["intervalSeconds"] = finding.interval_seconds
    properties["polls"] = finding.polls.value
    if finding.tables:
        properties["tables"] = list(finding.tables)
    return properties


def _artifact(path: str) -> dict[str, str]:
    # A relative URI reference: spaces and other reserved characters in file names are percent-encoded.
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _physical(location: Location) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": location.line, "startColumn": location.column}
    end_line = max(location.end_line, location.line)
    end_column = location.end_column
    if end_line == location.line and end_column <= location.column:
        end_column = location.column + 1  # SARIF regions end after their last character
    region["endLine"] = end_line
    region["endColumn"] = end_column
    return {"artifactLocation": _artifact(location.path), "region": region}


def _notification(error: ScanError) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact(error.path)}
    if error.line:
        location["region"] = {"startLine": error.line}
    return {
        "level": "error",
        "message": {"text": _sentence(f"{error.path}: {error.message}")},
        "locations": [{"physicalLocation": location}],
    }


def _pascal(kebab: str) -> str:
    return "".join(part.capitalize() for part in kebab.split("-"))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
