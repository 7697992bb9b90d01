"""What a project's Python says about the event-driven stack, read with `ast`, by fact rather than by name.

- listens: a call passing the channel `<table>_changed` and a callback (asyncpg's `add_listener`,
  a listener runtime's `register_callback`);
- the call graph of the project's functions, so a callback is seen to fetch and broadcast through
  the functions it calls;
- broadcasts: `<object>.broadcast({"type": ..., ...})` and the like, with the object's name and the
  message types sent;
- WebSocket endpoints: `@router.websocket(path)` handlers (and `add_api_websocket_route`), with the
  objects the handler hands its socket to (`manager.connect(websocket)`) and the types it sends;
- SQL strings that define a trigger, function or table, for status_sql.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from polldetox.status_sql import defines_sql

_FETCH_CALLS = frozenset({"fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "execute", "scalars", "scalar"})
_FETCH_PREFIXES = ("fetch", "get_", "load", "read", "query", "select")
_SEND_CALLS = frozenset({"send_json", "send_text", "send", "publish", "emit"})
_BROADCAST_CALLS = frozenset({"broadcast", "broadcast_json", "publish", "emit", "send_json", "send_all"})
_ROUTE_REGISTRATIONS = frozenset({"add_api_websocket_route", "add_websocket_route"})


@dataclass(frozen=True, slots=True)
class Endpoint:
    route: str
    path: str  # the file
    handler: str | None
    registers_with: frozenset[str]  # names of the objects the handler hands its socket to
    sends: frozenset[str]  # message types the handler itself sends


@dataclass
class PythonFacts:
    listens: list[tuple[str, str, str]] = field(default_factory=list)  # (channel, callback name, path)
    calls: dict[str, set[str]] = field(default_factory=dict)  # function name -> names it calls
    defined_in: dict[str, str] = field(default_factory=dict)  # function name -> path
    broadcasts: list[tuple[str, str, str]] = field(default_factory=list)  # (object name, message type, function)
    endpoints: list[Endpoint] = field(default_factory=list)
    sql: list[tuple[str, str]] = field(default_factory=list)  # (SQL text, path)

    def reachable(self, name: str, depth: int = 5) -> set[str]:
        """Names `name` calls, directly or through the project's functions it calls."""
        seen: set[str] = set()
        frontier = {name}
        for _ in range(depth):
            frontier = {called for current in frontier for called in self.calls.get(current, ())} - seen
            seen |= frontier
        return seen

    def fetches_and_broadcasts(self, name: str) -> bool:
        called = self.reachable(name)
        fetches = any(c in _FETCH_CALLS or c.startswith(_FETCH_PREFIXES) for c in called)
        broadcasts = any("broadcast" in c or c in _SEND_CALLS for c in called)
        return fetches and broadcasts

    def callback(self, name: str) -> str | None:
        """The file of the listener callback `name`, when it fetches and broadcasts."""
        return self.defined_in.get(name) if name in self.defined_in and self.fetches_and_broadcasts(name) else None

    def broadcasting_function(self, snake: str) -> str | None:
        """File and action patterns: a function named for the data type that fetches and broadcasts."""
        for function, path in self.defined_in.items():
            if snake in function and self.fetches_and_broadcasts(function):
                return path
        return None

    def types_sent_by(self, function: str) -> set[str]:
        """The message types `function` broadcasts, itself or through the functions it calls."""
        functions = {function} | self.reachable(function)
        return {kind for _, kind, sender in self.broadcasts if sender in functions}

    def feeding(self, endpoint: Endpoint) -> set[str]:
        """Message types that reach the endpoint's clients: those its handler sends, and those broadcast
        through an object of the same name as one the handler hands its socket to."""
        through = {kind for owner, kind, _ in self.broadcasts if owner in endpoint.registers_with}
        return set(endpoint.sends) | through


def read_python(text: str, path: str, facts: PythonFacts) -> None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def string(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(node.id) if isinstance(node, ast.Name) else None

    handlers: dict[str, list[str]] = {}  # function name -> routes registered for it by a call
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.setdefault(node.name, node)
            called = {called_name(call) for call in ast.walk(node) if isinstance(call, ast.Call)}
            facts.calls.setdefault(node.name, set()).update(called - {None})
            facts.defined_in.setdefault(node.name, path)
            facts.broadcasts += [(owner, kind, node.name) for owner, kind in _broadcasts(node)]
            for decorator in node.decorator_list:
                is_route = isinstance(decorator, ast.Call) and called_name(decorator) == "websocket"
                if is_route and decorator.args and (route := string(decorator.args[0])) is not None:
                    facts.endpoints.append(_endpoint(route, path, node))
        elif isinstance(node, ast.Call):
            name = called_name(node)
            values = [string(argument) for argument in node.args]
            if name in _ROUTE_REGISTRATIONS and values and values[0]:
                handler = node.args[1] if len(node.args) > 1 else None
                handlers.setdefault(handler.id if isinstance(handler, ast.Name) else "", []).append(values[0])
            channel = next((v for v in values if v and re.fullmatch(r"\w+_changed", v)), None)
            callback = next(
                (
                    a
                    for a, v in zip(node.args, values, strict=True)
                    if v is None and isinstance(a, ast.Name | ast.Attribute)
                ),
                None,
            )
            if channel and callback is not None and name and name != "pg_notify":
                facts.listens.append((channel, callback.id if isinstance(callback, ast.Name) else callback.attr, path))
        elif (value := string(node)) and defines_sql(value):
            facts.sql.append((value, path))
    for handler, routes in handlers.items():
        function = functions.get(handler)
        facts.endpoints += [
            _endpoint(route, path, function) if function else Endpoint(route, path, None, frozenset(), frozenset())
            for route in routes
        ]


def called_name(call: ast.Call) -> str | None:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else None


def _owner_name(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """`hub` of `self.hub`, or of `manager` after `manager = app.state.hub`."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    return None


def _aliases(function: ast.AST) -> dict[str, str]:
    """Local names bound to an attribute: `manager = websocket.app.state.websocket_manager`."""
    return {
        target.id: node.value.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _message_types(nodes: Iterable[ast.AST]) -> set[str]:
    """The `"type"` values of the dict literals among the nodes."""
    return {
        value.value
        for node in nodes
        for inner in ast.walk(node)
        if isinstance(inner, ast.Dict)
        for key, value in zip(inner.keys, inner.values, strict=True)
        if isinstance(key, ast.Constant) and key.value == "type"
        and isinstance(value, ast.Constant) and isinstance(value.value, str)
    }  # fmt: skip


def _broadcasts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str]]:
    aliases = _aliases(function)
    found = []
    for call in ast.walk(function):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _BROADCAST_CALLS:
            owner = _owner_name(call.func.value, aliases)
            found += [(owner, kind) for kind in _message_types([*call.args, *call.keywords]) if owner]
    return found


def _endpoint(route: str, path: str, handler: ast.FunctionDef | ast.AsyncFunctionDef) -> Endpoint:
    arguments = [argument.arg for argument in handler.args.args]
    socket = next(
        (a.arg for a in handler.args.args if a.annotation is not None and "WebSocket" in ast.unparse(a.annotation)),
        arguments[0] if arguments else "websocket",
    )
    aliases = _aliases(handler)
    registers = set()
    for call in ast.walk(handler):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        hands_socket = any(isinstance(argument, ast.Name) and argument.id == socket for argument in call.args)
        receiver = call.func.value
        own = isinstance(receiver, ast.Name) and receiver.id == socket
        if hands_socket and not own and (owner := _owner_name(receiver, aliases)) is not None:
            registers.add(owner)
    sends = {kind for _, kind in _broadcasts(handler)}
    return Endpoint(route, path, handler.name, frozenset(registers), frozenset(sends))
