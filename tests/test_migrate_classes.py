"""A class component's timer loop wrapped onto the WebSocket hook: the exact rewrite, the demo app
type-checked after it, a second run, and each shape that is refused with its reason."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ci_fixtures.scans import DEMO, REPO_ROOT, git, init_repo
from typer.testing import CliRunner

from polldetox.cli import app
from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_classes import migrate_class_site

TABLE = "app/client/src/components/LegacyQueueTable.tsx"
HOOK_PATH = "app/client/src/hooks/useQueueWebSocket.ts"
SOURCE = (DEMO / TABLE).read_text()
HOOK, MODULE = "useQueueWebSocket", "../hooks/useQueueWebSocket"

MIGRATED = """\
import React from 'react';

import { queueClient } from '../api/queueClient';
import type { QueueItem } from '../types';
import { useQueueWebSocket } from '../hooks/useQueueWebSocket';

interface LegacyQueueTableState {
  items: QueueItem[];
  failed: boolean;
}

type LegacyQueueTableViewProps = { lastUpdated: ReturnType<typeof useQueueWebSocket>['lastUpdated'] };

class LegacyQueueTableView extends React.Component<LegacyQueueTableViewProps, LegacyQueueTableState> {
  state: LegacyQueueTableState = { items: [], failed: false };

  componentDidMount() {
    void this.loadItems();
  }

  componentDidUpdate(previous: LegacyQueueTableViewProps) {
    if (previous.lastUpdated !== this.props.lastUpdated) {
      void this.loadItems();
    }
  }

  loadItems = async () => {
    try {
      const items = await queueClient.getAll();
      this.setState({ items, failed: false });
    } catch {
      this.setState({ failed: true });
    }
  };

  render() {
    const { items, failed } = this.state;
    if (failed) {
      return <p className="error">Queue unavailable</p>;
    }
    return (
      <ol>
        {items.map((item) => (
          <li key={item.id}>{item.title}</li>
        ))}
      </ol>
    );
  }
}

export function LegacyQueueTable() {
  const { lastUpdated } = useQueueWebSocket();
  return <LegacyQueueTableView lastUpdated={lastUpdated} />;
}
"""


# The same component polling with a recursive setTimeout: each load re-arms the next when it is done.
TIMEOUT_SOURCE = (
    SOURCE.replace(
        "import type { QueueItem } from '../types';\n",
        "import type { QueueItem } from '../types';\n\nconst REFRESH_MS = 15_000;\n",
    )
    .replace("ReturnType<typeof setInterval>", "ReturnType<typeof setTimeout>")
    .replace("    this.timer = setInterval(this.loadItems, 15000);\n", "")
    .replace("clearInterval(this.timer);", "clearTimeout(this.timer);")
    .replace(
        "      this.setState({ failed: true });\n    }\n  };",
        "      this.setState({ failed: true });\n    }\n    this.timer = setTimeout(this.loadItems, REFRESH_MS);\n  };",
    )
)

TIMEOUT_LINE = TIMEOUT_SOURCE.count("\n", 0, TIMEOUT_SOURCE.index("setTimeout(this")) + 1


def migrate_class(source: str, path: str = "LegacyQueueTable.tsx") -> str:
    return migrate_class_site(source, path, 18, HOOK, MODULE).source


def test_the_demo_class_becomes_a_view_rendered_by_a_function_that_calls_the_hook() -> None:
    assert migrate_class(SOURCE) == MIGRATED


def test_a_default_export_with_named_props_keeps_its_export_and_passes_its_props() -> None:
    source = (
        SOURCE.replace("export class", "export default class")
        .replace(
            "interface LegacyQueueTableState {",
            "interface Props {\n  title: string;\n}\n\ninterface LegacyQueueTableState {",
        )
        .replace("React.Component<Record<string, never>,", "React.Component<Props,")
    )
    edited = migrate_class_site(source, "LegacyQueueTable.tsx", 22, HOOK, MODULE).source
    assert (
        "type LegacyQueueTableViewProps = Props & "
        "{ lastUpdated: ReturnType<typeof useQueueWebSocket>['lastUpdated'] };\n" in edited
    )
    assert (
        "\nclass LegacyQueueTableView extends React.Component<LegacyQueueTableViewProps, LegacyQueueTableState> {\n"
        in edited
    )
    assert edited.endswith(
        "export default function LegacyQueueTable(props: Props) {\n"
        "  const { lastUpdated } = useQueueWebSocket();\n"
        "  return <LegacyQueueTableView {...props} lastUpdated={lastUpdated} />;\n"
        "}\n"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            (
                "  componentWillUnmount() {",
                "  componentDidUpdate() {\n    void this.loadItems();\n  }\n\n  componentWillUnmount() {",
            ),
            "LegacyQueueTable already has a componentDidUpdate: "
            "reload on useQueueWebSocket()'s lastUpdated in it by hand",
        ),
        (
            ("    clearInterval(this.timer);", "    clearInterval(this.timer);\n    this.timer = undefined;"),
            "this.timer is used for more than clearing it in componentWillUnmount",
        ),
        (
            ("setInterval(this.loadItems, 15000)", "setInterval(() => void this.loadItems(), 15000)"),
            "the setInterval callback is not a method of the class (`this.load`): name it and rerun",
        ),
        (
            ("    void this.loadItems();\n    this.timer", "    this.timer"),
            "componentDidMount does not call this.loadItems() before its setInterval",
        ),
        (
            ("React.Component<Record<string, never>,", "React.Component<{ title: string },"),
            "the props type of LegacyQueueTable ({ title: string }) is not a named type or Record to extend",
        ),
        (
            ("  render() {", "  lastUpdated = 0;\n\n  render() {"),
            "`lastUpdated` or `LegacyQueueTableView` already names something in the file",
        ),
    ],
)
def test_unsafe_class_shapes_are_refused_with_the_reason(change: tuple[str, str], reason: str) -> None:
    source = SOURCE.replace(*change)
    assert source != SOURCE
    line = source.count("\n", 0, source.index("setInterval(")) + 1
    with pytest.raises(Unsafe) as refused:
        migrate_class_site(source, "LegacyQueueTable.tsx", line, HOOK, MODULE)
    assert str(refused.value) == reason


def test_a_recursive_set_timeout_loop_is_wrapped_like_the_interval_one() -> None:
    assert TIMEOUT_SOURCE.count("setTimeout(this.loadItems, REFRESH_MS)") == 1 and "setInterval" not in TIMEOUT_SOURCE
    assert migrate_class_site(TIMEOUT_SOURCE, "LegacyQueueTable.tsx", TIMEOUT_LINE, HOOK, MODULE).source == MIGRATED


RE_ARM = "    }\n    this.timer = setTimeout(this.loadItems, REFRESH_MS);\n  };"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            [(RE_ARM, "    } finally {\n      this.timer = setTimeout(this.loadItems, REFRESH_MS);\n    }\n  };")],
            "setTimeout does not re-arm this.loadItems as the last step of loadItems itself",
        ),
        (
            [
                (RE_ARM, "    }\n  };"),
                ("    void this.loadItems();\n  }", "    this.timer = setTimeout(this.loadItems, REFRESH_MS);\n  }"),
            ],
            "setTimeout does not re-arm this.loadItems as the last step of loadItems itself",
        ),
        (
            [("    void this.loadItems();\n  }", "    this.setState({ failed: false });\n  }")],
            "componentDidMount does not call this.loadItems() to start its setTimeout loop",
        ),
        (
            [("setTimeout(this.loadItems, REFRESH_MS)", "setTimeout(() => void this.loadItems(), REFRESH_MS)")],
            "the setTimeout callback is not a method of the class (`this.load`): name it and rerun",
        ),
        (
            [("    clearTimeout(this.timer);", "    clearTimeout(this.timer);\n    this.timer = undefined;")],
            "this.timer is used for more than clearing it in componentWillUnmount",
        ),
    ],
)
def test_unsafe_set_timeout_class_shapes_are_refused_with_the_reason(
    changes: list[tuple[str, str]], reason: str
) -> None:
    source = TIMEOUT_SOURCE
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    line = source.count("\n", 0, source.index("setTimeout(")) + 1
    with pytest.raises(Unsafe) as refused:
        migrate_class_site(source, "LegacyQueueTable.tsx", line, HOOK, MODULE)
    assert str(refused.value) == reason


def test_only_tsx_is_wrapped() -> None:
    with pytest.raises(Unsafe, match=r"only a TypeScript class component \(\.tsx\) is wrapped"):
        migrate_class(SOURCE, "LegacyQueueTable.jsx")


def _with_last_updated(root: Path) -> None:
    """The demo's hook as a project that already reports when its data last changed."""
    hook = root / HOOK_PATH
    source = hook.read_text()
    for old, new in (
        (
            "const { data: items = [] } = useQuery({",
            "const { data: items = [], dataUpdatedAt: lastUpdated } = useQuery({",
        ),
        ("inFallbackMode };", "inFallbackMode, lastUpdated };"),
    ):
        assert old in source
        source = source.replace(old, new)
    hook.write_text(source)


def _tsc(client: Path) -> None:
    tsc = subprocess.run(
        [str(REPO_ROOT / "node_modules/.bin/tsc"), "-p", "tsconfig.json", "--strict"],
        cwd=client, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr


@pytest.mark.parametrize("component", [SOURCE, TIMEOUT_SOURCE], ids=["setInterval", "setTimeout"])
def test_demo_with_a_hook_returning_last_updated_migrates_fully_type_checks_and_reruns_to_nothing(
    tmp_path: Path, component: str
) -> None:
    root = Path(shutil.copytree(DEMO, tmp_path / "demo"))
    _with_last_updated(root)
    hook = (root / HOOK_PATH).read_text()
    (root / TABLE).write_text(component)
    client = root / "app/client"
    (client / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    if component is TIMEOUT_SOURCE:  # the demo's own component is type-checked by test_migrate
        _tsc(client)
    init_repo(root)
    done = CliRunner().invoke(app, ["migrate", "queue_items", "--root", str(root)])
    assert done.exit_code == 0, done.stdout + done.stderr
    assert (root / TABLE).read_text() == MIGRATED
    assert (root / HOOK_PATH).read_text() == hook  # its own lastUpdated is used, never replaced
    _tsc(client)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "migrated", cwd=root)
    again = CliRunner().invoke(app, ["migrate", "queue_items", "--root", str(root)])
    assert again.exit_code == 0, again.stdout + again.stderr
    assert git("status", "--porcelain", cwd=root) == ""
