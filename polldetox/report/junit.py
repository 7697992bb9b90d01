"""`--format junit`: JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One test suite per file, one test case per finding: a violation is a failure, an allowed
exception passes, a suppressed finding is skipped, and a file that could not be scanned is an
error. A scan with nothing to list (a clean project, or every finding in the baseline) is one
passing test case: Jenkins fails a build whose test report holds no test at all.

A test case is named by its rule and the site's source, not its line (the line is an attribute):
GitLab and Jenkins track a test across runs by its name, so a finding stays the same test when
lines are added above it. Identical sites in one file are numbered in order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict

from polldetox.findings import Finding, ScanError, ScanResult, Status
from polldetox.fingerprint import normalize_snippet
from polldetox.report.sarif import finding_message

_TOTALS = ("tests", "failures", "errors", "skipped")
# Characters XML 1.0 cannot hold even escaped (file names may contain them); ElementTree writes
# them as they are, and every JUnit parser then rejects the whole report.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(result: ScanResult) -> str:
    cases: dict[str, list[ElementTree.Element]] = defaultdict(list)
    for finding in result.findings:
        cases[finding.location.path].append(_finding_case(finding, suppressed=False))
    for finding in result.suppressed:
        cases[finding.location.path].append(_finding_case(finding, suppressed=True))
    for error in result.errors:
        cases[error.path].append(_error_case(error))
    if not cases:
        cases["polldetox"].append(_clean_case(result))
    root = ElementTree.Element("testsuites", name="polldetox")
    for path in sorted(cases):
        suite = ElementTree.SubElement(root, "testsuite", name=path)
        suite.extend(_numbered(cases[path]))
        _set_totals(suite, _case_totals(cases[path]))
    suites = root.findall("testsuite")
    _set_totals(root, {key: sum(int(suite.get(key, "0")) for suite in suites) for key in _TOTALS})
    _make_xml_safe(root)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _finding_case(finding: Finding, suppressed: bool) -> ElementTree.Element:
    location = finding.location
    case = ElementTree.Element(
        "testcase",
        name=f"{finding.rule} {finding.name}: {normalize_snippet(finding.snippet)}",
        classname=location.path,
        file=location.path,
        line=str(location.line),
    )
    if suppressed:
        ElementTree.SubElement(case, "skipped", message="suppressed by a polldetox: ignore comment")
    elif finding.status == Status.VIOLATION:
        failure = ElementTree.SubElement(case, "failure", message=finding.message, type=finding.rule)
        failure.text = f"{location.path}:{location.line}:{location.column}: {finding_message(finding)}"
    else:
        ElementTree.SubElement(case, "system-out").text = finding_message(finding)
    return case


def _numbered(cases: list[ElementTree.Element]) -> list[ElementTree.Element]:
    """Tell test cases of one suite with the same name apart: the second is "(2)", and so on."""
    seen: Counter[str] = Counter()
    for case in cases:
        name = case.get("name", "")
        seen[name] += 1
        if seen[name] > 1:
            case.set("name", f"{name} ({seen[name]})")
    return cases


def _error_case(error: ScanError) -> ElementTree.Element:
    case = ElementTree.Element("testcase", name="scan", classname=error.path, file=error.path)
    ElementTree.SubElement(case, "error", message=error.message, type="ScanError").text = error.message
    return case


def _clean_case(result: ScanResult) -> ElementTree.Element:
    files = f"{result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
    case = ElementTree.Element("testcase", name="no polling to report", classname="polldetox")
    ElementTree.SubElement(case, "system-out").text = f"polldetox scanned {files} and has no finding to report."
    return case


def _make_xml_safe(root: ElementTree.Element) -> None:
    for element in root.iter():
        element.attrib = {key: _NOT_XML.sub("\ufffd", value) for key, value in element.attrib.items()}
        if element.text:
            element.text = _NOT_XML.sub("\ufffd", element.text)


def _case_totals(cases: list[ElementTree.Element]) -> dict[str, int]:
    return {
        "tests": len(cases),
        "failures": sum(1 for case in cases if case.find("failure") is not None),
        "errors": sum(1 for case in cases if case.find("error") is not None),
        "skipped": sum(1 for case in cases if case.find("skipped") is not None),
    }


def _set_totals(element: ElementTree.Element, totals: dict[str, int]) -> None:
    for key in _TOTALS:
        element.set(key, str(totals[key]))
