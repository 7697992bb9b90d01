"""The scan-speed benchmark's own logic: the tree it builds and the ast-grep rules it compares with.

No timing here: the benchmark measures, the tests only prove that what it measures is comparable
(every tool reads the same files, and the ast-grep rules find what polldetox's rules describe).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from polldetox.config import load_config
from polldetox.rules import RULES
from polldetox.scan.files import discover

BENCH = Path(__file__).resolve().parent.parent / "bench"
RULES_DIR = BENCH / "astgrep-rules" / "rules"
AST_GREP = shutil.which("ast-grep", path=str(Path(sys.executable).parent)) or shutil.which("ast-grep")

# The ast-grep rule that stands for each polldetox rule in the comparison.
ASTGREP_RULE_OF = {
    "PD101": ("pd101",),
    "PD102": ("pd101",),  # a loop that broadcasts on every tick is, to ast-grep, the same loop
    "PD103": ("pd103",),
    "PD201": ("pd201",),
    "PD202": ("pd201", "pd202"),
    "PD203": ("pd203",),
    "PD204": ("pd204",),
    "PD205": ("pd205",),
}


WATCH_PY = "import time\nwhile True:\n    time.sleep(1)\n"
POLL_TS = "setInterval(() => fetch('/x'), 1000);\n"


def load_bench():
    spec = importlib.util.spec_from_file_location("scan_speed", BENCH / "scan_speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_tree_holds_exactly_the_files_polldetox_scans(write_tree, tmp_path: Path) -> None:
    bench = load_bench()
    source = write_tree(
        {
            "app/watch.py": WATCH_PY,
            "web/src/poll.ts": POLL_TS,
            "web/src/types.d.ts": "export type X = number;\n",
            "web/node_modules/lib/index.js": "module.exports = 1;\n",
            "README.md": "# not source\n",
        }
    )
    tree = bench.build_tree([bench.Source("project", source)], tmp_path / "tree")

    copied = sorted(path.relative_to(tree.root).as_posix() for path in tree.root.rglob("*") if path.is_file())
    assert copied == [
        ".bench-manifest.json",
        ".polldetox.toml",
        ".semgrepignore",
        "project/app/watch.py",
        "project/web/src/poll.ts",
    ]
    assert tree.totals[("project", "python")] == bench.LanguageTotals(files=1, lines=3, bytes=len(WATCH_PY))
    assert tree.totals[("project", "typescript")] == bench.LanguageTotals(files=1, lines=1, bytes=len(POLL_TS))
    # The tree is its own project: the .gitignore or pyproject above it changes nothing.
    assert load_config(tree.root).root == tree.root
    assert len(discover([tree.root], load_config(tree.root)).files) == tree.files == 2


def test_tree_is_reused_while_its_sources_are_the_same(write_tree, tmp_path: Path) -> None:
    bench = load_bench()
    source = write_tree({"a.py": "x = 1\n"})
    first = bench.build_tree([bench.Source("s", source)], tmp_path / "tree")
    (source / "b.py").write_text("y = 2\n")
    again = bench.build_tree([bench.Source("s", source)], tmp_path / "tree")
    renamed = bench.build_tree([bench.Source("t", source)], tmp_path / "tree")

    assert again.totals == first.totals  # read from the manifest, not rebuilt
    assert renamed.totals[("t", "python")].files == 2  # other sources: rebuilt from scratch
    assert not (tmp_path / "tree" / "s").exists()


def test_typescript_rules_are_the_same_for_tsx_and_javascript() -> None:
    typescript = (RULES_DIR / "typescript.yml").read_text()
    for language in ("tsx", "javascript"):
        variant = (RULES_DIR / f"{language}.yml").read_text()
        assert (
            variant.replace(f"language: {language}\n", "language: typescript\n").replace(
                f"-{language}\n", "-typescript\n"
            )
            == typescript
        ), f"{language}.yml drifted from typescript.yml"


def astgrep_rule_ids(root: Path, relative: str, code: str) -> set[str]:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    assert AST_GREP is not None, "ast-grep is missing: pip install -e '.[test]' installs ast-grep-cli"
    command = [AST_GREP, "scan", "-c", str(BENCH / "astgrep-rules" / "sgconfig.yml"), "--json=stream", str(target)]
    found = subprocess.run(command, capture_output=True, text=True, check=False)
    assert found.returncode in (0, 1), found.stderr
    return {json.loads(line)["ruleId"].split("-")[0] for line in found.stdout.splitlines()}


@pytest.mark.parametrize("rule_id", sorted(ASTGREP_RULE_OF))
def test_astgrep_rules_tell_each_rule_first_examples_apart(tmp_path: Path, rule_id: str) -> None:
    # Only the first pair: later VALID examples differ from polling by meaning (a retry backoff, a
    # state comparison, a daily schedule), which syntax rules cannot see; the README says so.
    rule = RULES[rule_id]
    wanted = set(ASTGREP_RULE_OF[rule_id])
    invalid, valid = rule.invalid[0], rule.valid[0]

    assert astgrep_rule_ids(tmp_path / "invalid", invalid.path, invalid.code) & wanted
    assert not astgrep_rule_ids(tmp_path / "valid", valid.path, valid.code) & wanted
