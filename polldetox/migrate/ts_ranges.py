"""Byte-range edits on a tree-sitter tree: the primitives every TypeScript/JavaScript codemod shares.

Each edit replaces a range of the original bytes; everything outside the ranges is kept byte for
byte, so formatting and comments survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.scan.ts_parse import Tree, descendants, parse, text


@dataclass(frozen=True, order=True)
class Range:
    start: int
    end: int
    replacement: bytes = b""


def apply(data: bytes, ranges: list[Range]) -> bytes:
    for edit in sorted(ranges, reverse=True):
        data = data[: edit.start] + edit.replacement + data[edit.end :]
    return data


def line_span(data: bytes, node: Node) -> tuple[int, int]:
    """The node with its trailing comma (or a class field's semicolon), and its whole line(s) when nothing else is
    on them."""
    start, end = node.start_byte, node.end_byte
    if end < len(data) and data[end : end + 1] in (b",", b";"):
        end += 1
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end + 1
    rest = data[end:line_end].strip()
    if not data[line_start:start].strip() and (not rest or rest.startswith(b"//")):  # its own comment goes too
        return line_start, line_end
    return start, end


def indent(data: bytes, node: Node) -> bytes:
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    return data[line_start : node.start_byte]


def after_line(data: bytes, node: Node) -> int:
    """The start of the line after the node's last line."""
    end = data.find(b"\n", node.end_byte)
    return len(data) if end < 0 else end + 1


def imports(tree: Tree, name: str) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text(node)) for node in tree.of("import_statement"))


def import_source(tree: Tree, name: str) -> str | None:
    """The module a name is imported from, when it is."""
    for statement in tree.of("import_statement"):
        bound = [node for node in descendants(statement) if node.type in ("import_specifier", "identifier")]
        if any(text(node.child_by_field_name("name") or node) == name for node in bound):
            return text(statement.child_by_field_name("source"))[1:-1]
    return None


def import_range(tree: Tree, statement: str) -> Range:
    """After the last import of a relative module (the file's own imports), else after the last import."""
    statements = tree.of("import_statement")
    local = [node for node in statements if re.search(r"from\s+['\"]\.", text(node))]
    last = (local or statements or [None])[-1]
    if last is None:
        return Range(0, 0, statement.encode())
    end = after_line(tree.data, last)
    return Range(end, end, statement.encode())


def add_named_import(tree: Tree, module: str, name: str) -> Range:
    """`name` added to the file's `import { ... } from 'module'`, or a new import of it."""
    for statement in tree.of("import_statement"):
        if text(statement.child_by_field_name("source"))[1:-1] != module:
            continue
        named = next((node for node in descendants(statement) if node.type == "named_imports"), None)
        if named is not None:
            last = [node for node in named.named_children if node.type == "import_specifier"]
            if last:
                return Range(last[-1].end_byte, last[-1].end_byte, f", {name}".encode())
    return import_range(tree, f"import {{ {name} }} from '{module}';\n")


def uses(tree: Tree, outside: Node, name: str) -> int:
    """Identifier occurrences of `name` outside the node `outside`."""
    pattern = re.compile(rb"(?<![\w$.])" + re.escape(name.encode()) + rb"(?![\w$])")
    data = tree.data
    return len(pattern.findall(data[: outside.start_byte] + data[outside.end_byte :]))


def drop_unused_imports(source: str, path: str, candidates: set[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Remove import specifiers of `candidates` nothing else in the file uses; say what went."""
    tree = parse(source, path)
    ranges: list[Range] = []
    removed: list[tuple[str, str]] = []
    for statement in tree.of("import_statement"):
        module = text(statement.child_by_field_name("source"))[1:-1]
        specifiers = [node for node in descendants(statement) if node.type == "import_specifier"]
        unused = [
            node
            for node in specifiers
            if _specifier_name(node) in candidates and uses(tree, statement, _specifier_name(node)) == 0
        ]
        if not unused:
            continue
        removed += [(module, _specifier_name(node)) for node in unused]
        if (
            len(unused) == len(specifiers)
            and statement.child(1) is not None
            and statement.child(1).type == "import_clause"
        ):
            ranges.append(Range(*line_span(tree.data, statement)))
        else:
            ranges += [Range(*list_item_span(tree.data, node)) for node in unused]
    return apply(tree.data, ranges).decode("utf-8"), tuple(removed)


def _specifier_name(specifier: Node) -> str:
    alias = specifier.child_by_field_name("alias")
    return text(alias or specifier.child_by_field_name("name"))


def list_item_span(data: bytes, specifier: Node) -> tuple[int, int]:
    """An item of a comma-separated list (an import specifier, a destructured name) with one of its commas."""
    start, end = specifier.start_byte, specifier.end_byte
    after = re.match(rb"\s*,\s*", data[end:])
    if after:
        return start, end + after.end()
    before = re.search(rb",\s*$", data[:start])
    return (before.start(), end) if before else (start, end)


def blank_line_too(data: bytes, start: int, end: int) -> tuple[int, int]:
    """A declaration alone between blank lines takes one of them with it."""
    if data[end : end + 1] == b"\n" and (start == 0 or data[start - 2 : start] == b"\n\n"):
        return start, end + 1
    return start, end


def append_entry(data: bytes, container: Node, entry: str, separator: str = ",") -> list[Range]:
    """`entry` after the last one of an object literal or object type, in its style: on its own line at the
    entries' indentation when they are one per line (with the trailing separator habit), else inline."""
    entries = [child for child in container.named_children if child.type != "comment"]
    if not entries:
        return [Range(container.start_byte + 1, container.end_byte - 1, f" {entry} ".encode())]
    last = entries[-1]
    after = data[last.end_byte : last.end_byte + 1]
    trailing = after if after in (b",", b";") else b""
    rest = data[last.end_byte + len(trailing) : after_line(data, last)].strip()
    if b"\n" not in data[container.start_byte : container.end_byte] or (rest and not rest.startswith(b"//")):
        return [Range(last.end_byte, last.end_byte, f"{separator} {entry}".encode())]
    line = indent(data, last) + entry.encode() + trailing + b"\n"
    start_of_next = after_line(data, last)
    # Without a trailing separator, members of a type may stand one per line with none; object entries need one.
    joined = [] if trailing or separator != "," else [Range(last.end_byte, last.end_byte, b",")]
    return [Range(start_of_next, start_of_next, line), *joined]
