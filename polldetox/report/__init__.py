"""Reports: one module per format, each a pure function of a ScanResult."""

from __future__ import annotations

from collections.abc import Callable

from polldetox.findings import ScanResult

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")


def renderer(format_name: str) -> Callable[[ScanResult], str]:
    """The function that renders a machine-readable format (text is printed by report.text)."""
    if format_name == "json":
        from polldetox.report.json import render_json

        return render_json
    if format_name == "sarif":
        from polldetox.report.sarif import render_sarif

        return render_sarif
    if format_name == "github":
        from polldetox.report.github import render_github

        return render_github
    if format_name == "gitlab":
        from polldetox.report.gitlab import render_gitlab

        return render_gitlab
    if format_name == "junit":
        from polldetox.report.junit import render_junit

        return render_junit
    raise ValueError(f"unknown report format {format_name!r}; choose one of {', '.join(FORMATS)}")
