"""Parsing TypeScript/JavaScript with tree-sitter, and reading positions and text off the tree.

The grammar follows the file suffix: `.ts`/`.mts`/`.cts` use the TypeScript grammar (where `<T>x`
is a type assertion), everything else the TSX grammar, which also accepts JSX and plain JavaScript.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from polldetox.findings import Location
from polldetox.scan import ParseFailure

_TYPESCRIPT_SUFFIXES = (".ts", ".mts", ".cts")
_SNIPPET_LIMIT = 160
_VARIANCE = (b"in", b"out")
_GENERIC_DECLARATIONS = (b"interface", b"type", b"class")
_CLOSERS = frozenset({b"(", b")", b"[", b"]", b"{", b"}", b";"})

# The node types the detector looks at; one walk of the tree files them all.
_INDEXED = frozenset(
    {
        "call_expression",
        "new_expression",
        "pair",
        "shorthand_property_identifier",
        "comment",
        "variable_declarator",
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "public_field_definition",
        "import_statement",
        "binary_expression",
        "switch_statement",
        "spread_element",
        "jsx_attribute",
        "jsx_opening_element",
        "jsx_self_closing_element",
    }
)

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
    }
)

FUNCTION_WRAPPERS = frozenset(
    {"useCallback", "useMemo", "memo", "forwardRef", "observer", "React.memo", "React.forwardRef", "React.useCallback"}
)


def language_of(path: str) -> str:
    """The language a finding names: TypeScript for the TypeScript suffixes, JavaScript otherwise."""
    return "typescript" if path.endswith((*_TYPESCRIPT_SUFFIXES, ".tsx")) else "javascript"


@cache
def _language(typescript: bool) -> Language:
    grammar = tree_sitter_typescript.language_typescript() if typescript else tree_sitter_typescript.language_tsx()
    return Language(grammar)


@cache
def _parser(typescript: bool) -> Parser:
    return Parser(_language(typescript))


@cache
def _index_query(typescript: bool) -> Query:
    """One pattern per indexed type: the index is built in C rather than by walking nodes in Python."""
    language = _language(typescript)
    known = sorted(t for t in _INDEXED if language.id_for_node_kind(t, True) is not None)  # no JSX in .ts
    return Query(language, "\n".join(f"({node_type}) @{node_type}" for node_type in known))


@dataclass(slots=True)
class Tree:
    """A parsed file: its bytes, root node and its nodes of interest by type, in source order."""

    data: bytes
    root: Node
    nodes: dict[str, list[Node]]
    path: str
    lines: list[bytes]
    _starts: dict[str, list[int]] = field(default_factory=dict)

    def of(self, node_type: str) -> list[Node]:
        return self.nodes.get(node_type, [])

    def within(self, node_type: str, container: Node) -> list[Node]:
        """Indexed nodes of a type inside `container`, found by bisection over their source order."""
        nodes = self.of(node_type)
        starts = self._starts.get(node_type)
        if starts is None:
            starts = self._starts[node_type] = [node.start_byte for node in nodes]
        return nodes[bisect_left(starts, container.start_byte) : bisect_left(starts, container.end_byte)]

    def jsx_elements(self, container: Node) -> list[Node]:
        """The JSX elements (opening tags and self-closing ones) inside `container`."""
        return self.within("jsx_opening_element", container) + self.within("jsx_self_closing_element", container)

    def location(self, node: Node) -> Location:
        (line, column), (end_line, end_column) = node.start_point, node.end_point
        return Location(
            path=self.path,
            line=line + 1,
            column=self._characters(line, column) + 1,
            end_line=end_line + 1,
            end_column=self._characters(end_line, end_column) + 1,
        )

    def _characters(self, line: int, byte_column: int) -> int:
        """Columns are reported in characters, tree-sitter counts bytes."""
        return len(self.lines[line][:byte_column].decode("utf-8", "replace")) if line < len(self.lines) else byte_column


def parse(source: str, path: str, typescript: bool | None = None) -> Tree:
    """Parse a file, or raise ParseFailure at the first syntax error; the grammar follows the suffix by default."""
    data = source.encode("utf-8")
    typescript = path.endswith(_TYPESCRIPT_SUFFIXES) if typescript is None else typescript
    tree = _parser(typescript).parse(data)
    root = tree.root_node
    if root.has_error and (blanked := _without_variance_annotations(root, data)) != data:
        data = blanked
        root = _parser(typescript).parse(data).root_node
    if root.has_error:
        broken = _first_error(root)
        line = broken.start_point[0] + 1 if broken is not None else 1
        what = f"missing {broken.type}" if broken is not None and broken.is_missing else "syntax error"
        raise ParseFailure(f"{what} at line {line}", line)
    captures = QueryCursor(_index_query(typescript)).captures(root)
    # Source order, an enclosing node before the nodes it contains.
    nodes = {name: sorted(found, key=lambda n: (n.start_byte, -n.end_byte)) for name, found in captures.items()}
    return Tree(data=data, root=root, nodes=nodes, path=path, lines=data.split(b"\n"))


def _without_variance_annotations(root: Node, data: bytes) -> bytes:
    """The source with `in`/`out` of `interface X<in out A>` blanked, which the grammar cannot parse.

    Only modifiers inside the type parameters of an interface, type alias or class are blanked, where
    nothing else can put them; same length, so every position stays where it was.
    """
    tokens = [node for node in descendants(root) if node.child_count == 0 and node.end_byte > node.start_byte]
    leaves = [token.text or b"" for token in tokens]
    blanked = bytearray(data)
    for index, leaf in enumerate(leaves):
        if leaf in _VARIANCE and _in_declared_type_parameters(leaves, index):
            blanked[tokens[index].start_byte : tokens[index].end_byte] = b" " * len(leaf)
    return bytes(blanked)


def _in_declared_type_parameters(leaves: list[bytes], index: int) -> bool:
    """Whether token `index` follows `interface|type|class Name<` with only type parameters between."""
    if index == 0 or leaves[index - 1] not in (b"<", b",", *_VARIANCE):
        return False
    depth = 0
    for position in range(index - 1, 1, -1):
        token = leaves[position]
        if token == b">":
            depth += 1
        elif token == b"<" and depth:
            depth -= 1
        elif token == b"<":
            return leaves[position - 2] in _GENERIC_DECLARATIONS
        elif token in _CLOSERS:
            return False
    return False


def _first_error(root: Node) -> Node | None:
    for node in descendants(root):
        if node.is_error or node.is_missing:
            return node
    return None


def descendants(node: Node) -> Iterator[Node]:
    """The node and everything under it, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def identifier_names(*nodes: Node | None) -> set[str]:
    """Every name the nodes mention (variables, properties, types), read off the tree."""
    return {
        text(found)
        for node in nodes
        if node is not None
        for found in descendants(node)
        if found.type.endswith("identifier")
    }


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def unwrap(node: Node | None) -> Node | None:
    """Look through parentheses, `as`/`satisfies` casts, `!` and `await`, which do not change a value."""
    while node is not None and node.type in (
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "await_expression",
    ):
        node = node.named_children[0] if node.named_children else None
    return node


def string_value(node: Node | None) -> str | None:
    """The value of a string literal, or of a template literal (substitutions kept as written)."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return text(node)[1:-1]
    if node.type == "template_string":
        return text(node)[1:-1]
    return None


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [arg for arg in args.named_children if arg.type != "comment"] if args is not None else []


def callee_name(call: Node) -> str:
    """`setInterval`, `window.setInterval`, `queueClient.getAll`: the called expression as written."""
    return text(call.child_by_field_name("function"))


def property_name(call: Node) -> str:
    """The last name of the callee: `getAll` for `queueClient.getAll(...)`, `fetch` for `fetch(...)`."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "member_expression":
        return text(function.child_by_field_name("property"))
    return text(function)


def pair_key(pair: Node) -> str:
    key = pair.child_by_field_name("key")
    if key is None:
        return ""
    return (string_value(key) or "") if key.type == "string" else text(key)


def snippet(node: Node) -> str:
    """The node's source on one line, with function bodies shortened to `{...}`."""
    start = node.start_byte
    data = node.text or b""
    pieces: list[bytes] = []
    cursor = 0
    stack = list(reversed(node.children))
    while stack:
        child = stack.pop()
        if child.type == "statement_block" and child.end_byte - child.start_byte > 2:
            pieces.append(data[cursor : child.start_byte - start])
            pieces.append(b"{...}")
            cursor = child.end_byte - start
        else:
            stack.extend(reversed(child.children))
    pieces.append(data[cursor:])
    flat = " ".join(b"".join(pieces).decode("utf-8", "replace").split())
    return flat if len(flat) <= _SNIPPET_LIMIT else flat[: _SNIPPET_LIMIT - 3] + "..."


def member_property(member: Node) -> str:
    """`getAll` in `queueClient.getAll`."""
    return text(member.child_by_field_name("property"))


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def outermost_function(node: Node) -> Node | None:
    """The top-level function (component, hook, module function) or class method a node is in."""
    outer = None
    for ancestor in ancestors(node):
        if ancestor.type in ("class_declaration", "class"):
            break
        if ancestor.type in FUNCTION_TYPES:
            outer = ancestor
    return outer
