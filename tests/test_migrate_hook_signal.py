"""A hand-written WebSocket hook given the `lastUpdated` change signal a rewritten timer loop reloads on: the exact
rewrite of the demo's hook and of another shape, each shape refused with its reason, the demo migrated in full
through it (type-checked, run twice), and a hook it cannot change leaving the class component with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_fixtures.scans import DEMO, REPO_ROOT, git, init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app
from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_hook_signal import HookSignal, add_last_updated

HOOK_PATH = "app/client/src/hooks/useQueueWebSocket.ts"
TABLE_PATH = "app/client/src/components/LegacyQueueTable.tsx"
QUEUE_TYPES = frozenset({"queue_update", "queue_items_update"})
DEMO_HOOK = (DEMO / HOOK_PATH).read_text()

SIGNALLED = """\
import { useCallback, useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';

import { queueClient } from '../api/queueClient';
import { apiConfig } from '../config/api';
import { FALLBACK_POLL_MS } from '../config/polling';
import type { QueueItem } from '../types';

const MAX_RECONNECT_ATTEMPTS = 10;
const HEARTBEAT_MS = 30000;
// Exception 3 of the standard: never stay on the polling fallback for more than 5 minutes.
const MAX_FALLBACK_MS = 5 * 60 * 1000;

interface QueueUpdateMessage {
  type: 'queue_update';
  data: QueueItem[];
}

export function useQueueWebSocket() {
  const queryClient = useQueryClient();
  const socketRef = useRef<WebSocket | null>(null);
  const reconnectTimer = useRef<ReturnType<typeof setTimeout>>();
  const [isConnected, setIsConnected] = useState(false);
  const [reconnectAttempts, setReconnectAttempts] = useState(0);
  const [fallbackStartedAt, setFallbackStartedAt] = useState<number | null>(null);
  const [lastUpdated, setLastUpdated] = useState<Date | null>(null);
  const inFallbackMode = fallbackStartedAt !== null;

  const connect = useCallback(() => {
    const ws = new WebSocket(apiConfig.websocket.queue());
    socketRef.current = ws;
    ws.onopen = () => {
      setIsConnected(true);
      setReconnectAttempts(0);
      setFallbackStartedAt(null);
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as QueueUpdateMessage;
      if (message.type === 'queue_update') {
        queryClient.setQueryData(['queue'], message.data);
        setLastUpdated(new Date());
      }
    };
    ws.onclose = () => {
      setIsConnected(false);
      setReconnectAttempts((attempts) => {
        if (attempts + 1 >= MAX_RECONNECT_ATTEMPTS) {
          console.warn('[WS] Fallback to polling - WebSocket failed');
          setFallbackStartedAt(Date.now());
          return attempts + 1;
        }
        const backoff = Math.min(30000, 1000 * 2 ** attempts);
        reconnectTimer.current = setTimeout(connect, backoff);
        return attempts + 1;
      });
    };
  }, [queryClient]);

  useEffect(() => {
    connect();
    return () => {
      clearTimeout(reconnectTimer.current);
      socketRef.current?.close();
    };
  }, [connect]);

  useEffect(() => {
    const heartbeat = setInterval(() => {
      socketRef.current?.send(JSON.stringify({ type: 'ping' }));
    }, HEARTBEAT_MS);
    return () => clearInterval(heartbeat);
  }, []);

  const { data: items = [] } = useQuery({
    queryKey: ['queue'],
    queryFn: () => queueClient.getAll(),
    refetchInterval: inFallbackMode ? FALLBACK_POLL_MS : false,
  });

  useEffect(() => {
    if (fallbackStartedAt === null) {
      return;
    }
    const fallbackDuration = Date.now() - fallbackStartedAt;
    if (fallbackDuration > MAX_FALLBACK_MS) {
      window.location.reload();
    }
  });

  return { items, isConnected, reconnectAttempts, inFallbackMode, lastUpdated };
}
"""

# Another hand-written shape: an arrow function with a declared interface, listeners added with
# addEventListener, the message type compared the other way round, and a return written one entry a line.
BOARD_PATH = "app/client/src/hooks/useBoardWebSocket.ts"
BOARD = """\
import { useEffect, useState } from 'react';

import type { QueueItem } from '../types';

export interface BoardSocket {
  items: QueueItem[];
  isConnected: boolean;
}

type BoardMessage = { type: 'board_update'; items: QueueItem[] } | { type: 'pong' };

export const useBoardWebSocket = (url: string): BoardSocket => {
  const [items, setItems] = useState<QueueItem[]>([]);
  const [isConnected, setIsConnected] = useState(false);

  useEffect(() => {
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => setIsConnected(true));
    socket.addEventListener('close', () => setIsConnected(false));
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as BoardMessage;
      if ('board_update' === message.type) {
        // The server sends the whole board.
        setItems(message.items);
      }
    });
    return () => socket.close();
  }, [url]);

  return {
    items,
    isConnected,
  };
};
"""
BOARD_SIGNALLED = """\
import { useEffect, useState } from 'react';

import type { QueueItem } from '../types';

export interface BoardSocket {
  items: QueueItem[];
  isConnected: boolean;
  lastUpdated: Date | null;
}

type BoardMessage = { type: 'board_update'; items: QueueItem[] } | { type: 'pong' };

export const useBoardWebSocket = (url: string): BoardSocket => {
  const [items, setItems] = useState<QueueItem[]>([]);
  const [isConnected, setIsConnected] = useState(false);
  const [lastUpdated, setLastUpdated] = useState<Date | null>(null);

  useEffect(() => {
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => setIsConnected(true));
    socket.addEventListener('close', () => setIsConnected(false));
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as BoardMessage;
      if ('board_update' === message.type) {
        // The server sends the whole board.
        setItems(message.items);
        setLastUpdated(new Date());
      }
    });
    return () => socket.close();
  }, [url]);

  return {
    items,
    isConnected,
    lastUpdated,
  };
};
"""


def test_the_demo_hook_sets_last_updated_on_each_queue_update_and_returns_it() -> None:
    assert add_last_updated(DEMO_HOOK, HOOK_PATH, "useQueueWebSocket", QUEUE_TYPES) == HookSignal(
        SIGNALLED, "queue_update"
    )


def test_a_hook_with_a_declared_interface_gains_the_member_in_its_own_style() -> None:
    signal = add_last_updated(BOARD, BOARD_PATH, "useBoardWebSocket", {"board_update"})
    assert signal == HookSignal(BOARD_SIGNALLED, "board_update")


def test_an_inline_return_type_gains_the_member_inline() -> None:
    inline = BOARD.replace(
        "(url: string): BoardSocket =>", "(url: string): { items: QueueItem[]; isConnected: boolean } =>"
    )
    signal = add_last_updated(inline, BOARD_PATH, "useBoardWebSocket", {"board_update"})
    assert "(url: string): { items: QueueItem[]; isConnected: boolean; lastUpdated: Date | null } =>" in signal.source
    assert "  isConnected: boolean;\n}\n" in signal.source  # the interface it no longer names is left as it is


def test_a_javascript_hook_gains_state_without_a_type_argument() -> None:
    javascript = BOARD.split("export const", 1)[1].replace("(url: string): BoardSocket =>", "(url) =>")
    javascript = "import { useEffect, useState } from 'react';\n\nexport const" + javascript.replace(
        "useState<QueueItem[]>", "useState"
    ).replace("(event: MessageEvent<string>)", "(event)").replace(" as BoardMessage", "")
    signal = add_last_updated(javascript, "src/hooks/useBoardWebSocket.js", "useBoardWebSocket", {"board_update"})
    assert (
        "  const [isConnected, setIsConnected] = useState(false);\n"
        "  const [lastUpdated, setLastUpdated] = useState(null);\n"
    ) in signal.source
    assert "        setItems(message.items);\n        setLastUpdated(new Date());\n" in signal.source
    assert "    isConnected,\n    lastUpdated,\n  };\n" in signal.source
    assert "<" not in javascript and "type " not in javascript and "interface" not in javascript  # plain JavaScript


SWITCH = """\
      switch (message.type) {
        case 'board_update':
          setItems(message.items);
          break;
        default:
          break;
      }
"""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("      if ('board_update' === message.type) {\n        // The server sends the whole board.\n"
             "        setItems(message.items);\n      }\n", SWITCH),
            "useBoardWebSocket handles board_update in another shape than `if (message.type === '...') { ... }`",
        ),
        (
            ("  return {\n    items,", "  return {\n    ...socketState,\n    items,"),
            "useBoardWebSocket returns an object with a spread or computed key, which may hold a lastUpdated",
        ),
        (
            ("  const [isConnected, setIsConnected] = useState(false);\n",
             "  const [isConnected, setIsConnected] = useState(false);\n  const lastUpdated = useRef(0);\n"),
            "`lastUpdated` already names something in app/client/src/hooks/useBoardWebSocket.ts",
        ),
        (
            ("(url: string): BoardSocket =>", "(url: string): SharedSocket =>"),
            "useBoardWebSocket's return type SharedSocket is not declared in its file as an interface or object type",
        ),
        (
            ("export interface BoardSocket {", "export interface BoardSocket extends SocketState {"),
            "BoardSocket extends another type, which may declare lastUpdated",
        ),
        (
            ("  useEffect(() => {\n    const socket",
             "  if (!url) {\n    return { items: [], isConnected: false };\n  }\n"
             "  useEffect(() => {\n    const socket"),
            "useBoardWebSocket does not return once, at its end",
        ),
        (
            ("        setItems(message.items);\n      }\n", "        setItems(message.items); }\n"),
            "useBoardWebSocket's board_update branch ends on the line of its last statement",
        ),
        (
            ("  const [items, setItems] = useState<QueueItem[]>([]);\n  const [isConnected, setIsConnected] = "
             "useState(false);\n", "  const [{ items, isConnected }, dispatch] = useReducer(board, initial);\n"),
            "useBoardWebSocket holds no state with useState (`const [value, setValue] = useState(...)`)",
        ),
    ],
)  # fmt: skip
def test_other_shapes_are_refused_with_the_reason(change: tuple[str, str], reason: str) -> None:
    old, new = change
    assert old in BOARD
    with pytest.raises(Unsafe) as refused:
        add_last_updated(BOARD.replace(old, new), BOARD_PATH, "useBoardWebSocket", {"board_update"})
    assert str(refused.value) == reason


def test_a_hook_that_handles_other_messages_is_refused() -> None:
    with pytest.raises(Unsafe) as refused:
        add_last_updated(BOARD, BOARD_PATH, "useBoardWebSocket", {"order_update", "orders_update"})
    assert str(refused.value) == "useBoardWebSocket handles no order_update or orders_update message in its own body"


def test_a_signalled_hook_is_never_signalled_twice() -> None:
    with pytest.raises(Unsafe) as refused:
        add_last_updated(SIGNALLED, HOOK_PATH, "useQueueWebSocket", QUEUE_TYPES)
    assert str(refused.value) == f"`lastUpdated` already names something in {HOOK_PATH}"


def migrate(root: Path, *arguments: str) -> Result:
    return CliRunner().invoke(app, ["migrate", "queue_items", *arguments, "--root", str(root)])


def test_the_demo_migrates_fully_through_the_signalled_hook_type_checks_and_reruns_to_nothing(
    tmp_path: Path,
) -> None:
    root = Path(shutil.copytree(DEMO, tmp_path / "demo"))
    init_repo(root)
    planned = migrate(root, "--dry-run", "--format", "json")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    plan = json.loads(planned.stdout)
    edits = {edit["path"]: edit["reason"] for edit in plan["edits"]}
    assert edits[HOOK_PATH] == (
        "useQueueWebSocket returns lastUpdated, a new Date on each queue_update message, which "
        "LegacyQueueTable.componentDidMount now reloads on"
    )
    assert edits[TABLE_PATH].startswith("setInterval in LegacyQueueTable.componentDidMount: LegacyQueueTable wrapped")
    assert plan["skipped"] == []
    diff = migrate(root, "--dry-run").stdout
    assert (
        "@@ -37,6 +38,7 @@\n"
        "       const message = JSON.parse(event.data) as QueueUpdateMessage;\n"
        "       if (message.type === 'queue_update') {\n"
        "         queryClient.setQueryData(['queue'], message.data);\n"
        "+        setLastUpdated(new Date());\n"
    ) in diff
    assert git("status", "--porcelain", cwd=root) == ""

    done = migrate(root)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "Skipped" not in done.stdout + done.stderr
    assert (root / HOOK_PATH).read_text() == SIGNALLED
    table = (root / TABLE_PATH).read_text()
    assert "setInterval" not in table and "componentWillUnmount" not in table
    assert "  const { lastUpdated } = useQueueWebSocket();\n" in table
    (root / BOARD_PATH).write_text(BOARD_SIGNALLED)  # type-checked with the demo's own types
    client = root / "app/client"
    (client / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    tsc = subprocess.run(
        [str(REPO_ROOT / "node_modules/.bin/tsc"), "-p", "tsconfig.json", "--strict"],
        cwd=client, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    (root / BOARD_PATH).unlink()
    (client / "node_modules").unlink()

    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "migrated", cwd=root)
    again = migrate(root)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert again.stdout == "Nothing to migrate: no polling site of this table is left.\n"
    assert git("status", "--porcelain", cwd=root) == ""


def test_a_hook_it_cannot_change_leaves_the_class_component_with_the_reason(tmp_path: Path) -> None:
    root = Path(shutil.copytree(DEMO, tmp_path / "demo"))
    hook = root / HOOK_PATH
    hook.write_text(DEMO_HOOK.replace("return { items,", "return { ...socketState, items,"))
    init_repo(root)
    done = migrate(root, "--dry-run", "--format", "json")
    assert done.exit_code == 1, done.stdout + done.stderr
    plan = json.loads(done.stdout)
    assert plan["skipped"] == [
        {
            "path": TABLE_PATH,
            "line": 18,
            "reason": "useQueueWebSocket returns no lastUpdated to wrap LegacyQueueTable on, and polldetox cannot add "
            "one (useQueueWebSocket returns an object with a spread or computed key, which may hold a lastUpdated): "
            "a class component cannot call useQueueWebSocket: convert LegacyQueueTable to a function component that "
            "calls useQueueWebSocket() and reads the data with useQuery({ queryKey: ['queue'] }), which "
            "useQueueWebSocket() keeps current, in place of the setInterval in componentDidMount and its clear; or "
            "render it from such a component, passing the data as props",
        }
    ]
    assert HOOK_PATH not in {edit["path"] for edit in plan["edits"]}
