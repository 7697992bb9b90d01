"""The Python detector: libcst source -> FileFacts (polling sites, routes, suppressions). Facts only.

One pass indexes the module (imports and their aliases, constants, classes, functions, loops and
the calls that can start a site); then each candidate loop or scheduler call is examined, and what
it reads each tick is looked up in its body and in the same-file functions it calls (two levels).
Import aliases are resolved by the indexer itself rather than by libcst's scope metadata, which
costs ten times the parse; source positions are computed only when the file has a site or route.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from polldetox.findings import (
    Context,
    FileFacts,
    Location,
    PollingSite,
    Polls,
    Route,
    SiteKind,
    Suppression,
)
from polldetox.scan import ParseFailure
from polldetox.scan.sql import HOLE, tables_read
from polldetox.suppressions import parse_suppression

LANGUAGE = "python"

# A file containing none of these cannot hold a site or a route, and is never parsed.
TRIGGER_TOKENS: tuple[bytes, ...] = (
    b"sleep",  # time/asyncio/trio/anyio/gevent.sleep, also under any alias (`from time import sleep as x`)
    b"wait(",  # event.wait(timeout), asyncio.wait_for(event.wait(), n)
    b"wait_for(",  # asyncio.wait_for(stop_future, n)
    b"Timer",
    b"call_later",
    b"add_job",
    b"scheduled_job",
    b"every(",
    b"repeat_every",
    b"beat_schedule",
    b"BEAT_SCHEDULE",
    b"add_periodic_task",
    b"@app.",
    b"router.",  # @router.get, @api_router.post
    b"route(",
    b"FastAPI",
    b"APIRouter",
    b"Flask(",
    b"Blueprint",
    b"path(",  # django.urls.path / re_path
    b"polldetox",
)

_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep", "eventlet.sleep"})
_EVENT_SOURCE_METHODS = frozenset(
    {
        "receive",
        "receive_text",
        "receive_json",
        "receive_bytes",
        "recv",
        "recv_json",
        "recv_string",
        "recv_multipart",
        "recvfrom",
        "accept",
        "get_message",
    }
)
_STREAM_READS = frozenset({"read", "readline", "readexactly", "readuntil"})
_STREAM_RECEIVER = re.compile(r"reader|stream|stdout|stderr|stdin|sock|conn", re.IGNORECASE)
# Calls that block until something happens (input, I/O readiness, other tasks finishing).
_BLOCKING_CALLS = frozenset({"input", "select.select", "sys.stdin.readline", "asyncio.wait", "concurrent.futures.wait"})
_RETRY_NAME = re.compile(r"attempt|retr|tries|tried", re.IGNORECASE)
_SUCCESS_WORDS = frozenset({"ok", "success", "succeeded", "successful", "connected", "acquired", "sent"})
_CLOCKS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "datetime.datetime.now"})
_DURATION_NAME = re.compile(r"elapsed|duration|since|started|start_time|running_for", re.IGNORECASE)
_FALLBACK_TEXT = re.compile(r"fallback|degraded|emergency", re.IGNORECASE)
_DISCONNECTED_NAME = re.compile(r"disconnected|connection_lost|offline")
_CONNECTED_WORDS = frozenset({"connected", "alive", "listening", "healthy", "online"})
_RECONNECT_NAME = re.compile(r"reconnect|restore|resubscribe|^_?(try_)?(connect|listen)", re.IGNORECASE)
_DB_MODULES = ("sqlite3.", "psycopg", "asyncpg.", "aiosqlite.", "pymysql.", "sqlalchemy.", "aiomysql.")
_OPTION_HOLDERS = frozenset({"args", "options", "opts", "ns", "namespace", "cli_args", "flags", "self.args"})
_FLAG_NAME = re.compile(r"^(watch|follow|live|poll|polling|continuous|loop|tail|monitor|refresh|forever)")
_STATE_NAME = re.compile(r"changed|did_sync|synced|modified|dirty|has_update|updated|is_new|diff", re.I)
_STATE_CALL = re.compile(r"changed|with_cache|diff|modified|sync", re.IGNORECASE)

_HTTP_MODULES = ("requests.", "httpx.", "aiohttp.", "urllib.request.", "urllib3.")
_HTTP_CONSTRUCTORS = frozenset(
    {
        "httpx.Client",
        "httpx.AsyncClient",
        "requests.Session",
        "requests.session",
        "aiohttp.ClientSession",
        "urllib3.PoolManager",
    }
)
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "urlopen"})
_SQL_METHODS = frozenset(
    {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "scalars", "scalar"}
)
_DB_RECEIVER = re.compile(r"db|conn|cur|pool|session|engine|database", re.IGNORECASE)
_SQL_TEXT = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT|TABLE)\b", re.IGNORECASE)
_PROBE_SQL = re.compile(r"^\s*SELECT\s+\d+\s*;?\s*$", re.IGNORECASE)  # SELECT 1: is the connection alive?
_PINGS = frozenset({"ping", "send_ping", "Ping"})  # ws.ping(), wsproto's events.Ping()
_SQL_WRAPPERS = frozenset({"text", "SQL"})  # sqlalchemy.text("..."), psycopg.sql.SQL("...")
_SELECT_CALLS = frozenset({"sqlalchemy.select", "sqlmodel.select", "sqlalchemy.future.select"})
_FILE_CALLS = frozenset(
    {
        "open",
        "io.open",
        "aiofiles.open",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.stat",
        "os.path.getmtime",
        "os.path.getsize",
        "os.path.exists",
        "os.path.isfile",
        "glob.glob",
        "glob.iglob",
        "json.load",
    }
)
_FILE_METHODS = frozenset({"read_text", "read_bytes", "iterdir", "glob", "rglob", "readline", "readlines"})
_BROADCASTS = frozenset({"broadcast", "broadcast_json", "send_json", "send_text", "send_bytes", "emit"})
_LOG_LEVELS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
_WARNING_LEVELS = frozenset({"warning", "warn", "error", "critical"})
_LOGGER_NAME = re.compile(r"(^|_)(logger|log|logging)$", re.IGNORECASE)
_ECHOES = frozenset({"print", "click.echo", "typer.echo", "rich.print", "pprint.pprint"})
# Calls that only touch in-process state: a loop made only of these polls memory.
_PURE_CALLS = frozenset(
    {
        "len",
        "list",
        "dict",
        "set",
        "tuple",
        "sorted",
        "str",
        "int",
        "float",
        "bool",
        "min",
        "max",
        "sum",
        "any",
        "all",
        "enumerate",
        "range",
        "isinstance",
        "repr",
        "hash",
        "zip",
        "time.time",
        "time.monotonic",
        "json.dumps",
        "json.loads",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "asyncio.get_running_loop",
        "asyncio.get_event_loop",
        "threading.Timer",
    }
)
_PURE_METHODS = frozenset(
    {
        "items",
        "values",
        "keys",
        "copy",
        "qsize",
        "empty",
        "full",
        "append",
        "pop",
        "popleft",
        "clear",
        "update",
        "add",
        "discard",
        "is_set",
        "get_nowait",
        "hexdigest",
        "digest",
        "encode",
        "format",
        "join",
        "strip",
        "start",  # a thread or timer starting
        "call_later",
    }
)
_SCHEDULE_UNITS = {
    "second": 1,
    "seconds": 1,
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
    "week": 604800,
    "weeks": 604800,
}
_TIMEDELTA_UNITS = {
    "weeks": 604800,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
    "milliseconds": 0.001,
    "microseconds": 0.000001,
}
# Cron fields that repeat within a day, finest first; a schedule whose fields are all fixed runs at a time of day.
_CRON_FIELDS = (("second", 1), ("minute", 60), ("hour", 3600))
_CRON_STEP = re.compile(r"^\*(?:/(\d+))?$|^\d+-\d+/(\d+)$")  # "*", "*/5", "0-59/10"
_TIMEDELTA_POSITIONAL = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_ROUTE_OWNERS = frozenset({"fastapi.FastAPI", "fastapi.APIRouter", "flask.Flask", "flask.Blueprint", "sanic.Sanic"})
_DJANGO_PATHS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
_DEV_TOOL_TEXT = re.compile(
    r"development tool|dev tool|developer tool|development utility|debugging (tool|utility|script|aid)"
    r"|monitoring tool|not part of (the )?main app|for development only|internal tool",
    re.IGNORECASE,
)
_WEBHOOK_REASON = re.compile(r"\b(why|instead|because|not|requires?|cannot|can't|without|no public)\b", re.I)
_COMMENT_WORDS = re.compile(r"polldetox|webhook", re.IGNORECASE)
_EVENT_CALLBACK = re.compile(r"^_?(on|handle)_")  # on_queue_change, _on_notify, handle_message
_FOLLOW_DEPTH = 2


def detect(source: str, path: str) -> FileFacts:
    """Polling sites, routes, suppressions and documentation facts of one Python file."""
    module = _parse(source)
    index = _Index()
    index.walk(module)
    analysis = _Analysis(module, source, index, path)
    sites = sorted(analysis.sites(), key=lambda site: (site.location.line, site.location.column))
    # Comments matter only as suppressions or webhook reasons; without either word, tokenizing is waste.
    comments = _comments(source) if _COMMENT_WORDS.search(source) else []
    docstring = module.get_docstring() or ""
    return FileFacts(
        path=path,
        language=LANGUAGE,
        sites=tuple(sites),
        routes=tuple(analysis.routes()),
        suppressions=tuple(_suppressions(comments)),
        documents_dev_tool=_documents_dev_tool(docstring, module),
        documents_webhook_reason=_documents_webhook_reason(docstring, comments),
    )


def exported_constants(source: str, path: str) -> dict[str, float]:
    """Module-level numeric constants, in seconds as written: what `interval_ref` points at."""
    module = _parse(source)
    index = _Index()
    index.walk(module)
    values = _Values(module, index, path)
    constants: dict[str, float] = {}
    for name, bindings in index.constants.items():
        number = values.number(bindings[0], None) if len(bindings) == 1 else _UNKNOWN
        if number.value is not None:
            constants[name] = number.value
    return constants


def _parse(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # libcst's error position can trail the real one by lines; Python's own parser names the line.
        try:
            ast.parse(source)
        except SyntaxError as syntax_error:
            raise ParseFailure(f"Python syntax error: {syntax_error.msg}", syntax_error.lineno) from error
        except (ValueError, RecursionError):
            pass
        raise ParseFailure(f"Python syntax error: {error.message}", error.raw_line) from error
    except RecursionError as error:  # pathologically nested expressions
        raise ParseFailure("Python syntax error: nesting too deep", None) from error


# ---------------------------------------------------------------------------------------------
# Index: one pass over the module


@dataclass(eq=False)
class _Function:
    node: cst.FunctionDef
    name: str
    qualname: str  # "Class.method", "function", "outer.inner"
    class_name: str | None
    parameters: set[str] = field(default_factory=set)
    defaults: dict[str, cst.BaseExpression] = field(default_factory=dict)
    assignments: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)


@dataclass(eq=False)
class _Class:
    name: str
    attributes: dict[str, list[tuple[cst.BaseExpression, _Function | None]]] = field(default_factory=dict)
    table: str | None = None


@dataclass(frozen=True, eq=False)
class _Where:
    """Where a node sits: its enclosing function, the `if` tests it is under, the main guard."""

    function: _Function | None
    conditions: tuple[cst.BaseExpression, ...]
    main_guard: bool


@dataclass(frozen=True, eq=False)
class _CallEdge:
    caller: _Function | None
    callee: str  # key into _Index.functions
    where: _Where


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = {side.value for side in sides if isinstance(side, cst.Name)}
    strings = {side.evaluated_value for side in sides if isinstance(side, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"}


def _dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` as written, or None when the expression is not a plain dotted name."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _final_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)


# ---------------------------------------------------------------------------------------------
# Walking the tree without rebuilding it
#
# libcst's own visit() re-creates every node it passes (so that transformers can replace them),
# which costs about three parses per file; the detector only reads, so it walks the fields.

_NOT_CHILDREN = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "newline",
        "trailing_whitespace",
        "semicolon",
        "comma",
        "colon",
        "equal",
        "dot",
        "operator",
        "asynchronous",
    }
)
# Fields in the order they appear in the source where libcst declares them otherwise, so that a walk
# meets nodes in source order (positions are matched by that order, see _Positions).
_SOURCE_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
}
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    kind = type(node)
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = _SOURCE_ORDER.get(kind) or tuple(
            item.name
            for item in dataclasses.fields(kind)
            if item.name not in _NOT_CHILDREN and not item.name.startswith("whitespace")
        )
        _CHILD_FIELDS[kind] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


_Handler = Callable[[object, cst.CSTNode], bool | None]


class _Walker:
    """A read-only visitor: `enter_<Node>` (returning False skips the children), `leave_<Node>`."""

    _handlers: dict[type[cst.CSTNode], tuple[_Handler | None, _Handler | None]]

    def __init_subclass__(cls) -> None:
        cls._handlers = {}

    def walk(self, root: cst.CSTNode) -> None:
        # An explicit stack: expressions nest as deep as the code is long (`"a" "b" ... "z"`).
        stack: list[tuple[cst.CSTNode, _Handler | None]] = [(root, None)]
        while stack:
            node, leave = stack.pop()
            if leave is not None:  # all of the node's children are done
                leave(self, node)
                continue
            enter, leave = self._handlers_of(type(node))
            if enter is not None and enter(self, node) is False:
                continue
            if leave is not None:
                stack.append((node, leave))
            stack.extend((child, None) for child in reversed(tuple(_children(node))))

    def _handlers_of(self, kind: type[cst.CSTNode]) -> tuple[_Handler | None, _Handler | None]:
        handlers = self._handlers.get(kind)
        if handlers is None:
            handlers = (
                getattr(type(self), f"enter_{kind.__name__}", None),
                getattr(type(self), f"leave_{kind.__name__}", None),
            )
            self._handlers[kind] = handlers
        return handlers


class _Index(_Walker):
    """Imports, constants, classes, functions, candidate loops and calls, and the call graph."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> qualified name
        self.imported_from: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        self.constants: dict[str, list[cst.BaseExpression]] = {}
        self.classes: dict[str, _Class] = {}
        self.functions: dict[str, _Function] = {}  # "f", "Class.method", plain names of nested defs
        self.loops: list[tuple[cst.While | cst.For, _Where]] = []
        self.calls: list[tuple[cst.Call, _Where]] = []
        self.edges: list[_CallEdge] = []
        self.http_clients: set[str] = set()  # "client", "self._http": names bound to an HTTP client
        self.table_objects: dict[str, str] = {}  # name bound to sqlalchemy Table("name", ...)
        self.route_owners: dict[str, cst.Call] = {}  # "router" -> APIRouter(...) call
        # router -> (what it is mounted on, the call): app.include_router(api, prefix="/api/v2")
        self.mounts: dict[str, tuple[str, cst.Call]] = {}
        self.cli_options: dict[str, str] = {}  # dest "watch" -> "--watch"
        self.beat_schedules: list[tuple[cst.Dict, _Where]] = []
        self.has_run_pending = False
        self.has_main_guard = False
        self.decorated: list[tuple[cst.Decorator, _Function]] = []
        self.ordinals: dict[int, tuple[str, int]] = {}  # id(node) -> (kind, n-th of its kind in source order)
        self.counts: dict[str, int] = {"while": 0, "for": 0, "call": 0, "dict": 0}
        self.dict_elements: dict[int, tuple[cst.Dict, int]] = {}  # id(element) -> (dict, position)
        self._scopes: list[_Function | _Class] = []
        self._conditions: list[cst.BaseExpression] = []
        self._main_guard = 0

    # -- scopes -----------------------------------------------------------------------------
    @property
    def _function(self) -> _Function | None:
        return next((s for s in reversed(self._scopes) if isinstance(s, _Function)), None)

    def _where(self) -> _Where:
        return _Where(self._function, tuple(self._conditions), self._main_guard > 0)

    def enter_ClassDef(self, node: cst.ClassDef) -> None:
        klass = _Class(node.name.value)
        self.classes.setdefault(klass.name, klass)
        self._scopes.append(klass)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def enter_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self._scopes[-1] if self._scopes else None
        name = node.name.value
        if isinstance(owner, _Class):
            function = _Function(node, name, f"{owner.name}.{name}", owner.name)
        elif isinstance(owner, _Function):
            function = _Function(node, name, f"{owner.qualname}.{name}", owner.class_name)
        else:
            function = _Function(node, name, name, None)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            function.parameters.add(param.name.value)
            if param.default is not None:
                function.defaults[param.name.value] = param.default
            if param.annotation is not None:
                self._annotated(param.name, param.annotation.annotation)
        self.functions.setdefault(function.qualname, function)
        self.functions.setdefault(name, function)
        self.decorated.extend((decorator, function) for decorator in node.decorators)
        self._scopes.append(function)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def enter_If(self, node: cst.If) -> bool:
        self.walk(node.test)
        guard = _is_main_guard(node.test)
        self.has_main_guard |= guard
        self._main_guard += guard
        self._conditions.append(node.test)  # only the body runs under the test; `else` does not
        self.walk(node.body)
        self._conditions.pop()
        self._main_guard -= guard
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    # -- names ------------------------------------------------------------------------------
    def enter_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = dotted
            else:
                root = dotted.split(".")[0]
                self.aliases[root] = root

    def enter_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = ("." * len(node.relative)) + (_dotted(node.module) or "" if node.module else "")
        for alias in node.names:
            name = _dotted(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{module}.{name}" if not module.endswith(".") else f"{module}{name}"
            self.imported_from[local] = (module, name)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The dotted name of an expression with its first segment resolved through imports."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        resolved = self.aliases.get(head, head)
        return f"{resolved}.{rest}" if rest else resolved

    # -- assignments ------------------------------------------------------------------------
    def enter_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def enter_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._annotated(node.target, node.annotation.annotation)
        if node.value is not None:
            self._assigned(node.target, node.value)

    def _annotated(self, target: cst.BaseExpression, annotation: cst.BaseExpression) -> None:
        """`client: httpx.AsyncClient`, `session: requests.Session | None`: a name typed as an HTTP client."""
        target_name = _dotted(target)
        types = [annotation]
        while types:
            kind = types.pop()
            if isinstance(kind, cst.BinaryOperation):  # X | None
                types.extend((kind.left, kind.right))
            elif isinstance(kind, cst.Subscript):  # Optional[X]
                types.extend(element.slice.value for element in kind.slice if isinstance(element.slice, cst.Index))
            elif target_name and self.qualify(kind) in _HTTP_CONSTRUCTORS:
                self.http_clients.add(target_name)

    def enter_AugAssign(self, node: cst.AugAssign) -> None:
        # A name changed in place (`delay *= 2`) has no single static value: a second binding says so.
        scope = self._scopes[-1] if self._scopes else None
        if isinstance(node.target, cst.Name) and isinstance(scope, _Function):
            scope.assignments.setdefault(node.target.value, []).append(node.value)

    def enter_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.item, cst.Call):
            target = _dotted(node.asname.name)
            if target and self.qualify(node.item.func) in _HTTP_CONSTRUCTORS:
                self.http_clients.add(target)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        scope = self._scopes[-1] if self._scopes else None
        if isinstance(value, cst.Call):
            self._assigned_call(target, value)
        elif isinstance(value, cst.Name) and value.value in self.http_clients and (name := _dotted(target)):
            self.http_clients.add(name)  # `self.http = client`, a client handed in
        if isinstance(target, cst.Attribute):
            owner = target.value.value if isinstance(target.value, cst.Name) else None
            if owner == "self" and isinstance(scope, _Function) and scope.class_name:
                klass = self.classes.get(scope.class_name)
                if klass is not None:
                    klass.attributes.setdefault(target.attr.value, []).append((value, scope))
            if target.attr.value.lower() == "beat_schedule" and isinstance(value, cst.Dict):
                self.beat_schedules.append((value, self._where()))  # app.conf.beat_schedule = {...}
            return
        for name in _target_names(target):
            # A tuple target keeps the whole value: `rows, changed = fetch_with_cache()`.
            if isinstance(scope, _Function):
                scope.assignments.setdefault(name, []).append(value)
            elif isinstance(scope, _Class):
                self._class_attribute(scope, name, value)
            else:
                self.constants.setdefault(name, []).append(value)
            if name.lower() in {"beat_schedule", "celery_beat_schedule"} and isinstance(value, cst.Dict):
                self.beat_schedules.append((value, self._where()))

    def _class_attribute(self, klass: _Class, name: str, value: cst.BaseExpression) -> None:
        klass.attributes.setdefault(name, []).append((value, None))
        if name == "__tablename__" and isinstance(value, cst.SimpleString):
            klass.table = str(value.evaluated_value)
        elif name == "db_table" and klass.name == "Meta" and isinstance(value, cst.SimpleString):
            owners = [scope for scope in self._scopes if isinstance(scope, _Class)]
            if len(owners) >= 2:
                owners[-2].table = str(value.evaluated_value)

    def _assigned_call(self, target: cst.BaseExpression, value: cst.Call) -> None:
        qualified = self.qualify(value.func) or ""
        target_name = _dotted(target)
        if target_name is None:
            return
        if qualified in _HTTP_CONSTRUCTORS:
            self.http_clients.add(target_name)
        elif qualified in _ROUTE_OWNERS:
            self.route_owners[target_name] = value
        elif qualified.endswith("Table") and value.args and isinstance(value.args[0].value, cst.SimpleString):
            self.table_objects[target_name] = str(value.args[0].value.evaluated_value)

    # -- loops and calls --------------------------------------------------------------------
    def _number(self, node: cst.CSTNode, kind: str) -> None:
        self.ordinals[id(node)] = (kind, self.counts[kind])
        self.counts[kind] += 1

    def enter_While(self, node: cst.While) -> None:
        self._number(node, "while")
        self.loops.append((node, self._where()))

    def enter_For(self, node: cst.For) -> None:
        self._number(node, "for")
        self.loops.append((node, self._where()))

    def enter_Dict(self, node: cst.Dict) -> None:
        self._number(node, "dict")
        for position, element in enumerate(node.elements):
            self.dict_elements[id(element)] = (node, position)

    def enter_Call(self, node: cst.Call) -> None:
        self._number(node, "call")
        where = self._where()
        name = _final_name(node.func)
        if name in {"Timer", "call_later", "add_job", "do", "add_periodic_task"} or (
            self.qualify(node.func) in _DJANGO_PATHS
        ):
            self.calls.append((node, where))
        elif name == "run_pending":
            self.has_run_pending = True
        elif name in {"add_argument", "option", "Option"}:
            self._cli_option(node)
        elif name in {"include_router", "register_blueprint"} and isinstance(node.func, cst.Attribute) and node.args:
            mounted, parent = _dotted(node.args[0].value), _dotted(node.func.value)
            if mounted and parent:
                self.mounts[mounted] = (parent, node)
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "beat_schedule" and isinstance(arg.value, cst.Dict):
                self.beat_schedules.append((arg.value, where))
        self._edge(node.func, where)
        for arg in node.args:  # functions handed over: Thread(target=self._run), to_thread(fetch)
            if isinstance(arg.value, cst.Name | cst.Attribute):
                self._edge(arg.value, where)

    def _edge(self, func: cst.BaseExpression, where: _Where) -> None:
        function = where.function
        if isinstance(func, cst.Name):
            self.edges.append(_CallEdge(function, func.value, where))
        elif not isinstance(func, cst.Attribute):
            return
        elif isinstance(func.value, cst.Name) and func.value.value in {"self", "cls"}:
            if function is not None and function.class_name:
                self.edges.append(_CallEdge(function, f"{function.class_name}.{func.attr.value}", where))
        elif isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name):
            # Monitor().loop(): a method of a class of this file, if there is one by that name
            self.edges.append(_CallEdge(function, f"{func.value.func.value}.{func.attr.value}", where))

    def _cli_option(self, node: cst.Call) -> None:
        flags = [
            str(arg.value.evaluated_value)
            for arg in node.args
            if arg.keyword is None
            and isinstance(arg.value, cst.SimpleString)
            and str(arg.value.evaluated_value).startswith("--")
        ]
        dest = next(
            (
                str(arg.value.evaluated_value)
                for arg in node.args
                if arg.keyword is not None and arg.keyword.value == "dest" and isinstance(arg.value, cst.SimpleString)
            ),
            None,
        )
        for flag in flags:
            self.cli_options[dest or flag.lstrip("-").replace("-", "_")] = flag


# ---------------------------------------------------------------------------------------------
# Static values: intervals, strings


@dataclass(frozen=True)
class _Number:
    value: float | None = None
    env_var: str | None = None
    ref: tuple[str, str] | None = None  # (module path, name) of an imported constant


_UNKNOWN = _Number()


def _module_path(importer: str, module: str) -> str:
    """`from .config import X` in app/server/services/x.py -> "app/server/services/config"."""
    dots = len(module) - len(module.lstrip("."))
    if dots == 0:
        return module.replace(".", "/")
    parts = importer.split("/")[:-1]
    parts = parts[: len(parts) - (dots - 1)] if dots > 1 else parts
    rest = module[dots:]
    return "/".join([*parts, *rest.split(".")]) if rest else "/".join(parts)


_Binding = tuple[cst.BaseExpression | None, "_Function | None"]


def _single(values: Sequence[cst.BaseExpression], scope: _Function | None) -> _Binding:
    """A name bound exactly once has a static value; bound twice or more, it has none."""
    return (values[0], scope) if len(values) == 1 else (None, None)


class _Values:
    """Resolves expressions to numbers and strings from literals, constants, defaults and env vars."""

    def __init__(self, module: cst.Module, index: _Index, path: str) -> None:
        self._module = module
        self._index = index
        self._path = path

    def _lookup(self, name: str, function: _Function | None) -> _Binding:
        """The one expression a name is bound to, and the function to resolve it in (None: module)."""
        scope = function
        while scope is not None:
            if name in scope.assignments:
                return _single(scope.assignments[name], scope)
            if name in scope.defaults:
                return scope.defaults[name], None
            if name in scope.parameters:
                return None, None  # a parameter without a default: known only at run time
            scope = self._enclosing(scope)
        return _single(self._index.constants.get(name, []), None)

    def _enclosing(self, function: _Function) -> _Function | None:
        outer, _, _ = function.qualname.rpartition(".")
        candidate = self._index.functions.get(outer) if outer else None
        return candidate if candidate is not None and candidate.node is not function.node else None

    def attribute(self, function: _Function | None, name: str) -> _Binding:
        """`self.name` in a method: bound in the class body or in `__init__`."""
        klass = self._index.classes.get(function.class_name or "") if function else None
        bindings = klass.attributes.get(name, []) if klass else []
        preferred = [b for b in bindings if b[1] is None or b[1].name == "__init__"] or bindings
        return preferred[0] if len(preferred) == 1 else (None, None)

    def number(self, expr: cst.BaseExpression | None, function: _Function | None, depth: int = 0) -> _Number:
        if expr is None or depth > 10:
            return _UNKNOWN
        if isinstance(expr, cst.Integer | cst.Float):
            return _Number(float(expr.evaluated_value))
        if isinstance(expr, cst.SimpleString):
            try:
                return _Number(float(str(expr.evaluated_value)))
            except ValueError:
                return _UNKNOWN
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus | cst.Plus):
            inner = self.number(expr.expression, function, depth + 1)
            sign = -1 if isinstance(expr.operator, cst.Minus) else 1
            return _Number(None if inner.value is None else sign * inner.value, inner.env_var, inner.ref)
        if isinstance(expr, cst.BinaryOperation):
            return self._arithmetic(expr, function, depth)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            # `os.environ.get("POLL_SECONDS") or 12`: the variable when set, else the fallback
            left = self.number(expr.left, function, depth + 1)
            right = self.number(expr.right, function, depth + 1)
            return _Number(left.value or right.value, left.env_var or right.env_var)
        if isinstance(expr, cst.Name):
            value, scope = self._lookup(expr.value, function)
            if value is not None:
                return self.number(value, scope, depth + 1)
            if expr.value in self._index.imported_from:
                module, name = self._index.imported_from[expr.value]
                return _Number(ref=(_module_path(self._path, module), name))
            return _UNKNOWN
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            if expr.value.value in {"self", "cls"}:
                value, scope = self.attribute(function, expr.attr.value)
                return self.number(value, scope, depth + 1)
            return _UNKNOWN
        if isinstance(expr, cst.Call):
            return self._call(expr, function, depth)
        if isinstance(expr, cst.Subscript):
            return _Number(env_var=self._environ_subscript(expr))
        return _UNKNOWN

    def _arithmetic(self, expr: cst.BinaryOperation, function: _Function | None, depth: int) -> _Number:
        left = self.number(expr.left, function, depth + 1)
        right = self.number(expr.right, function, depth + 1)
        env_var = left.env_var or right.env_var
        if left.value is None or right.value is None:
            return _Number(env_var=env_var)
        operator = expr.operator
        try:
            if isinstance(operator, cst.Add):
                value = left.value + right.value
            elif isinstance(operator, cst.Subtract):
                value = left.value - right.value
            elif isinstance(operator, cst.Multiply):
                value = left.value * right.value
            elif isinstance(operator, cst.Divide):
                value = left.value / right.value
            elif isinstance(operator, cst.FloorDivide):
                value = float(left.value // right.value)
            elif isinstance(operator, cst.Power):
                value = float(left.value**right.value)
            else:
                return _Number(env_var=env_var)
        except (ZeroDivisionError, OverflowError):
            return _Number(env_var=env_var)
        return _Number(value, env_var)

    def _call(self, expr: cst.Call, function: _Function | None, depth: int) -> _Number:
        qualified = self._index.qualify(expr.func) or ""
        args = [arg for arg in expr.args if arg.keyword is None]
        if qualified in {"int", "float", "round", "abs"} and args:
            return self.number(args[0].value, function, depth + 1)
        if qualified in {"os.environ.get", "os.getenv", "os.environ.setdefault"} and args:
            variable = self.string(args[0].value, function)
            default = args[1].value if len(args) > 1 else _keyword(expr, "default")
            found = self.number(default, function, depth + 1)
            return _Number(found.value, variable or found.env_var)
        if qualified in {"datetime.timedelta", "timedelta"}:
            return self._timedelta(expr, function, depth)
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "total_seconds":
            return self.number(expr.func.value, function, depth + 1)  # POLL_EVERY.total_seconds()
        if qualified in {"max", "min"} and len(args) >= 2:
            numbers = [self.number(arg.value, function, depth + 1) for arg in args]
            env_var = next((n.env_var for n in numbers if n.env_var), None)
            values = [n.value for n in numbers]
            if any(v is None for v in values):
                return _Number(env_var=env_var)
            pick = max if qualified == "max" else min
            return _Number(pick(v for v in values if v is not None), env_var)
        return _UNKNOWN

    def _timedelta(self, expr: cst.Call, function: _Function | None, depth: int) -> _Number:
        total = 0.0
        env_var = None
        for position, arg in enumerate(expr.args):
            unit = arg.keyword.value if arg.keyword is not None else _TIMEDELTA_POSITIONAL[position]
            part = self.number(arg.value, function, depth + 1)
            env_var = env_var or part.env_var
            if part.value is None or unit not in _TIMEDELTA_UNITS:
                return _Number(env_var=env_var)
            total += part.value * _TIMEDELTA_UNITS[unit]
        return _Number(total, env_var)

    def _environ_subscript(self, expr: cst.Subscript) -> str | None:
        if self._index.qualify(expr.value) != "os.environ" or len(expr.slice) != 1:
            return None
        index = expr.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            return str(index.value.evaluated_value)
        return None

    def string(
        self, expr: cst.BaseExpression | None, function: _Function | None, hole: str | None = None, depth: int = 0
    ) -> str | None:
        """A string's static text. An f-string's holes become `hole` (SQL passes an identifier so that the
        statement around them still parses), or stay as written (`{GITHUB_REPO}`) when hole is None."""
        if expr is None or depth > 10:
            return None
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(expr, cst.ConcatenatedString):
            left = self.string(expr.left, function, hole, depth + 1)
            right = self.string(expr.right, function, hole, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(expr, cst.FormattedString):
            return "".join(
                part.value
                if isinstance(part, cst.FormattedStringText)
                else (hole if hole is not None else self._module.code_for_node(part))
                for part in expr.parts
            )
        if isinstance(expr, cst.Name):
            value, scope = self._lookup(expr.value, function)
            return self.string(value, scope, hole, depth + 1)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            value, scope = self.attribute(function, expr.attr.value)
            return self.string(value, scope, hole, depth + 1)
        if isinstance(expr, cst.Call) and _final_name(expr.func) in _SQL_WRAPPERS and expr.args:
            return self.string(expr.args[0].value, function, hole, depth + 1)
        return None


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    return next((arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def _positional(call: cst.Call, position: int, keyword: str | None = None) -> cst.BaseExpression | None:
    args = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if position < len(args):
        return args[position].value
    return _keyword(call, keyword) if keyword else None


# ---------------------------------------------------------------------------------------------
# Walking subtrees


def _collect(root: cst.CSTNode, *types: type[cst.CSTNode]) -> list[cst.CSTNode]:
    """Nodes of the given types below a root in source order, not inside nested definitions."""
    start = root.body if isinstance(root, cst.FunctionDef) else root  # a function's own body
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [start]
    while stack:
        node = stack.pop()
        if isinstance(node, types):
            found.append(node)
        if node is start or not isinstance(node, cst.FunctionDef | cst.ClassDef):
            stack.extend(reversed(tuple(_children(node))))
    return found


def _identifiers(node: cst.CSTNode) -> set[str]:
    """Every name and attribute name in an expression, split on underscores too."""
    words: set[str] = set()
    for found in _collect(node, cst.Name):
        assert isinstance(found, cst.Name)
        words.add(found.value.lower())
        words.update(found.value.lower().split("_"))
    return words


def _is_class_name(name: str) -> bool:
    """`OrderItem` names a model class; `STATUS_URL` is a constant."""
    return name[:1].isupper() and not name.isupper()


def _normalise(code: str) -> str:
    """Source on one line, spaced the same however it was wrapped: `f( a, b, )` -> `f(a, b)`."""
    flat = " ".join(code.split())
    flat = re.sub(r"([(\[{]) ", r"\1", flat)
    return re.sub(r",? ([)\]}])", r"\1", flat)


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in {"None", "True", "False"}
    return isinstance(
        node, cst.Integer | cst.Float | cst.SimpleString | cst.ConcatenatedString | cst.FormattedString
    ) or (isinstance(node, cst.List | cst.Tuple | cst.Dict | cst.Set) and not node.elements)


# ---------------------------------------------------------------------------------------------
# The loop itself: its waits, event sources and exits


@dataclass
class _Wait:
    node: cst.BaseExpression  # the Await or Call, for the snippet
    label: str  # "asyncio.sleep", "Event.wait"
    interval: cst.BaseExpression | None
    multiplier: cst.BaseExpression | None = None  # chunked sleep: `for _ in range(n): sleep(1)`
    nested: bool = False  # inside an inner loop over items (a rate limit, not the period)
    on_failure: bool = False  # inside an `except` handler: waits only after something failed


class _LoopBody(_Walker):
    """What a loop does each iteration: how it waits, whether it blocks on events, how it exits."""

    def __init__(self, index: _Index) -> None:
        self._index = index
        self.waits: list[_Wait] = []
        self.event_source = False
        self.drives_schedule = False
        self.exits_on_success = False
        self.exits = False  # a break or return of this loop
        self._awaited: set[int] = set()
        self._skip: set[int] = set()
        self._chunk: list[cst.BaseExpression | None] = []
        self._inner_loops = 0
        self._try_bodies = 0
        self._except_depth = 0  # `except` handlers the walk is inside
        self._ifs_in_try = 0  # `if` statements entered since the innermost `try` began

    def enter_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def enter_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def enter_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def enter_While(self, node: cst.While) -> bool:
        return False  # an inner while loop is a site of its own

    def enter_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self.event_source = True  # `async for message in websocket` inside the loop
        self._chunk.append(self._chunk_count(node))
        self._inner_loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._chunk.pop()
        self._inner_loops -= 1

    def _chunk_count(self, node: cst.For) -> cst.BaseExpression | None:
        if isinstance(node.iter, cst.Call) and self._index.qualify(node.iter.func) == "range":
            args = [arg.value for arg in node.iter.args]
            # `if self.stopping: break` beside the sleep makes the wait interruptible, not a rate limit
            steps = [line for line in node.body.body if not _is_stop_guard(line)]
            if len(args) == 1 and len(steps) == 1:
                return args[0]
        return None

    def enter_Try(self, node: cst.Try) -> bool:
        outer_ifs, self._ifs_in_try = self._ifs_in_try, 0
        self._try_bodies += 1
        self.walk(node.body)
        self._try_bodies -= 1
        self._ifs_in_try = outer_ifs
        self._except_depth += 1
        for handler in node.handlers:
            self.walk(handler)
        self._except_depth -= 1
        for part in (node.orelse, node.finalbody):
            if part is not None:
                self.walk(part)
        return False

    def enter_Return(self, node: cst.Return) -> None:
        self._exit()

    def enter_Break(self, node: cst.Break) -> None:
        self._exit()

    def _exit(self) -> None:
        if self._inner_loops:
            return  # leaves an inner loop, not this one
        self.exits = True
        # `try: return do()` leaves once the operation worked; `try: ... if stopping: break` does not say so
        if self._try_bodies and not self._ifs_in_try:
            self.exits_on_success = True

    def enter_If(self, node: cst.If) -> None:
        exits = any(
            isinstance(statement, cst.Return | cst.Break)
            for line in node.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for statement in line.body
        )
        if exits and not self._inner_loops and _is_success_test(node.test):
            self.exits_on_success = True
        self._ifs_in_try += 1

    def leave_If(self, node: cst.If) -> None:
        self._ifs_in_try -= 1

    def enter_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Call):
            self._awaited.add(id(node.expression))

    def enter_Call(self, node: cst.Call) -> bool:
        if id(node) in self._skip:
            return False
        qualified = self._index.qualify(node.func) or ""
        name = _final_name(node.func)
        if name == "run_pending":
            self.drives_schedule = True
        if qualified in _SLEEPS:
            self._wait(node, qualified, _positional(node, 0, "seconds") or _keyword(node, "delay"))
        elif qualified == "asyncio.wait_for":
            awaited = _positional(node, 0, "fut")
            if isinstance(awaited, cst.Call) and self._blocks_on_event(awaited, awaited_call=True):
                self.event_source = True
            else:
                self._wait(node, "asyncio.wait_for", _positional(node, 1, "timeout"))
            if isinstance(awaited, cst.Call):
                self._skip.add(id(awaited))
        elif name == "wait" and qualified not in _BLOCKING_CALLS and isinstance(node.func, cst.Attribute):
            timeout = _positional(node, 0, "timeout")
            if timeout is None:
                self.event_source = True  # Event.wait() / Condition.wait() without a timeout blocks
            else:
                self._wait(node, "Event.wait", timeout)
        elif self._blocks_on_event(node, awaited_call=id(node) in self._awaited):
            self.event_source = True
        return True

    def _blocks_on_event(self, call: cst.Call, *, awaited_call: bool) -> bool:
        qualified = self._index.qualify(call.func) or ""
        name = _final_name(call.func)
        if qualified in _BLOCKING_CALLS or name in _EVENT_SOURCE_METHODS:
            return True
        if not isinstance(call.func, cst.Attribute):
            return False
        if name == "get" and not any(arg.keyword is None for arg in call.args):
            return True  # queue.get() / await queue.get() / q.get(timeout=1)
        receiver = _dotted(call.func.value) or ""
        if name == "select" and "sel" in receiver.lower():
            return True
        return awaited_call and name in _STREAM_READS and bool(_STREAM_RECEIVER.search(receiver))

    def _wait(self, node: cst.Call, label: str, interval: cst.BaseExpression | None) -> None:
        chunks = [count for count in self._chunk if count is not None]
        wait_node: cst.BaseExpression = node
        self.waits.append(
            _Wait(
                wait_node,
                label,
                interval,
                multiplier=chunks[-1] if chunks and len(chunks) == len(self._chunk) else None,
                nested=bool(self._chunk) and len(chunks) != len(self._chunk),
                on_failure=self._except_depth > 0,
            )
        )


def _is_constant_true(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "True") or (
        isinstance(test, cst.Integer) and test.value == "1"
    )


def _only_waits(body: cst.BaseSuite, waits: Sequence[_Wait]) -> bool:
    """The loop does nothing but wait: it reads and checks nothing, so it cannot poll."""
    wait_calls = {id(wait.node) for wait in waits}
    lines = body.body if isinstance(body, cst.IndentedBlock) else (body,)
    for line in lines:
        if not isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            return False
        for statement in line.body:
            if isinstance(statement, cst.Pass):
                continue
            value = statement.value if isinstance(statement, cst.Expr) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if value is None or id(value) not in wait_calls:
                return False
    return True


def _is_delta(value: cst.BaseExpression) -> bool:
    """What is new since last time: `[r for r in rows if r["id"] not in seen]`, `current - previous`."""
    for node in _collect(value, cst.Comparison, cst.BinaryOperation, cst.Call):
        if isinstance(node, cst.Comparison) and any(
            isinstance(target.operator, cst.NotIn) for target in node.comparisons
        ):
            return True
        if (
            isinstance(node, cst.BinaryOperation)
            and isinstance(node.operator, cst.Subtract)
            and isinstance(node.left, cst.Name)
            and isinstance(node.right, cst.Name)
        ):
            return True
        if isinstance(node, cst.Call) and _final_name(node.func) in {"difference", "symmetric_difference"}:
            return True
    return False


def _is_stop_guard(line: cst.BaseStatement) -> bool:
    """`if stop_event.is_set(): return`: a statement that only leaves the loop when told to stop."""
    if not isinstance(line, cst.If) or line.orelse is not None:
        return False
    return all(
        isinstance(body_line, cst.SimpleStatementLine)
        and all(isinstance(statement, cst.Break | cst.Return) for statement in body_line.body)
        for body_line in line.body.body
    )


def _is_success_test(test: cst.BaseExpression) -> bool:
    words = _identifiers(test)
    return bool(words & _SUCCESS_WORDS) or "status_code" in words


# ---------------------------------------------------------------------------------------------
# What a site does each tick: reads, broadcasts, comparisons, logging


@dataclass
class _Facts:
    tables: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)
    database: bool = False
    file: bool = False
    http: bool = False
    opaque_calls: bool = False  # calls this file cannot see into
    broadcasts: bool = False
    message_types: list[str] = field(default_factory=list)
    compares_state: bool = False
    logs_activity: bool = False
    restores_connection: bool = False
    probes_connection: bool = False  # `SELECT 1`, ping(): checks that a connection is alive

    @property
    def keepalive_only(self) -> bool:
        """It checks a connection and reads no data: a health probe, not polling."""
        reads_data = self.database or self.tables or self.file or self.http
        return self.probes_connection and not reads_data and not self.broadcasts

    @property
    def polls(self) -> Polls:
        if self.database or self.tables:
            return Polls.DATABASE
        if self.file:
            return Polls.FILE
        if self.http:
            return Polls.HTTP
        return Polls.UNKNOWN if self.opaque_calls else Polls.MEMORY


class _FactVisitor(_Walker):
    """Collects the facts of one body (a loop, or a same-file function it calls)."""

    def __init__(self, analysis: _Analysis, function: _Function | None, facts: _Facts) -> None:
        self._analysis = analysis
        self._index = analysis.index
        self._function = function
        self._facts = facts
        self._state_ifs = 0
        self.callees: list[_Function] = []

    def enter_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def enter_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def enter_If(self, node: cst.If) -> bool:
        self.walk(node.test)
        compares = self._analysis.is_state_comparison(node.test, self._function)
        guard = any(  # `if data == self._last: continue`
            isinstance(statement, cst.Continue | cst.Return)
            for line in node.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for statement in line.body
        )
        self._facts.compares_state |= compares and guard
        self._state_ifs += compares
        self.walk(node.body)
        self._state_ifs -= compares
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    def enter_Attribute(self, node: cst.Attribute) -> None:
        model = node.value.value if isinstance(node.value, cst.Name) else ""
        if node.attr.value == "objects" and _is_class_name(model):  # Django `Job.objects.filter(...)`
            self._facts.tables.add(self._analysis.django_table(model))
        elif node.attr.value == "query" and _is_class_name(model):  # Flask-SQLAlchemy `Job.query.all()`
            self._facts.tables.add(self._analysis.model_table(model))

    def enter_Call(self, node: cst.Call) -> None:
        facts = self._facts
        qualified = self._index.qualify(node.func) or ""
        name = _final_name(node.func) or ""
        receiver = _dotted(node.func.value) if isinstance(node.func, cst.Attribute) else None
        callee = self._analysis.resolve(node.func, self._function)
        if callee is not None:
            self.callees.append(callee)
        for arg in node.args:
            handed = self._analysis.resolve(arg.value, self._function)
            if handed is not None:
                self.callees.append(handed)
        recognised = callee is not None
        recognised |= self._sql(node, name, receiver)
        recognised |= self._orm(node, qualified, name)
        recognised |= self._http(node, qualified, name, receiver)
        if qualified in _FILE_CALLS or name in _FILE_METHODS:
            facts.file = recognised = True
        if self._is_broadcast(name, receiver):
            facts.broadcasts = recognised = True
            # inside `if current != last:`, or a broadcast that compares itself: broadcast_if_changed()
            facts.compares_state |= self._state_ifs > 0 or bool(_STATE_NAME.search(name))
            for message_type in self._message_types(node):
                if message_type not in facts.message_types:
                    facts.message_types.append(message_type)
        if self._analysis.is_log(node):
            facts.logs_activity = recognised = True
        if _RECONNECT_NAME.search(name) and not qualified.startswith(_DB_MODULES):
            facts.restores_connection = recognised = True
        if name in _PINGS:
            facts.probes_connection = recognised = True
        if qualified in _SLEEPS or name == "wait" or qualified in _PURE_CALLS or name in _PURE_METHODS:
            recognised = True
        if not recognised:
            facts.opaque_calls = True

    def _sql(self, node: cst.Call, name: str, receiver: str | None) -> bool:
        candidates = [_positional(node, 0), _keyword(node, "query"), _keyword(node, "sql")]
        texts = [self._analysis.values.string(candidate, self._function, hole=HOLE) for candidate in candidates]
        statements = [text for text in texts if text is not None and _SQL_TEXT.match(text)]
        for text in statements:
            if _PROBE_SQL.match(text):
                self._facts.probes_connection = True
            else:
                self._facts.tables.update(tables_read(text))
                self._facts.database = True
        if not statements and name in _SQL_METHODS and receiver and _DB_RECEIVER.search(receiver):
            self._facts.database = True  # a query built elsewhere
            return True
        return bool(statements)

    def _orm(self, node: cst.Call, qualified: str, name: str) -> bool:
        is_select = qualified in _SELECT_CALLS
        is_query = name == "query" and isinstance(node.func, cst.Attribute)
        receiver = _dotted(node.func.value) if isinstance(node.func, cst.Attribute) else None
        is_get = (  # SQLAlchemy session.get(Model, id), not an HTTP session's get(url)
            name == "get" and "session" in (receiver or "").lower() and receiver not in self._index.http_clients
        )
        if not (is_select or is_query or is_get):
            return False
        arguments = node.args[:1] if is_get else node.args
        tables = [table for arg in arguments if (table := self._model_argument(arg.value))]
        self._facts.tables.update(tables)
        self._facts.database |= bool(tables) or is_select
        return bool(tables) or is_select

    def _model_argument(self, value: cst.BaseExpression) -> str | None:
        if isinstance(value, cst.Attribute):  # select(Job.id, Job.status)
            value = value.value
        if not isinstance(value, cst.Name):
            return None
        if value.value in self._index.table_objects:
            return self._index.table_objects[value.value]
        return self._analysis.model_table(value.value) if _is_class_name(value.value) else None

    def _http(self, node: cst.Call, qualified: str, name: str, receiver: str | None) -> bool:
        via_module = qualified.startswith(_HTTP_MODULES) and name in _HTTP_VERBS
        via_client = receiver is not None and receiver in self._index.http_clients and name in _HTTP_VERBS
        if not (via_module or via_client):
            return False
        self._facts.http = True
        url = _positional(node, 1 if name == "request" else 0, "url")
        if url is not None:
            text = self._analysis.values.string(url, self._function) or self._analysis.code(url)
            if text not in self._facts.urls:
                self._facts.urls.append(text)
        return True

    @staticmethod
    def _is_broadcast(name: str, receiver: str | None) -> bool:
        if name in _BROADCASTS or name.startswith("broadcast"):
            return True
        lowered = (receiver or "").lower()
        if name.startswith("send_") and ("manager" in lowered or "websocket" in lowered):
            return True
        return name == "send" and ("websocket" in lowered or lowered.split(".")[-1] in {"ws", "_ws"})

    def _message_types(self, node: cst.Call) -> Iterator[str]:
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Name) and self._function is not None:
                bound = self._function.assignments.get(value.value, [])
                value = bound[0] if len(bound) == 1 else value
            for found in _collect(value, cst.Dict):
                assert isinstance(found, cst.Dict)
                for element in found.elements:
                    if (
                        isinstance(element, cst.DictElement)
                        and isinstance(element.key, cst.SimpleString)
                        and element.key.evaluated_value == "type"
                        and isinstance(element.value, cst.SimpleString)
                    ):
                        yield str(element.value.evaluated_value)


# ---------------------------------------------------------------------------------------------
# Analysis: sites and routes


class _Analysis:
    def __init__(self, module: cst.Module, source: str, index: _Index, path: str) -> None:
        self.module = module
        self.source = source
        self.index = index
        self.path = path
        self.values = _Values(module, index, path)
        self._positions: _Positions | None = None
        self._script_functions = self._reachable_from_main()

    # -- helpers shared with the fact visitor -----------------------------------------------
    def code(self, node: cst.CSTNode) -> str:
        return _normalise(self.module.code_for_node(node))

    def location(self, node: cst.CSTNode) -> Location:
        if self._positions is None:
            self._positions = _Positions(self.module, self.source, self.index)
        line, column, end_line, end_column = self._positions.span(node)
        return Location(self.path, line, column + 1, end_line, end_column + 1)

    def resolve(self, func: cst.BaseExpression, function: _Function | None) -> _Function | None:
        """The same-file function a call (or a function reference) names, if any."""
        functions = self.index.functions
        if isinstance(func, cst.Name):
            return functions.get(func.value) if func.value not in self.index.aliases else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            owner = func.value.value
            if owner in {"self", "cls"} and function is not None and function.class_name:
                return functions.get(f"{function.class_name}.{func.attr.value}")
            if owner in self.index.classes:
                return functions.get(f"{owner}.{func.attr.value}")
        return None

    def model_table(self, model: str) -> str:
        klass = self.index.classes.get(model)
        if klass is not None and klass.table:
            return klass.table
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", model).lower()

    def django_table(self, model: str) -> str:
        """Django's default table `<app label>_<model name, lower case>`: `shop.models.StockItem` -> shop_stockitem."""
        klass = self.index.classes.get(model)
        if klass is not None and klass.table:
            return klass.table
        if model in self.index.imported_from:
            module = _module_path(self.path, self.index.imported_from[model][0])
        elif klass is not None:
            module = self.path.removesuffix(".py")
        else:
            return self.model_table(model)
        parts = module.split("/")
        position = parts.index("models") if "models" in parts else 0
        if position == 0:
            return self.model_table(model)  # no app package to name the table after
        return f"{parts[position - 1]}_{model.lower()}"

    def is_log(self, call: cst.Call) -> bool:
        qualified = self.index.qualify(call.func) or ""
        if qualified in _ECHOES:
            return True
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in _LOG_LEVELS:
            return False
        receiver = (_dotted(call.func.value) or "").split(".")[-1]
        return bool(_LOGGER_NAME.search(receiver)) or receiver == "console"

    def is_warning(self, call: cst.Call) -> bool:
        if self.index.qualify(call.func) == "warnings.warn":
            return True
        return self.is_log(call) and _final_name(call.func) in _WARNING_LEVELS

    def is_state_comparison(self, test: cst.BaseExpression, function: _Function | None) -> bool:
        """`if rows != last:`, `if digest == self._last: continue`, `if did_sync:`, `if changed(x):`."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test = test.expression
        if isinstance(test, cst.BooleanOperation):
            return self.is_state_comparison(test.left, function) or self.is_state_comparison(test.right, function)
        if isinstance(test, cst.Comparison):
            return any(
                isinstance(target.operator, cst.Equal | cst.NotEqual)
                and not _is_literal(test.left)
                and not _is_literal(target.comparator)
                for target in test.comparisons
            )
        if isinstance(test, cst.Call):
            return bool(_STATE_CALL.search(_final_name(test.func) or ""))
        if isinstance(test, cst.Name | cst.Attribute):
            name = _final_name(test) or ""
            if _STATE_NAME.search(name):
                return True
            bound = function.assignments.get(name, []) if function and isinstance(test, cst.Name) else []
            return any(
                (isinstance(value, cst.Call) and _STATE_CALL.search(_final_name(value.func) or "")) or _is_delta(value)
                for value in bound
            )
        return False

    # -- facts of a body and the same-file functions it calls ----------------------------------
    def facts(self, root: cst.CSTNode, function: _Function | None) -> _Facts:
        facts = _Facts()
        pending: list[tuple[cst.CSTNode, _Function | None, int]] = [(root, function, 0)]
        seen: set[int] = {id(root)}
        while pending:
            node, scope, depth = pending.pop(0)
            visitor = _FactVisitor(self, scope, facts)
            visitor.walk(node.body if isinstance(node, cst.FunctionDef) else node)
            for callee in visitor.callees:
                if depth < _FOLLOW_DEPTH and id(callee.node) not in seen:
                    seen.add(id(callee.node))
                    pending.append((callee.node, callee, depth + 1))
        return facts

    # -- context ---------------------------------------------------------------------------
    def _reachable_from_main(self) -> set[str]:
        if not self.index.has_main_guard:
            return set()
        reached = {edge.callee for edge in self.index.edges if edge.where.main_guard}
        reached.add("main")
        frontier = list(reached)
        while frontier:
            caller = self.index.functions.get(frontier.pop())
            for edge in self.index.edges:
                if edge.caller is caller and caller is not None and edge.callee not in reached:
                    reached.add(edge.callee)
                    frontier.append(edge.callee)
        return {self.index.functions[key].qualname for key in reached if key in self.index.functions}

    def context(self, where: _Where) -> Context:
        if where.main_guard or (where.function and where.function.qualname in self._script_functions):
            return Context.SCRIPT
        return Context.BACKEND

    def opt_in_flag(self, where: _Where, extra: Sequence[cst.BaseExpression] = ()) -> str | None:
        for condition in (*extra, *reversed(where.conditions)):
            flag = self._flag(condition, where.function)
            if flag:
                return flag
        if where.function is None:
            return None
        for edge in self.index.edges:  # the function is only called under `if args.watch:`
            if self.index.functions.get(edge.callee) is where.function:
                for condition in reversed(edge.where.conditions):
                    flag = self._flag(condition, edge.caller)
                    if flag:
                        return flag
        return None

    def _flag(self, condition: cst.BaseExpression, function: _Function | None) -> str | None:
        if isinstance(condition, cst.BooleanOperation) and isinstance(condition.operator, cst.And):
            return self._flag(condition.left, function) or self._flag(condition.right, function)
        if not isinstance(condition, cst.Name | cst.Attribute):
            return None
        name = _final_name(condition) or ""
        if name in self.index.cli_options:
            return self.index.cli_options[name]
        command_parameter = isinstance(condition, cst.Name) and function is not None and name in function.defaults
        if command_parameter and function is not None and self._is_cli_command(function):
            return "--" + name.replace("_", "-")  # click/typer: parameter `watch` is option --watch
        if not _FLAG_NAME.match(name.lstrip("_")):
            return None
        # Undeclared, it must still look like an option: `args.watch`, `options.follow`, a parameter.
        owner = _dotted(condition.value) if isinstance(condition, cst.Attribute) else None
        if owner in _OPTION_HOLDERS or (owner is None and function is not None and name in function.parameters):
            return self.code(condition)
        return None

    def _is_cli_command(self, function: _Function) -> bool:
        return any(
            _final_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) == "command"
            for d in function.node.decorators
        )

    def logs_warning(self, loop: cst.CSTNode, where: _Where) -> bool:
        """A WARNING logged when polling starts: in the enclosing code, before the loop begins."""
        scope: cst.CSTNode = where.function.node if where.function else self.module
        return any(self.is_warning(call) for call in _collect_before(scope, loop))

    def max_duration(self, loop: cst.CSTNode, where: _Where) -> float | None:
        """A bound on polling time: `deadline = time.monotonic() + 300`, `if elapsed > MAX: break`."""
        scope: cst.CSTNode = where.function.node if where.function else loop
        function = where.function
        for found in _collect(scope, cst.BinaryOperation, cst.Comparison):
            if isinstance(found, cst.BinaryOperation) and isinstance(found.operator, cst.Add):
                for clock, amount in ((found.left, found.right), (found.right, found.left)):
                    if self._is_clock(clock):
                        value = self.values.number(amount, function).value
                        if value:
                            return value
            elif isinstance(found, cst.Comparison) and len(found.comparisons) == 1:
                target = found.comparisons[0]
                if not isinstance(
                    target.operator, cst.GreaterThan | cst.GreaterThanEqual | cst.LessThan | cst.LessThanEqual
                ):
                    continue
                for measured, bound in ((found.left, target.comparator), (target.comparator, found.left)):
                    if self._measures_time(measured):
                        value = self.values.number(bound, function).value
                        if value:
                            return value
        return None

    def _is_clock(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        qualified = self.index.qualify(node.func) or ""
        return (
            qualified in _CLOCKS
            or qualified.endswith((".now", ".utcnow"))
            or (_final_name(node.func) == "time" and "loop" in qualified)
        )

    def _measures_time(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
            return self._is_clock(node.left)
        name = _final_name(node) if isinstance(node, cst.Name | cst.Attribute) else None
        return bool(name and _DURATION_NAME.search(name))

    def fallback_only(self, where: _Where, loop_test: cst.BaseExpression | None) -> bool:
        """Runs only while the event-driven connection is down: `if self.fallback_mode:`,
        `while not listener.is_connected():`, a function named `*fallback*`."""
        names = [word for condition in where.conditions for word in _identifiers(condition)]
        if where.function is not None:
            names.append(where.function.qualname.lower())
        if loop_test is not None:
            names.extend(_identifiers(loop_test))
        if any(_FALLBACK_TEXT.search(name) or _DISCONNECTED_NAME.search(name) for name in names):
            return True
        return (
            loop_test is not None
            and any(  # `while not listener.is_connected():`, also `... and time.monotonic() < deadline`
                isinstance(node, cst.UnaryOperation)
                and isinstance(node.operator, cst.Not)
                and bool(_identifiers(node) & _CONNECTED_WORDS)
                for node in _collect(loop_test, cst.UnaryOperation)
            )
        )

    # -- sites -------------------------------------------------------------------------------
    def sites(self) -> Iterator[PollingSite]:
        for loop, where in self.index.loops:
            site = self._loop_site(loop, where)
            if site is not None:
                yield site
        for call, where in self.index.calls:
            site = self._scheduler_call_site(call, where)
            if site is not None:
                yield site
        for decorator, function in self.index.decorated:
            site = self._decorator_site(decorator, function)
            if site is not None:
                yield site
        for schedule, where in self.index.beat_schedules:
            yield from self._beat_sites(schedule, where)

    def _site(
        self,
        *,
        kind: SiteKind,
        mechanism: str,
        node: cst.CSTNode,
        snippet: str,
        where: _Where,
        function: _Function | None,
        body: cst.CSTNode | None,
        interval: _Number,
        detail: str | None = None,
        loop_test: cst.BaseExpression | None = None,
    ) -> PollingSite:
        # A job defined in another file: what it reads cannot be seen from here.
        facts = self.facts(body, function) if body is not None else _Facts(opaque_calls=True)
        fallback = self.fallback_only(where, loop_test)
        owner = function or where.function  # a scheduled job is named after itself, not its registration
        return PollingSite(
            kind=kind,
            mechanism=mechanism,
            language=LANGUAGE,
            location=self.location(node),
            snippet=snippet,
            function=owner.qualname if owner else None,
            context=self.context(where),
            interval_seconds=interval.value,
            interval_ref=interval.ref if interval.value is None else None,
            polls=facts.polls,
            tables=tuple(sorted(facts.tables)),
            urls=tuple(facts.urls),
            broadcasts=facts.broadcasts,
            compares_state=facts.compares_state,
            message_types=tuple(facts.message_types),
            opt_in_flag=self.opt_in_flag(where, (loop_test,) if loop_test is not None else ()),
            interval_env_var=interval.env_var,
            logs_activity=facts.logs_activity,
            logs_warning=self.logs_warning(node, where),
            fallback_only=fallback,
            max_duration_seconds=self.max_duration(node, where),
            restores_connection=facts.restores_connection,
            detail=detail,
        )

    def _loop_site(self, loop: cst.While | cst.For, where: _Where) -> PollingSite | None:
        if isinstance(loop, cst.For):
            if loop.asynchronous is not None or not isinstance(loop.iter, cst.Call):
                return None
            if self.index.qualify(loop.iter.func) != "itertools.count":
                return None
            head = f"for {self.code(loop.target)} in {self.code(loop.iter)}:"
            mechanism_head, test = "for itertools.count()", None
        else:
            test = loop.test
            head = f"while {self.code(test)}:"
            mechanism_head = f"while {self.code(test)}" if _is_constant_true(test) else "while loop"
            if isinstance(test, cst.Comparison) and any(_RETRY_NAME.search(w) for w in _identifiers(test)):
                return None  # `while attempt < MAX_ATTEMPTS:` is a bounded retry
        body = _LoopBody(self.index)
        if test is not None:
            body.walk(test)
        body.walk(loop.body)
        if not body.waits or body.event_source or body.drives_schedule:
            return None
        if all(w.on_failure for w in body.waits):
            return None  # sleeps only after an error before trying again: a retry, not a period
        if test is not None and _is_constant_true(test) and _only_waits(loop.body, body.waits):
            return None  # `while True: time.sleep(1)` keeps the main thread alive for an observer
        fallback = self.fallback_only(where, test)
        if body.exits_on_success and not fallback:
            return None  # every iteration tries an operation and leaves on success: a retry
        function_name = where.function.name if where.function else ""
        if body.exits and _EVENT_CALLBACK.match(function_name):
            return None  # runs after an event until the burst is drained (debounce), not on a clock
        # the period is the wait of a normal iteration, not a rate limit over items or a pause after an error
        wait = next((w for w in body.waits if not w.nested and not w.on_failure), None)
        wait = wait or next((w for w in body.waits if not w.nested), body.waits[0])
        facts = self.facts(loop, where.function)
        if facts.keepalive_only:
            return None  # a health probe of a connection, not a poll of the data
        if self._backs_off(wait, loop) and facts.restores_connection and not fallback:
            return None  # reconnects with growing delays: a supervisor of an event source
        if self._waits_out_deadline(wait, loop):
            return None  # waits for a condition until a deadline, then gives up: a timeout, not a period
        interval = self.values.number(wait.interval, where.function)
        if wait.multiplier is not None and interval.value is not None:
            count = self.values.number(wait.multiplier, where.function)
            interval = _Number(
                None if count.value is None else count.value * interval.value,
                interval.env_var or count.env_var,
            )
        wait_code = self.code(self._awaited_form(wait.node, loop))
        return self._site(
            kind=SiteKind.LOOP,
            mechanism=f"{mechanism_head} + {wait.label}",
            node=loop,
            snippet=f"{head} ... {wait_code}",
            where=where,
            function=where.function,
            body=loop,
            interval=interval,
            loop_test=test,
        )

    @staticmethod
    def _backs_off(wait: _Wait, loop: cst.CSTNode) -> bool:
        """The delay grows inside the loop: `delay *= 2`, `delay = min(cap, base * 2 ** attempt)`."""
        if not isinstance(wait.interval, cst.Name):
            return False
        name = wait.interval.value
        for found in _collect(loop, cst.Assign, cst.AugAssign):
            if isinstance(found, cst.AugAssign):
                grows = isinstance(found.operator, cst.MultiplyAssign | cst.PowerAssign)
                if grows and _dotted(found.target) == name:
                    return True
            elif isinstance(found, cst.Assign) and any(_dotted(t.target) == name for t in found.targets):
                operations = _collect(found.value, cst.BinaryOperation)
                if any(
                    isinstance(op, cst.BinaryOperation) and isinstance(op.operator, cst.Power | cst.Multiply)
                    for op in operations
                ):
                    return True
        return False

    def _waits_out_deadline(self, wait: _Wait, loop: cst.CSTNode) -> bool:
        """`remaining = endtime - time()`, `if remaining <= 0: raise Empty`, `cond.wait(remaining)`."""
        if not isinstance(wait.interval, cst.Name):
            return False
        name = wait.interval.value
        from_clock = any(
            isinstance(found, cst.Assign)
            and any(_dotted(target.target) == name for target in found.targets)
            and isinstance(found.value, cst.BinaryOperation)
            and isinstance(found.value.operator, cst.Subtract)
            and self._is_clock(found.value.right)
            for found in _collect(loop, cst.Assign)
        )
        if not from_clock:
            return False
        # The budget running out ends the loop; a drift-correcting poller only skips the sleep.
        budget_tests = [loop.test] if isinstance(loop, cst.While) else []
        for found in _collect(loop, cst.If):
            assert isinstance(found, cst.If)
            if any(_collect(found.body, cst.Raise, cst.Break, cst.Return)):
                budget_tests.append(found.test)
        return any(
            isinstance(comparison, cst.Comparison)
            and _dotted(comparison.left) == name
            and len(comparison.comparisons) == 1
            and isinstance(comparison.comparisons[0].comparator, cst.Integer | cst.Float)
            and float(comparison.comparisons[0].comparator.value) == 0
            for test in budget_tests
            for comparison in _collect(test, cst.Comparison)
        )

    def _awaited_form(self, call: cst.BaseExpression, loop: cst.CSTNode) -> cst.BaseExpression:
        for found in _collect(loop, cst.Await):
            assert isinstance(found, cst.Await)
            if found.expression is call:
                return found
        return call

    def _scheduler_call_site(self, call: cst.Call, where: _Where) -> PollingSite | None:
        name = _final_name(call.func)
        qualified = self.index.qualify(call.func) or ""
        if qualified in _DJANGO_PATHS:
            return None
        if name in {"Timer", "call_later"}:
            return self._rescheduling_site(call, where, name)
        if name == "add_job":
            return self._apscheduler_site(call, where)
        if name == "do":
            return self._schedule_site(call, where)
        if name == "add_periodic_task":
            interval = self._beat_interval(_positional(call, 0, "schedule"), where.function)
            if interval is None:
                return None
            signature = _positional(call, 1, "sig")
            job = self._job(signature.func if isinstance(signature, cst.Call) else signature, where)
            return self._job_site(call, where, "Celery add_periodic_task", interval, job)
        return None

    def _rescheduling_site(self, call: cst.Call, where: _Where, name: str) -> PollingSite | None:
        if name == "Timer" and self.index.qualify(call.func) != "threading.Timer":
            return None
        target = _positional(call, 1, "function")
        function = where.function
        job = self.resolve(target, function) if function is not None and target is not None else None
        if function is None or job is None or not self._rearms(job, function):
            return None  # a one-shot timer, not a function re-arming itself
        if self.facts(job.node, job).keepalive_only:
            return None  # a heartbeat that pings its connection reads no data
        label = "threading.Timer" if name == "Timer" else "loop.call_later"
        return self._site(
            kind=SiteKind.SCHEDULER,
            mechanism=f"self-rescheduling {label}",
            node=call,
            snippet=self.code(call),
            where=where,
            function=job,
            body=job.node,
            interval=self.values.number(_positional(call, 0, "interval"), function),
            detail="reschedules itself",
        )

    def _rearms(self, job: _Function, arming: _Function) -> bool:
        """The timer's job is the function that arms it, or calls it: `_tick` ends with `self.start()`."""
        if job is arming:
            return True
        functions = self.index.functions
        return any(edge.caller is job and functions.get(edge.callee) is arming for edge in self.index.edges)

    def _apscheduler_site(self, call: cst.Call, where: _Where) -> PollingSite | None:
        trigger = _positional(call, 1, "trigger")
        kind = trigger.evaluated_value if isinstance(trigger, cst.SimpleString) else None
        trigger_class = _final_name(trigger.func) if isinstance(trigger, cst.Call) else None
        if kind == "interval" or trigger_class == "IntervalTrigger":
            interval = self._period(trigger if isinstance(trigger, cst.Call) else call, where.function)
            mechanism = "APScheduler interval job"
        elif kind == "cron" or trigger_class == "CronTrigger":
            cron_period = self._cron_period(trigger if isinstance(trigger, cst.Call) else call, _CRON_FIELDS)
            if cron_period is None:
                return None  # runs at a time of day, it does not poll
            interval, mechanism = cron_period, "APScheduler cron job"
        else:
            return None  # a date trigger runs once
        job = self._job(_positional(call, 0, "func"), where)
        return self._job_site(call, where, mechanism, interval, job)

    def _cron_period(
        self, call: cst.Call, fields: Sequence[tuple[str, int]], positional: Sequence[str] = ()
    ) -> _Number | None:
        """Seconds between runs of a cron schedule that repeats within the day (`minute="*/5"`: 300);
        None when every time field is fixed (`hour=6, minute=0`): a time of day, not polling.
        An unset field runs on every value when it is coarser than every set one, else only at 0."""
        values = {
            name: _positional(call, positional.index(name), name) if name in positional else _keyword(call, name)
            for name, _ in fields
        }
        set_positions = [position for position, (name, _) in enumerate(fields) if values[name] is not None]
        coarsest_set = max(set_positions, default=-1)
        for position, (name, unit) in enumerate(fields):
            value = values[name]
            if value is None:
                if position < coarsest_set:
                    continue  # APScheduler and Celery run an unset finer field at its first value
                return _Number(float(unit))
            text = self.values.string(value, None)
            match = _CRON_STEP.match(text.strip()) if text is not None else None
            if match is not None:
                return _Number(float(unit * int(match.group(1) or match.group(2) or 1)))
        return None

    def _period(self, call: cst.Call, function: _Function | None) -> _Number:
        total, env_var, known = 0.0, None, False
        for unit in ("weeks", "days", "hours", "minutes", "seconds"):
            part = self.values.number(_keyword(call, unit), function)
            env_var = env_var or part.env_var
            if _keyword(call, unit) is not None:
                if part.value is None:
                    return _Number(env_var=env_var, ref=part.ref)
                total += part.value * _TIMEDELTA_UNITS[unit]
                known = True
        return _Number(total if known else None, env_var)

    def _schedule_site(self, call: cst.Call, where: _Where) -> PollingSite | None:
        """`schedule.every(5).minutes.do(job)`; `.at("10:30")` makes it a time-of-day job, not polling."""
        unit_node = call.func.value if isinstance(call.func, cst.Attribute) else None
        if not isinstance(unit_node, cst.Attribute) or unit_node.attr.value not in _SCHEDULE_UNITS:
            return None
        every = unit_node.value
        if isinstance(every, cst.Call) and _final_name(every.func) == "to" and isinstance(every.func, cst.Attribute):
            every = every.func.value  # every(5).to(10): a random period of at least 5 units
        if not isinstance(every, cst.Call) or _final_name(every.func) != "every":
            return None
        count = _positional(every, 0, "interval")
        amount = self.values.number(count, where.function) if count is not None else _Number(1.0)
        unit = _SCHEDULE_UNITS[unit_node.attr.value]
        interval = _Number(None if amount.value is None else amount.value * unit, amount.env_var)
        job = self._job(_positional(call, 0, "job_func"), where)
        detail = "driven by schedule.run_pending()" if self.index.has_run_pending else None
        return self._job_site(call, where, "schedule.every", interval, job, detail)

    def _job(self, reference: cst.BaseExpression | None, where: _Where) -> _Function | None:
        if isinstance(reference, cst.Attribute) and _final_name(reference) in {"s", "si", "delay"}:
            reference = reference.value  # celery signature: sync_queue.s()
        return self.resolve(reference, where.function) if reference is not None else None

    def _job_site(
        self,
        call: cst.CSTNode,
        where: _Where,
        mechanism: str,
        interval: _Number,
        job: _Function | None,
        detail: str | None = None,
    ) -> PollingSite:
        return self._site(
            kind=SiteKind.SCHEDULER,
            mechanism=mechanism,
            node=call,
            snippet=self.code(call),
            where=where,
            function=job,
            body=job.node if job else None,
            interval=interval,
            detail=detail,
        )

    def _decorator_site(self, decorator: cst.Decorator, function: _Function) -> PollingSite | None:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            return None
        name = _final_name(call.func)
        if name == "repeat_every":
            interval = self.values.number(_positional(call, 0, "seconds"), None)
            mechanism = "@repeat_every"
        elif name == "scheduled_job":
            trigger = _positional(call, 0, "trigger")
            kind = trigger.evaluated_value if isinstance(trigger, cst.SimpleString) else None
            if kind == "interval":
                interval = self._period(call, None)
            elif kind == "cron" and (cron_period := self._cron_period(call, _CRON_FIELDS)) is not None:
                interval = cron_period
            else:
                return None
            mechanism = f"APScheduler @scheduled_job {kind}"
        else:
            return None
        where = _Where(function, (), False)
        return self._site(
            kind=SiteKind.SCHEDULER,
            mechanism=mechanism,
            node=decorator,
            snippet=f"@{self.code(call)} def {function.name}",
            where=where,
            function=function,
            body=function.node,
            interval=interval,
        )

    def _beat_interval(self, schedule: cst.BaseExpression | None, function: _Function | None) -> _Number | None:
        """Seconds of a beat entry's schedule; None for crontab/solar entries, which are not polling."""
        if schedule is None:
            return None
        if isinstance(schedule, cst.Call):
            name = _final_name(schedule.func)
            if name == "schedule":
                return self.values.number(_positional(schedule, 0, "run_every"), function)
            if name == "crontab":
                return self._cron_period(schedule, _CRON_FIELDS[1:], ("minute", "hour"))  # crontab(minute, hour, ...)
            if name != "timedelta":
                return None
        return self.values.number(schedule, function)

    def _beat_sites(self, schedule: cst.Dict, where: _Where) -> Iterator[PollingSite]:
        for element in schedule.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.value, cst.Dict):
                continue
            entry = {
                str(item.key.evaluated_value): item.value
                for item in element.value.elements
                if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString)
            }
            interval = self._beat_interval(entry.get("schedule"), where.function)
            if interval is None:
                continue
            task = self.values.string(entry.get("task"), where.function) or ""
            job = self.index.functions.get(task.rsplit(".", 1)[-1]) if task else None
            yield self._site(
                kind=SiteKind.SCHEDULER,
                mechanism="Celery beat schedule",
                node=element,
                snippet=f"{self.code(element.key)}: schedule={self.code(entry['schedule'])}",
                where=where,
                function=job,
                body=job.node if job else None,
                interval=interval,
            )

    # -- routes ------------------------------------------------------------------------------
    def routes(self) -> Iterator[Route]:
        for decorator, function in self.index.decorated:
            yield from self._decorated_routes(decorator, function)
        for call, where in self.index.calls:
            if self.index.qualify(call.func) in _DJANGO_PATHS:
                route = _positional(call, 0, "route")
                text = self.values.string(route, None)
                if text is None:
                    continue
                view = _positional(call, 1, "view")
                handler = self.resolve(view, where.function) if view is not None else None
                yield self._route("*", "/" + text.lstrip("^/").rstrip("$"), call, handler)

    def _decorated_routes(self, decorator: cst.Decorator, function: _Function) -> Iterator[Route]:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        verb = call.func.attr.value
        owner = _dotted(call.func.value) or ""
        path = self.values.string(_positional(call, 0, "path") or _keyword(call, "rule"), None)
        if path is None or not (path.startswith("/") or path == "" or owner in self.index.route_owners):
            return
        if verb in _ROUTE_METHODS:
            methods = [verb.upper()]
        elif verb in {"route", "api_route"}:
            listed = _keyword(call, "methods")
            methods = [
                str(element.value.evaluated_value).upper()
                for element in (listed.elements if isinstance(listed, cst.List | cst.Tuple) else ())
                if isinstance(element.value, cst.SimpleString)
            ] or ["GET"]
        elif verb == "websocket":
            methods = ["WEBSOCKET"]
        else:
            return
        full_path = self._prefix(owner) + path
        for method in methods:
            yield self._route(method, full_path or "/", decorator, function)

    def _prefix(self, owner: str, depth: int = 0) -> str:
        prefix = ""
        constructor = self.index.route_owners.get(owner)
        if constructor is not None:
            declared = _keyword(constructor, "prefix") or _keyword(constructor, "url_prefix")
            prefix = self.values.string(declared, None) or ""
        prefix = prefix.rstrip("/")
        if owner not in self.index.mounts or depth > 5:
            return prefix
        parent, call = self.index.mounts[owner]
        mounted = self.values.string(_keyword(call, "prefix") or _keyword(call, "url_prefix"), None)
        if mounted is not None and _final_name(call.func) == "register_blueprint":
            prefix = ""  # Flask: the url_prefix given at registration replaces the blueprint's own
        return self._prefix(parent, depth + 1) + (mounted or "").rstrip("/") + prefix

    def _route(self, method: str, path: str, node: cst.CSTNode, handler: _Function | None) -> Route:
        facts = self.facts(handler.node, handler) if handler is not None else _Facts()
        return Route(
            method=method,
            path=path,
            location=self.location(node),
            tables=tuple(sorted(facts.tables)),
            message_types=tuple(facts.message_types),
        )


_Span = tuple[int, int, int, int]  # line, column, end line, end column (1-based lines, 0-based columns)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line for `ast` (str.splitlines knows more)
_AST_KINDS: dict[type[ast.AST], str] = {
    ast.While: "while",
    ast.For: "for",
    ast.AsyncFor: "for",
    ast.Call: "call",
    ast.Dict: "dict",
}


class _Positions:
    """Source spans of the few nodes that become sites or routes.

    libcst's PositionProvider re-generates the code of the whole module to count characters, which
    costs more than the parse; `ast` parses about ten times faster and numbers the same nodes, so
    the n-th call (while, for, dict) in source order of one tree is the n-th of the other. When the
    two trees disagree on a count, or `ast` cannot parse the file, PositionProvider decides.
    """

    def __init__(self, module: cst.Module, source: str, index: _Index) -> None:
        self._module = module
        self._index = index
        self._ast_nodes: dict[str, list[ast.AST]] | None = self._from_ast(source, index)
        self._provided: dict[cst.CSTNode, CodeRange] | None = None
        self._lines = _LINE_BREAK.split(source)

    @staticmethod
    def _from_ast(source: str, index: _Index) -> dict[str, list[ast.AST]] | None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            return None
        found: dict[str, list[ast.AST]] = {kind: [] for kind in index.counts}
        for node in ast.walk(tree):
            kind = _AST_KINDS.get(type(node))
            if kind is not None:
                found[kind].append(node)
        for kind, nodes in found.items():
            if len(nodes) != index.counts[kind]:
                return None
            # Source order; an outer call starts where its inner one does (`a.b().c()`) and comes first.
            nodes.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
        return found

    def span(self, node: cst.CSTNode) -> _Span:
        if isinstance(node, cst.Decorator) and isinstance(node.decorator, cst.Call):
            node = node.decorator  # `@router.get("/x")`: the call names the route
        if self._ast_nodes is not None:
            span = self._ast_span(node, self._ast_nodes)
            if span is not None:
                return span
        return self._provided_span(node)

    def _ast_span(self, node: cst.CSTNode, nodes: dict[str, list[ast.AST]]) -> _Span | None:
        if id(node) in self._index.dict_elements:
            owner, position = self._index.dict_elements[id(node)]
            kind, number = self._index.ordinals[id(owner)]
            tree_dict = nodes[kind][number]
            assert isinstance(tree_dict, ast.Dict)
            first: ast.expr = tree_dict.keys[position] or tree_dict.values[position]
            last: ast.expr = tree_dict.values[position]
        elif id(node) in self._index.ordinals:
            kind, number = self._index.ordinals[id(node)]
            first = last = nodes[kind][number]  # type: ignore[assignment]
        else:
            return None
        end_line = last.end_lineno or last.lineno
        return (
            first.lineno,
            self._column(first.lineno, first.col_offset),
            end_line,
            self._column(end_line, last.end_col_offset or 0),
        )

    def _column(self, line: int, utf8_offset: int) -> int:
        """`ast` counts columns in UTF-8 bytes, libcst and editors in characters."""
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        if text.isascii():
            return utf8_offset
        return len(text.encode("utf-8")[:utf8_offset].decode("utf-8", errors="ignore"))

    def _provided_span(self, node: cst.CSTNode) -> _Span:
        if self._provided is None:
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._provided = dict(wrapper.resolve(PositionProvider))
        code_range = self._provided[node]
        return (code_range.start.line, code_range.start.column, code_range.end.line, code_range.end.column)


def _collect_before(scope: cst.CSTNode, stop: cst.CSTNode) -> list[cst.Call]:
    """Calls in `scope` that come before `stop` in source order (outside nested definitions)."""

    calls: list[cst.Call] = []
    stack: list[cst.CSTNode] = [scope]
    while stack:
        node = stack.pop()
        if node is stop:
            break  # a pre-order walk has met everything that comes before `stop`
        if node is not scope and isinstance(node, cst.FunctionDef | cst.ClassDef):
            continue
        if isinstance(node, cst.Call):
            calls.append(node)
        stack.extend(reversed(tuple(_children(node))))
    return calls


# ---------------------------------------------------------------------------------------------
# Comments: suppressions and documentation


def _comments(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment, from Python's own tokenizer."""
    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # libcst accepted the file; keep the comments read before the tokenizer gave up
    return found


def _suppressions(comments: list[tuple[int, str]]) -> Iterator[Suppression]:
    for line, text in comments:
        suppression = parse_suppression(text, line)
        if suppression is not None:
            yield suppression


def _comment_blocks(comments: list[tuple[int, str]]) -> list[str]:
    """Consecutive comment lines joined into one text each."""
    blocks: list[list[str]] = []
    previous = -2
    for line, text in comments:
        if line != previous + 1:
            blocks.append([])
        blocks[-1].append(text.lstrip("#").strip())
        previous = line
    return [" ".join(block) for block in blocks]


def _documents_dev_tool(docstring: str, module: cst.Module) -> bool:
    """The module docstring or the comment block the file opens with says it is a development tool."""
    header = " ".join(line.comment.value.lstrip("#").strip() for line in module.header if line.comment)
    return any(_DEV_TOOL_TEXT.search(text) for text in (docstring, header))


def _documents_webhook_reason(docstring: str, comments: list[tuple[int, str]]) -> bool:
    for text in (docstring, *_comment_blocks(comments)):
        lowered = text.lower()
        if "webhook" in lowered and _WEBHOOK_REASON.search(lowered):
            return True
    return False
