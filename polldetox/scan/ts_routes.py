"""What a backend file serves and a socket handler reacts to: Express/Koa routes and message types.

Routes link a frontend's fetched URL to the tables the backend handler reads (Anti-Pattern 3);
the `type` values a WebSocket message handler compares against say which pushed messages a
page already handles.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from polldetox.findings import Route
from polldetox.scan.ts_context import Surroundings
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    descendants,
    member_property,
    pair_key,
    property_name,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader

ROUTE_METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "all": "*"}
_MESSAGE_SUBSCRIPTIONS = frozenset({"addEventListener", "on", "once", "subscribe"})
_MESSAGE_NAME = re.compile(r"message", re.IGNORECASE)
_ROUTERS = re.compile(r"^(app|router|server|\w+Router)$")
_ROUTER_FACTORIES = frozenset({"express", "Router", "express.Router", "Koa", "KoaRouter"})


def routes(tree: Tree, reader: CallbackReader, react: bool) -> tuple[Route, ...]:
    """The HTTP routes an Express/Koa backend file serves, with the tables each handler reads."""
    routers = _routers(tree)
    prefixes: dict[str, str] = {}
    for call in tree.of("call_expression"):
        args = arguments(call)
        if property_name(call) == "use" and len(args) >= 2 and (prefix := string_value(args[0])) is not None:
            for arg in args[1:]:
                prefixes[text(arg)] = prefix.rstrip("/")
    routes = []
    for call in tree.of("call_expression"):
        function = call.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            continue
        owner, method = text(function.child_by_field_name("object")), property_name(call)
        args = arguments(call)
        # app/router/server also when handed in (`module.exports = (app) => ...`), outside React code.
        is_router = owner in routers or (not react and _ROUTERS.match(owner) is not None)
        if method not in ROUTE_METHODS or not is_router or len(args) < 2:
            continue
        path = string_value(args[0])
        if path is None or not path.startswith("/"):
            continue
        reads = reader.callback(args[-1])
        routes.append(
            Route(
                method=ROUTE_METHODS[method],
                path=prefixes.get(owner, "") + path,
                location=tree.location(call),
                tables=tuple(reads.tables),
                message_types=tuple(reads.typed),
            )
        )
    return tuple(routes)


def _routers(tree: Tree) -> set[str]:
    """Names made by an Express/Koa factory in this file (`const jobs = express.Router()`)."""
    names = set()
    for declarator in tree.of("variable_declarator"):
        value = unwrap(declarator.child_by_field_name("value"))
        if value is None or value.type not in ("call_expression", "new_expression"):
            continue
        made = value.child_by_field_name("function") or value.child_by_field_name("constructor")
        if text(made) in _ROUTER_FACTORIES:
            names.add(text(declarator.child_by_field_name("name")))
    return names


def _in_message_handler(place: Surroundings, node: Node) -> bool:
    """Inside a socket's message handler, not a reducer's `action.type` or a DOM `event.type` check."""
    return any(_handles_messages(place, ancestor) for ancestor in ancestors(node))


def _handles_messages(place: Surroundings, node: Node) -> bool:
    """`ws.onmessage = ...`, `socket.on(...)`, `{ onMessage: ... }`, `function handleMessage(...)`."""
    if node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return left is not None and left.type == "member_expression" and member_property(left).startswith("on")
    if node.type == "call_expression":
        return property_name(node) in _MESSAGE_SUBSCRIPTIONS
    if node.type == "pair":
        return bool(_MESSAGE_NAME.search(pair_key(node)))
    return node.type in FUNCTION_TYPES and bool(_MESSAGE_NAME.search(place.own_name(node) or ""))


def handled_message_types(tree: Tree, place: Surroundings) -> tuple[str, ...]:
    """The message types a WebSocket message handler in this file reacts to."""
    handled: list[str] = []
    for binary in tree.of("binary_expression"):
        # `if (message.type !== 'x') return;` guards a handler of x as much as `=== 'x'` does.
        if text(binary.child_by_field_name("operator")) not in ("===", "==", "!==", "!="):
            continue
        left, right = unwrap(binary.child_by_field_name("left")), unwrap(binary.child_by_field_name("right"))
        if not _in_message_handler(place, binary):
            continue
        for subject, literal in ((left, right), (right, left)):
            if _is_type_field(subject) and (value := string_value(literal)) and value not in handled:
                handled.append(value)
    for switch in tree.of("switch_statement"):
        if not _is_type_field(unwrap(switch.child_by_field_name("value"))) or not _in_message_handler(place, switch):
            continue
        for case in descendants(switch):
            value = string_value(case.child_by_field_name("value")) if case.type == "switch_case" else None
            if value and value not in handled:
                handled.append(value)
    return tuple(handled)


def _is_type_field(node: Node | None) -> bool:
    return node is not None and (
        (node.type == "member_expression" and member_property(node) == "type")
        or (node.type == "identifier" and text(node) == "type")
    )
