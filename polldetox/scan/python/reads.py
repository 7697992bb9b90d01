"""What a site reads each tick (SQL, ORM models, HTTP, files), whether it broadcasts, compares
state or logs: looked up in its body and in the same-file functions it calls (two levels)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from polldetox.findings import Polls
from polldetox.scan.python.index import FunctionInfo, Index
from polldetox.scan.python.parse import Source
from polldetox.scan.python.syntax import (
    FUNCTIONS,
    Walker,
    argument_values,
    collect,
    dotted,
    final_name,
    is_class_name,
    is_literal,
    keyword,
    positional,
    text_of,
)
from polldetox.scan.python.values import Values, module_path
from polldetox.scan.sql import HOLE, tables_read

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep", "eventlet.sleep"})
_DB_MODULES = ("sqlite3.", "psycopg", "asyncpg.", "aiosqlite.", "pymysql.", "sqlalchemy.", "aiomysql.")
_RECONNECT_NAME = re.compile(r"reconnect|restore|resubscribe|^_?(try_)?(connect|listen)", re.IGNORECASE)
_STATE_NAME = re.compile(r"changed|did_sync|synced|modified|dirty|has_update|updated|is_new|diff", re.I)
_STATE_CALL = re.compile(r"changed|with_cache|diff|modified|sync", re.IGNORECASE)
_HTTP_MODULES = ("requests.", "httpx.", "aiohttp.", "urllib.request.", "urllib3.")
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "urlopen"})
# `client.read_flow_run(id)`, `self.client.get_job_run(...)`, `jobs_api.describe_job(...)`: a service's
# client object reading over its API; stores reached through a client (Redis, a database) are not.
_API_RECEIVER = re.compile(r"(^|[._])(\w*_)?(client|api)$", re.IGNORECASE)
_STORE_RECEIVER = re.compile(r"redis|cache|db|database|sql|mongo|memcache|kafka|queue", re.IGNORECASE)
_API_READ = re.compile(r"^a?(read|get|list|describe|fetch|query|search|filter|retrieve)(_|$)")
_SQL_METHODS = frozenset(
    {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "scalars", "scalar"}
)
_DB_RECEIVER = re.compile(r"db|conn|cur|pool|session|engine|database", re.IGNORECASE)
_SQL_TEXT = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT|TABLE)\b", re.IGNORECASE)
_PROBE_SQL = re.compile(r"^\s*SELECT\s+\d+\s*;?\s*$", re.IGNORECASE)  # SELECT 1: is the connection alive?
_PINGS = frozenset({"ping", "send_ping", "Ping"})  # ws.ping(), wsproto's events.Ping()
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
        "len", "list", "dict", "set", "tuple", "sorted", "str", "int", "float", "bool", "min", "max", "sum", "any",
        "all", "enumerate", "range", "isinstance", "repr", "hash", "zip", "time.time", "time.monotonic",
        "json.dumps", "json.loads", "datetime.datetime.now", "datetime.datetime.utcnow",
        "asyncio.get_running_loop", "asyncio.get_event_loop", "threading.Timer",
    }
)  # fmt: skip
_PURE_METHODS = frozenset(
    {
        "items", "values", "keys", "copy", "qsize", "empty", "full", "append", "pop", "popleft", "clear", "update",
        "add", "discard", "is_set", "get_nowait", "hexdigest", "digest", "encode", "format", "join", "strip",
        "start",  # a thread or timer starting
        "call_later",
    }
)  # fmt: skip
# What a loop reads when it checks an in-process queue instead of blocking on it.
_QUEUE_READS = frozenset({"get_nowait", "empty", "qsize"})
_FOLLOW_DEPTH = 2


@dataclass
class Facts:
    tables: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)
    database: bool = False
    file: bool = False
    http: bool = False
    http_response_used: bool = False  # some HTTP call's response is kept, not only sent and dropped
    opaque_calls: bool = False  # calls this file cannot see into
    broadcasts: bool = False
    message_types: list[str] = field(default_factory=list)
    compares_state: bool = False
    logs_activity: bool = False
    restores_connection: bool = False
    probes_connection: bool = False  # `SELECT 1`, ping(): checks that a connection is alive
    project_calls: list[tuple[str, str]] = field(default_factory=list)  # see PollingSite.reads_through
    models: list[tuple[str, str, str]] = field(default_factory=list)  # see PollingSite.models
    work: list[str] = field(default_factory=list)  # calls the body itself makes to do its work, as written
    reads_queue: bool = False  # `queue.get_nowait()`, `queue.empty()`: looks into an in-process queue

    @property
    def keepalive_only(self) -> bool:
        """It checks a connection and reads no data: a health probe, not polling."""
        reads_data = self.database or self.tables or self.file or self.http
        return self.probes_connection and not reads_data and not self.broadcasts

    @property
    def only_sends(self) -> bool:
        """Every call out is an HTTP request whose response is dropped: a heartbeat or push sender."""
        return (
            self.http
            and not self.http_response_used
            and not (self.database or self.tables or self.file or self.opaque_calls or self.broadcasts)
        )

    @property
    def polls(self) -> Polls:
        if self.database or self.tables:
            return Polls.DATABASE
        if self.file:
            return Polls.FILE
        if self.http:
            return Polls.HTTP
        return Polls.UNKNOWN if self.opaque_calls and not self.reads_queue else Polls.MEMORY


def _is_api_read(receiver: str, method: str) -> bool:
    return bool(_API_RECEIVER.search(receiver) and _API_READ.match(method) and not _STORE_RECEIVER.search(receiver))


def is_log(index: Index, call: ast.Call) -> bool:
    qualified = index.qualify(call.func) or ""
    if qualified in _ECHOES:
        return True
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in _LOG_LEVELS:
        return False
    receiver = (dotted(call.func.value) or "").split(".")[-1]
    return bool(_LOGGER_NAME.search(receiver)) or receiver == "console"


def is_warning(index: Index, call: ast.Call) -> bool:
    if index.qualify(call.func) == "warnings.warn":
        return True
    return is_log(index, call) and final_name(call.func) in _WARNING_LEVELS


def _is_delta(value: ast.AST) -> bool:
    """What is new since last time: `[r for r in rows if r["id"] not in seen]`, `current - previous`."""
    for node in collect(value, ast.Compare, ast.BinOp, ast.Call):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.NotIn) for op in node.ops):
            return True
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Sub)
            and isinstance(node.left, ast.Name)
            and isinstance(node.right, ast.Name)
        ):
            return True
        if isinstance(node, ast.Call) and final_name(node.func) in {"difference", "symmetric_difference"}:
            return True
    return False


class Reads:
    """The facts of a body and of the same-file functions it calls, with the model-to-table names."""

    def __init__(self, index: Index, values: Values, source: Source) -> None:
        self.index = index
        self.values = values
        self.source = source

    def facts(self, root: ast.AST | list[ast.stmt], function: FunctionInfo | None) -> Facts:
        facts = Facts()
        pending: list[tuple[ast.AST | list[ast.stmt], FunctionInfo | None, int]] = [(root, function, 0)]
        seen: set[int] = {id(root)}
        while pending:
            node, scope, depth = pending.pop(0)
            visitor = _FactVisitor(self, scope, facts, top=depth == 0)
            visitor.walk(node.body if isinstance(node, FUNCTIONS) else node)
            for callee in visitor.callees:
                if depth < _FOLLOW_DEPTH and id(callee.node) not in seen:
                    seen.add(id(callee.node))
                    pending.append((callee.node, callee, depth + 1))
        return facts

    def imported_callee(self, func: ast.expr, function: FunctionInfo | None) -> list[tuple[str, str]]:
        """Where a call into another module of the project may lead, as (module path, function) pairs:
        `get_history()` and `history_service.get_history()` imported by name, `self.repo.list()` on an
        instance of an imported class. Whether the module is the project's own, the engine decides."""
        imported = self.index.imported_from
        if isinstance(func, ast.Name) and func.id in imported:
            module, name = imported[func.id]
            return [(module_path(self.source.path, module), name)]
        if not isinstance(func, ast.Attribute):
            return []
        receiver, method = func.value, func.attr
        if isinstance(receiver, ast.Name) and receiver.id in imported:
            module, name = imported[receiver.id]
            path = module_path(self.source.path, module)
            return [(f"{path}/{name}", method), (path, f"{name}.{method}")]  # a module, or a class or instance
        klass = self._instance_class(receiver, function)
        if klass is not None and klass in imported:
            module, name = imported[klass]
            return [(module_path(self.source.path, module), f"{name}.{method}")]
        return []

    def _instance_class(self, receiver: ast.expr, function: FunctionInfo | None) -> str | None:
        """The class a receiver was made from: `self.repo = HistoryRepository(pool)`, `repo: HistoryRepository`."""
        scope = function
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
            bound, scope = self.values.attribute(function, receiver.attr)
        elif isinstance(receiver, ast.Name):
            bound, _ = self.values.lookup(receiver.id, function)
            if bound is None and function is not None:
                bound = _annotation(function, receiver.id)
        else:
            return None
        if isinstance(bound, ast.Name) and scope is not None:  # `self.repo = repo`, with `repo: Repo`
            bound = _annotation(scope, bound.id) or bound
        if isinstance(bound, ast.Call):
            bound = bound.func
        return bound.id if isinstance(bound, ast.Name) else None

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
            module = module_path(self.source.path, self.index.imported_from[model][0])
        elif klass is not None:
            module = self.source.path.removesuffix(".py")
        else:
            return self.model_table(model)
        parts = module.split("/")
        position = parts.index("models") if "models" in parts else 0
        if position == 0:
            return self.model_table(model)  # no app package to name the table after
        return f"{parts[position - 1]}_{model.lower()}"

    def is_state_comparison(self, test: ast.expr, function: FunctionInfo | None) -> bool:
        """`if rows != last:`, `if digest == self._last: continue`, `if did_sync:`, `if changed(x):`."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test = test.operand
        if isinstance(test, ast.BoolOp):
            return any(self.is_state_comparison(value, function) for value in test.values)
        if isinstance(test, ast.Compare):
            return any(
                isinstance(op, ast.Eq | ast.NotEq) and not is_literal(test.left) and not is_literal(comparator)
                for op, comparator in zip(test.ops, test.comparators, strict=True)
            )
        if isinstance(test, ast.Call):
            return bool(_STATE_CALL.search(final_name(test.func) or ""))
        if isinstance(test, ast.Name | ast.Attribute):
            name = final_name(test) or ""
            if _STATE_NAME.search(name):
                return True
            bound = function.assignments.get(name, []) if function and isinstance(test, ast.Name) else []
            return any(
                (isinstance(value, ast.Call) and _STATE_CALL.search(final_name(value.func) or "")) or _is_delta(value)
                for value in bound
            )
        return False


def _annotation(function: FunctionInfo, name: str) -> ast.expr | None:
    args = function.node.args
    for param in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if param.arg == name and param.annotation is not None:
            return param.annotation
    return None


class _FactVisitor(Walker):
    """Collects the facts of one body (a loop, or a same-file function it calls)."""

    def __init__(self, reads: Reads, function: FunctionInfo | None, facts: Facts, *, top: bool) -> None:
        self._top = top
        self._reads = reads
        self._index = reads.index
        self._function = function
        self._facts = facts
        self._state_ifs = 0
        self._dropped: set[int] = set()  # calls whose result is thrown away: `requests.post(url)`
        self.callees: list[FunctionInfo] = []

    def enter_Expr(self, node: ast.Expr) -> None:
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        self._dropped.add(id(value))

    def enter_FunctionDef(self, node: ast.AST) -> bool:
        return False

    enter_AsyncFunctionDef = enter_ClassDef = enter_FunctionDef

    def enter_If(self, node: ast.If) -> bool:
        self.walk(node.test)
        compares = self._reads.is_state_comparison(node.test, self._function)
        guard = any(
            isinstance(statement, ast.Continue | ast.Return) for statement in node.body
        )  # `if data == self._last: continue`
        self._facts.compares_state |= compares and guard
        self._state_ifs += compares
        self.walk(node.body)
        self._state_ifs -= compares
        self.walk(node.orelse)
        return False

    def enter_Attribute(self, node: ast.Attribute) -> None:
        model = node.value.id if isinstance(node.value, ast.Name) else ""
        if node.attr == "objects" and is_class_name(model):  # Django `Job.objects.filter(...)`
            self._table(model, self._reads.django_table(model))
        elif node.attr == "query" and is_class_name(model):  # Flask-SQLAlchemy `Job.query.all()`
            self._table(model, self._reads.model_table(model))

    def enter_Call(self, node: ast.Call) -> None:
        facts = self._facts
        qualified = self._index.qualify(node.func) or ""
        name = final_name(node.func) or ""
        receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
        callee = self._index.resolve(node.func, self._function)
        if callee is not None:
            self.callees.append(callee)
        for value in argument_values(node):
            handed = self._index.resolve(value, self._function)
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
        if is_log(self._index, node):
            facts.logs_activity = recognised = True
        if _RECONNECT_NAME.search(name) and not qualified.startswith(_DB_MODULES):
            facts.restores_connection = recognised = True
        if name in _PINGS:
            facts.probes_connection = recognised = True
        if qualified in SLEEPS or name == "wait" or qualified in _PURE_CALLS or name in _PURE_METHODS:
            recognised = True
        facts.reads_queue |= name in _QUEUE_READS
        if self._top and (callee is not None or not recognised):
            facts.work.append(qualified or name)
        if not recognised:
            facts.opaque_calls = True
            for target in self._reads.imported_callee(node.func, self._function):
                if target not in facts.project_calls:
                    facts.project_calls.append(target)

    def _sql(self, node: ast.Call, name: str, receiver: str | None) -> bool:
        candidates = [positional(node, 0), keyword(node, "query"), keyword(node, "sql")]
        texts = [self._reads.values.string(candidate, self._function, hole=HOLE) for candidate in candidates]
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

    def _orm(self, node: ast.Call, qualified: str, name: str) -> bool:
        is_select = qualified in _SELECT_CALLS
        is_query = name == "query" and isinstance(node.func, ast.Attribute)
        receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
        is_get = (  # SQLAlchemy session.get(Model, id), not an HTTP session's get(url)
            name == "get" and "session" in (receiver or "").lower() and receiver not in self._index.http_clients
        )
        if not (is_select or is_query or is_get):
            return False
        arguments = argument_values(node)
        tables = [table for value in (arguments[:1] if is_get else arguments) if (table := self._model_argument(value))]
        self._facts.tables.update(tables)
        self._facts.database |= bool(tables) or is_select
        return bool(tables) or is_select

    def _model_argument(self, value: ast.expr) -> str | None:
        if isinstance(value, ast.Attribute):  # select(Job.id, Job.status)
            value = value.value
        if not isinstance(value, ast.Name):
            return None
        if value.id in self._index.table_objects:
            return self._index.table_objects[value.id]
        if not is_class_name(value.id):
            return None
        table = self._reads.model_table(value.id)
        self._model_reference(value.id, table)
        return table

    def _table(self, model: str, table: str) -> None:
        self._facts.tables.add(table)
        self._model_reference(model, table)

    def _model_reference(self, model: str, table: str) -> None:
        """A model imported from another module: its own table name (`__tablename__`) is there."""
        if model in self._index.imported_from and model not in self._index.classes:
            module, name = self._index.imported_from[model]
            reference = (module_path(self._reads.source.path, module), name, table)
            if reference not in self._facts.models:
                self._facts.models.append(reference)

    def _http(self, node: ast.Call, qualified: str, name: str, receiver: str | None) -> bool:
        via_module = qualified.startswith(_HTTP_MODULES) and name in _HTTP_VERBS
        via_client = receiver is not None and receiver in self._index.http_clients and name in _HTTP_VERBS
        via_api = receiver is not None and _is_api_read(receiver, name)
        if not (via_module or via_client or via_api):
            return False
        self._facts.http = True
        self._facts.http_response_used |= id(node) not in self._dropped
        url = positional(node, 1 if name == "request" else 0, "url")
        if url is not None:
            text = self._reads.values.string(url, self._function) or self._reads.source.code(url)
            if text not in self._facts.urls:
                self._facts.urls.append(text)
        return True

    @staticmethod
    def _is_broadcast(name: str, receiver: str | None) -> bool:
        if name in _BROADCASTS or name.startswith("broadcast"):
            return True
        lowered = (receiver or "").lower()
        if name == "publish" and "redis" in lowered:
            return True  # Redis pub/sub: `redis.publish("queue", payload)` fans out to subscribers
        if name.startswith("send_") and ("manager" in lowered or "websocket" in lowered):
            return True
        return name == "send" and ("websocket" in lowered or lowered.split(".")[-1] in {"ws", "_ws"})

    def _message_types(self, node: ast.Call) -> Iterator[str]:
        for value in argument_values(node):
            if isinstance(value, ast.Name) and self._function is not None:
                bound = self._function.assignments.get(value.id, [])
                value = bound[0] if len(bound) == 1 else value
            for found in collect(value, ast.Dict):
                assert isinstance(found, ast.Dict)
                for key, item in zip(found.keys, found.values, strict=True):
                    if text_of(key) == "type" and (message_type := text_of(item)) is not None:
                        yield message_type
