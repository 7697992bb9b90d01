"""A class component's timer fetch loop replaced by the WebSocket hook, through a function wrapper.

Hooks run only in function components, so the class keeps its body under a new name (`<Name>View`)
and the exported name becomes a function component that calls the hook and renders the class with
its props plus the hook's `lastUpdated`. Two loops are recognised: `componentDidMount` loads and arms
`setInterval(this.load, ms)`, or it loads and the load re-arms `setTimeout(this.load, ms)` as its last
step. The class drops the timer, the field holding it and its clear in `componentWillUnmount`, and
reloads in `componentDidUpdate` whenever `lastUpdated` changes, that is on every push. Only these
plain shapes are rewritten: any other is left to a person with the reason.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_ranges import (
    Range,
    after_line,
    apply,
    blank_line_too,
    import_range,
    imports,
    indent,
    line_span,
)
from polldetox.migrate.ts_timers import CLEARS, TimerSiteEdit, drop_local_constants, first_call
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    ancestors,
    arguments,
    callee_name,
    descendants,
    identifier_names,
    parse,
    text,
)

_COMPONENTS = frozenset({"React.Component", "React.PureComponent", "Component", "PureComponent"})
_NO_PROPS = frozenset({"Record<string, never>", "{}", "object"})


def migrate_class_site(source: str, path: str, line: int, hook: str, hook_module: str) -> TimerSiteEdit:
    if not path.endswith(".tsx"):
        raise Unsafe("only a TypeScript class component (.tsx) is wrapped: convert it by hand")
    tree = parse(source, path)
    data = tree.data
    timer = next(
        (
            call
            for call in tree.of("call_expression")
            if call.start_point[0] + 1 == line and callee_name(call).removeprefix("window.") in CLEARS
        ),
        None,
    )
    if timer is None:
        raise Unsafe("no setInterval or setTimeout call starts on this line")
    kind = callee_name(timer).removeprefix("window.")
    component = next((node for node in ancestors(timer) if node.type in ("class_declaration", "class")), None)
    name_node = component.child_by_field_name("name") if component is not None else None
    if component is None or name_node is None or component.type != "class_declaration":
        raise Unsafe(f"the {kind} is not in a named class declaration")
    name, body = text(name_node), component.child_by_field_name("body")
    view = f"{name}View"
    if re.search(r"(?<![\w$.])(lastUpdated|" + re.escape(view) + r")(?![\w$])", source):
        raise Unsafe(f"`lastUpdated` or `{view}` already names something in the file")
    members = _members(body)
    mount = members.get("componentDidMount")
    if "componentDidUpdate" in members:
        raise Unsafe(f"{name} already has a componentDidUpdate: reload on {hook}()'s lastUpdated in it by hand")
    statement, field = _timer_statement(timer, kind)
    mount_body = mount.child_by_field_name("body") if mount is not None else None
    if kind == "setInterval" and (mount_body is None or statement.parent != mount_body):
        raise Unsafe("setInterval is not a statement of componentDidMount itself")
    args = arguments(timer)
    callback = args[0] if args else None
    if len(args) != 2 or callback is None or not _is_this_member(callback):
        raise Unsafe(f"the {kind} callback is not a method of the class (`this.load`): name it and rerun")
    loader = _member_name(callback)
    if loader not in members:
        raise Unsafe(f"this.{loader} is not declared in {name}")
    if kind == "setTimeout" and not _is_last_step(statement, members[loader]):
        raise Unsafe(f"setTimeout does not re-arm this.{loader} as the last step of {loader} itself")
    if mount_body is None or first_call(mount_body, f"this.{loader}", statement) is None:
        start = "before its setInterval" if kind == "setInterval" else "to start its setTimeout loop"
        raise Unsafe(f"componentDidMount does not call this.{loader}() {start}")
    heritage_arg = _props_argument(component)
    if heritage_arg is None:
        raise Unsafe(f"{name} does not extend React.Component<Props, State>")
    props_type, wrapper_params, spread = _props(heritage_arg, name)
    ranges = [Range(*line_span(data, statement))]
    if field is not None:
        ranges += _field_ranges(data, body, members, field, statement, CLEARS[kind])
    hook_type = f"ReturnType<typeof {hook}>['lastUpdated']"
    view_props = f"{view}Props"
    parent = component.parent
    declaration = parent if parent is not None and parent.type == "export_statement" else component
    exported = _export_kind(declaration)
    alias = f"{props_type} & {{ lastUpdated: {hook_type} }}" if props_type else f"{{ lastUpdated: {hook_type} }}"
    at = data.rfind(b"\n", 0, declaration.start_byte) + 1
    ranges.append(Range(at, at, f"type {view_props} = {alias};\n\n".encode()))
    if declaration is not component:
        ranges.append(Range(declaration.start_byte, component.start_byte))
    ranges.append(Range(name_node.start_byte, name_node.end_byte, view.encode()))
    ranges.append(Range(heritage_arg.start_byte, heritage_arg.end_byte, view_props.encode()))
    margin = indent(data, mount)
    step = indent(data, statement)[len(margin) :] or b"  "
    update = (
        f"\n{margin.decode()}componentDidUpdate(previous: {view_props}) {{\n"
        f"{(margin + step).decode()}if (previous.lastUpdated !== this.props.lastUpdated) {{\n"
        f"{(margin + step + step).decode()}void this.{loader}();\n"
        f"{(margin + step).decode()}}}\n"
        f"{margin.decode()}}}\n"
    )
    end = after_line(data, mount)
    ranges.append(Range(end, end, update.encode()))
    props_in = "{...props} " if spread else ""
    wrapper = (
        f"\n{exported}function {name}({wrapper_params}) {{\n"
        f"  const {{ lastUpdated }} = {hook}();\n"
        f"  return <{view} {props_in}lastUpdated={{lastUpdated}} />;\n"
        "}\n"
    )
    end = after_line(data, declaration)
    ranges.append(Range(end, end, wrapper.encode()))
    if not imports(tree, hook):
        ranges.append(import_range(tree, f"import {{ {hook} }} from '{hook_module}';\n"))
    edited = apply(data, ranges).decode("utf-8")
    names = identifier_names(args[1])
    return TimerSiteEdit(drop_local_constants(edited, path, names), ())


def _members(body: Node) -> dict[str, Node]:
    return {
        text(node.child_by_field_name("name")): node
        for node in body.named_children
        if node.type in ("method_definition", "public_field_definition")
    }


def _is_this_member(node: Node) -> bool:
    return node.type == "member_expression" and text(node.child_by_field_name("object")) == "this"


def _member_name(node: Node) -> str:
    return text(node.child_by_field_name("property"))


def _is_last_step(statement: Node, member: Node) -> bool:
    """Whether `statement` ends the body of the method (or arrow-function field) `member`."""
    function = member.child_by_field_name("value") if member.type == "public_field_definition" else member
    if function is None or (member.type != "method_definition" and function.type not in FUNCTION_TYPES):
        return False
    block = function.child_by_field_name("body")
    if block is None or block.type != "statement_block":
        return False
    statements = [node for node in block.named_children if node.type != "comment"]
    return bool(statements) and statements[-1] == statement


def _timer_statement(timer: Node, kind: str) -> tuple[Node, str | None]:
    """The statement arming the timer, and the class field holding its handle (None: not kept)."""
    parent = timer.parent
    if parent is not None and parent.type == "expression_statement":
        return parent, None
    if parent is not None and parent.type == "assignment_expression" and parent.parent is not None:
        left = parent.child_by_field_name("left")
        if parent.parent.type == "expression_statement" and left is not None and _is_this_member(left):
            return parent.parent, _member_name(left)
    raise Unsafe(f"{kind} is not a statement of its own or an assignment to a field (`this.timer = ...`)")


def _field_ranges(
    data: bytes, body: Node, members: dict[str, Node], field: str, armed: Node, clear: str
) -> list[Range]:
    """The handle field, the clears of it and an emptied componentWillUnmount go; any other use is unsafe."""
    ranges: list[Range] = []
    unmount = members.get("componentWillUnmount")
    unmount_body = unmount.child_by_field_name("body") if unmount is not None else None
    for node in descendants(body):
        armed_here = armed.start_byte <= node.start_byte < armed.end_byte
        if not _is_this_member(node) or _member_name(node) != field or armed_here:
            continue
        call = node.parent.parent if node.parent is not None and node.parent.type == "arguments" else None
        statement = call.parent if call is not None else None
        if (
            call is None
            or callee_name(call).removeprefix("window.") != clear
            or statement is None
            or statement.type != "expression_statement"
            or statement.parent != unmount_body
        ):
            raise Unsafe(f"this.{field} is used for more than clearing it in componentWillUnmount")
        statements = [child for child in statement.parent.named_children if child.type != "comment"]
        target = unmount if len(statements) == 1 else statement
        ranges.append(Range(*blank_line_too(data, *line_span(data, target))))
    declared = members.get(field)
    if declared is None or declared.type != "public_field_definition" or declared.child_by_field_name("value"):
        raise Unsafe(f"this.{field} is not a field declared without a value in the class")
    ranges.append(Range(*blank_line_too(data, *line_span(data, declared))))
    return ranges


def _props_argument(component: Node) -> Node | None:
    """The first type argument of `extends React.Component<Props, State>`."""
    for node in descendants(component):
        if node.type == "class_heritage":
            clause = next((child for child in node.named_children if child.type == "extends_clause"), None)
            value = clause.child_by_field_name("value") if clause is not None else None
            types = clause.child_by_field_name("type_arguments") if clause is not None else None
            if value is None or text(value) not in _COMPONENTS or types is None or not types.named_children:
                return None
            return types.named_children[0]
    return None


def _props(argument: Node, name: str) -> tuple[str, str, bool]:
    """The props type to extend ('' for none), the wrapper's parameters, and whether it spreads them."""
    written = text(argument)
    if written in _NO_PROPS:
        return "", "", False
    if argument.type == "type_identifier" or re.fullmatch(r"Record<[\w\s,|'\"]+>", written):
        return written, f"props: {written}", True
    raise Unsafe(f"the props type of {name} ({written}) is not a named type or Record to extend")


def _export_kind(declaration: Node) -> str:
    """How the class is exported, kept by the wrapper: `export `, `export default ` or ``."""
    if declaration.type == "export_statement":
        return "export default " if text(declaration).startswith("export default") else "export "
    return ""
