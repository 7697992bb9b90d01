"""Score `polldetox scan` against hand labels of real applications.

For every application of manifest.toml: extract its pinned commit from a local bare mirror, scan it
with `polldetox scan --format json`, and match each finding of a site rule to the hand labels in
labels/<app>.jsonl (same path, finding line inside the label's [line, end_line]). Prints precision
and recall per application, per rule, per label kind and overall, and how often the facts of the
true positives (interval, polls, tables) agree with the labels. Every unmatched finding and every
missed polling label goes to a per-application details file.

    python bench/realworld/score.py                     # every labeled application
    python bench/realworld/score.py --apps redash,flower --details
    python bench/realworld/score.py --markdown          # the tables for bench/README.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for snapshots.py
from snapshots import extract as extract_snapshot

HERE = Path(__file__).resolve().parent
# PD301 pairs two sites and PD901 reports an unused suppression comment: neither is a site.
NON_SITE_RULES = frozenset({"PD301", "PD901"})
VERDICTS = frozenset({"polling", "not_polling"})
KINDS = frozenset({"loop", "timer", "query_option", "scheduler", "schedule_entry", "rxjs", "other"})
POLLS = frozenset({"database", "http", "file", "memory", "unknown"})


@dataclass(frozen=True, slots=True)
class App:
    name: str
    repo: str
    commit: str
    kinds: tuple[str, ...]
    description: str
    paths: tuple[str, ...] = (".",)
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Label:
    path: str
    line: int
    end_line: int
    verdict: str
    kind: str
    interval: float | None
    polls: str
    tables: frozenset[str]
    reason: str

    @property
    def polling(self) -> bool:
        return self.verdict == "polling"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    path: str
    line: int
    message: str
    interval: float | None
    polls: str
    tables: frozenset[str]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Facts of the matched true positives that agree with the label, out of those comparable."""

    interval: tuple[int, int] = (0, 0)
    polls: tuple[int, int] = (0, 0)
    tables: tuple[int, int] = (0, 0)


@dataclass(frozen=True, slots=True)
class Score:
    """The outcome of matching one application's findings to its labels."""

    findings: tuple[tuple[Finding, Label | None], ...]  # each site finding with the label it falls in
    missed: tuple[Label, ...]  # polling labels no finding falls in
    labels: tuple[Label, ...]
    agreement: Agreement = field(default_factory=Agreement)

    @property
    def true_positives(self) -> int:
        return sum(1 for _, label in self.findings if label is not None and label.polling)

    @property
    def false_positives(self) -> int:
        return len(self.findings) - self.true_positives

    @property
    def polling_labels(self) -> int:
        return sum(1 for label in self.labels if label.polling)

    @property
    def found(self) -> int:
        return self.polling_labels - len(self.missed)


class CorpusError(Exception):
    """The manifest, a label file or a mirror is not usable; the message says what to do."""


def load_manifest(path: Path) -> list[App]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    apps = []
    for entry in data.get("app", []):
        commit = entry["commit"]
        if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
            raise CorpusError(f"{path}: {entry['name']}: commit must be a full 40-hex SHA, got {commit!r}")
        apps.append(
            App(
                name=entry["name"],
                repo=entry["repo"],
                commit=commit,
                kinds=tuple(entry.get("kinds", ())),
                description=entry.get("description", ""),
                paths=tuple(entry.get("paths", (".",))),
                exclude=tuple(entry.get("exclude", ())),
            )
        )
    names = [app.name for app in apps]
    if len(names) != len(set(names)):
        raise CorpusError(f"{path}: application names must be unique")
    return apps


def load_labels(path: Path) -> list[Label]:
    labels = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(text)
            label = Label(
                path=raw["path"],
                line=int(raw["line"]),
                end_line=int(raw.get("end_line", raw["line"])),
                verdict=raw["verdict"],
                kind=raw["kind"],
                interval=None if raw.get("interval") is None else float(raw["interval"]),
                polls=raw.get("polls", "unknown"),
                tables=frozenset(t.lower() for t in raw.get("tables", ())),
                reason=raw["reason"],
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise CorpusError(f"{where}: not a label ({error})") from error
        if label.verdict not in VERDICTS or label.kind not in KINDS or label.polls not in POLLS:
            raise CorpusError(f"{where}: verdict, kind or polls is not one of the allowed values")
        if label.end_line < label.line or "\\" in label.path:
            raise CorpusError(f"{where}: end_line before line, or a path with backslashes")
        labels.append(label)
    return labels


def findings_from_report(report: dict) -> list[Finding]:
    """The site findings of a `polldetox scan --format json` report."""
    return [
        Finding(
            rule=item["rule"],
            path=item["path"],
            line=int(item["line"]),
            message=item["message"],
            interval=None if item.get("interval_seconds") is None else float(item["interval_seconds"]),
            polls=item.get("polls") or "unknown",
            tables=frozenset(t.lower() for t in item.get("tables") or ()),
        )
        for item in report["findings"]
        if item["rule"] not in NON_SITE_RULES
    ]


def _innermost(finding: Finding, labels: Sequence[Label]) -> Label | None:
    """The narrowest label whose span holds the finding (a timer inside a labeled loop is its own site)."""
    holding = [label for label in labels if label.path == finding.path and label.line <= finding.line <= label.end_line]
    return min(holding, key=lambda label: (label.end_line - label.line, label.line), default=None)


def score(findings: Iterable[Finding], labels: Sequence[Label]) -> Score:
    matched = tuple((finding, _innermost(finding, labels)) for finding in findings)
    hit: dict[Label, Finding] = {}
    for finding, label in matched:
        if label is not None and label.polling:
            hit.setdefault(label, finding)
    missed = tuple(label for label in labels if label.polling and label not in hit)
    return Score(findings=matched, missed=missed, labels=tuple(labels), agreement=_agreement(hit))


def _interval_agrees(finding: Finding, label: Label) -> bool:
    return finding.interval is not None and abs(finding.interval - label.interval) <= 0.01 * label.interval


def _agreement(hit: dict[Label, Finding]) -> Agreement:
    """Facts compared where the label knows them: interval when it is not null, polls when it is
    not `unknown`, tables when the label reads a database."""
    interval, polls, tables = [0, 0], [0, 0], [0, 0]
    for label, finding in hit.items():
        if label.interval is not None:
            interval[1] += 1
            interval[0] += _interval_agrees(finding, label)
        if label.polls != "unknown":
            polls[1] += 1
            polls[0] += finding.polls == label.polls
        if label.polls == "database":
            tables[1] += 1
            tables[0] += finding.tables == label.tables
    return Agreement(interval=tuple(interval), polls=tuple(polls), tables=tuple(tables))


def combine(scores: Iterable[Score]) -> Score:
    findings, missed, labels, agreements = [], [], [], []
    for one in scores:
        findings += one.findings
        missed += one.missed
        labels += one.labels
        agreements.append(one.agreement)

    def total(name: str) -> tuple[int, int]:
        return tuple(sum(getattr(a, name)[i] for a in agreements) for i in (0, 1))

    agreement = Agreement(interval=total("interval"), polls=total("polls"), tables=total("tables"))
    return Score(findings=tuple(findings), missed=tuple(missed), labels=tuple(labels), agreement=agreement)


# --- extraction and scanning -----------------------------------------------------------------


def find_mirror(repo: str, mirrors: Path) -> Path:
    """The bare git directory that `fetch` left for owner/name under `mirrors`."""
    base = mirrors / repo.replace("/", "+")
    for candidate in (base, *sorted(base.glob("*"))) if base.is_dir() else ():
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise CorpusError(f"no mirror of {repo} under {mirrors}: fetch `{repo}` first (github:{repo})")


def extract(app: App, git_dir: Path, workdir: Path) -> Path:
    """Write the pinned commit's files to workdir/<name>-<sha12> once (bench/snapshots.py: blobs a
    snapshot lacks and symlinks are skipped, so `git archive` failing on them does not matter)."""
    root = workdir / f"{app.name}-{app.commit[:12]}"
    done = root / ".extracted"
    if done.is_file():
        return root
    git = ["git", f"--git-dir={git_dir}"]
    if subprocess.run([*git, "cat-file", "-e", f"{app.commit}^{{commit}}"], capture_output=True).returncode:
        raise CorpusError(f"{app.repo} mirror {git_dir} lacks commit {app.commit}: fetch `{app.repo}` again")
    extract_snapshot(git_dir, app.commit, root)
    done.write_text(app.commit + "\n")
    return root


def scan(app: App, root: Path) -> dict:
    """The `polldetox scan --format json` report of the application's paths."""
    command = [sys.executable, "-m", "polldetox", "scan", *app.paths, "--format", "json", "--exit-zero", "--no-cache"]
    for pattern in app.exclude:
        command += ["--exclude", pattern]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise CorpusError(f"{app.name}: polldetox scan failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# --- reporting -------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "–"


def _fraction(pair: tuple[int, int]) -> str:
    return f"{pair[0]}/{pair[1]}" if pair[1] else "–"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _app_row(name: str, one: Score) -> list[object]:
    not_polling = len(one.labels) - one.polling_labels
    return [
        name,
        f"{one.polling_labels} / {not_polling}",
        len(one.findings),
        one.true_positives,
        one.false_positives,
        len(one.missed),
        _ratio(one.true_positives, len(one.findings)),
        _ratio(one.found, one.polling_labels),
        _fraction(one.agreement.interval),
        _fraction(one.agreement.polls),
        _fraction(one.agreement.tables),
    ]


def report_tables(scores: dict[str, Score]) -> str:
    overall = combine(scores.values())
    header = ["app", "labels (polling / not)", "findings", "TP", "FP", "missed", "precision", "recall"]
    header += ["interval", "polls", "tables"]
    rows = [_app_row(name, one) for name, one in scores.items()] + [_app_row("**overall**", overall)]
    parts = ["Per application (facts: agreeing / comparable true positives)", "", _table(header, rows)]

    by_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # findings, true positives, labels found
    for one in scores.values():
        seen: set[Label] = set()
        for finding, label in one.findings:
            counts = by_rule[finding.rule]
            counts[0] += 1
            if label is not None and label.polling:
                counts[1] += 1
                if label not in seen:
                    seen.add(label)
                    counts[2] += 1
    rule_rows = [
        [rule, n, tp, n - tp, _ratio(tp, n), f"{found} ({_ratio(found, overall.polling_labels)})"]
        for rule, (n, tp, found) in sorted(by_rule.items())
    ]
    rule_header = ["rule", "findings", "TP", "FP", "precision", "polling labels found (share of all)"]
    parts += ["", "Per rule", "", _table(rule_header, rule_rows)]

    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # polling, found, not polling, flagged
    missed = set(overall.missed)
    flagged = {label for _, label in overall.findings if label is not None and not label.polling}
    for label in overall.labels:
        counts = by_kind[label.kind]
        if label.polling:
            counts[0] += 1
            counts[1] += label not in missed
        else:
            counts[2] += 1
            counts[3] += label in flagged
    kind_rows = [[kind, p, f, _ratio(f, p), n, flag] for kind, (p, f, n, flag) in sorted(by_kind.items())]
    kind_header = ["label kind", "polling", "found", "recall", "not polling", "flagged (false positive)"]
    parts += ["", "Per label kind", "", _table(kind_header, kind_rows)]
    return "\n".join(parts)


def details(name: str, one: Score, errors: Sequence[dict] = ()) -> str:
    lines = [f"# {name}: files the scan could not read"]
    lines += [f"{error['path']}:{error.get('line') or ''} {error['message']}" for error in errors]
    lines.append(f"# {name}: unlabeled or false-positive findings")
    for finding, label in one.findings:
        if label is None:
            lines.append(f"{finding.path}:{finding.line} {finding.rule} [unlabeled] {finding.message}")
        elif not label.polling:
            lines.append(
                f"{finding.path}:{finding.line} {finding.rule} [labeled not_polling: {label.reason}] {finding.message}"
            )
    lines.append(f"# {name}: missed polling labels")
    lines += [f"{label.path}:{label.line}-{label.end_line} {label.kind} {label.reason}" for label in one.missed]
    lines.append(f"# {name}: true positives whose facts disagree (finding vs label)")
    for finding, label in one.findings:
        if label is None or not label.polling:
            continue
        wrong = []
        if label.interval is not None and not _interval_agrees(finding, label):
            wrong.append(f"interval {finding.interval} vs {label.interval}")
        if label.polls != "unknown" and finding.polls != label.polls:
            wrong.append(f"polls {finding.polls} vs {label.polls}")
        if label.polls == "database" and finding.tables != label.tables:
            wrong.append(f"tables {sorted(finding.tables)} vs {sorted(label.tables)}")
        if wrong:
            lines.append(f"{finding.path}:{finding.line} {finding.rule} " + "; ".join(wrong))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", help="comma-separated application names (default: every labeled one)")
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument("--labels", type=Path, default=HERE / "labels")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("POLLDETOX_MIRRORS", "/work/.mirror")))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/realworld-score"))
    parser.add_argument("--details", action="store_true", help="also print unmatched findings and misses")
    parser.add_argument("--markdown", action="store_true", help="print only the tables, for bench/README.md")
    args = parser.parse_args(argv)

    try:
        apps = load_manifest(args.manifest)
        if args.apps:
            wanted = set(args.apps.split(","))
            unknown = wanted - {app.name for app in apps}
            if unknown:
                raise CorpusError(f"not in the manifest: {', '.join(sorted(unknown))}")
            apps = [app for app in apps if app.name in wanted]
        scores: dict[str, Score] = {}
        for app in apps:
            label_file = args.labels / f"{app.name}.jsonl"
            if not label_file.is_file():
                print(f"{app.name}: no labels yet ({label_file}), skipped", file=sys.stderr)
                continue
            labels = load_labels(label_file)
            root = extract(app, find_mirror(app.repo, args.mirrors), args.workdir)
            report = scan(app, root)
            scores[app.name] = score(findings_from_report(report), labels)
            text = details(app.name, scores[app.name], report["errors"])
            (args.workdir / f"{app.name}.txt").write_text(text, encoding="utf-8")
            if args.details:
                print(text)
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not scores:
        print("error: no labeled application selected", file=sys.stderr)
        return 2
    print(report_tables(scores))
    if not args.markdown:
        print(f"\nDetails per application: {args.workdir}/<app>.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
