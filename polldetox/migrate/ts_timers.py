"""A component's effect-with-timer fetch loop replaced by the WebSocket hook, as byte-range edits.

The plain shapes: an effect whose `setInterval(load, ms)` repeats a named load function, whose
`setInterval(() => { ... }, ms)` callback is the load itself (it becomes `const load = ...` and is
called once), or whose named function re-arms itself with `setTimeout(poll, ms)` as its last step.
The timer, its handle and its clear go; the effect keeps (or gains) its first load and reruns it whenever the hook's
`lastUpdated` changes, that is on every push. Anything else the timer does is left to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_ranges import (
    Range,
    apply,
    blank_line_too,
    drop_unused_imports,
    import_range,
    imports,
    indent,
    line_span,
    uses,
)
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    identifier_names,
    outermost_function,
    parse,
    text,
)

CLEARS = {"setInterval": "clearInterval", "setTimeout": "clearTimeout"}  # each timer and the call that stops it
_EFFECTS = frozenset({"useEffect", "useLayoutEffect", "React.useEffect", "React.useLayoutEffect"})


@dataclass(frozen=True)
class TimerSiteEdit:
    source: str
    removed_names: tuple[tuple[str, str], ...]  # (import specifier, name) no longer used by the file


@dataclass(frozen=True)
class Effect:
    call: Node  # useEffect(...)
    body: Node  # the effect function's statement block
    deps: Node  # its dependency array
    statement: Node  # the component-body statement that calls useEffect


def migrate_timer_site(source: str, path: str, line: int, hook: str, hook_module: str) -> TimerSiteEdit:
    tree = parse(source, path)
    data = tree.data
    timer = next(
        (
            call
            for call in tree.of("call_expression")
            if call.start_point[0] + 1 == line and _timer_name(call) in CLEARS
        ),
        None,
    )
    if timer is None:
        raise Unsafe("no setInterval or setTimeout call starts on this line")
    kind = _timer_name(timer)
    effect = effect_of(timer)
    args = arguments(timer)
    if len(args) != 2:
        raise Unsafe(f"{kind} is not called with just a callback and a delay")
    callback, interval = args
    statement, handle = _timer_statement(timer, kind)
    named = _called_name(callback)
    if named is not None:
        ranges = _named_loop_ranges(data, effect, kind, statement, named)
    else:
        ranges = _inline_loop_ranges(data, effect, kind, statement, callback, handle)
    if handle is not None:
        ranges += _handle_ranges(tree, effect, statement, handle, CLEARS[kind])
    component = outermost_function(effect.call)
    body = component.child_by_field_name("body") if component is not None else None
    if body is None or effect.statement.parent != body:
        raise Unsafe("the effect is not a statement of a component or hook body")
    if f"{hook}(" in text(body):
        raise Unsafe(f"the component already calls {hook}: rerun the effect on its lastUpdated by hand")
    if re.search(r"(?<![\w$.])lastUpdated(?![\w$])", text(body)):
        raise Unsafe("`lastUpdated` already names something else in the component")
    at = data.rfind(b"\n", 0, effect.statement.start_byte) + 1
    margin = indent(data, effect.statement)
    ranges.append(Range(at, at, margin + f"const {{ lastUpdated }} = {hook}();\n".encode()))
    ranges.append(_with_dependency(effect.deps, "lastUpdated"))
    if not imports(tree, hook):
        ranges.append(import_range(tree, f"import {{ {hook} }} from '{hook_module}';\n"))
    edited = apply(data, ranges).decode("utf-8")
    names = identifier_names(interval)
    edited = drop_local_constants(edited, path, names)
    edited, gone = drop_unused_imports(edited, path, names)
    return TimerSiteEdit(edited, gone)


def _called_name(callback: Node) -> str | None:
    """The load a timer repeats by name: `load`, or an arrow that only calls it: `() => load()`, `() => void load()`."""
    if callback.type == "identifier":
        return text(callback)
    body = callback.child_by_field_name("body") if callback.type == "arrow_function" else None
    parameters = callback.child_by_field_name("parameters")
    if body is None or (parameters is not None and parameters.named_children):
        return None
    if body.type == "statement_block":
        statements = [node for node in body.named_children if node.type != "comment"]
        if len(statements) != 1 or statements[0].type != "expression_statement":
            return None
        body = statements[0].named_children[0]
    called = re.fullmatch(r"(?:void\s+)?([A-Za-z_$][\w$]*)\(\)", text(body))
    return called.group(1) if called else None


def _named_loop_ranges(data: bytes, effect: Effect, kind: str, statement: Node, callback: str) -> list[Range]:
    """The timer repeating a named load goes; the effect calls the load once if it did not already."""
    ranges = [Range(*line_span(data, statement))]
    loader = _declared_function(effect.body, callback)
    if kind == "setTimeout":
        if loader is None or not _is_inside(statement, loader) or _last_statement(loader) != statement:
            raise Unsafe(f"setTimeout does not re-arm {callback} as the last step of {callback} itself")
    elif statement.parent != effect.body:
        raise Unsafe("setInterval is not a statement of the effect itself")
    if first_call(effect.body, callback, statement) is None:
        if kind == "setTimeout":
            raise Unsafe(f"{callback} is never called before its first timer: the effect would load nothing")
        ranges[0] = Range(*line_span(data, statement), indent(data, statement) + f"{callback}();\n".encode())
    return ranges


def _inline_loop_ranges(
    data: bytes, effect: Effect, kind: str, statement: Node, callback: Node, handle: str | None
) -> list[Range]:
    """`setInterval(() => { ...load... }, ms)`: the callback keeps its text as `const load = ...;`, called once."""
    if kind == "setTimeout":
        raise Unsafe("the setTimeout callback is written inline and re-arms nothing by name: no loop to replace")
    if callback.type not in ("arrow_function", "function_expression"):
        raise Unsafe(f"the setInterval callback is {text(callback)[:40]!r}, not a function: replace it by hand")
    if statement.parent != effect.body:
        raise Unsafe("setInterval is not a statement of the effect itself")
    inner = {text(node) for node in descendants(callback) if node.type in ("identifier", "this")}
    if handle is not None and handle in inner:
        raise Unsafe(
            f"the setInterval callback uses its own handle `{handle}` (it stops itself on a condition): "
            "replace it by hand"
        )
    later = {
        text(node.child_by_field_name("name"))
        for following in effect.body.named_children
        if following.start_byte >= statement.end_byte
        for node in descendants(following)
        if node.type == "variable_declarator"
    }
    if used_later := sorted(inner & later):
        raise Unsafe(
            f"the setInterval callback reads {', '.join(used_later)}, declared after the timer: called at once, it "
            "would run before them; move the declarations up and rerun"
        )
    if callback.type == "function_expression" and inner & {"this", "arguments"}:
        raise Unsafe("the setInterval callback is a function expression using `this` or `arguments`")
    if re.search(r"(?<![\w$.])load(?![\w$])", text(outermost_function(effect.call) or effect.body)):
        raise Unsafe("`load` already names something in the component: name the setInterval callback and rerun")
    run = "void load();" if text(callback).startswith("async") else "load();"
    end = statement.end_byte
    return [
        Range(statement.start_byte, callback.start_byte, b"const load = "),
        Range(callback.end_byte, end, b";\n" + indent(data, statement) + run.encode()),
    ]


def _timer_name(call: Node) -> str:
    return callee_name(call).removeprefix("window.")


def effect_of(timer: Node, what: str = "the timer") -> Effect:
    """The useEffect whose function `timer` (or `what` else) is in."""
    for node in ancestors(timer):
        if node.type in ("class_declaration", "class"):
            raise _in_class(node, timer)
        if node.type == "call_expression" and callee_name(node) in _EFFECTS:
            args = arguments(node)
            function = args[0] if args else None
            body = function.child_by_field_name("body") if function is not None else None
            if body is None or function.type not in FUNCTION_TYPES or body.type != "statement_block":
                raise Unsafe("the effect's function has no block body")
            if len(args) < 2 or args[1].type != "array":
                raise Unsafe("the effect has no dependency array: it reruns after every render")
            if node.parent is None or node.parent.type != "expression_statement":
                raise Unsafe("the effect call is not a statement of its own")
            return Effect(node, body, args[1], node.parent)
    raise Unsafe(f"{what} is not inside a useEffect")


class InClassComponent(Unsafe):
    """The timer is armed in a class component, where no hook can be called."""

    def __init__(self, component: str, method: str, timer: str) -> None:
        super().__init__(f"{timer} in {component}.{method}: a class component cannot call a hook")
        self.component, self.method, self.timer = component, method, timer


def _in_class(component: Node, timer: Node) -> InClassComponent:
    name = text(component.child_by_field_name("name")) or "the class"
    method = next((text(node.child_by_field_name("name")) for node in ancestors(timer)
                   if node.type == "method_definition"), "its lifecycle method")  # fmt: skip
    return InClassComponent(name, method, _timer_name(timer))


def _timer_statement(timer: Node, kind: str) -> tuple[Node, str | None]:
    """The statement that arms the timer, and the variable holding its handle (None: not kept)."""
    parent = timer.parent
    if parent is not None and parent.type == "expression_statement":
        return parent, None
    if parent is not None and parent.type == "variable_declarator" and parent.parent is not None:
        declaration = parent.parent
        name = parent.child_by_field_name("name")
        if len(declaration.named_children) == 1 and name is not None and name.type == "identifier":
            return declaration, text(name)
    if parent is not None and parent.type == "assignment_expression" and parent.parent is not None:
        left = parent.child_by_field_name("left")
        if parent.parent.type == "expression_statement" and left is not None and left.type == "identifier":
            return parent.parent, text(left)
        raise Unsafe(f"the {kind} handle is kept outside the effect ({text(left)}): remove the timer by hand")
    raise Unsafe(f"{kind} is not a statement of its own")


def _handle_ranges(tree: Tree, effect: Effect, armed: Node, handle: str, clear: str) -> list[Range]:
    """The handle's declaration and the clears of it go; any other use of it makes the shape unsafe."""
    data = tree.data
    ranges: list[Range] = []
    identifiers = [
        node
        for node in descendants(effect.body)
        if node.type == "identifier" and text(node) == handle and not _is_inside(node, armed)
    ]
    cleanups: list[Node] = []
    for node in identifiers:
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator" and parent.child_by_field_name("value") is None:
            declaration = parent.parent
            if declaration is not None and len(declaration.named_children) == 1:
                ranges.append(Range(*line_span(data, declaration)))
                continue
        call = parent.parent if parent is not None and parent.type == "arguments" else None
        if call is not None and _timer_name(call) == clear:
            cleanups.append(call)
            continue
        raise Unsafe(f"the timer handle `{handle}` is used for more than clearing it")
    if uses(tree, effect.body, handle):
        raise Unsafe(f"the timer handle `{handle}` is used outside the effect")
    for call in cleanups:
        ranges.append(cleanup_range(data, effect, call))
    return ranges


def cleanup_range(data: bytes, effect: Effect, clear: Node) -> Range:
    """The clear call goes; so does the cleanup function returning it when nothing else is left in it."""
    returned = next((node for node in ancestors(clear) if node.type == "return_statement"), None)
    function = next((node for node in ancestors(clear) if node.type in FUNCTION_TYPES), None)
    if returned is None or function is None or returned.parent != effect.body:
        raise Unsafe(f"{callee_name(clear)} is not in the effect's cleanup")
    body = function.child_by_field_name("body")
    if body is not None and body.type == "statement_block":
        statements = [node for node in body.named_children if node.type != "comment"]
        if len(statements) > 1 and clear.parent is not None and clear.parent.type == "expression_statement":
            return Range(*line_span(data, clear.parent))
        if len(statements) > 1:
            raise Unsafe(f"{callee_name(clear)} is not a statement of its own in the cleanup")
    elif body != clear:
        raise Unsafe("the effect's cleanup does more than clear the timer")
    return Range(*line_span(data, returned))


def _declared_function(block: Node, name: str) -> Node | None:
    for node in descendants(block):
        if node.type == "variable_declarator" and text(node.child_by_field_name("name")) == name:
            value = node.child_by_field_name("value")
            if value is not None and value.type in FUNCTION_TYPES:
                return value
        if node.type == "function_declaration" and text(node.child_by_field_name("name")) == name:
            return node
    return None


def _last_statement(function: Node) -> Node | None:
    body = function.child_by_field_name("body")
    statements = [node for node in body.named_children if node.type != "comment"] if body is not None else []
    return statements[-1] if statements else None


def _is_inside(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def first_call(block: Node, name: str, besides: Node) -> Node | None:
    """A statement of the block that calls `name()` itself: `load();`, `void poll();`, `void this.load();`."""
    for statement in block.named_children:
        if statement.type == "expression_statement" and statement != besides:
            expression = re.sub(r"^(void|await)\s+", "", text(statement).rstrip(";"))
            if expression == f"{name}()":
                return statement
    return None


def _with_dependency(deps: Node, name: str) -> Range:
    items = [node for node in deps.named_children if node.type != "comment"]
    if not items:
        return Range(deps.start_byte, deps.end_byte, f"[{name}]".encode())
    return Range(items[-1].end_byte, items[-1].end_byte, f", {name}".encode())


def drop_local_constants(source: str, path: str, names: set[str]) -> str:
    """Module-level `const NAME = ...;` (not exported) that nothing uses any more."""
    tree = parse(source, path)
    ranges = []
    for statement in tree.root.named_children:
        if statement.type != "lexical_declaration":
            continue
        declarators = [node for node in statement.named_children if node.type == "variable_declarator"]
        name = text(declarators[0].child_by_field_name("name")) if len(declarators) == 1 else ""
        if name in names and not uses(tree, statement, name):
            ranges.append(Range(*blank_line_too(tree.data, *line_span(tree.data, statement))))
    return apply(tree.data, ranges).decode("utf-8")
