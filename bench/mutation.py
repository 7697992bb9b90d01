"""Mutation score of the gatekeeping modules: the CLI, configuration, baseline, git diff, reports, policy.

A benchmark, not a CI step: it takes tens of minutes on two cores. mutmut (3.x) rewrites each function
of the modules below into many small variants and runs, for each variant, the tests that call that
function (it records which tests reach which function in a first, clean run). A variant the tests
still pass on "survived": no test would notice that bug.

mutmut writes a `mutants/` folder beside the sources, so the run happens in a scratch copy of the
repository, never in the working tree. It runs niced, so other work on the machine keeps its cores.

    pip install 'mutmut>=3.8,<4'
    python bench/mutation.py                  # every module, in /tmp/polldetox-mutation
    python bench/mutation.py --jobs 1 --keep  # one worker; keep the copy to inspect (`mutmut show NAME`)

Prints killed / survived per module and lists the survivors. The templates have their own script,
bench/template_mutation.py, as mutmut only mutates Python.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Module (mutmut's glob on the path) -> the test files that call it in process. Tests that run
# `python -m polldetox` in a subprocess import the unmutated package and cannot kill a mutant: their
# files are left out, as they only slow mutmut's clean and statistics passes.
MODULES = {
    "polldetox/cli.py": ("test_cli.py", "test_cli_scan.py", "test_status.py", "test_report_html.py"),
    "polldetox/config.py": ("test_config.py", "test_cli.py", "test_cli_scan.py", "test_policy.py"),
    "polldetox/baseline.py": ("test_baseline.py", "test_cli_scan.py"),
    "polldetox/gitdiff.py": ("test_gitdiff.py", "test_cli_scan.py"),
    # The reports in groups, each with only the tests that render it: one run over report/*.py would
    # give every report mutant the command-line tests' scans of whole projects.
    "polldetox/report/[gj][is]*.py": ("test_report_formats.py", "test_cli.py"),  # github, gitlab, json
    "polldetox/report/junit.py": ("test_report_formats.py",),
    "polldetox/report/sarif.py": ("test_report_sarif.py", "test_report_formats.py"),
    "polldetox/report/[hi]*.py": ("test_report_html.py",),  # html, inventory
    "polldetox/report/[_st][_eu]*.py": ("test_cli.py", "test_cli_scan.py", "test_report_formats.py"),  # text, summary
    # The rule examples reach the policy through whole scans, about 30 times slower than its own tests,
    # which call it directly with facts built for each ruling.
    "polldetox/scan/policy.py": ("test_policy.py",),
}  # fmt: skip

# What the selected tests read besides the package and tests/.
ALSO_COPY = ("fixtures", "templates", "README.md")

KILLED = ("killed", "timeout", "caught by type check")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def prepare(workdir: Path, modules: list[str], *, fresh: bool) -> None:
    """A copy of the tracked files, with mutmut's settings added to its pyproject.toml.

    Unless `fresh`, an earlier copy's mutants/ folder stays: mutmut mutates again only changed files
    and tests again only mutants whose function or tests changed."""
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for relative in filter(None, listed):
        source = REPO_ROOT / relative
        if source.is_file():
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, workdir / relative)
    tests = sorted({f"tests/{name}" for module in modules for name in MODULES[module]})
    settings = f"""
[tool.mutmut]
source_paths = ["polldetox"]
only_mutate = {_toml_list(modules)}
also_copy = {_toml_list(list(ALSO_COPY))}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "mutation_fresh_caches", "-q", "--timeout", "900"]
pytest_add_cli_args_test_selection = {_toml_list(tests)}
"""
    with (workdir / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(settings)
    # The SARIF validator is an npm package: the tests find it beside them, in mutants/.
    modules_link = workdir / "mutants" / "node_modules"
    if not modules_link.is_symlink():
        modules_link.parent.mkdir(exist_ok=True)
        modules_link.symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)


def run(workdir: Path, jobs: int, mutants: list[str] = ()) -> None:
    """Test the mutants not tested yet or, when named, these again (with the tests as they are now)."""
    mutmut = Path(sys.executable).parent / "mutmut"
    # bench/ on the path: the plugin that empties polldetox's caches before each mutant's tests.
    bench = str(REPO_ROOT / "bench")
    environment = {
        **os.environ,
        "CI": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, (bench, os.environ.get("PYTHONPATH")))),
    }
    environment.pop("POLLDETOX_DEBUG", None)
    command = ["nice", "-n", "15", str(mutmut), "run", "--max-children", str(jobs), *mutants]
    subprocess.run(command, cwd=workdir, env=environment, check=False)


def results(workdir: Path) -> dict[str, str]:
    """Mutant name -> status, for every mutant."""
    mutmut = Path(sys.executable).parent / "mutmut"
    listed = subprocess.run(
        [str(mutmut), "results", "--all", "true"], cwd=workdir, capture_output=True, text=True, check=True
    ).stdout
    return dict(re.findall(r"^\s*(\S+): (.+)$", listed, flags=re.M))


def report(statuses: dict[str, str]) -> None:
    """Per module: mutants tested, killed, not killed (survived or no test reaches them), score.

    Mutants an interrupted run did not reach yet ("not checked") are counted apart, not in the score."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for name, status in sorted(statuses.items()):
        module = name.split(".x", 1)[0].replace(".", "/")
        module += "/__init__.py" if (REPO_ROOT / module).is_dir() else ".py"
        by_module[module][status] += 1
        if status not in (*KILLED, "not checked"):
            survivors[module].append(f"{name}: {status}")
    print(f"\n{'module':<32}{'tested':>8}{'killed':>8}{'not':>8}{'score':>8}{'pending':>9}")
    totals: Counter[str] = Counter()
    for module, counts in [*sorted(by_module.items()), ("all", None)]:
        counts = counts if counts is not None else totals
        pending = counts["not checked"]
        tested = sum(counts.values()) - pending if module != "all" else counts["tested"]
        killed = sum(counts[status] for status in KILLED) if module != "all" else counts["killed"]
        if module != "all":
            totals.update(tested=tested, killed=killed, pending=pending)
        else:
            pending = counts["pending"]
        score = f"{killed / tested:.1%}" if tested else "-"
        print(f"{module:<32}{tested:>8}{killed:>8}{tested - killed:>8}{score:>8}{pending:>9}")
    for module, names in sorted(survivors.items()):
        print(f"\nNot killed in {module}:")
        for name in names:
            print(f"  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="only these (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default: 2)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/polldetox-mutation"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument(
        "--resume", action="store_true", help="finish the run kept in --workdir, then test its survivors again"
    )
    parser.add_argument("--report-only", action="store_true", help="report the last run in --workdir")
    options = parser.parse_args()
    if not options.report_only:
        prepare(options.workdir, options.module or sorted(MODULES), fresh=not options.resume)
        run(options.workdir, options.jobs)
    if options.resume and not options.report_only:
        # mutmut keeps a verdict once given: tests added since cannot kill a survivor unless it is named.
        survivors = [
            name for name, status in results(options.workdir).items() if status not in (*KILLED, "not checked")
        ]
        if survivors:
            run(options.workdir, options.jobs, survivors)
    report(results(options.workdir))
    if not (options.keep or options.resume or options.report_only):
        shutil.rmtree(options.workdir)


if __name__ == "__main__":
    main()
