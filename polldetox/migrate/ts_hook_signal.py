"""A `lastUpdated` change signal added to a hand-written `use<Type>WebSocket` hook, as byte-range edits.

A timer loop rewritten onto a hook reloads when the hook's `lastUpdated` changes. A hook written by
hand may return none; in its plain shape (state held with `useState`, the data message handled in
`if (message.type === '<type>') { ... }`, an object literal returned at the end) it gains
`const [lastUpdated, setLastUpdated] = useState<Date | null>(null)`, as the standard's hook and the
scaffolded one keep it, set to a new Date at the end of that branch, and returned (and declared in
the return type when there is one). A new Date is a new value on every push, however close together.
Any other shape, or a file that already names `lastUpdated`, is left to a person with the reason.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_edits import hook_function
from polldetox.migrate.ts_ranges import Range, after_line, append_entry, apply, indent
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    descendants,
    language_of,
    parse,
    string_value,
    text,
    unwrap,
)

_STATE = frozenset({"useState", "React.useState"})
_NAMES = frozenset({"lastUpdated", "setLastUpdated"})
_MEMBER = "lastUpdated: Date | null"


@dataclass(frozen=True)
class HookSignal:
    source: str  # the hook's file with lastUpdated added
    message_type: str  # the message whose handling now sets it


def add_last_updated(source: str, path: str, hook: str, message_types: Collection[str]) -> HookSignal:
    """`source` with the hook `hook` returning `lastUpdated`, set on each message of one of `message_types`."""
    tree = parse(source, path)
    function = hook_function(tree, hook)
    if function is None:
        raise Unsafe(f"{path} declares no function {hook}")
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        raise Unsafe(f"{hook} is an arrow function returning an expression, not a body ending in `return {{ ... }}`")
    taken = sorted({text(node) for node in descendants(tree.root) if node.type.endswith("identifier")} & _NAMES)
    if taken:
        raise Unsafe(f"`{taken[0]}` already names something in {path}")
    states = [statement for statement in body.named_children if _state_callee(statement)]
    if not states:
        raise Unsafe(f"{hook} holds no state with useState (`const [value, setValue] = useState(...)`)")
    returned = _returned_object(function, body, hook)
    data = tree.data
    branch, message_type = _message_branch(data, function, hook, message_types)
    last_state = states[-1]
    at = after_line(data, last_state)
    typed = "<Date | null>" if language_of(path) == "typescript" else ""  # JavaScript takes no type argument
    declared = f"const [lastUpdated, setLastUpdated] = {_state_callee(last_state)}{typed}(null);\n"
    ranges = [Range(at, at, indent(data, last_state) + declared.encode())]
    statements = [node for node in branch.named_children if node.type != "comment"]
    at = after_line(data, statements[-1])
    ranges.append(Range(at, at, indent(data, statements[-1]) + b"setLastUpdated(new Date());\n"))
    ranges += append_entry(data, returned, "lastUpdated")
    ranges += _declared_member(tree, function, hook)
    return HookSignal(apply(data, ranges).decode("utf-8"), message_type)


def _state_callee(statement: Node) -> str | None:
    """`useState` (as written) when the statement is `const [value, setValue] = useState(...)`."""
    if statement.type != "lexical_declaration" or len(statement.named_children) != 1:
        return None
    declarator = statement.named_children[0]
    name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
    if name is None or name.type != "array_pattern" or value is None or value.type != "call_expression":
        return None
    callee = text(value.child_by_field_name("function"))
    return callee if callee in _STATE else None


def _own(node: Node, function: Node) -> bool:
    """Whether `node` belongs to `function` itself, not to a function nested in it."""
    parent = node.parent
    while parent is not None and parent != function:
        if parent.type in FUNCTION_TYPES:
            return False
        parent = parent.parent
    return parent == function


def _returned_object(function: Node, body: Node, hook: str) -> Node:
    """The object literal the hook's one return, its last statement, gives back."""
    returns = [node for node in descendants(body) if node.type == "return_statement" and _own(node, function)]
    statements = [node for node in body.named_children if node.type != "comment"]
    if len(returns) != 1 or statements[-1] != returns[0]:
        raise Unsafe(f"{hook} does not return once, at its end")
    value = unwrap(returns[0].named_children[0]) if returns[0].named_children else None
    if value is None or value.type != "object":
        raise Unsafe(f"{hook} does not return an object literal")
    for entry in value.named_children:
        key = entry.child_by_field_name("key")
        if entry.type == "spread_element" or (key is not None and key.type == "computed_property_name"):
            raise Unsafe(f"{hook} returns an object with a spread or computed key, which may hold a lastUpdated")
    return value


def _message_branch(data: bytes, function: Node, hook: str, message_types: Collection[str]) -> tuple[Node, str]:
    """The block of `if (message.type === '<type>') { ... }`, the one place the hook handles its data message."""
    branches = [
        node
        for node in descendants(function)
        if node.type == "if_statement" and _checked_type(node.child_by_field_name("condition"), message_types)
    ]
    types = [_checked_type(branch.child_by_field_name("condition"), message_types) for branch in branches]
    named = " or ".join(sorted(message_types))
    if not branches:
        mentioned = any(string_value(node) in message_types for node in descendants(function) if node.type == "string")
        if mentioned:
            raise Unsafe(f"{hook} handles {named} in another shape than `if (message.type === '...') {{ ... }}`")
        raise Unsafe(f"{hook} handles no {named} message in its own body")
    if len(branches) > 1:
        raise Unsafe(f"{hook} handles {named} in more than one place")
    block = branches[0].child_by_field_name("consequence")
    statements = [node for node in block.named_children if node.type != "comment"] if block is not None else []
    if block is None or block.type != "statement_block" or not statements:
        raise Unsafe(f"{hook}'s {named} branch is not a block of statements")
    last = statements[-1]
    if after_line(data, last) > block.end_byte - 1:  # the closing brace shares the statement's line
        raise Unsafe(f"{hook}'s {named} branch ends on the line of its last statement")
    return block, str(types[0])


def _checked_type(condition: Node | None, message_types: Collection[str]) -> str | None:
    """The type of `message.type === '<type>'` (or `==`, either way round), when one of the data's message types."""
    compared = unwrap(condition)
    if compared is None or compared.type != "binary_expression":
        return None
    if text(compared.child_by_field_name("operator")) not in ("===", "=="):
        return None
    sides = (compared.child_by_field_name("left"), compared.child_by_field_name("right"))
    for member, literal in (sides, sides[::-1]):
        if (
            member is not None
            and member.type == "member_expression"
            and text(member.child_by_field_name("property")) == "type"
            and string_value(literal) in message_types
        ):
            return string_value(literal)
    return None


def _declared_member(tree: Tree, function: Node, hook: str) -> list[Range]:
    """`lastUpdated: Date | null` added to the hook's declared return type: inline, or an interface or
    object type alias of the file that types nothing else."""
    annotation = function.child_by_field_name("return_type")
    if annotation is None:
        return []
    written = annotation.named_children[0]
    if written.type == "object_type":
        return append_entry(tree.data, written, _MEMBER, _separator(tree.data, written))
    if written.type != "type_identifier":
        raise Unsafe(f"{hook}'s return type {text(written)} is not an object type or a named one of its file")
    name = text(written)
    declared = _type_body(tree, name)
    if declared is None:
        raise Unsafe(f"{hook}'s return type {name} is not declared in its file as an interface or object type")
    mentions = [node for node in descendants(tree.root) if node.type == "type_identifier" and text(node) == name]
    if len(mentions) > 2:  # its declaration and the hook's annotation
        raise Unsafe(f"{name} types more than {hook}'s result")
    return append_entry(tree.data, declared, _MEMBER, _separator(tree.data, declared))


def _type_body(tree: Tree, name: str) -> Node | None:
    """The members of `interface <name> { ... }` or `type <name> = { ... }`."""
    for declaration in descendants(tree.root):
        if declaration.type not in ("interface_declaration", "type_alias_declaration"):
            continue
        if text(declaration.child_by_field_name("name")) != name:
            continue
        if declaration.type == "interface_declaration":
            if any(child.type == "extends_type_clause" for child in declaration.named_children):
                raise Unsafe(f"{name} extends another type, which may declare lastUpdated")
            return declaration.child_by_field_name("body")
        value = declaration.child_by_field_name("value")
        return value if value is not None and value.type == "object_type" else None
    return None


def _separator(data: bytes, members: Node) -> str:
    """The separator between the type's members: `;` unless they are written with commas."""
    entries = [child for child in members.named_children if child.type != "comment"]
    after = data[entries[0].end_byte : entries[0].end_byte + 1] if entries else b""
    return "," if after == b"," else ";"
