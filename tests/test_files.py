import json
import os
from pathlib import Path

import pytest

from polldetox.config import Config, load_config, with_overrides
from polldetox.scan.files import PathIgnored, PathNotFound, discover


def relatives(root: Path, config: Config | None = None, paths: list[Path] | None = None) -> list[str]:
    config = config or load_config(root)
    return [f.relative for f in discover(paths or [root], config).files]


def test_languages_by_suffix_and_default_exclusions(write_tree) -> None:
    root = write_tree(
        {
            "app/server/main.py": "",
            "app/client/src/App.tsx": "",
            "app/client/src/api.ts": "",
            "app/client/src/types.d.ts": "",
            "app/client/src/legacy.jsx": "",
            "jobs/watch.mjs": "",
            "jobs/old.cjs": "",
            "public/vendor.min.js": "",
            "README.md": "",
            "app/client/node_modules/react/index.js": "",
            "build/lib/app.py": "",
            ".venv/lib/site.py": "",
            "env-py/pyvenv.cfg": "home = /usr/bin\n",
            "env-py/lib/python3.11/site-packages/requests/api.py": "",
            "app/server/__pycache__/main.cpython-311.py": "",
        }
    )
    assert relatives(root) == [
        "app/client/src/App.tsx",
        "app/client/src/api.ts",
        "app/client/src/legacy.jsx",
        "app/server/main.py",
        "jobs/old.cjs",
        "jobs/watch.mjs",
    ]


def test_gitignore_files_nest_and_negate(write_tree) -> None:
    root = write_tree(
        {
            ".gitignore": "generated/\n*.gen.ts\n",
            "app/generated/client.ts": "",
            "app/api.gen.ts": "",
            "app/api.ts": "",
            "app/client/.gitignore": "!keep.gen.ts\nlocal_*.py\n",
            "app/client/keep.gen.ts": "",
            "app/client/local_settings.py": "",
            "app/client/settings.py": "",
        }
    )
    assert relatives(root) == ["app/api.ts", "app/client/keep.gen.ts", "app/client/settings.py"]
    config = with_overrides(load_config(root), respect_gitignore=False)
    assert "app/generated/client.ts" in relatives(root, config)


def test_include_and_exclude_patterns(write_tree) -> None:
    root = write_tree(
        {
            ".polldetox.toml": 'include = ["app/"]\nextend-exclude = ["**/*.stories.tsx"]\n',
            "app/Panel.tsx": "",
            "app/Panel.stories.tsx": "",
            "tools/x.py": "",
        }
    )
    assert relatives(root) == ["app/Panel.tsx"]


def test_explicit_files_are_scanned_even_when_excluded_unless_forced(write_tree) -> None:
    root = write_tree({".polldetox.toml": 'extend-exclude = ["legacy/"]\n', "legacy/poller.py": "", "a.py": ""})
    config = load_config(root)
    explicit = [root / "legacy" / "poller.py"]
    assert relatives(root, config, explicit) == ["legacy/poller.py"]
    forced = with_overrides(config, force_exclude=True)
    assert relatives(root, forced, explicit) == []
    assert relatives(root, config) == ["a.py"]


def test_explicit_gitignored_file_is_dropped_only_with_force_exclude(write_tree) -> None:
    root = write_tree({".gitignore": "scratch.py\n", "scratch.py": ""})
    config = load_config(root)
    assert relatives(root, config, [root / "scratch.py"]) == ["scratch.py"]
    assert relatives(root, with_overrides(config, force_exclude=True), [root / "scratch.py"]) == []


def test_unsupported_explicit_file_is_an_error_entry_and_missing_path_a_usage_error(write_tree) -> None:
    root = write_tree({"notes.txt": "hi", "a.py": ""})
    discovery = discover([root / "notes.txt", root / "a.py"], load_config(root))
    assert [f.relative for f in discovery.files] == ["a.py"]
    assert [(e.path, e.message) for e in discovery.errors] == [
        ("notes.txt", "not a Python, TypeScript, JavaScript, Vue or Svelte source file")
    ]
    with pytest.raises(PathNotFound, match=r"no such file or directory: .*missing"):
        discover([root / "missing"], load_config(root))


def test_symlinked_folders_are_followed_once_and_loops_are_not_entered(write_tree) -> None:
    root = write_tree({"pkg/sub/watch.py": "", "shared/util.ts": ""})
    os.symlink(root / "pkg", root / "pkg" / "sub" / "loop")  # pkg/sub/loop -> pkg: a loop
    os.symlink(root / "shared", root / "linked")
    # "linked" sorts first, so shared/ is reached through the link and not read again.
    assert relatives(root) == ["linked/util.ts", "pkg/sub/watch.py"]


def test_a_named_folder_that_gitignore_empties_is_a_usage_error_not_zero_files(write_tree) -> None:
    from typer.testing import CliRunner

    from polldetox.cli import app

    root = write_tree(
        {
            "pyproject.toml": "[tool.polldetox]\n",
            ".gitignore": "generated/\n",
            "generated/watch.py": "import time\nwhile True:\n    time.sleep(1)\n",
            "app/services/clean.py": "def add(a, b):\n    return a + b\n",
        }
    )
    config = load_config(root)
    with pytest.raises(PathIgnored, match=r"generated: every source file there is ignored by a \.gitignore"):
        discover([root / "generated"], config)
    assert [s.relative for s in discover([root / "app"], config).files] == ["app/services/clean.py"]
    assert len(discover([root], config).files) == 1  # the root still has files to scan

    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(root / "generated")])
    assert result.exit_code == 2
    assert "--no-respect-gitignore" in result.output
    report = root / "report.json"
    arguments = ["scan", str(root / "generated"), "--no-respect-gitignore", "--format", "json", "-o", str(report)]
    assert runner.invoke(app, arguments).exit_code == 0
    assert json.loads(report.read_text())["summary"]["files_scanned"] == 1
