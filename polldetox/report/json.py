"""`--format json`: one object {"version", "findings", "errors", "summary"} (the documented contract)."""

from __future__ import annotations

import json
from dataclasses import asdict

from polldetox import __version__
from polldetox.findings import Finding, ScanResult
from polldetox.fingerprint import fingerprints
from polldetox.report.summary import summarize


def finding_to_dict(finding: Finding, fingerprint: str) -> dict[str, object]:
    location = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
        "message": finding.message,
        "snippet": finding.snippet,
        "interval_seconds": finding.interval_seconds,
        "polls": finding.polls.value,
        "tables": list(finding.tables),
        "exception": finding.exception,
        "missing": list(finding.missing),
        "recommendation": finding.recommendation,
        "scaffold": finding.scaffold,
        "related": [
            {"path": r.location.path, "line": r.location.line, "column": r.location.column, "message": r.message}
            for r in finding.related
        ],
        "fingerprint": fingerprint,
    }


def render_json(result: ScanResult) -> str:
    document = {
        "version": __version__,
        "findings": [
            finding_to_dict(finding, fingerprint)
            for finding, fingerprint in zip(result.findings, fingerprints(result.findings), strict=True)
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
        "summary": asdict(summarize(result)),
    }
    return json.dumps(document, indent=2) + "\n"
