"""README.md's opening commands are the ones that work: CI runs the same test command."""

import re

from tests.conftest import REPO_ROOT


def opening_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", readme, flags=re.S)[:2]


def test_readme_opens_with_an_install_and_scan_command_and_a_test_command() -> None:
    scan, tests = opening_commands()
    assert "pip install ." in scan and scan.endswith("polldetox scan fixtures/demo")
    assert "'.[test]'" in tests and "npm ci" in tests and tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = opening_commands()
    ci_script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci_script.splitlines()
