"""The generated hook's WebSocket URL added to the app's own `apiConfig.websocket`, in the file's style."""

from __future__ import annotations

import pytest

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_config import WebSocketEntry, add_websocket_entry

ENTRY = WebSocketEntry("apiConfig", "workflowHistory", "/ws/workflow-history")
PATH = "app/client/src/config/api.ts"

DEMO_CONFIG = """export const API_BASE: string = import.meta.env.VITE_API_BASE ?? '';

export const apiConfig = {
  websocket: {
    queue: (): string => `${API_BASE.replace(/^http/, 'ws')}/ws/queue`,
  },
};
"""


def test_the_entry_follows_a_sibling_url_builder_and_its_trailing_comma() -> None:
    added = add_websocket_entry(DEMO_CONFIG, PATH, ENTRY)
    assert added == DEMO_CONFIG.replace(
        "/ws/queue`,\n",
        "/ws/queue`,\n    workflowHistory: (): string => `${API_BASE.replace(/^http/, 'ws')}/ws/workflow-history`,\n",
    )
    assert add_websocket_entry(added, PATH, ENTRY) == added  # a second run changes nothing


def test_no_trailing_comma_and_a_comment_on_the_last_entry_stay_as_written() -> None:
    source = """import { websocketUrl } from './urls';

export const apiConfig = {
    rest: { base: '/api' },
    websocket: {
        jobs: () => websocketUrl('/ws/jobs'), // the job board
        status: () => websocketUrl("/ws/status")
    }
} as const;
"""
    assert add_websocket_entry(source, PATH, ENTRY) == source.replace(
        """websocketUrl("/ws/status")\n""",
        """websocketUrl("/ws/status"),\n        workflowHistory: () => websocketUrl('/ws/workflow-history')\n""",
    )


def test_a_one_line_object_gets_the_entry_on_its_line() -> None:
    source = "export const apiConfig = { websocket: { queue: () => `${BASE}/ws/queue` } };\n"
    assert add_websocket_entry(source, PATH, ENTRY) == (
        "export const apiConfig = { websocket: { queue: () => `${BASE}/ws/queue`, "
        "workflowHistory: () => `${BASE}/ws/workflow-history` } };\n"
    )


def test_an_empty_websocket_object_uses_the_files_websocket_url_helper() -> None:
    source = (
        "export function websocketUrl(path: string): string {\n  return path;\n}\n\n"
        "export const apiConfig = {\n  websocket: {},\n};\n"
    )
    assert add_websocket_entry(source, PATH, ENTRY) == source.replace(
        "websocket: {}", "websocket: { workflowHistory: (): string => websocketUrl('/ws/workflow-history') }"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("export const apiConfig = buildConfig();\n", f"{PATH} exports no `apiConfig` object literal"),
        ("export const apiConfig = { rest: '/api' };\n", f"apiConfig in {PATH} has no `websocket: {{ ... }}` object"),
        ("export const apiConfig = { websocket: socketUrls };\n", "has no `websocket: { ... }` object literal"),
        ("export const apiConfig = { ...shared, websocket: {} };\n", "spreads another object"),
        ("export const apiConfig = { websocket: { ...urls, a: () => '/ws/a' } };\n", "may define workflowHistory"),
        ("export const apiConfig = { websocket: { [key]: () => '/ws/a' } };\n", "has a computed key"),
        (
            "export const apiConfig = { websocket: { queue: () => QUEUE_URL } };\n",
            "no entry of apiConfig.websocket shows how this app builds a /ws/ URL: add "
            "`workflowHistory: () => websocketUrl('/ws/workflow-history')`",
        ),
    ],
)
def test_other_shapes_are_left_alone_with_the_reason(source: str, reason: str) -> None:
    with pytest.raises(Unsafe) as raised:
        add_websocket_entry(source, PATH, ENTRY)
    assert reason in str(raised.value)


def test_an_entry_written_as_a_method_counts_and_a_longer_path_is_not_copied() -> None:
    method = "export const apiConfig = { websocket: { workflowHistory() { return '/ws/x'; } } };\n"
    assert add_websocket_entry(method, PATH, ENTRY) == method
    per_item = "export const apiConfig = { websocket: { item: (id: string) => `/ws/items/${id}` } };\n"
    with pytest.raises(Unsafe, match=r"no entry of apiConfig\.websocket shows how this app builds a /ws/ URL"):
        add_websocket_entry(per_item, PATH, ENTRY)
