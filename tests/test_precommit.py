"""The pre-commit hook, and the CI examples of the README run for real against the demo app."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml
from ci_fixtures.scans import DEMO, JOBS_WATCHER_PY, QUEUE_WATCHER_PY, REPO_ROOT, git, init_repo, polldetox
from pre_commit.clientlib import load_manifest

HOOKS_FILE = REPO_ROOT / ".pre-commit-hooks.yaml"
CI_SECTION = "## Continuous integration"


# --- The hook -----------------------------------------------------------------------------------------


def test_hook_manifest_is_valid_for_pre_commit() -> None:
    [hook] = load_manifest(str(HOOKS_FILE))  # pre-commit's own schema check
    assert hook["id"] == "polldetox"
    assert hook["entry"] == "polldetox scan --force-exclude"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "ts", "tsx", "javascript", "jsx", "vue", "svelte"]
    assert hook["require_serial"] is False


def hook_repository(destination: Path) -> Path:
    """The package as it is in this working tree, committed in a repository of its own."""
    for name in ("polldetox", "templates", "pyproject.toml", ".pre-commit-hooks.yaml", "README.md"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, destination / name)
    (destination / "README.md").touch()  # pyproject.toml names it as the long description
    init_repo(destination)
    return destination


def try_repo(hooks: Path, project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo`: installs the hook from `hooks` into its own environment and runs it."""
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "polldetox", "--color", "never"]
    if files:
        command += ["--files", *files]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_hook_scans_staged_python_and_typescript(tmp_path: Path) -> None:
    hooks = hook_repository(tmp_path / "hooks")
    project = tmp_path / "project"
    files = {
        "pyproject.toml": '[tool.polldetox]\nextend-exclude = ["legacy/"]\n',
        "app/server/services/queue_watcher.py": QUEUE_WATCHER_PY,
        "app/server/services/clean.py": "def add(a, b):\n    return a + b\n",
        "app/client/src/Clock.tsx": (
            "export function Clock() {\n"
            "  setInterval(async () => {\n"
            "    const response = await fetch('/api/time');\n"
            "    console.log(await response.json());\n"
            "  }, 1000);\n"
            "  return null;\n"
            "}\n"
        ),
        "legacy/old_watcher.py": "import asyncio\n" + JOBS_WATCHER_PY,
        "notes.md": "while True: sleep(1)\n",
    }
    for relative, text in files.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "-A", cwd=project)  # staged: what a commit would contain

    done = try_repo(hooks, project)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "queue_watcher.py" in output and "PD102" in output
    assert "Clock.tsx" in output and "PD203" in output
    assert "old_watcher" not in output  # --force-exclude: excluded even when pre-commit names it

    clean = try_repo(hooks, project, "app/server/services/clean.py", "notes.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"polldetox\.+Passed", clean.stdout), clean.stdout


# --- The README's CI examples -------------------------------------------------------------------------


def ci_section() -> str:
    """The README's CI section, up to the next second-level heading."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert CI_SECTION in readme
    section = readme.split(CI_SECTION, 1)[1]
    return re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def yaml_examples() -> dict[str, dict]:
    """The section's YAML blocks by what they configure: GitHub workflow, GitLab job, pre-commit."""
    examples: dict[str, dict] = {}
    for block in fenced_blocks(ci_section(), "yaml"):
        document = yaml.safe_load(block)
        if "jobs" in document:
            examples["github"] = document
        elif "repos" in document:
            examples["pre-commit"] = document
        elif any(isinstance(job, dict) and "script" in job for job in document.values()):
            examples["gitlab"] = document
        else:
            pytest.fail(f"a YAML example configures nothing known:\n{block}")
    assert examples.keys() == {"github", "gitlab", "pre-commit"}
    return examples


def run_example(line: str, cwd: Path, expressions: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `polldetox ...` line of an example, with the CI system's expressions filled in."""
    for expression, value in expressions.items():
        line = line.replace(expression, value)
    assert "${{" not in line and "$CI_" not in line, f"unknown expression in {line!r}"
    program, *args = shlex.split(line)
    assert program == "polldetox"
    return polldetox(*args, cwd=cwd)


def polldetox_lines(commands: list[str]) -> list[str]:
    lines = [line.strip() for command in commands for line in command.splitlines()]
    return [line for line in lines if line.startswith("polldetox ")]


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A CI checkout of the demo app: main on origin, and a branch that adds one polling loop."""
    origin = Path(shutil.copytree(DEMO, tmp_path / "origin"))
    init_repo(origin)
    checkout = tmp_path / "checkout"
    git("clone", "-q", str(origin), str(checkout), cwd=tmp_path)
    git("checkout", "-qb", "feature", cwd=checkout)
    watcher = checkout / "app" / "server" / "services" / "jobs_watcher.py"
    watcher.write_text("import asyncio\n" + JOBS_WATCHER_PY, encoding="utf-8")
    git("add", "-A", cwd=checkout)
    git("commit", "-qm", "add a jobs watcher", cwd=checkout)
    return checkout


def test_github_actions_example_runs(pull_request: Path) -> None:
    workflow = yaml_examples()["github"]
    assert workflow["permissions"]["security-events"] == "write"
    [job] = workflow["jobs"].values()
    steps = job["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # --diff-base needs the target branch
    upload = next(step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"))

    expressions = {"${{ github.base_ref }}": "main"}
    outcomes = {}
    for step in steps:
        for line in polldetox_lines([step.get("run", "")]):
            outcomes[line] = run_example(line, pull_request, expressions)
    sarif_step, pr_step, push_step = outcomes
    assert outcomes[sarif_step].returncode == 0, outcomes[sarif_step].stderr  # --exit-zero: upload still runs
    sarif = json.loads((pull_request / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    assert outcomes[push_step].returncode == 1  # the demo app polls
    pr = outcomes[pr_step]
    assert pr.returncode == 1, pr.stderr
    annotated = {line.split("file=", 1)[1].split(",", 1)[0] for line in pr.stdout.splitlines()}
    assert annotated == {"app/server/services/jobs_watcher.py"}  # only what the pull request adds


def test_gitlab_ci_example_runs(pull_request: Path) -> None:
    jobs = yaml_examples()["gitlab"]
    [job] = [job for job in jobs.values() if isinstance(job, dict) and "script" in job]
    outcomes = [run_example(line, pull_request, {}) for line in polldetox_lines(job["script"])]
    assert [done.returncode for done in outcomes] == [0, 1], [done.stderr for done in outcomes]
    reports = job["artifacts"]["reports"]
    assert job["artifacts"]["when"] == "always"  # the report is kept when the job fails
    quality = json.loads((pull_request / reports["codequality"]).read_text(encoding="utf-8"))
    assert quality and all({"fingerprint", "severity", "location"} <= issue.keys() for issue in quality)
    junit = ElementTree.parse(pull_request / reports["junit"]).getroot()
    assert int(junit.get("failures", "0")) > 0


def test_pre_commit_example_names_the_hook(tmp_path: Path) -> None:
    config = yaml_examples()["pre-commit"]
    hook_ids = {hook["id"] for hook in load_manifest(str(HOOKS_FILE))}
    [repo] = config["repos"]
    assert {hook["id"] for hook in repo["hooks"]} <= hook_ids
    written = tmp_path / ".pre-commit-config.yaml"
    written.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(written)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_baseline_workflow_example_runs(pull_request: Path) -> None:
    shell = polldetox_lines(fenced_blocks(ci_section(), "shell"))
    write, prune = shell
    assert run_example(write, pull_request, {}).returncode == 0
    baseline = shlex.split(write)[-1]
    assert "jobs_watcher.py" in (pull_request / baseline).read_text(encoding="utf-8")
    assert run_example(f"polldetox scan --baseline {baseline}", pull_request, {}).returncode == 0
    (pull_request / "app" / "server" / "services" / "jobs_watcher.py").unlink()
    pruned = run_example(prune, pull_request, {})
    assert pruned.returncode == 0 and "Pruned 1 finding" in pruned.stderr + pruned.stdout
    assert "jobs_watcher.py" not in (pull_request / baseline).read_text(encoding="utf-8")
