"""Files migrate creates under a git-ignored folder are listed, so a review of `git status` does not miss them."""

from __future__ import annotations

import json
from pathlib import Path

from ci_fixtures.scans import git, init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app

RUNS = """\
import { useQuery } from '@tanstack/react-query';

export function Runs() {
  const { data } = useQuery({
    queryKey: ['workflow-runs'],
    queryFn: () => fetch('/api/workflow-runs').then((r) => r.json()),
    refetchInterval: 1000,
  });
  return data;
}
"""


def project(root: Path, gitignore: str | None) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "db").mkdir()
    (root / "package.json").write_text('{"name": "runs", "dependencies": {"@tanstack/react-query": "^5"}}\n')
    (root / "db/schema.sql").write_text("CREATE TABLE workflow_runs (id uuid PRIMARY KEY, status text NOT NULL);\n")
    (root / "src/Runs.tsx").write_text(RUNS)
    if gitignore is not None:
        (root / ".gitignore").write_text(gitignore)
    init_repo(root)
    return root


def migrate(root: Path, *arguments: str) -> Result:
    schema = str(root / "db/schema.sql")
    return CliRunner().invoke(app, ["migrate", "workflow_runs", "--schema", schema, *arguments, "--root", str(root)])


def test_created_files_git_ignores_are_listed_in_the_report_and_the_plan(tmp_path: Path) -> None:
    root = project(tmp_path / "runs", "node_modules\napp\n")
    plan = json.loads(migrate(root, "--dry-run", "--format", "json").stdout)
    created = [edit["path"] for edit in plan["edits"] if edit["action"] == "create"]
    assert created and all(path.startswith("app/") for path in created)
    assert plan["ignored"] == created
    done = migrate(root)
    assert done.exit_code == 0, done.output
    warning = next(line for line in done.stdout.splitlines() if line.startswith("warning:"))
    assert warning.startswith(
        f"warning: git ignores {len(created)} files this run created, so `git status` and `git diff` do not show them"
    )
    assert warning.endswith(": " + ", ".join(created))
    shown = git("status", "--porcelain", cwd=root)
    assert shown.strip() == "M src/Runs.tsx"  # what the warning is for: the new files are not there


def test_nothing_is_listed_when_git_keeps_every_created_file(tmp_path: Path) -> None:
    root = project(tmp_path / "runs", "node_modules\n")
    plan = json.loads(migrate(root, "--dry-run", "--format", "json").stdout)
    assert plan["ignored"] == []
    done = migrate(root, "--dry-run")
    assert "warning:" not in done.stderr
