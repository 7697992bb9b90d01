"""TypeScript/JavaScript edits as byte ranges found on the tree-sitter tree; the rest of the file is kept byte for byte.

A query site loses its polling option and calls the data's WebSocket hook, which writes every
pushed list into the same query cache entry, so the component's own `data` stays its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.scan.ts_parse import (
    Tree,
    ancestors,
    callee_name,
    descendants,
    outermost_function,
    pair_key,
    parse,
    text,
)

# The polling options of TanStack Query, SWR, Apollo and RTK Query, and their companions.
POLLING_OPTIONS = frozenset({"refetchInterval", "refreshInterval", "pollInterval", "pollingInterval"})
_COMPANIONS = frozenset({"refetchIntervalInBackground", "refreshWhenHidden", "skipPollingIfUnfocused"})
_TANSTACK_QUERIES = frozenset({"useQuery", "useSuspenseQuery"})


@dataclass(frozen=True)
class HookUse:
    name: str  # useQueueWebSocket
    module: str  # the import specifier from the edited file: '../hooks/useQueueWebSocket'
    query_key: str  # the key the hook writes pushed data to, as written: ['queue']


@dataclass(frozen=True)
class QuerySiteEdit:
    source: str
    removed_names: tuple[tuple[str, str], ...]  # (import specifier, name) no longer used by the file


@dataclass(frozen=True, order=True)
class _Range:
    start: int
    end: int
    replacement: bytes = b""


def _apply(data: bytes, ranges: list[_Range]) -> bytes:
    for edit in sorted(ranges, reverse=True):
        data = data[: edit.start] + edit.replacement + data[edit.end :]
    return data


def _line_span(data: bytes, node: Node) -> tuple[int, int]:
    """The node with its trailing comma, and its whole line(s) when nothing else is on them."""
    start, end = node.start_byte, node.end_byte
    if end < len(data) and data[end : end + 1] == b",":
        end += 1
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end + 1
    rest = data[end:line_end].strip()
    if not data[line_start:start].strip() and (not rest or rest.startswith(b"//")):  # its own comment goes too
        return line_start, line_end
    return start, end


def _key_text(code: str) -> str:
    return re.sub(r"\s+", "", code).replace('"', "'").rstrip(",").removesuffix("asconst")


def hook_query_key(source: str, path: str) -> str | None:
    """The query key the hook's setQueryData writes, as written."""
    tree = parse(source, path)
    for call in tree.of("call_expression"):
        if callee_name(call).endswith("setQueryData"):
            args = call.child_by_field_name("arguments")
            if args is not None and args.named_children:
                return _constant_value(tree, args.named_children[0])
    return None


def _constant_value(tree: Tree, node: Node) -> str:
    """A key passed by name (`ordersQueryKey`) is the value the module declares it with."""
    if node.type == "identifier":
        for declarator in tree.of("variable_declarator"):
            value = declarator.child_by_field_name("value")
            if text(declarator.child_by_field_name("name")) == text(node) and value is not None:
                return text(value)
    return text(node)


def migrate_query_site(source: str, path: str, line: int, hook: HookUse) -> QuerySiteEdit:
    tree = parse(source, path)
    data = tree.data
    option = next(
        (pair for pair in tree.of("pair") if pair.start_point[0] + 1 == line and pair_key(pair) in POLLING_OPTIONS),
        None,
    )
    if option is None or option.parent is None:
        raise Unsafe("the polling option is not a plain `key: value` property here")
    options = option.parent
    call = next((node for node in ancestors(options) if node.type == "call_expression"), None)
    hook_name = callee_name(call) if call is not None else ""
    if hook_name not in _TANSTACK_QUERIES:
        raise Unsafe(_why_not_query(hook_name))
    key = next((pair for pair in options.named_children if pair.type == "pair" and pair_key(pair) == "queryKey"), None)
    if key is None or _key_text(text(key.child_by_field_name("value"))) != _key_text(hook.query_key):
        written = text(key.child_by_field_name("value")) if key is not None else "none"
        raise Unsafe(
            f"its query key {written} is not the one {hook.name} writes pushed data to ({hook.query_key}): "
            "call the hook and invalidate this key on each push by hand"
        )
    component = outermost_function(call)  # type: ignore[arg-type]
    body = component.child_by_field_name("body") if component is not None else None
    if body is None or body.type != "statement_block":
        raise Unsafe("the query is not inside a component or hook body")
    removed = [
        pair
        for pair in options.named_children
        if pair.type == "pair" and pair_key(pair) in POLLING_OPTIONS | _COMPANIONS
    ]
    ranges = [_Range(*_line_span(data, pair)) for pair in removed]
    if f"{hook.name}(" not in text(body):
        first = body.named_children[0] if body.named_children else None
        indent = _indent(data, first) if first is not None else b"  "
        at = data.rfind(b"\n", 0, first.start_byte) + 1 if first is not None else body.start_byte + 1
        ranges.append(_Range(at, at, indent + f"{hook.name}();\n".encode()))
    if not _imports(tree, hook.name):
        ranges.append(_import_range(tree, f"import {{ {hook.name} }} from '{hook.module}';\n"))
    edited = _apply(data, ranges).decode("utf-8")
    used = {
        name for pair in removed for name in re.findall(r"[A-Za-z_$][\w$]*", text(pair.child_by_field_name("value")))
    }
    return _drop_unused_imports(edited, path, used)


def _why_not_query(name: str) -> str:
    if name == "useInfiniteQuery":
        return (
            "useInfiniteQuery keeps pages in its cache: a pushed list cannot replace them; invalidate on push by hand"
        )
    if name:
        return f"{name} keeps its own cache, which the WebSocket hook does not write: migrate it by hand"
    return "the polling option is not passed to a query hook call"


def _indent(data: bytes, node: Node) -> bytes:
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    return data[line_start : node.start_byte]


def _imports(tree: Tree, name: str) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text(node)) for node in tree.of("import_statement"))


def _import_range(tree: Tree, statement: str) -> _Range:
    """After the last import of a relative module (the file's own imports), else after the last import."""
    imports = tree.of("import_statement")
    local = [node for node in imports if re.search(r"from\s+['\"]\.", text(node))]
    last = (local or imports or [None])[-1]
    if last is None:
        return _Range(0, 0, statement.encode())
    end = tree.data.find(b"\n", last.end_byte)
    end = len(tree.data) if end < 0 else end + 1
    return _Range(end, end, statement.encode())


def _drop_unused_imports(source: str, path: str, candidates: set[str]) -> QuerySiteEdit:
    """Remove import specifiers of `candidates` nothing else in the file uses; report what went."""
    tree = parse(source, path)
    ranges: list[_Range] = []
    removed: list[tuple[str, str]] = []
    for statement in tree.of("import_statement"):
        source_node = statement.child_by_field_name("source")
        module = text(source_node)[1:-1]
        specifiers = [node for node in descendants(statement) if node.type == "import_specifier"]
        unused = [
            node
            for node in specifiers
            if _specifier_name(node) in candidates and _uses(tree, statement, _specifier_name(node)) == 0
        ]
        if not unused:
            continue
        removed += [(module, _specifier_name(node)) for node in unused]
        if (
            len(unused) == len(specifiers)
            and statement.child(1) is not None
            and statement.child(1).type == "import_clause"
        ):
            ranges.append(_Range(*_line_span(tree.data, statement)))
        else:
            ranges += [_Range(*_specifier_span(tree.data, node)) for node in unused]
    return QuerySiteEdit(_apply(tree.data, ranges).decode("utf-8"), tuple(removed))


def _specifier_name(specifier: Node) -> str:
    alias = specifier.child_by_field_name("alias")
    return text(alias or specifier.child_by_field_name("name"))


def _specifier_span(data: bytes, specifier: Node) -> tuple[int, int]:
    start, end = specifier.start_byte, specifier.end_byte
    after = re.match(rb"\s*,\s*", data[end:])
    if after:
        return start, end + after.end()
    before = re.search(rb",\s*$", data[:start])
    return (before.start(), end) if before else (start, end)


def _uses(tree: Tree, outside: Node, name: str) -> int:
    """Identifier occurrences of `name` outside the node `outside`."""
    pattern = re.compile(rb"(?<![\w$.])" + re.escape(name.encode()) + rb"(?![\w$])")
    data = tree.data
    return len(pattern.findall(data[: outside.start_byte] + data[outside.end_byte :]))


def drop_unused_export(source: str, path: str, name: str) -> str | None:
    """The module without `export const NAME = ...;` when the module itself does not use NAME, else None."""
    tree = parse(source, path)
    for statement in tree.root.named_children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is None or declaration.type != "lexical_declaration":
            continue
        declarators = [node for node in declaration.named_children if node.type == "variable_declarator"]
        if len(declarators) == 1 and text(declarators[0].child_by_field_name("name")) == name:
            if _uses(tree, statement, name):
                return None
            start, end = _line_span(tree.data, statement)
            return _apply(tree.data, [_Range(start, end)]).decode("utf-8")
    return None
