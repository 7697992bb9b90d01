"""HTTP and WebSocket routes a module declares (FastAPI, Flask, Sanic decorators; Django `path`),
with the tables their handlers read: what a frontend poller's URL is matched against."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from polldetox.findings import Route
from polldetox.scan.python.index import DJANGO_PATHS, FunctionInfo
from polldetox.scan.python.reads import Facts
from polldetox.scan.python.sites import Analysis
from polldetox.scan.python.syntax import dotted, keyword, positional, text_of

_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def routes(analysis: Analysis) -> Iterator[Route]:
    index, values = analysis.index, analysis.values
    for decorator, function in index.decorated:
        yield from _decorated_routes(analysis, decorator, function)
    for call, where in index.calls:
        if index.qualify(call.func) in DJANGO_PATHS:
            text = values.string(positional(call, 0, "route"), None)
            if text is None:
                continue
            view = positional(call, 1, "view")
            handler = index.resolve(view, where.function) if view is not None else None
            yield _route(analysis, "*", "/" + text.lstrip("^/").rstrip("$"), call, handler)


def _decorated_routes(analysis: Analysis, call: ast.expr, function: FunctionInfo) -> Iterator[Route]:
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return
    verb = call.func.attr
    owner = dotted(call.func.value) or ""
    path = analysis.values.string(positional(call, 0, "path") or keyword(call, "rule"), None)
    if path is None or not (path.startswith("/") or path == "" or owner in analysis.index.route_owners):
        return
    if verb in _ROUTE_METHODS:
        methods = [verb.upper()]
    elif verb in {"route", "api_route"}:
        listed = keyword(call, "methods")
        elements = listed.elts if isinstance(listed, ast.List | ast.Tuple) else []
        methods = [text.upper() for element in elements if (text := text_of(element)) is not None] or ["GET"]
    elif verb == "websocket":
        methods = ["WEBSOCKET"]
    else:
        return
    full_path = _prefix(analysis, owner) + path
    for method in methods:
        yield _route(analysis, method, full_path or "/", call, function)


def _prefix(analysis: Analysis, owner: str, depth: int = 0) -> str:
    index, values = analysis.index, analysis.values
    prefix = ""
    constructor = index.route_owners.get(owner)
    if constructor is not None:
        declared = keyword(constructor, "prefix") or keyword(constructor, "url_prefix")
        prefix = values.string(declared, None) or ""
    prefix = prefix.rstrip("/")
    if owner not in index.mounts or depth > 5:
        return prefix
    parent, call = index.mounts[owner]
    mounted = values.string(keyword(call, "prefix") or keyword(call, "url_prefix"), None)
    if mounted is not None and isinstance(call.func, ast.Attribute) and call.func.attr == "register_blueprint":
        prefix = ""  # Flask: the url_prefix given at registration replaces the blueprint's own
    return _prefix(analysis, parent, depth + 1) + (mounted or "").rstrip("/") + prefix


def _route(analysis: Analysis, method: str, path: str, node: ast.AST, handler: FunctionInfo | None) -> Route:
    facts = analysis.reads.facts(handler.node, handler) if handler is not None else Facts()
    return Route(
        method=method,
        path=path,
        location=analysis.source.location(node),
        tables=tuple(sorted(facts.tables)),
        message_types=tuple(facts.message_types),
    )
