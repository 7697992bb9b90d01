"""`--diff-base`: only polling on lines a change touches, on real git repositories."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from ci_fixtures.results import HANDMADE, PAIR, SILENCED, WATCHER
from ci_fixtures.scans import JOBS_WATCHER_PY, QUEUE_WATCHER_PY, git, init_repo, polldetox

from polldetox.config import load_config
from polldetox.findings import Location
from polldetox.gitdiff import GitDiffError, changed_lines, filter_to_changed, from_repository_top
from polldetox.scan import engine

SERVICES = Path("app/server/services")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose first commit has one polling loop."""
    root = tmp_path / "repo"
    (root / SERVICES).mkdir(parents=True)
    (root / SERVICES / "queue_watcher.py").write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    (root / "README.md").write_text("demo\n", encoding="utf-8")
    init_repo(root)
    return root


def add_second_loop(root: Path) -> None:
    watcher = root / SERVICES / "queue_watcher.py"
    watcher.write_text(QUEUE_WATCHER_PY + JOBS_WATCHER_PY, encoding="utf-8")


def scan_paths(root: Path, *args: str) -> list[tuple[str, int]]:
    done = polldetox("scan", "--format", "json", "--no-cache", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return [(f["path"], f["line"]) for f in json.loads(done.stdout)["findings"]]


def test_only_the_site_added_since_the_base_is_reported(repo: Path) -> None:
    add_second_loop(repo)
    git("commit", "-qam", "second", cwd=repo)
    assert scan_paths(repo) == [
        ("app/server/services/queue_watcher.py", 5),
        ("app/server/services/queue_watcher.py", 12),
    ]
    assert scan_paths(repo, "--diff-base", "HEAD~1") == [("app/server/services/queue_watcher.py", 12)]
    assert scan_paths(repo, "--diff-base", "HEAD") == []


def test_changed_lines_of_commits_edits_and_untracked_files(repo: Path) -> None:
    add_second_loop(repo)
    git("commit", "-qam", "second", cwd=repo)
    readme = repo / "README.md"
    readme.write_text("demo\nmore\n", encoding="utf-8")  # unstaged edit
    (repo / SERVICES / "new watcher é.py").write_text("a\nb\nc", encoding="utf-8")  # untracked, odd name
    changed = changed_lines(repo, "HEAD~1")
    assert changed == {
        "app/server/services/queue_watcher.py": frozenset(range(9, 16)),
        "README.md": frozenset({2}),
        "app/server/services/new watcher é.py": frozenset({1, 2, 3}),
    }


def test_a_committed_file_whose_name_has_spaces(repo: Path) -> None:
    spaced = repo / "app/server/new stuff/order watcher.py"
    spaced.parent.mkdir()
    spaced.write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "spaced", cwd=repo)
    spaced.write_text(QUEUE_WATCHER_PY + JOBS_WATCHER_PY, encoding="utf-8")
    git("commit", "-qam", "second loop", cwd=repo)
    assert changed_lines(repo, "HEAD~1") == {"app/server/new stuff/order watcher.py": frozenset(range(9, 16))}
    assert scan_paths(repo, "--diff-base", "HEAD~1") == [("app/server/new stuff/order watcher.py", 12)]


def test_a_moved_file_is_not_new_code_whatever_the_repository_settings(repo: Path) -> None:
    git("config", "diff.renames", "false", cwd=repo)
    git("mv", str(SERVICES / "queue_watcher.py"), str(SERVICES / "queues.py"), cwd=repo)
    git("commit", "-qm", "rename", cwd=repo)
    assert changed_lines(repo, "HEAD~1") == {}


def test_deleted_lines_and_files_change_nothing_that_remains(repo: Path) -> None:
    git("rm", "-q", "README.md", cwd=repo)
    watcher = repo / SERVICES / "queue_watcher.py"
    watcher.write_text(QUEUE_WATCHER_PY.replace("import asyncio\n", ""), encoding="utf-8")
    assert changed_lines(repo, "HEAD") == {}


def test_paths_are_relative_to_the_scanned_folder_inside_the_repository(repo: Path) -> None:
    add_second_loop(repo)
    changed = changed_lines(repo / "app", "HEAD")
    assert changed == {"server/services/queue_watcher.py": frozenset(range(9, 16))}


def test_a_branch_is_compared_with_its_merge_base(repo: Path) -> None:
    git("checkout", "-qb", "feature", cwd=repo)
    add_second_loop(repo)
    git("commit", "-qam", "feature loop", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    (repo / SERVICES / "other.py").write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    (repo / "README.md").write_text("demo, edited on main\n", encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "main moves on", cwd=repo)
    git("checkout", "-q", "feature", cwd=repo)
    # main's new file and edited line are not this branch's change, though they differ from main's tip.
    assert changed_lines(repo, "main") == {"app/server/services/queue_watcher.py": frozenset(range(9, 16))}


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitDiffError, match="needs a git repository"):
        changed_lines(tmp_path, "main")


def test_unknown_revision(repo: Path) -> None:
    with pytest.raises(GitDiffError) as raised:
        changed_lines(repo, "origin/no-such-branch")
    assert str(raised.value) == "unknown git revision 'origin/no-such-branch'"


def test_shallow_checkout_says_how_to_fetch_more(repo: Path, tmp_path: Path) -> None:
    add_second_loop(repo)
    git("commit", "-qam", "second", cwd=repo)
    clone = tmp_path / "clone"
    git("clone", "-q", "--depth", "1", f"file://{repo}", str(clone), cwd=tmp_path)
    with pytest.raises(GitDiffError) as raised:
        changed_lines(clone, "HEAD~1")
    assert str(raised.value).endswith(
        "; this checkout is shallow, so fetch more history: git fetch --deepen=200 origin, "
        "or set actions/checkout fetch-depth: 0"
    )
    with pytest.raises(GitDiffError) as raised:
        changed_lines(clone, "origin/release/2.0")  # a branch name with a slash: the remote is the first part
    assert "git fetch --deepen=200 origin +refs/heads/release/2.0:refs/remotes/origin/release/2.0," in str(raised.value)
    with pytest.raises(GitDiffError) as raised:
        changed_lines(clone, "release/2.0")  # a local branch name with a slash: no remote to name
    assert str(raised.value).endswith("git fetch --deepen=200 origin, or set actions/checkout fetch-depth: 0")


def test_the_fetch_a_shallow_checkout_is_told_to_run_makes_the_target_branch_known(repo: Path, tmp_path: Path) -> None:
    git("checkout", "-qb", "feature", cwd=repo)
    add_second_loop(repo)
    git("commit", "-qam", "feature loop", cwd=repo)
    clone = tmp_path / "clone"  # as CI checks out a pull request: one commit of one branch
    git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone), cwd=tmp_path)
    with pytest.raises(GitDiffError) as raised:
        changed_lines(clone, "origin/main")
    advice = re.search(r"git fetch (--deepen=\d+ origin \S+),", str(raised.value))
    assert advice, str(raised.value)
    git("fetch", "-q", *advice[1].split(), cwd=clone)
    assert changed_lines(clone, "origin/main") == {"app/server/services/queue_watcher.py": frozenset(range(9, 16))}


def test_cli_reports_a_missing_revision_without_a_traceback(repo: Path) -> None:
    done = polldetox("scan", "--diff-base", "nope", cwd=repo)
    assert done.returncode == 2
    assert "unknown git revision 'nope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_filter_keeps_findings_touching_a_changed_line() -> None:
    changed = {WATCHER.location.path: frozenset({9})}  # the loop's last line
    kept = filter_to_changed(HANDMADE, changed)
    # The watcher itself, and the pair whose backend half it is.
    assert [f.rule for f in kept.findings] == ["PD101", "PD301"]
    assert kept.findings[1] == PAIR
    assert kept.suppressed == ()
    assert kept.errors == ()
    assert kept.files_scanned == HANDMADE.files_scanned


def test_filter_drops_findings_next_to_but_not_on_changed_lines() -> None:
    changed = {WATCHER.location.path: frozenset({4, 10})}
    assert filter_to_changed(replace(HANDMADE, findings=(WATCHER,)), changed).findings == ()


def test_filter_keeps_suppressed_findings_and_errors_of_changed_files() -> None:
    changed = {SILENCED.location.path: frozenset({5}), "app/server/broken.py": frozenset({1})}
    kept = filter_to_changed(HANDMADE, changed)
    assert kept.suppressed == (SILENCED,)
    assert [error.path for error in kept.errors] == ["app/server/broken.py"]


def test_a_finding_with_an_unknown_end_counts_its_first_line() -> None:
    point = replace(WATCHER, location=Location(WATCHER.location.path, 5, 1, 0, 0))
    assert filter_to_changed(replace(HANDMADE, findings=(point,)), {point.location.path: frozenset({5})}).findings


def test_diff_base_with_a_baseline_still_counts_copies_of_a_baselined_loop(repo: Path) -> None:
    watcher = repo / SERVICES / "jobs_watcher.py"
    watcher.write_text("import asyncio\n" + JOBS_WATCHER_PY * 3, encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "three watchers", cwd=repo)
    assert polldetox("scan", "--write-baseline", "baseline.json", cwd=repo).returncode == 0
    git("add", "baseline.json", cwd=repo)
    git("commit", "-qm", "baseline", cwd=repo)
    # A fourth copy, above the others: the only change, and one more than the baseline records.
    watcher.write_text("import asyncio\n" + JOBS_WATCHER_PY * 4, encoding="utf-8")
    done = polldetox("scan", "--format", "json", "--baseline", "baseline.json", "--diff-base", "HEAD", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert [f["path"] for f in json.loads(done.stdout)["findings"]] == ["app/server/services/jobs_watcher.py"]
    assert "gone" not in done.stderr


# --- Paths from the repository's top ----------------------------------------------------------------


def test_a_project_in_a_monorepo_folder_reports_paths_from_the_repository_top(tmp_path: Path) -> None:
    monorepo = tmp_path / "monorepo"
    project = monorepo / "services" / "queue api"
    (project / SERVICES).mkdir(parents=True)
    (project / SERVICES / "queue_watcher.py").write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.polldetox]\n", encoding="utf-8")
    init_repo(monorepo)
    config = load_config(project)
    result = engine.scan([project], config)
    assert [f.location.path for f in result.findings] == ["app/server/services/queue_watcher.py"]
    placed = from_repository_top(result, config.root)
    assert [f.location.path for f in placed.findings] == ["services/queue api/app/server/services/queue_watcher.py"]
    assert from_repository_top(result, monorepo) == result


def test_every_place_of_a_result_is_moved_to_the_repository_top(repo: Path) -> None:
    (repo / "web").mkdir()
    placed = from_repository_top(HANDMADE, repo / "web")
    places = [f.location for f in (*placed.findings, *placed.suppressed)]
    places += [r.location for f in placed.findings for r in f.related]
    assert places and all(place.path.startswith("web/") for place in places)
    assert [error.path for error in placed.errors] == [f"web/{error.path}" for error in HANDMADE.errors]
    assert [place.line for place in places[: len(HANDMADE.findings)]] == [f.location.line for f in HANDMADE.findings]


def test_outside_a_repository_paths_stay_as_they_are(tmp_path: Path) -> None:
    assert from_repository_top(HANDMADE, tmp_path) == HANDMADE


def test_a_copy_added_above_a_baselined_loop_fails_the_pull_request_gate(repo: Path) -> None:
    assert polldetox("scan", "--write-baseline", "baseline.json", cwd=repo).returncode == 0
    git("add", "baseline.json", cwd=repo)
    git("commit", "-q", "-m", "baseline", cwd=repo)
    watcher = repo / SERVICES / "queue_watcher.py"
    copy = QUEUE_WATCHER_PY.replace("import asyncio\n\n\n", "").replace("watch_queue", "watch_queue_again")
    head, body = QUEUE_WATCHER_PY.split("\n\n\n", 1)
    watcher.write_text(f"{head}\n\n\n{copy}\n\n{body}", encoding="utf-8")
    done = polldetox("scan", "--format", "json", "--baseline", "baseline.json", "--diff-base", "HEAD", cwd=repo)
    assert done.returncode == 1, done.stderr
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["path"], finding["line"]) == ("app/server/services/queue_watcher.py", 5)


def test_ci_formats_give_paths_from_the_repository_top_for_a_project_in_a_subfolder(tmp_path: Path) -> None:
    project = tmp_path / "mono" / "services" / "api"
    (project / SERVICES).mkdir(parents=True)
    (project / SERVICES / "queue_watcher.py").write_text(QUEUE_WATCHER_PY, encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.polldetox]\n", encoding="utf-8")
    init_repo(tmp_path / "mono")
    github = polldetox("scan", "--format", "github", cwd=project)
    assert "file=services/api/app/server/services/queue_watcher.py,line=5" in github.stdout
    assert "Found 1 violation" in github.stderr  # the log still says what was found
    text = polldetox("scan", "--format", "json", cwd=project)
    assert json.loads(text.stdout)["findings"][0]["path"] == "app/server/services/queue_watcher.py"


def test_committed_names_git_quotes_are_read_back(repo: Path) -> None:
    names = ["naïve watcher.py", 'say "hi".py', "tab\there.py", "back\\slash.py"]
    for name in names:
        (repo / SERVICES / name).write_text("a\nb\n", encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "odd names", cwd=repo)  # committed: git diff C-quotes these names
    assert changed_lines(repo, "HEAD~1") == {f"{SERVICES.as_posix()}/{name}": frozenset({1, 2}) for name in names}


def test_committed_names_with_control_characters_are_read_back(repo: Path) -> None:
    # git writes these as C escapes: \a \b \t \n \v \f \r by letter, others as three octal digits.
    names = [f"ctl{char}x.py" for char in "\a\b\t\n\v\f\r\x01\x1b\x7f"]
    for name in names:
        (repo / SERVICES / name).write_text("a\nb\nc\n", encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "control characters", cwd=repo)
    assert changed_lines(repo, "HEAD~1") == {f"{SERVICES.as_posix()}/{name}": frozenset({1, 2, 3}) for name in names}


def test_every_line_of_an_untracked_file_is_new_and_an_unreadable_one_has_none(repo: Path) -> None:
    (repo / "ends_with_newline.py").write_text("a\nb\n", encoding="utf-8")
    (repo / "no_final_newline.py").write_text("a\nb", encoding="utf-8")
    (repo / "empty.py").write_text("", encoding="utf-8")
    (repo / "dangling.py").symlink_to(repo / "nowhere.py")  # git lists the link; reading it fails
    (repo / ".gitignore").write_text("generated.py\n", encoding="utf-8")
    (repo / "generated.py").write_text("a\n", encoding="utf-8")  # ignored: not a change
    (repo / os.fsdecode(b"caf\xe9.py")).write_text("a\n", encoding="utf-8")  # a name that is not UTF-8
    assert changed_lines(repo, "HEAD") == {
        ".gitignore": frozenset({1}),
        os.fsdecode(b"caf\xe9.py"): frozenset({1}),
        "ends_with_newline.py": frozenset({1, 2}),
        "no_final_newline.py": frozenset({1, 2}),
        "empty.py": frozenset(),
        "dangling.py": frozenset(),
    }


def test_names_that_are_not_utf8_are_read_back_as_the_file_system_spells_them(repo: Path) -> None:
    folder = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not UTF-8
    (repo / folder).mkdir()
    (repo / folder / "watcher.py").write_text("a\nb\n", encoding="utf-8")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "latin-1 folder", cwd=repo)
    assert changed_lines(repo, "HEAD~1") == {f"{folder}/watcher.py": frozenset({1, 2})}
    placed = from_repository_top(HANDMADE, repo / folder)
    assert [f.location.path for f in placed.findings] == [f"{folder}/{f.location.path}" for f in HANDMADE.findings]


def test_a_shallow_checkout_without_the_common_ancestor_says_how_to_fetch_more(repo: Path, tmp_path: Path) -> None:
    git("checkout", "-qb", "feature", cwd=repo)
    add_second_loop(repo)
    git("commit", "-qam", "feature loop", cwd=repo)
    clone = tmp_path / "clone"
    git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone), cwd=tmp_path)
    git("fetch", "-q", "--depth", "1", "origin", "+refs/heads/main:refs/remotes/origin/main", cwd=clone)
    with pytest.raises(GitDiffError) as raised:
        changed_lines(clone, "origin/main")
    assert str(raised.value) == (
        "'origin/main' and HEAD have no common ancestor in the fetched history; this checkout is shallow, so fetch"
        " more history: git fetch --deepen=200 origin +refs/heads/main:refs/remotes/origin/main, or set"
        " actions/checkout fetch-depth: 0"
    )


def test_without_git_installed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the path
    with pytest.raises(GitDiffError) as raised:
        changed_lines(repo, "HEAD")
    assert str(raised.value) == "--diff-base needs git, and it is not installed"
