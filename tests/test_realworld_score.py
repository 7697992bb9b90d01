"""The real-application scorer (bench/realworld/score.py) on a tiny hand-made corpus."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "realworld" / "score.py"


@pytest.fixture(scope="module")
def scorer():
    spec = importlib.util.spec_from_file_location("realworld_score", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while the class is built
    spec.loader.exec_module(module)
    return module


def _label(**fields) -> str:
    base = {"end_line": fields["line"], "interval": None, "polls": "http", "tables": [], "reason": "r"}
    return json.dumps(base | fields)


LABELS = "\n".join(
    [
        # a polling loop holding a nested one-shot timer: the timer is its own (not polling) site
        _label(
            path="app/worker.py",
            line=10,
            end_line=20,
            verdict="polling",
            kind="loop",
            interval=5,
            polls="database",
            tables=["Jobs"],
        ),
        _label(path="app/worker.py", line=14, verdict="not_polling", kind="timer"),
        _label(path="web/Dash.tsx", line=3, end_line=8, verdict="polling", kind="query_option", interval=10),
        _label(path="web/Clock.tsx", line=5, verdict="not_polling", kind="timer", polls="memory"),
        _label(path="web/Missed.tsx", line=1, end_line=4, verdict="polling", kind="timer", interval=2),
    ]
)

REPORT = {
    "version": "1",
    "errors": [],
    "summary": {},
    "findings": [
        {
            "rule": "PD101",
            "path": "app/worker.py",
            "line": 11,
            "message": "loop",
            "interval_seconds": 5.04,
            "polls": "database",
            "tables": ["jobs"],
        },
        {
            "rule": "PD203",
            "path": "app/worker.py",
            "line": 14,
            "message": "nested timer",
            "interval_seconds": None,
            "polls": "memory",
            "tables": [],
        },
        {
            "rule": "PD201",
            "path": "web/Dash.tsx",
            "line": 8,
            "message": "option",
            "interval_seconds": 20,
            "polls": "http",
            "tables": [],
        },
        {
            "rule": "PD203",
            "path": "web/Clock.tsx",
            "line": 5,
            "message": "clock",
            "interval_seconds": 1,
            "polls": "memory",
            "tables": [],
        },
        {
            "rule": "PD203",
            "path": "web/Other.tsx",
            "line": 9,
            "message": "unlabeled",
            "interval_seconds": 1,
            "polls": "http",
            "tables": [],
        },
        {
            "rule": "PD301",
            "path": "web/Dash.tsx",
            "line": 3,
            "message": "pair",
            "interval_seconds": None,
            "polls": "http",
            "tables": [],
        },
        {
            "rule": "PD901",
            "path": "app/worker.py",
            "line": 12,
            "message": "unused ignore",
            "interval_seconds": None,
            "polls": "unknown",
            "tables": [],
        },
    ],
}


@pytest.fixture
def scored(scorer, tmp_path):
    labels_file = tmp_path / "tiny.jsonl"
    labels_file.write_text(LABELS + "\n")
    return scorer.score(scorer.findings_from_report(REPORT), scorer.load_labels(labels_file))


def test_findings_inside_a_polling_label_are_true_positives_and_the_rest_false_positives(scored):
    verdicts = {(finding.path, finding.line): label and label.verdict for finding, label in scored.findings}
    assert verdicts == {
        ("app/worker.py", 11): "polling",
        ("app/worker.py", 14): "not_polling",  # the narrowest label wins over the loop around it
        ("web/Dash.tsx", 8): "polling",  # the span's last line still matches
        ("web/Clock.tsx", 5): "not_polling",
        ("web/Other.tsx", 9): None,
    }
    assert (scored.true_positives, scored.false_positives) == (2, 3)
    assert [label.path for label in scored.missed] == ["web/Missed.tsx"]
    assert (scored.polling_labels, scored.found) == (3, 2)


def test_pairing_and_suppression_bookkeeping_are_not_sites(scorer):
    rules = {finding.rule for finding in scorer.findings_from_report(REPORT)}
    assert rules == {"PD101", "PD201", "PD203"}


def test_facts_agree_within_one_percent_and_tables_as_case_blind_sets(scored):
    # worker: 5.04 s vs 5 s is within 1 %, tables {jobs} == {Jobs}; Dash: 20 s vs 10 s disagrees
    assert scored.agreement.interval == (1, 2)
    assert scored.agreement.polls == (2, 2)
    assert scored.agreement.tables == (1, 1)  # only labels that read a database compare tables


def test_tables_report_per_app_rule_and_kind_with_an_overall_row(scorer, scored):
    text = scorer.report_tables({"tiny": scored, "again": scored})
    assert "| tiny | 3 / 2 | 5 | 2 | 3 | 1 | 0.40 | 0.67 | 1/2 | 2/2 | 1/1 |" in text
    assert "| **overall** | 6 / 4 | 10 | 4 | 6 | 2 | 0.40 | 0.67 | 2/4 | 4/4 | 2/2 |" in text
    assert "| PD203 | 6 | 0 | 6 | 0.00 | 0 (0.00) |" in text
    assert "| loop | 2 | 2 | 1.00 | 0 | 0 |" in text
    assert "| timer | 2 | 0 | 0.00 | 4 | 4 |" in text


def test_details_list_every_unmatched_finding_miss_and_fact_disagreement(scorer, scored):
    text = scorer.details("tiny", scored)
    assert "web/Other.tsx:9 PD203 [unlabeled] unlabeled" in text
    assert "web/Clock.tsx:5 PD203 [labeled not_polling: r] clock" in text
    assert "web/Missed.tsx:1-4 timer r" in text
    assert "web/Dash.tsx:8 PD201 interval 20.0 vs 10.0" in text


def test_a_label_with_an_unknown_verdict_is_rejected(scorer, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_label(path="a.py", line=1, verdict="maybe", kind="loop") + "\n")
    with pytest.raises(scorer.CorpusError, match=r"bad\.jsonl:1"):
        scorer.load_labels(bad)


def test_the_manifest_needs_full_commit_shas(scorer, tmp_path):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[app]]\nname = "a"\nrepo = "o/a"\ncommit = "abc123"\n')
    with pytest.raises(scorer.CorpusError, match="40-hex"):
        scorer.load_manifest(manifest)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_extract_writes_the_pinned_commit_from_a_bare_mirror(scorer, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    _git("init", "-q", cwd=work)
    (work / "app").mkdir()
    (work / "app" / "poll.py").write_text("import time\nwhile True:\n    time.sleep(5)\n")
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first", cwd=work)
    first = _git("rev-parse", "HEAD", cwd=work)
    (work / "app" / "poll.py").write_text("changed later\n")
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "second", cwd=work)
    mirrors = tmp_path / "mirrors"
    _git("clone", "-q", "--bare", str(work), str(mirrors / "owner+tiny" / "repo"), cwd=tmp_path)

    app = scorer.App(name="tiny", repo="owner/tiny", commit=first, kinds=(), description="")
    root = scorer.extract(app, scorer.find_mirror("owner/tiny", mirrors), tmp_path / "out")
    assert (root / "app" / "poll.py").read_text() == "import time\nwhile True:\n    time.sleep(5)\n"
    with pytest.raises(scorer.CorpusError, match="fetch `owner/other`"):
        scorer.find_mirror("owner/other", mirrors)
