"""`--format github`: GitHub Actions workflow commands, shown as annotations on the pull request.

Escaping follows the Actions toolkit: in the message `%`, CR and LF are percent-encoded; in
property values (file, title) `:` and `,` are too, since they delimit the properties.
"""

from __future__ import annotations

from polldetox.findings import Finding, ScanError, ScanResult, Severity
from polldetox.report.sarif import finding_message

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(result: ScanResult) -> str:
    # GitHub shows only the first few annotations of each kind per step: the most severe go first.
    findings = sorted(result.findings, key=lambda finding: -finding.severity.rank)
    lines = [_annotation(finding) for finding in findings]
    lines += [_error_annotation(error) for error in result.errors]
    return "".join(f"{line}\n" for line in lines)


def _annotation(finding: Finding) -> str:
    location = finding.location
    properties = {
        "file": location.path,
        "line": str(location.line),
        "col": str(location.column),
        "endLine": str(max(location.end_line, location.line)),
        "title": f"{finding.rule} {finding.name} ({finding.status.value})",
    }
    if location.end_line == location.line and location.end_column > location.column:
        properties["endColumn"] = str(location.end_column)
    message = finding_message(finding)
    for related in finding.related:
        message += f"\nSee {related.location.path}:{related.location.line}: {related.message}"
    return _command(_COMMANDS[finding.severity], properties, message)


def _error_annotation(error: ScanError) -> str:
    properties = {"file": error.path, "title": "polldetox could not scan this file"}
    if error.line:
        properties["line"] = str(error.line)
    return _command("warning", properties, error.message)


def _command(name: str, properties: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
