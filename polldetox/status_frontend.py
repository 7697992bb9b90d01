"""What a project's TypeScript/JavaScript says about WebSocket hooks, read with tree-sitter.

A hook is an exported function named `use...` whose body constructs a WebSocket or calls a
reconnecting-socket hook (`useReconnectingWebSocket`, `useWebSocket`). Which data it serves comes
from the strings it (or a module constant it reads) holds and the apiConfig entry it names; comments
are not strings, so a URL in a comment says nothing. A component is another file that calls the
hook, under its own name or an alias from an import or a re-export (`export { useX as useY } from`).

Files are parsed only when their bytes could matter: hooks among files that mention `Socket`,
callers among files that mention the hook's name (or an alias).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.naming import Names
from polldetox.scan import ParseFailure
from polldetox.scan.policy import url_matches_route
from polldetox.scan.ts_parse import Tree, descendants, pair_key, parse, property_name, string_value, text

_SOCKET_BYTES = b"Socket"
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function"})


@dataclass(frozen=True, slots=True)
class Hook:
    name: str
    path: str
    opens_socket: bool
    strings: frozenset[str]  # string and template literal values in its body and the constants it reads
    websocket_entries: frozenset[str]  # `x` of `apiConfig.websocket.x` it reads


@dataclass(frozen=True, slots=True)
class _Module:
    hooks: tuple[Hook, ...]
    calls: frozenset[str]  # called names, import aliases resolved to the imported name
    reexports: tuple[tuple[str, str], ...]  # (name, exported as)
    socket_entries: tuple[tuple[str, frozenset[str]], ...]  # (name, its strings) of `websocket: { name: ... }`


class Frontend:
    """The frontend files, parsed on first need and once."""

    def __init__(self, sources: list[tuple[str, bytes]]) -> None:
        self._sources = sources
        self._modules: dict[str, _Module | None] = {}
        self._hooks: list[Hook] | None = None
        self._entries: dict[str, set[str]] | None = None
        self.parsed = 0  # files parsed so far, for profiling

    def hook(self, names: Names, endpoints: Sequence[str] = (), types: Iterable[str] = ()) -> Hook | None:
        """A hook that opens a WebSocket for this data, preferring one named for a socket: to one of the
        data's dedicated endpoints, or handling one of its message types (a shared feed carries others too)."""
        entries = self._socket_entries()
        serving = [hook for hook in self._socket_hooks() if _serves(hook, names, endpoints, set(types), entries)]
        return next((hook for hook in serving if "Socket" in hook.name), serving[0] if serving else None)

    def callers(self, hook: Hook) -> list[str]:
        """Files other than the hook's that call it, under its name or an alias."""
        wanted = {hook.name}
        pending = [hook.name]
        while pending:  # re-exports under another name add that name
            name = pending.pop()
            for module in self._mentioning(name):
                for original, exported in module.reexports:
                    if original == name and exported not in wanted:
                        wanted.add(exported)
                        pending.append(exported)
        return [
            path
            for path, data in self._sources
            if path != hook.path
            and any(name.encode() in data for name in wanted)
            and (module := self._module(path, data)) is not None
            and module.calls & wanted
        ]

    def _socket_hooks(self) -> list[Hook]:
        if self._hooks is None:
            self._hooks = [
                hook
                for path, data in self._sources
                if _SOCKET_BYTES in data and (module := self._module(path, data)) is not None
                for hook in module.hooks
                if hook.opens_socket
            ]
        return self._hooks

    def _socket_entries(self) -> dict[str, set[str]]:
        """The strings of each `websocket: { name: ... }` entry of the project's API configuration."""
        if self._entries is None:
            self._entries = {}
            for path, data in self._sources:
                if b"websocket" in data and (module := self._module(path, data)) is not None:
                    for name, strings in module.socket_entries:
                        self._entries.setdefault(name, set()).update(strings)
        return self._entries

    def _mentioning(self, name: str) -> list[_Module]:
        needle = name.encode()
        found = (self._module(path, data) for path, data in self._sources if needle in data)
        return [module for module in found if module is not None]

    def _module(self, path: str, data: bytes) -> _Module | None:
        if path not in self._modules:
            self._modules[path] = _read_module(path, data)
            self.parsed += 1
        return self._modules[path]


def _serves(hook: Hook, names: Names, endpoints: Sequence[str], types: set[str], entries: dict[str, set[str]]) -> bool:
    """The hook names this data's socket: its URL path (written in the hook, or in the apiConfig entry
    it reads), its apiConfig entry or one of its message types."""
    urls = set(hook.strings).union(*(entries.get(entry, set()) for entry in hook.websocket_entries))
    return (
        names.camel in hook.websocket_entries
        or bool(types & hook.strings)
        or any(_names_path(value, f"/ws/{names.kebab}") for value in urls)
        or any(url_matches_route(value, endpoint) for value in urls for endpoint in endpoints if "/" in value)
    )


def _names_path(value: str, path: str) -> bool:
    """`/ws/orders` in `${base}/ws/orders?x=1`, but not in `/ws/orders-archive`."""
    start = value.find(path)
    while start != -1:
        after = value[start + len(path) : start + len(path) + 1]
        if not (after.isalnum() or after in ("_", "-")):
            return True
        start = value.find(path, start + 1)
    return False


def _read_module(path: str, data: bytes) -> _Module | None:
    try:
        tree = parse(data.decode("utf-8-sig"), path)
    except (ParseFailure, UnicodeDecodeError):
        return None  # the scan reports files it cannot read or parse
    constants = _module_constants(tree)
    exported = _exported_names(tree.root)
    hooks = tuple(
        _hook(name, function, tree, constants)
        for name, function in _functions(tree.root)
        if name.startswith("use") and name[3:4].isupper() and name in exported
    )
    return _Module(hooks, _calls(tree), _reexports(tree.root), _socket_entries(tree))


def _functions(root: Node) -> list[tuple[str, Node]]:
    """Top-level functions by name: declarations and `const name = () => ...` (exported or not)."""
    found = []
    for statement in root.named_children:
        declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" else None
        node = declaration or (statement.named_children[0] if statement.type == "export_statement" else statement)
        if node is None:
            continue
        if node.type == "function_declaration":
            found.append((text(node.child_by_field_name("name")), node))
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                value = declarator.child_by_field_name("value")
                if declarator.type == "variable_declarator" and value is not None and value.type in _FUNCTION_VALUES:
                    found.append((text(declarator.child_by_field_name("name")), value))
    return found


def _exported_names(root: Node) -> set[str]:
    """Names the module exports: `export function`, `export const`, `export default function`, `export { x }`."""
    names: set[str] = set()
    for statement in root.named_children:
        if statement.type != "export_statement" or statement.child_by_field_name("source") is not None:
            continue
        for node in statement.named_children:
            if node.type == "function_declaration":
                names.add(text(node.child_by_field_name("name")))
            elif node.type in ("lexical_declaration", "variable_declaration"):
                names.update(text(d.child_by_field_name("name")) for d in node.named_children)
            elif node.type == "export_clause":
                names.update(text(s.child_by_field_name("name")) for s in node.named_children)
            elif node.type == "identifier":  # export default useX;
                names.add(text(node))
    return names


def _reexports(root: Node) -> tuple[tuple[str, str], ...]:
    """(name, exported as) of `export { name as alias } from '...'`."""
    pairs = []
    for statement in root.named_children:
        if statement.type != "export_statement" or statement.child_by_field_name("source") is None:
            continue
        for clause in statement.named_children:
            if clause.type == "export_clause":
                for specifier in clause.named_children:
                    name = text(specifier.child_by_field_name("name"))
                    alias = specifier.child_by_field_name("alias")
                    pairs.append((name, text(alias) if alias is not None else name))
    return tuple(pairs)


def _socket_entries(tree: Tree) -> tuple[tuple[str, frozenset[str]], ...]:
    """`queue` and the strings of its value, from `websocket: { queue: () => `${WS}/ws/queue` }`."""
    found = []
    for pair in tree.of("pair"):
        value = pair.child_by_field_name("value")
        if pair_key(pair) != "websocket" or value is None or value.type != "object":
            continue
        for entry in value.named_children:
            if entry.type == "pair":
                name = pair_key(entry)
            elif entry.type == "method_definition":
                name = text(entry.child_by_field_name("name"))
            else:
                continue
            literals = (node for node in descendants(entry) if node.type in ("string", "template_string"))
            found.append((name, frozenset(string_value(node) or "" for node in literals)))
    return tuple(found)


def _module_constants(tree: Tree) -> dict[str, str]:
    """Top-level `const NAME = 'string'` (or a template literal), which a hook may read for its URL."""
    constants = {}
    for declarator in tree.of("variable_declarator"):
        value = string_value(declarator.child_by_field_name("value"))
        statement = declarator.parent.parent if declarator.parent is not None else None
        if statement is not None and statement.type == "export_statement":
            statement = statement.parent
        if value is not None and statement == tree.root:
            constants[text(declarator.child_by_field_name("name"))] = value
    return constants


def _hook(name: str, function: Node, tree: Tree, constants: dict[str, str]) -> Hook:
    strings: set[str] = set()
    entries: set[str] = set()
    opens = False
    for node in descendants(function):
        if node.type in ("string", "template_string"):
            strings.add(string_value(node) or "")
        elif node.type == "identifier" and text(node) in constants:
            strings.add(constants[text(node)])
        elif node.type == "member_expression":
            owner = node.child_by_field_name("object")
            if owner is not None and _last_name(owner) == "websocket":
                entries.add(text(node.child_by_field_name("property")))
        elif node.type == "new_expression":
            opens = opens or _last_name(node.child_by_field_name("constructor")) == "WebSocket"
        elif node.type == "call_expression":
            called = property_name(node)
            opens = opens or (called.startswith("use") and "Socket" in called)
    return Hook(name, tree.path, opens, frozenset(strings), frozenset(entries))


def _last_name(node: Node | None) -> str:
    if node is not None and node.type == "member_expression":
        return text(node.child_by_field_name("property"))
    return text(node)


def _calls(tree: Tree) -> frozenset[str]:
    """Names the module calls; a local alias from `import { useX as y }` counts as `useX`."""
    aliases = {}
    for statement in tree.of("import_statement"):
        for specifier in descendants(statement):
            alias = specifier.child_by_field_name("alias") if specifier.type == "import_specifier" else None
            if alias is not None:
                aliases[text(alias)] = text(specifier.child_by_field_name("name"))
    called = (property_name(call) for call in tree.of("call_expression"))
    return frozenset(aliases.get(name, name) for name in called)
