"""Which tests exercise a data type's trigger and its endpoint, read from their syntax trees.

Python tests are read with `ast`, TypeScript tests with tree-sitter. A test is a `test...` function;
what it does includes the module's own helpers and fixtures it calls or takes as parameters.

- The trigger: one test runs, against a database connection (`execute`, `fetch...`, `add_listener`),
  SQL that names the channel `<table>_changed` or the trigger's function (LISTEN, `add_listener`), and
  SQL that writes to the table (INSERT, UPDATE or DELETE, parsed with sqlglot).
- The endpoint: a test opens a WebSocket client (`websocket_connect`, `websockets.connect`,
  `new WebSocket`) to one of the data's endpoint paths, or renders the data's hook.

Strings are string literals, f-strings (holes kept as `{}`) and the module's string constants;
comments and docstrings never count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from polldetox.scan import ParseFailure
from polldetox.scan.policy import url_matches_route
from polldetox.scan.ts_parse import descendants, parse, property_name, string_value, text

_DATABASE_CALLS = frozenset(
    {"execute", "executemany", "executescript", "fetch", "fetchrow", "fetchval", "fetchone", "fetchall",
     "add_listener", "scalar", "scalars", "exec_driver_sql"}
)  # fmt: skip
_SOCKET_CLIENTS = frozenset({"websocket_connect", "connect", "aconnect_ws", "connect_ws", "ws_connect"})
_PYTHON_SUFFIX = ".py"


@dataclass(frozen=True, slots=True)
class Wanted:
    table: str
    channel: str
    trigger_functions: frozenset[str]
    endpoints: tuple[str, ...]  # the routes of the data's WebSocket endpoints
    hook: str | None


@dataclass(frozen=True, slots=True)
class _Test:
    sql: tuple[str, ...]  # SQL it runs against a database connection
    socket_urls: tuple[str, ...]  # URLs it opens a WebSocket client to
    calls: frozenset[str]  # names it calls (TypeScript: a hook it renders)


def tested(wanted: Wanted, tests: Sequence[tuple[str, str]], *, needs_trigger: bool) -> tuple[bool, str | None]:
    """(done, evidence) of the tests step: the files with a trigger test and an endpoint test."""
    read = [(path, _read(path, source)) for path, source in tests]
    trigger = next((path for path, found in read if any(_exercises_trigger(t, wanted) for t in found)), None)
    endpoint = next((path for path, found in read if any(_exercises_endpoint(t, wanted) for t in found)), None)
    if not needs_trigger:
        trigger = trigger or ""
    found_paths = [path for path in (trigger, endpoint) if path]
    missing = [what for what, path in (("trigger", trigger), ("endpoint", endpoint)) if path is None]
    if missing:
        found = f" (found: {', '.join(found_paths)})" if found_paths else ""
        return False, f"no test for the {' and '.join(missing)}{found}"
    return True, ", ".join(dict.fromkeys(found_paths))


def _read(path: str, source: str) -> list[_Test]:
    return _python_tests(source) if path.endswith(_PYTHON_SUFFIX) else _typescript_tests(path, source)


def _exercises_trigger(test: _Test, wanted: Wanted) -> bool:
    names = {wanted.channel, *wanted.trigger_functions}
    listens = any(name in _words(sql) for sql in test.sql for name in names)
    return listens and any(wanted.table in _written(sql) for sql in test.sql)


def _exercises_endpoint(test: _Test, wanted: Wanted) -> bool:
    if wanted.hook is not None and wanted.hook in test.calls:
        return True
    return any(url_matches_route(url, route) for url in test.socket_urls for route in wanted.endpoints)


def _words(sql: str) -> set[str]:
    return {word.strip("\"'();,") for word in sql.split()}


def _written(sql: str) -> set[str]:
    """Tables an INSERT, UPDATE or DELETE writes, by the parsed statement."""
    try:
        statements = sqlglot.parse(sql.replace("{}", "polldetox_hole"), read="postgres")
    except SqlglotError:
        return set()
    written = set()
    for statement in statements:
        for change in statement.find_all(exp.Insert, exp.Update, exp.Delete) if statement else ():
            target = change.this
            if isinstance(target, exp.Schema):  # INSERT INTO t (a, b)
                target = target.this
            if isinstance(target, exp.Table):
                written.add(target.name)
    return written


# --- Python ---------------------------------------------------------------------------------------


def _python_tests(source: str) -> list[_Test]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    constants = _string_constants(tree.body)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    tests = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.setdefault(node.name, node)
            if node.name.startswith("test"):
                tests.append(node)
    return [_python_test(test, functions, constants) for test in tests]


def _python_test(
    test: ast.FunctionDef | ast.AsyncFunctionDef,
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    constants: dict[str, str],
) -> _Test:
    """What the test does, with the module's helpers it calls and the fixtures it takes."""
    sql: list[str] = []
    urls: list[str] = []
    calls: set[str] = set()
    pending = [test]
    seen: set[str] = set()
    while pending:
        function = pending.pop()
        if function.name in seen:
            continue
        seen.add(function.name)
        local = {**constants, **_string_constants(ast.walk(function))}
        parameters = [argument.arg for argument in function.args.args]
        pending += [functions[name] for name in parameters if name in functions]  # fixtures of the module
        for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
            name = _called_name(call)
            calls.add(name)
            if name in functions:
                pending.append(functions[name])
            if name in _DATABASE_CALLS and isinstance(call.func, ast.Attribute):
                sql += _strings(call.args, local)
            elif name in _SOCKET_CLIENTS and call.args:
                urls += _strings(call.args[:1], local)
    return _Test(tuple(sql), tuple(urls), frozenset(calls))


def _string_constants(nodes: Iterable[ast.AST]) -> dict[str, str]:
    """`NAME = "..."` (or an f-string) assignments among the nodes."""
    found = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and (value := _string(node.value, {})) is not None:
            found.update({target.id: value for target in node.targets if isinstance(target, ast.Name)})
    return found


def _string(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _strings(arguments: Iterable[ast.AST], constants: dict[str, str]) -> list[str]:
    """The strings an argument list holds, also inside calls such as SQLAlchemy's `text("...")`."""
    found = []
    for argument in arguments:
        for node in ast.walk(argument):
            if (value := _string(node, constants)) is not None:
                found.append(value)
    return found


def _called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else ""


# --- TypeScript -----------------------------------------------------------------------------------


def _typescript_tests(path: str, source: str) -> list[_Test]:
    """One test per file: what its `test(...)`/`it(...)` blocks and its setup do together."""
    try:
        tree = parse(source, path)
    except ParseFailure:
        return []
    urls = []
    calls = set()
    for node in descendants(tree.root):
        if node.type == "call_expression":
            calls.add(property_name(node))
        elif node.type == "new_expression" and text(node.child_by_field_name("constructor")) == "WebSocket":
            arguments = node.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
            if (url := string_value(first)) is not None:
                urls.append(url)
    return [_Test((), tuple(urls), frozenset(calls))]
