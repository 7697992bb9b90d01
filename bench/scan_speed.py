"""Scan speed of polldetox against ast-grep (and ripgrep) over one large real Python + TypeScript tree.

    python bench/scan_speed.py [--repeat N] [--monorepos | --tree PATH ... | --with-libraries] [--profile]

Without --tree, the tree is the CPython standard library and the TypeScript sources that a few
npm packages ship (installed with npm into bench/.cache/npm); --with-libraries adds the libraries
installed next to this interpreter. --monorepos measures two real Python + TypeScript monorepos
instead, at pinned commits (MONOREPOS below), from snapshots fetched into /work/.mirror.
Every file polldetox would scan there is copied into
bench/.cache/, so every tool reads exactly the same files. Each tool runs through its command
line, as users run it, once the disk cache is warm; the runs are interleaved repetitions, and
every figure is a median with its spread, next to ast-grep measured in the same session.

--profile measures where the time goes instead: the parse time of every file that passes the byte
prefilter, charged to the trigger tokens that let it in, and a cProfile of one cold scan.

Needs: ast-grep (`pip install ast-grep-cli`), GNU time at /usr/bin/time for peak memory
(`apt-get install time`), npm for the TypeScript sources (unless --tree), and optionally
semgrep (`--semgrep PATH`, or on PATH; `pip install semgrep` in a virtualenv of its own) with the
equivalent rules in semgrep-rules/, and ripgrep (`apt-get install ripgrep`) as the read-everything floor.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polldetox
from polldetox.config import Config, load_config
from polldetox.findings import FileFacts
from polldetox.scan import crossfile, engine, policy, python, typescript
from polldetox.scan.cache import code_fingerprint
from polldetox.scan.files import discover, stat_key

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
ASTGREP_CONFIG = BENCH / "astgrep-rules" / "sgconfig.yml"
SEMGREP_RULES = BENCH / "semgrep-rules"
MIRRORS = Path(os.environ.get("POLLDETOX_MIRRORS", "/work/.mirror"))


@dataclass(frozen=True, slots=True)
class Monorepo:
    repo: str  # owner/name
    commit: str
    exclude: tuple[str, ...] = ()  # committed bundles and vendored code: not the project's source


MONOREPOS = (
    Monorepo("PrefectHQ/prefect", "ce79dd3d6cfa2b7337265498210dbc4d25bcdc98"),
    Monorepo(
        "mage-ai/mage-ai", "5640c790a2b68fb615299a4090ca930b950f14b0", exclude=("**/frontend_dist*", "**/monaco-editor")
    ),
)

# npm packages that ship their TypeScript sources under src/ (pinned: the tree must not drift).
NPM_PACKAGES = {
    "effect": "4.1.0",
    "rxjs": "7.8.2",
    "zod": "4.6.7",
    "@tanstack/query-core": "5.108.4",
    "@tanstack/react-query": "5.108.4",
}
INSTALL_HELP = {
    "ast-grep": "pip install ast-grep-cli",
    "npm": "install Node.js 20 with npm, or pass --tree",
}
# GNU time measures the peak RSS of the command alone: a child forked from this (large) Python
# process would report this process's memory as its own high-water mark.
GNU_TIME = Path("/usr/bin/time")


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # the folder it gets inside the tree
    path: Path


@dataclass(slots=True)
class LanguageTotals:
    files: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    totals: dict[tuple[str, str], LanguageTotals]  # (source name, language) -> totals

    @property
    def files(self) -> int:
        return sum(totals.files for totals in self.totals.values())

    @property
    def lines(self) -> int:
        return sum(totals.lines for totals in self.totals.values())


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    # From GNU time (None without it). CPU time is what the machine's other load disturbs least;
    # peak RSS is that of the largest process, the command or one of its workers.
    cpu_seconds: float | None
    max_rss_mb: float | None
    output: str


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: a key of the timings
class Case:
    tool: str
    variant: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    before_each: Callable[[], None] | None = None  # e.g. empty the cache for a cold run
    ok_exit_codes: tuple[int, ...] = (0,)


# --- the tree -------------------------------------------------------------------------------------


def need(program: str) -> str:
    found = shutil.which(program, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        sys.exit(f"{program} not found: {INSTALL_HELP.get(program, 'install it')}")
    return found


def default_sources(with_libraries: bool) -> list[Source]:
    sources = [Source("python-stdlib", Path(sysconfig.get_paths()["stdlib"]))]
    if with_libraries:
        sources.append(Source("python-libraries", Path(sysconfig.get_paths()["purelib"])))
    npm_root = install_npm_packages(CACHE / "npm")
    for package in NPM_PACKAGES:
        sources.append(Source("ts-" + package.lstrip("@").replace("/", "-"), npm_root / package / "src"))
    return sources


def monorepo_sources(destination: Path) -> list[Source]:
    """Each monorepo at its pinned commit, extracted once from its fetched snapshot."""
    from snapshots import extract

    sources = []
    for monorepo in MONOREPOS:
        name = monorepo.repo.split("/")[1]
        target = destination / f"{name}-{monorepo.commit[:12]}"
        if not (target / ".extracted").is_file():
            git_dir = MIRRORS / monorepo.repo.replace("/", "+") / "repo"
            if not git_dir.is_dir():
                sys.exit(f"no snapshot of {monorepo.repo} at {git_dir}: fetch github:{monorepo.repo} first")
            shutil.rmtree(target, ignore_errors=True)
            print(f"extracting {monorepo.repo} at {monorepo.commit[:12]} ...", file=sys.stderr)
            extracted = extract(git_dir, monorepo.commit, target, monorepo.exclude)
            (target / ".extracted").write_text(json.dumps({"files": extracted.files, "missing": extracted.missing}))
        sources.append(Source(name, target))
    return sources


def install_npm_packages(prefix: Path) -> Path:
    modules = prefix / "node_modules"
    wanted = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    installed = all((modules / name / "package.json").is_file() for name in NPM_PACKAGES)
    if installed and all(
        json.loads((modules / name / "package.json").read_text())["version"] == version
        for name, version in NPM_PACKAGES.items()
    ):
        return modules
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "package.json").write_text('{"private": true}\n')
    print(f"installing {' '.join(wanted)} into {prefix} ...", file=sys.stderr)
    command = [need("npm"), "install", "--prefix", str(prefix), "--ignore-scripts", "--no-audit", "--no-fund"]
    subprocess.run([*command, *wanted], check=True, stdout=subprocess.DEVNULL)
    return modules


def build_tree(sources: Sequence[Source], root: Path) -> Tree:
    """Copy every file polldetox would scan under each source into root/<source name>/.

    The copy holds only those files, so ast-grep and ripgrep read exactly what polldetox reads,
    and it carries its own .polldetox.toml so that nothing above it (a .gitignore, a pyproject)
    changes what is scanned.
    """
    manifest = root / ".bench-manifest.json"
    wanted = [[source.name, str(source.path)] for source in sources]
    if manifest.is_file():
        recorded = json.loads(manifest.read_text())
        if recorded["sources"] == wanted:
            totals = {(entry[0], entry[1]): LanguageTotals(*entry[2:]) for entry in recorded["totals"]}
            return Tree(root, totals)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / ".polldetox.toml").write_text("# the scan-speed tree: project defaults\n")
    (root / ".semgrepignore").write_text("# empty: semgrep reads every file, as the other tools do\n")
    totals: dict[tuple[str, str], LanguageTotals] = {}
    for source in sources:
        for found in discover([source.path], Config(root=source.path)).files:
            target = root / source.name / found.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found.path, target)
            data = target.read_bytes()
            language = totals.setdefault((source.name, found.language), LanguageTotals())
            language.files += 1
            language.lines += data.count(b"\n")
            language.bytes += len(data)
    tree = Tree(root, totals)
    scanned = len(discover([root], load_config(root)).files)
    if scanned != tree.files:
        sys.exit(f"the tree holds {tree.files} source files but polldetox discovers {scanned} there")
    entries = [[name, language, t.files, t.lines, t.bytes] for (name, language), t in totals.items()]
    manifest.write_text(json.dumps({"sources": wanted, "totals": entries}))
    return tree


# --- running a command ----------------------------------------------------------------------------


def run(case: Case) -> Run:
    """Run one command to completion: wall time, peak RSS and its standard output."""
    if case.before_each is not None:
        case.before_each()
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile() as output:
        command = case.command
        if GNU_TIME.is_file():
            command = [str(GNU_TIME), "--format", "%U %S %M", "--output", usage.name, *command]
        started = time.perf_counter()
        finished = subprocess.run(command, stdout=output, stderr=subprocess.PIPE, env={**os.environ, **case.env})
        seconds = time.perf_counter() - started
        if finished.returncode not in case.ok_exit_codes:
            message = finished.stderr.decode(errors="replace")
            sys.exit(f"{' '.join(case.command)} exited {finished.returncode}:\n{message}")
        measured = usage.read().split()[-3:]  # GNU time first notes a non-zero exit status, if any
        output.seek(0)
        text = output.read().decode(errors="replace")
    if len(measured) < 3:
        return Run(seconds=seconds, cpu_seconds=None, max_rss_mb=None, output=text)
    user, system, kilobytes = measured
    return Run(seconds, cpu_seconds=float(user) + float(system), max_rss_mb=int(kilobytes) / 1024, output=text)


def fresh_directory(path: Path) -> Callable[[], None]:
    def empty() -> None:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)

    return empty


def cases(tree: Tree, work: Path, tokens: Sequence[bytes], semgrep: str | None) -> list[Case]:
    polldetox = need("polldetox")
    scan = [polldetox, "scan", str(tree.root), "--format", "json", "--exit-zero"]
    cold_cache, warm_cache = work / "cache-cold", work / "cache-warm"
    ast_grep = [need("ast-grep"), "scan", "-c", str(ASTGREP_CONFIG), "--json=stream"]
    # Read what polldetox reads: hidden files too, and no ignore file from anywhere.
    for kind in ("hidden", "dot", "exclude", "global", "parent", "vcs"):
        ast_grep += ["--no-ignore", kind]
    found = [
        Case("polldetox", "cold -j1", [*scan, "-j", "1"], {"POLLDETOX_CACHE_DIR": str(cold_cache)},
             fresh_directory(cold_cache)),
        Case("polldetox", "cold -j2", [*scan, "-j", "2"], {"POLLDETOX_CACHE_DIR": str(cold_cache)},
             fresh_directory(cold_cache)),
        Case("polldetox", "warm -j2", [*scan, "-j", "2"], {"POLLDETOX_CACHE_DIR": str(warm_cache)}),
        Case("ast-grep", "-j1", [*ast_grep, "-j", "1", str(tree.root)], ok_exit_codes=(0, 1)),
        Case("ast-grep", "-j2", [*ast_grep, "-j", "2", str(tree.root)], ok_exit_codes=(0, 1)),
    ]  # fmt: skip
    if semgrep:
        command = [
            semgrep,
            "scan",
            "--config",
            str(SEMGREP_RULES),
            "--metrics=off",
            "--no-git-ignore",
            "--json",
            "--max-target-bytes",
            "0",
            "--timeout",
            "0",
            "-j",
            "2",
            str(tree.root),
        ]
        quiet = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
        found.append(Case("semgrep", "-j2", command, quiet, ok_exit_codes=(0, 1)))
    ripgrep = shutil.which("rg")
    if ripgrep:
        patterns = [argument for token in tokens for argument in ("-e", token.decode())]
        command = [ripgrep, "--files-with-matches", "--fixed-strings", "--no-ignore", "--hidden", "-j", "2"]
        found.append(Case("ripgrep", "trigger tokens -j2", [*command, *patterns, str(tree.root)], ok_exit_codes=(0, 1)))
    return found


def count_results(case: Case, output: str) -> str:
    if case.tool == "polldetox":
        report = json.loads(output)
        return f"{len(report['findings'])} findings, {len(report['errors'])} errors"
    if case.tool == "ast-grep":
        return f"{len(output.splitlines())} matches"
    if case.tool == "semgrep":
        report = json.loads(output)
        return f"{len(report['results'])} matches, {len(report['errors'])} errors"
    return f"{len(output.splitlines())} files"


def astgrep_files_scanned(command: list[str]) -> int | None:
    """ast-grep's own count of the files it scanned (its --inspect summary), to check the trees agree."""
    inspected = subprocess.run([*command, "--inspect", "summary"], capture_output=True, text=True)
    counted = re.search(r"scannedFileCount=(\d+)", inspected.stderr)
    return int(counted.group(1)) if counted else None


# --- the engine, stage by stage --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stages:
    seconds: dict[str, float]  # stage -> seconds, in order, then "total"
    candidates: int  # files that passed the byte prefilter


def engine_stages(tree: Tree) -> Stages:
    """One cold scan (-j1) through the engine API, timed per stage (the same steps as engine.scan)."""
    config = replace(load_config(tree.root), cache=False, jobs=1)
    times: dict[str, float] = {}
    started = time.perf_counter()
    discovery = discover([tree.root], config)
    times["discover files"] = time.perf_counter() - started
    mark = time.perf_counter()
    _, jobs = engine._changed(discovery, None)
    examined = engine._examine_all(jobs, config.jobs, None)
    times["read, byte prefilter, parse (detectors)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    facts = [item.outcome for item in examined if isinstance(item.outcome, FileFacts)]
    policy.judge(crossfile.resolve(facts, config.root, None), config)
    times["cross-file + policy"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    candidates = sum(1 for item in examined if item.digest is not None)
    return Stages(times, candidates)


def profile_cold_scan(tree: Tree, top: int = 25) -> str:
    config = replace(load_config(tree.root), cache=False, jobs=1)
    profiler = cProfile.Profile()
    profiler.runcall(engine.scan, [tree.root], config)
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("polldetox", top)
    return report.getvalue()


def parse_cost_by_token(tree: Tree) -> tuple[str, str]:
    """Parse each file that passes the prefilter, timed, and charge its time to the tokens that let it in.

    A token that is the only one found in many files, at a high parse cost, is the prefilter's
    weak spot: the files it lets in are parsed for nothing unless it really marks polling.
    """
    config = replace(load_config(tree.root), cache=False, jobs=1)
    alone: dict[tuple[str, bytes], list[float]] = {}
    slowest: list[tuple[float, int, str]] = []
    for source in discover([tree.root], config).files:
        data = source.path.read_bytes()
        found = [token for token in engine._detector(source.language).TRIGGER_TOKENS if token in data]
        if not found:
            continue
        started = time.perf_counter()
        engine._examine(
            engine._Job(source.relative, source.language, source.filename, stat_key(source.path.stat()), None)
        )
        seconds = time.perf_counter() - started
        slowest.append((seconds, data.count(b"\n"), source.relative))
        if len(found) == 1:
            alone.setdefault((source.language, found[0]), []).append(seconds)
    total = sum(seconds for seconds, _, _ in slowest)
    tokens = [
        f"Parsing the {len(slowest):,} files that pass the prefilter takes {total:.1f} s (-j1). "
        "Files let in by one token alone:\n",
        "| language | only token | files | parse s | share of parse time |",
        "|---|---|---:|---:|---:|",
    ]
    for (language, token), times in sorted(alone.items(), key=lambda item: -sum(item[1])):
        share = sum(times) / total
        tokens.append(f"| {language} | `{token.decode()}` | {len(times)} | {sum(times):.1f} | {share:.0%} |")
    files = ["| file | lines | parse s | lines/s |", "|---|---:|---:|---:|"]
    for seconds, lines, relative in sorted(slowest, reverse=True)[:10]:
        files.append(f"| {relative} | {lines:,} | {seconds:.2f} | {lines / seconds:,.0f} |")
    return "\n".join(tokens), "\n".join(files)


# --- the report -----------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def median_of(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def shown(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def tree_table(tree: Tree) -> str:
    rows = ["| source | language | files | lines | MB |", "|---|---|---:|---:|---:|"]
    by_language: dict[str, LanguageTotals] = {}
    for (name, language), totals in sorted(tree.totals.items()):
        rows.append(f"| {name} | {language} | {totals.files:,} | {totals.lines:,} | {totals.bytes / 1e6:.1f} |")
        language_totals = by_language.setdefault(language, LanguageTotals())
        language_totals.files += totals.files
        language_totals.lines += totals.lines
        language_totals.bytes += totals.bytes
    for language, totals in sorted(by_language.items()):
        rows.append(f"| **all** | {language} | {totals.files:,} | {totals.lines:,} | {totals.bytes / 1e6:.1f} |")
    total_bytes = sum(totals.bytes for totals in by_language.values())
    rows.append(f"| **all** | **all** | {tree.files:,} | {tree.lines:,} | {total_bytes / 1e6:.1f} |")
    return "\n".join(rows)


def results_table(tree: Tree, timings: dict[Case, list[Run]], results: dict[Case, str]) -> str:
    baseline = next(case for case in timings if case.tool == "ast-grep" and case.variant == "-j2")
    baseline_median = statistics.median(run.seconds for run in timings[baseline])
    baseline_cpu = median_of([run.cpu_seconds for run in timings[baseline]])
    rows = [
        "| tool | run | wall s median | wall s min–max | lines/s | × ast-grep -j2 wall | CPU s median "
        "| × ast-grep -j2 CPU | peak RSS MB | output |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for case, runs in timings.items():
        median, low, high = spread([run.seconds for run in runs])
        cpu = median_of([run.cpu_seconds for run in runs])
        rss = median_of([run.max_rss_mb for run in runs])
        cpu_ratio = baseline_cpu / cpu if baseline_cpu and cpu else None
        rows.append(
            f"| {case.tool} | {case.variant} | {median:.2f} | {low:.2f}–{high:.2f} | {tree.lines / median:,.0f} "
            f"| {baseline_median / median:.2f} | {shown(cpu, '.2f')} | {shown(cpu_ratio, '.2f')} "
            f"| {shown(rss, '.0f')} | {results[case]} |"
        )
    return "\n".join(rows)


def stages_table(stages: Stages) -> str:
    total = stages.seconds["total"]
    rows = ["| stage | s | share |", "|---|---:|---:|"]
    rows += [f"| {stage} | {seconds:.2f} | {seconds / total:.0%} |" for stage, seconds in stages.seconds.items()]
    return "\n".join(rows)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), load average at start {load}, Python {sys.version.split()[0]}"


def polldetox_code() -> str:
    """Which polldetox is measured: where it is imported from and the fingerprint of its detectors."""
    return f"polldetox from {Path(polldetox.__file__).parent}, detector code {code_fingerprint()}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (default 3)")
    parser.add_argument("--tree", type=Path, action="append", help="scan these folders instead of the default tree")
    parser.add_argument("--with-libraries", action="store_true", help="add this interpreter's site-packages")
    parser.add_argument("--monorepos", action="store_true", help="scan the pinned prefect + mage-ai tree instead")
    parser.add_argument("--semgrep", help="the semgrep command to compare with (default: semgrep on PATH, if any)")
    parser.add_argument(
        "--profile", action="store_true", help="instead of timing: parse time per file and token, and a cProfile"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    need("ast-grep")
    need("polldetox")

    if args.monorepos:
        sources = monorepo_sources(CACHE / "monorepos")
        tree_root = CACHE / "tree-monorepos"
    elif args.tree:
        sources = [Source(f"{index}-{path.resolve().name}", path.resolve()) for index, path in enumerate(args.tree)]
        tree_root = CACHE / "tree-custom"
    else:
        sources = default_sources(args.with_libraries)
        tree_root = CACHE / ("tree-with-libraries" if args.with_libraries else "tree")
    print(f"building the tree in {tree_root} ...", file=sys.stderr)
    tree = build_tree(sources, tree_root)
    code = polldetox_code()
    print(f"## Machine\n\n{machine()}\n\n{code}\n\n## Tree\n\n{tree_table(tree)}\n")

    if args.profile:
        print("timing the parse of each file, then profiling one cold scan ...", file=sys.stderr)
        by_token, slowest = parse_cost_by_token(tree)
        print(f"## Parse time by prefilter token\n\n{by_token}\n\nThe slowest files to parse:\n\n{slowest}\n")
        print(f"## Profile of one cold scan (-j1)\n\n```\n{profile_cold_scan(tree)}```")
        return

    tokens = tuple(dict.fromkeys((*python.TRIGGER_TOKENS, *typescript.TRIGGER_TOKENS)))
    with tempfile.TemporaryDirectory(prefix="polldetox-bench-") as work:
        all_cases = cases(tree, Path(work), tokens, args.semgrep or shutil.which("semgrep"))
        # polldetox runs from compiled bytecode, as an installed package does, even where
        # PYTHONDONTWRITEBYTECODE is set (it would otherwise compile all of polldetox at every run).
        compileall.compile_dir(Path(polldetox.__file__).parent, quiet=1)
        print("warming up: the disk cache (ast-grep reads every file) and the warm facts cache ...", file=sys.stderr)
        for case in all_cases:
            if case.variant.startswith("warm") or case.variant == "-j2":
                run(case)
        timings: dict[Case, list[Run]] = {case: [] for case in all_cases}
        for repetition in range(args.repeat):
            # Rotate the order so that no tool always runs right after the same neighbour.
            shift = repetition % len(all_cases)
            for case in all_cases[shift:] + all_cases[:shift]:
                timings[case].append(run(case))
            print(f"repetition {repetition + 1}/{args.repeat} done", file=sys.stderr)
        results = {case: count_results(case, runs[-1].output) for case, runs in timings.items()}
        scanned = astgrep_files_scanned(next(c for c in all_cases if c.tool == "ast-grep").command)

    print(f"## Wall time, {args.repeat} interleaved runs each (disk cache warm)\n")
    print(results_table(tree, timings, results))
    print(f"\npolldetox discovered {tree.files:,} files, ast-grep scanned {shown(scanned, ',')}.\n")
    if scanned != tree.files:
        print("WARNING: ast-grep did not read the same files as polldetox; the comparison is off.\n")

    print("timing the engine stages ...", file=sys.stderr)
    stages = engine_stages(tree)
    passed = stages.candidates
    print(f"## Engine stages of one cold scan (-j1, no cache)\n\n{stages_table(stages)}\n")
    print(f"{passed:,} of {tree.files:,} files ({passed / tree.files:.1%}) passed the byte prefilter.\n")

    if polldetox_code() != code:
        print("WARNING: the detector code changed during the run; the figures mix two versions of it.")


if __name__ == "__main__":
    main()
