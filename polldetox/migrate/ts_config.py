"""A data type's WebSocket URL added to the client's `apiConfig.websocket`, as a byte-range edit.

The generated hook reads `apiConfig.websocket.<name>()`. The project's config file is its own, so
the entry is written in the file's own style: after the last entry, at its indentation, with its
trailing-comma habit, building the URL the way a sibling entry does (or with the file's
`websocketUrl` helper). Any other shape is left alone, with the line to add by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_ranges import append_entry, apply
from polldetox.scan.ts_parse import descendants, pair_key, parse, text, unwrap

_WS_PATH = re.compile(r"/ws/[\w-]+(?=['\"`])")  # the whole path of a literal, not a prefix of a longer one


@dataclass(frozen=True)
class WebSocketEntry:
    config: str  # the exported object's name: `apiConfig`
    key: str  # `workflowHistory`
    path: str  # `/ws/workflow-history`

    def by_hand(self) -> str:
        return f"add `{self.key}: () => websocketUrl('{self.path}')` (or however the file builds its URLs) to it"


def add_websocket_entry(source: str, path: str, entry: WebSocketEntry) -> str:
    """`source` with the entry added to the exported config's `websocket` object; unchanged when it has one."""
    tree = parse(source, path)
    config = _exported_object(tree.root, entry.config)
    if config is None:
        raise Unsafe(f"{path} exports no `{entry.config}` object literal")
    if any(child.type == "spread_element" for child in config.named_children):
        raise Unsafe(f"{entry.config} in {path} spreads another object, which may define its websocket URLs")
    websocket = next((pair for pair in _pairs(config) if _key(pair) == "websocket"), None)
    value = unwrap(websocket.child_by_field_name("value")) if websocket is not None else None
    if value is None or value.type != "object":
        raise Unsafe(f"{entry.config} in {path} has no `websocket: {{ ... }}` object literal")
    if any(child.type == "spread_element" for child in value.named_children):
        raise Unsafe(f"{entry.config}.websocket in {path} spreads another object, which may define {entry.key}")
    if any(_key(pair) == entry.key for pair in _pairs(value)):
        return source
    if any(_computed(pair) for pair in _pairs(value)):
        raise Unsafe(f"{entry.config}.websocket in {path} has a computed key, which may be {entry.key}")
    built = _url(tree.data, value, entry)
    return apply(tree.data, append_entry(tree.data, value, f"{entry.key}: {built}")).decode("utf-8")


def _exported_object(root: Node, name: str) -> Node | None:
    for statement in root.named_children:
        if statement.type != "export_statement":
            continue
        for declarator in descendants(statement):
            if declarator.type == "variable_declarator" and text(declarator.child_by_field_name("name")) == name:
                value = unwrap(declarator.child_by_field_name("value"))
                return value if value is not None and value.type == "object" else None
    return None


def _pairs(node: Node) -> list[Node]:
    return [child for child in node.named_children if child.type in ("pair", "method_definition")]


def _key(pair: Node) -> str:
    """The name of `key: value`, or of a method `key() { ... }`."""
    return pair_key(pair) if pair.type == "pair" else text(pair.child_by_field_name("name"))


def _computed(pair: Node) -> bool:
    key = pair.child_by_field_name("key") or pair.child_by_field_name("name")
    return key is not None and key.type == "computed_property_name"


def _url(data: bytes, websocket: Node, entry: WebSocketEntry) -> str:
    """A sibling's URL builder with its `/ws/...` path swapped, else the file's `websocketUrl` helper."""
    for pair in _pairs(websocket):
        value = pair.child_by_field_name("value")
        if value is not None and len(_WS_PATH.findall(text(value))) == 1:
            return _WS_PATH.sub(entry.path, text(value))
    if re.search(rb"\bfunction\s+websocketUrl\b|\bwebsocketUrl\s*[=,}]", data):
        return f"(): string => websocketUrl('{entry.path}')"
    raise Unsafe(f"no entry of {entry.config}.websocket shows how this app builds a /ws/ URL: {entry.by_hand()}")
