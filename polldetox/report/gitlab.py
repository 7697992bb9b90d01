"""`--format gitlab`: a GitLab Code Quality report (the `codequality` artifact of a CI job).

GitLab shows each entry in the merge request widget and compares entries between the source
and target branch by `fingerprint`, so the fingerprint is the line-independent one baselines use.
Allowed exceptions are listed at `info` severity; suppressed findings and files that could not
be scanned are not code quality issues and are left out (the text report lists them).
"""

from __future__ import annotations

import json

from polldetox.findings import Finding, ScanResult, Severity, Status
from polldetox.fingerprint import fingerprints
from polldetox.report.sarif import finding_message
from polldetox.rules import RULES

_SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render_gitlab(result: ScanResult) -> str:
    issues = [
        _issue(finding, fingerprint)
        for finding, fingerprint in zip(result.findings, fingerprints(result.findings), strict=True)
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issue(finding: Finding, fingerprint: str) -> dict[str, object]:
    location = finding.location
    return {
        "type": "issue",
        "check_name": f"{finding.rule} {finding.name}",
        "description": finding_message(finding),
        "content": {"body": RULES[finding.rule].documentation()},
        "categories": ["Performance"],
        "fingerprint": fingerprint,
        "severity": _SEVERITIES[finding.severity] if finding.status == Status.VIOLATION else "info",
        "location": {
            "path": location.path,
            "lines": {"begin": location.line, "end": max(location.end_line, location.line)},
        },
    }
