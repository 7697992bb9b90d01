"""SARIF 2.1.0: checked by Microsoft's SARIF validator and by what code scanning relies on."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

from ci_fixtures.results import DEV_TOOL, HANDMADE, PAIR, SILENCED, TRIGGER, WATCHER
from ci_fixtures.scans import DEMO, QUEUE_WATCHER_PY, REPO_ROOT, polldetox

from polldetox import __version__
from polldetox.findings import ScanResult
from polldetox.report.sarif import MAX_RESULTS, render_sarif
from polldetox.rules import RULES

# The validator `npm ci` installs from package.json; SARIF_MULTITOOL points at another npm install of it.
VALIDATOR = Path(os.environ.get("SARIF_MULTITOOL", REPO_ROOT / "node_modules" / ".bin" / "sarif-multitool"))


def validator_problems(sarif: str, tmp_path: Path) -> list[str]:
    """Errors and warnings of `sarif-multitool validate` (its notes are advice, not problems).

    Both rule sets run: the SARIF specification's, and GitHub's rules for what code scanning ingests.
    """
    log = tmp_path / "scan.sarif"
    log.write_text(sarif, encoding="utf-8")
    report = tmp_path / "validation.sarif"
    done = subprocess.run(
        # The npm launcher hands its arguments to a shell: the list keeps its quotes.
        [
            str(VALIDATOR),
            "validate",
            str(log),
            "--output",
            str(report),
            "--log",
            "ForceOverwrite",
            "--rule-kind",
            '"Gh;Sarif"',
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and report.is_file(), f"the validator did not run:\n{done.stdout}\n{done.stderr}"
    results = json.loads(report.read_text(encoding="utf-8"))["runs"][0]["results"]
    print(done.stdout)  # pytest shows it on failure, with any notes
    return [
        f"{r['level']} {r['ruleId']}: {r['message'].get('arguments') or r['message'].get('text')}"
        for r in results
        if r.get("level") in ("error", "warning")
    ]


def run_of(result: ScanResult) -> dict:
    log = json.loads(render_sarif(result))
    assert log["version"] == "2.1.0"
    return log["runs"][0]


def test_handmade_result_passes_the_validator(tmp_path: Path) -> None:
    assert validator_problems(render_sarif(HANDMADE), tmp_path) == []


def test_demo_app_scan_passes_the_validator(tmp_path: Path) -> None:
    output = tmp_path / "demo.sarif"
    done = polldetox("scan", str(DEMO), "--format", "sarif", "--output", str(output), "--no-cache", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    sarif = output.read_text(encoding="utf-8")
    assert json.loads(sarif)["runs"][0]["results"], "the demo app has polling to report"
    assert validator_problems(sarif, tmp_path) == []


def test_driver_describes_the_tool_and_every_rule() -> None:
    driver = run_of(HANDMADE)["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("polldetox", __version__, __version__)
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    backend = driver["rules"][list(RULES).index("PD101")]
    assert backend["name"] == "BackendPollingLoop"
    assert backend["shortDescription"]["text"] == RULES["PD101"].summary + "."
    assert backend["fullDescription"]["text"].startswith("Finds loops in backend code")
    assert RULES["PD101"].section in backend["help"]["markdown"]
    assert "## Use instead" in backend["help"]["markdown"] and backend["help"]["text"]
    assert backend["defaultConfiguration"] == {"level": "error"}
    manual = driver["rules"][list(RULES).index("PD205")]
    assert manual["defaultConfiguration"] == {"level": "note"}  # info


def test_violation_result_points_at_its_rule_and_region() -> None:
    run = run_of(HANDMADE)
    first = run["results"][0]
    assert first["ruleId"] == "PD101"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "PD101"
    assert first["level"] == "error" and "kind" not in first
    assert first["message"]["text"].startswith(WATCHER.message)
    assert "polldetox scaffold queue_items" in first["message"]["text"]
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "app/server/services/queue_watcher.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 5, "startColumn": 5, "endLine": 9, "endColumn": 35},
            }
        }
    ]
    assert first["properties"]["intervalSeconds"] == 2.0


def test_file_names_are_percent_encoded_uri_references() -> None:
    pair = run_of(HANDMADE)["results"][1]
    uri = pair["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "app/client/src/components/Queue%2C%20Panel%3A%20v2.tsx"


def test_double_polling_links_both_halves() -> None:
    pair = run_of(HANDMADE)["results"][1]
    assert pair["ruleId"] == "PD301"
    related = pair["relatedLocations"]
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in related] == [
        PAIR.related[0].location.path,
        PAIR.related[1].location.path,
    ]
    assert [r["id"] for r in related] == [1, 2]
    assert related[1]["message"]["text"] == "route GET /api/v1/queue"


def test_allowed_exceptions_are_informational_and_never_fail() -> None:
    results = run_of(HANDMADE)["results"]
    allowed = [r for r in results if r["properties"]["status"] == "allowed"]
    assert [(r["ruleId"], r["kind"], r["level"]) for r in allowed] == [
        (DEV_TOOL.rule, "informational", "none"),
        (TRIGGER.rule, "informational", "none"),
    ]
    assert allowed[1]["properties"]["missing"] == list(TRIGGER.missing)
    assert "Use instead" not in allowed[0]["message"]["text"]


def test_suppressed_findings_carry_an_in_source_suppression() -> None:
    suppressed = [r for r in run_of(HANDMADE)["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["ruleId"] == SILENCED.rule
    assert suppressed[0]["suppressions"] == [{"kind": "inSource"}]
    assert list(suppressed[0]["partialFingerprints"]) == ["polldetox/suppressed/v1"]
    assert (suppressed[0]["kind"], suppressed[0]["level"]) == ("informational", "none")


def test_scan_errors_are_tool_notifications() -> None:
    invocation = run_of(HANDMADE)["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "app/server/broken.py",
        "app/client/src/bad.ts",
    ]
    assert notes[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert notes[0]["level"] == "error" and "invalid syntax" in notes[0]["message"]["text"]


def test_an_empty_region_still_ends_after_it_starts() -> None:
    point = replace(WATCHER, location=replace(WATCHER.location, end_line=5, end_column=5))
    region = run_of(ScanResult(findings=(point,), errors=()))["results"][0]["locations"][0]["physicalLocation"]
    assert region["region"] == {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 6}


def test_results_stop_at_the_code_scanning_limit() -> None:
    many = tuple(replace(WATCHER, location=replace(WATCHER.location, line=n, end_line=n)) for n in range(1, 25_003))
    run = run_of(ScanResult(findings=many, errors=()))
    assert len(run["results"]) == MAX_RESULTS
    notice = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert notice["level"] == "warning" and "25002" in notice["message"]["text"]


def test_partial_fingerprints_survive_lines_added_above(tmp_path: Path) -> None:
    source = tmp_path / "app" / "server" / "services" / "queue_watcher.py"
    source.parent.mkdir(parents=True)
    source.write_text(QUEUE_WATCHER_PY, encoding="utf-8")

    def scan() -> list[tuple[str, int]]:
        done = polldetox("scan", ".", "--format", "sarif", "--no-cache", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        return [
            (r["partialFingerprints"]["polldetox/v1"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in json.loads(done.stdout)["runs"][0]["results"]
        ]

    before = scan()
    source.write_text('"""Queue watcher."""\n\nimport logging\n\n' + QUEUE_WATCHER_PY, encoding="utf-8")
    after = scan()
    assert len(before) == 1
    assert [fingerprint for fingerprint, _ in after] == [fingerprint for fingerprint, _ in before]
    assert after[0][1] == before[0][1] + 4


def test_every_result_of_the_hand_made_scan_in_full() -> None:
    run = run_of(HANDMADE)
    assert list(run) == ["tool", "invocations", "columnKind", "results"] and run["columnKind"] == "unicodeCodePoints"
    results = [{k: v for k, v in r.items() if k not in ("locations", "relatedLocations")} for r in run["results"]]
    keys = [list(r.pop("partialFingerprints")) for r in results]
    assert keys == [["polldetox/v1"]] * 5 + [["polldetox/suppressed/v1"]]
    assert results == [
        {"ruleId": "PD101", "ruleIndex": 0, "message": {"text": "Backend watcher `watch_queue` polls table queue_items "
         "every 2 s (while True + asyncio.sleep). Use instead: PostgreSQL NOTIFY trigger on queue_items and a LISTEN "
         "callback (Event Detection Method 1). Scaffold it with `polldetox scaffold queue_items`."}, "level": "error",
         "properties": {"severity": "error", "status": "violation", "intervalSeconds": 2.0, "polls": "database",
                        "tables": ["queue_items"]}},
        {"ruleId": "PD301", "ruleIndex": 8, "message": {"text": "useQuery refetchInterval in `QueuePanel` polls every "
         "5 s while Backend watcher `watch_queue` polls."}, "level": "error",
         "properties": {"severity": "error", "status": "violation", "polls": "database", "tables": ["queue_items"]}},
        {"ruleId": "PD201", "ruleIndex": 3, "message": {"text": "useQuery refetchInterval in `QueuePanel` polls "
         "/api/v1/queue every 5 s\n100% of the time, a:b. Use instead: Subscribe with useQueueWebSocket(), fed by "
         "the backend's event broadcast; remove the polling."}, "level": "warning",
         "properties": {"severity": "warning", "status": "violation", "intervalSeconds": 5.0, "polls": "http"}},
        {"ruleId": "PD101", "ruleIndex": 0, "message": {"text": "Backend watcher `monitor` polls the file system every "
         "10 s. Allowed as a development tool."}, "kind": "informational", "level": "none",
         "properties": {"severity": "info", "status": "allowed", "exception": "devtool", "intervalSeconds": 10.0,
                        "polls": "file"}},
        {"ruleId": "PD103", "ruleIndex": 2, "message": {"text": "Scheduled job `check_issues` polls an HTTP endpoint "
         "every 20 s. Allowed as an automation trigger."}, "kind": "informational", "level": "none",
         "properties": {"severity": "warning", "status": "allowed", "exception": "trigger",
                        "missing": ["a comment that says why webhooks are not used"], "intervalSeconds": 20.0,
                        "polls": "http"}},
        {"ruleId": "PD203", "ruleIndex": 5, "message": {"text": "setInterval fetches /api/time every 1 s."},
         "kind": "informational", "level": "none", "suppressions": [{"kind": "inSource"}],
         "properties": {"severity": "error", "status": "violation", "intervalSeconds": 1.0, "polls": "http"}},
    ]  # fmt: skip
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "app/server/broken.py: invalid syntax.",
        "app/client/src/bad.ts: not UTF-8.",
    ]
    assert "region" not in notes[1]["locations"][0]["physicalLocation"]
    assert notes[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["properties"] == {"tags": ["polling", "real-time"], "standardSection": RULES["PD101"].section}
    assert rule["help"] == {"text": RULES["PD101"].documentation(), "markdown": RULES["PD101"].documentation()}
    assert rule["fullDescription"]["text"] == " ".join(RULES["PD101"].what.split())  # already a sentence


def test_messages_end_as_sentences_and_allowed_sites_get_no_advice() -> None:
    from polldetox.report.sarif import finding_message

    advised = replace(DEV_TOOL, message=" Polls every 10 s? ", recommendation="Use a webhook!", scaffold="x")
    assert finding_message(advised) == "Polls every 10 s?"
    violation = replace(advised, status=WATCHER.status)
    assert finding_message(violation) == "Polls every 10 s? Use instead: Use a webhook! Scaffold it with `x`."


def test_a_region_never_ends_before_it_starts() -> None:
    backwards = replace(WATCHER, location=replace(WATCHER.location, line=8, column=4, end_line=6, end_column=2))
    region = run_of(ScanResult(findings=(backwards,), errors=()))["results"][0]["locations"][0]["physicalLocation"]
    assert region["region"] == {"startLine": 8, "startColumn": 4, "endLine": 8, "endColumn": 5}
    later = replace(WATCHER, location=replace(WATCHER.location, line=8, column=4, end_line=8, end_column=9))
    region = run_of(ScanResult(findings=(later,), errors=()))["results"][0]["locations"][0]["physicalLocation"]
    assert region["region"] == {"startLine": 8, "startColumn": 4, "endLine": 8, "endColumn": 9}
