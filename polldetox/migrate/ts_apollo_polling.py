"""Apollo polling started from a component (`startPolling(ms)` in an effect) removed, and the query
refetched from the WebSocket hook's `onChange` instead, as for a `pollInterval` option.

The plain shape: `const { data, startPolling, stopPolling } = useQuery(QUERY)` (or a kept result,
`orders.startPolling(ms)`), and an effect whose own statement is `startPolling(ms)`, stopping in its
cleanup. The start and stop calls go, the effect too when nothing else is left in it, and
`startPolling`/`stopPolling` leave the destructuring once nothing uses them.
"""

from __future__ import annotations

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_caches import Library, refresh_on_push
from polldetox.migrate.ts_edits import HookUse, QuerySiteEdit, cannot_push, query_site
from polldetox.migrate.ts_ranges import (
    Range,
    apply,
    blank_line_too,
    drop_unused_imports,
    import_range,
    import_source,
    imports,
    line_span,
    list_item_span,
    uses,
)
from polldetox.migrate.ts_timers import Effect, cleanup_range, effect_of
from polldetox.scan.ts_parse import (
    Tree,
    arguments,
    callee_name,
    descendants,
    identifier_names,
    parse,
    property_name,
    text,
    unwrap,
)

_APOLLO_QUERIES = frozenset({"useQuery"})


def migrate_start_polling(source: str, path: str, line: int, hook: HookUse) -> QuerySiteEdit:
    tree = parse(source, path)
    start = next(
        (call for call in tree.of("call_expression")
         if call.start_point[0] + 1 == line and _method(call) == "startPolling" and len(arguments(call)) == 1),
        None,
    )  # fmt: skip
    if start is None:
        raise Unsafe("no startPolling(ms) call starts on this line")
    query, stop = _query_of(tree, start)
    index = [call for call in tree.of("call_expression") if callee_name(call) in _APOLLO_QUERIES].index(query)
    effect = effect_of(start, "startPolling")
    statement = start.parent
    if statement is None or statement.type != "expression_statement" or statement.parent != effect.body:
        raise Unsafe(
            "startPolling is not a statement of the effect itself (it starts on a condition): replace it by hand"
        )
    edited = apply(tree.data, _effect_ranges(tree, effect, statement, callee_name(start), stop)).decode("utf-8")
    for name in (callee_name(start), stop):
        edited = _drop_destructured(edited, path, name)
    tree = parse(edited, path)
    query = [call for call in tree.of("call_expression") if callee_name(call) in _APOLLO_QUERIES][index]
    site = query_site(tree, query, None, Library.APOLLO)
    ranges = refresh_on_push(site, hook.name, cannot_push(site, hook))
    if not imports(tree, hook.name):
        ranges.append(import_range(tree, f"import {{ {hook.name} }} from '{hook.module}';\n"))
    edited = apply(tree.data, ranges).decode("utf-8")
    interval = identifier_names(arguments(start)[0])
    edited, gone = drop_unused_imports(edited, path, {*interval, "useEffect"})
    push = f"startPolling and stopPolling removed, {hook.name}'s onChange revalidates {Library.APOLLO}'s cache"
    return QuerySiteEdit(edited, gone, push)


def _method(call: Node) -> str:
    function = call.child_by_field_name("function")
    return property_name(call) if function is not None and function.type == "member_expression" else text(function)


def _query_of(tree: Tree, start: Node) -> tuple[Node, str]:
    """The Apollo useQuery call whose result `start` is called on, and how its stopPolling is called:
    `orders.stopPolling` for `orders.startPolling`, or the name the destructuring binds it to."""
    name = callee_name(start)
    holder, _, _ = name.rpartition(".")
    for declarator in reversed(tree.of("variable_declarator")):  # the nearest one before the call
        pattern, value = declarator.child_by_field_name("name"), unwrap(declarator.child_by_field_name("value"))
        if pattern is None or value is None or value.type != "call_expression" or value.end_byte > start.start_byte:
            continue
        if holder:
            found = pattern.type == "identifier" and text(pattern) == holder
        else:
            found = any(node.type in ("shorthand_property_identifier_pattern", "identifier") and text(node) == name
                        for node in descendants(pattern))  # fmt: skip
        if not found:
            continue
        called = callee_name(value)
        if called not in _APOLLO_QUERIES or not (import_source(tree, called) or "").startswith("@apollo/client"):
            raise Unsafe(
                f"startPolling comes from {called or text(value)[:40]}, not Apollo's useQuery: replace it by hand"
            )
        if not holder and pattern.type != "object_pattern":
            raise Unsafe(f"the result of {called} is destructured as an array: replace its startPolling by hand")
        return value, f"{holder}.stopPolling" if holder else _bound_name(pattern, "stopPolling")
    raise Unsafe(f"{name} is not taken from a useQuery result in this file: replace it by hand")


def _bound_name(pattern: Node, member: str) -> str:
    """The local name `{ stopPolling }` or `{ stopPolling: stop }` binds; the member itself when not bound."""
    for node in pattern.named_children:
        if node.type == "pair_pattern" and text(node.child_by_field_name("key")) == member:
            return text(node.child_by_field_name("value"))
    return member


def _effect_ranges(tree: Tree, effect: Effect, started: Node, start: str, stop: str) -> list[Range]:
    """The start statement and the stops in the cleanup go; the whole effect when nothing else is left in it."""
    data = tree.data
    ranges = [Range(*line_span(data, started))]
    for node in descendants(effect.body):
        if node.type == "call_expression" and callee_name(node) == stop:
            ranges.append(cleanup_range(data, effect, node))
        elif node.type == "return_statement" and node.parent == effect.body:
            returned = node.named_children[0] if node.named_children else None
            if returned is not None and text(returned) == stop:  # `return stopPolling;`
                ranges.append(Range(*line_span(data, node)))
    removed = {(edit.start, edit.end) for edit in ranges}
    kept = [
        node for node in effect.body.named_children if node.type != "comment" and line_span(data, node) not in removed
    ]
    if any(
        node.type in ("identifier", "member_expression")
        and text(node) in (start, stop)
        and not any(edit.start <= node.start_byte and node.end_byte <= edit.end for edit in ranges)
        for node in descendants(effect.body)
    ):
        raise Unsafe("the effect uses startPolling or stopPolling beyond starting and stopping: replace it by hand")
    if not kept:
        return [Range(*blank_line_too(data, *line_span(data, effect.statement)))]
    return ranges + _without_dependencies(effect, {start, stop})


def _without_dependencies(effect: Effect, names: set[str]) -> list[Range]:
    items = [node for node in effect.deps.named_children if node.type != "comment"]
    gone = [node for node in items if text(node) in names]
    if not gone:
        return []
    kept = ", ".join(text(node) for node in items if node not in gone)
    return [Range(effect.deps.start_byte, effect.deps.end_byte, f"[{kept}]".encode())]


def _drop_destructured(source: str, path: str, name: str) -> str:
    """`{ data, startPolling }` -> `{ data }` when nothing else in the file uses `startPolling`."""
    tree = parse(source, path)
    patterns = (node for node in descendants(tree.root) if node.type == "object_pattern")
    for node in (item for pattern in patterns for item in pattern.named_children):
        bound = node.child_by_field_name("value") if node.type == "pair_pattern" else node
        if text(bound) == name and uses(tree, node, name) == 0:
            return apply(tree.data, [Range(*list_item_span(tree.data, node))]).decode("utf-8")
    return source
