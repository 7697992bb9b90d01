"""The TypeScript/JavaScript detector: tree-sitter source -> PollingSite facts, no judgement.

Finds data-fetching libraries' interval options (TanStack/Vue Query, SWR, Apollo, RTK Query),
timers that fetch (`setInterval`, re-arming `setTimeout`), home-grown polling helpers and their
call sites, manual-refresh queries, Node backend watchers that query a database, the routes a
Node backend serves, and the message types a WebSocket handler reacts to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from polldetox.findings import Context, FileFacts, PollingSite, Polls, Route, SiteKind, Suppression
from polldetox.scan.sql import tables_read
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    arguments,
    callee_name,
    descendants,
    language_of,
    pair_key,
    parse,
    property_name,
    snippet,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_values import Value, Values
from polldetox.scan.ts_values import exported_constants as exported_constants
from polldetox.suppressions import parse_suppression

# A file containing none of these is never parsed: every trigger below needs one of them.
TRIGGER_TOKENS: tuple[bytes, ...] = (
    b"refetchInterval",
    b"refreshInterval",
    b"pollInterval",
    b"pollingInterval",
    b"startPolling",
    b"setInterval",
    b"setTimeout",
    b"staleTime",
    b"usePoll",
    b"useInterval",
    b"createPoller",
    b"poll(",
    b"polldetox",
    b".get(",
    b".post(",
    b".put(",
    b".patch(",
    b".delete(",
    b".all(",
)

_OPTION_MECHANISMS = {
    "refetchInterval": "useQuery refetchInterval",
    "refreshInterval": "useSWR refreshInterval",
    "pollInterval": "Apollo pollInterval",
    "pollingInterval": "RTK Query pollingInterval",
}
_INTERVAL_TIMERS = frozenset({"setInterval", "window.setInterval", "globalThis.setInterval"})
_TIMEOUTS = frozenset({"setTimeout", "window.setTimeout", "globalThis.setTimeout"})
_KNOWN_ENGINES = frozenset({"usePolling", "usePoll", "useInterval", "createPoller", "poll", "startPolling"})
_INTERVAL_OPTION_KEYS = frozenset({"interval", "intervalMs", "delay", "ms", "every", "period"})
_CALLBACK_OPTION_KEYS = frozenset({"fn", "callback", "task", "fetcher", "queryFn", "onTick", "poll"})

_FETCH_CALLS = frozenset({"fetch", "axios", "ky", "refetch", "$fetch", "ofetch", "got", "mutate"})
_FETCHISH_NAME = re.compile(r"^(fetch|load|refetch|refresh|reload|revalidate)[A-Z_]")
_CACHE_REFETCHES = frozenset({"invalidateQueries", "refetchQueries", "refetch", "fetchQuery", "revalidate"})
_HTTP_OBJECTS = frozenset({"axios", "ky", "api", "http", "client", "apiClient", "httpClient", "$http", "superagent"})
_CLIENT_OBJECT = re.compile(r"(client|api|service)$", re.IGNORECASE)
_SQL_METHODS = frozenset(
    {"query", "execute", "raw", "any", "many", "one", "oneOrNone", "manyOrNone", "prepare", "$queryRaw"}
)
_SQL_TEXT = re.compile(r"^\s*(select|with|update|delete|insert)\b", re.IGNORECASE)
_PRISMA_READS = frozenset({"findMany", "findFirst", "findUnique", "count", "aggregate", "groupBy", "updateMany"})
_BROADCAST_EMITTERS = frozenset({"io", "socket", "server", "nsp", "namespace"})
_EQUALITY = frozenset({"===", "!==", "==", "!="})
_STATE_WORDS = re.compile(r"last|prev|previous|known|seen|cached", re.IGNORECASE)
_FALLBACK_WORDS = re.compile(r"fallback|disconnected|offline|degraded", re.IGNORECASE)
_CONNECTED_WORDS = re.compile(r"connected|online|isopen", re.IGNORECASE)
_DURATION_WORDS = re.compile(r"fallback|elapsed|duration|since", re.IGNORECASE)
_COMPARISONS = frozenset({">", ">=", "<", "<="})
_FUNCTION_WRAPPERS = frozenset(
    {"useCallback", "useMemo", "memo", "forwardRef", "observer", "React.memo", "React.forwardRef", "React.useCallback"}
)
_REACT_CLASSES = frozenset({"Component", "PureComponent", "React.Component", "React.PureComponent"})
_DATABASE_MODULES = frozenset(
    {
        "pg",
        "pg-promise",
        "postgres",
        "mysql",
        "mysql2",
        "mysql2/promise",
        "@prisma/client",
        "knex",
        "mongoose",
        "mongodb",
        "sequelize",
        "better-sqlite3",
        "sqlite3",
    }
)
_BACKEND_FOLDERS = frozenset({"server", "backend", "jobs", "workers", "worker"})
_ROUTE_METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "all": "*"}
_ROUTERS = re.compile(r"^(app|router|server|\w+Router)$")
_ROUTER_FACTORIES = frozenset({"express", "Router", "express.Router", "Koa", "KoaRouter"})
_EVENT_HANDLER_CALLS = frozenset({"addEventListener", "on", "once"})
_READ_DEPTH = 2  # same-file functions followed from a callback


def detect(source: str, path: str) -> FileFacts:
    """Every polling fact of one TypeScript/JavaScript file."""
    return _Detector(parse(source, path)).facts()


@dataclass(slots=True)
class _Reads:
    """What a callback does on each tick, gathered from its body and the functions it calls."""

    fetches: bool = False  # HTTP request or a query-cache refetch
    database: bool = False
    urls: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    broadcasts: bool = False
    typed: list[str] = field(default_factory=list)  # `type: '...'` values of objects it builds
    compares_state: bool = False
    logs_activity: bool = False
    logs_warning: bool = False

    @property
    def reads(self) -> bool:
        return self.fetches or self.database

    def add_url(self, url: str) -> None:
        if url not in self.urls:
            self.urls.append(url)


@dataclass(frozen=True, slots=True)
class _Option:
    """A polling option's value: the interval (None when unknown) and whether it only runs as a fallback."""

    value: Value | None
    fallback: bool = False


@dataclass(slots=True)
class _QueryFacts:
    query_key: str | None = None
    reads: _Reads = field(default_factory=_Reads)
    in_background: bool = False
    fallback: bool = False
    usage: Node | None = None  # where options defined elsewhere are used


class _Detector:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.values = Values(tree)
        self.language = language_of(tree.path)
        self.functions: dict[str, Node] = {}  # same-file function name -> function node
        self.methods: dict[str, Node] = {}  # class method or arrow field -> function node
        self._collect_functions()
        self.react = any(
            m == "react" or m.startswith(("react-", "react/", "@tanstack/react")) for m in self.values.modules
        )
        self.react = self.react or bool(tree.of("jsx_attribute")) or self._has_jsx(tree.root)
        self.backend = self._is_backend()
        self.engines: set[str] = set()
        self.sites: list[PollingSite] = []

    # --- the file's functions -----------------------------------------------------------------

    def _collect_functions(self) -> None:
        for node in (*self.tree.of("function_declaration"), *self.tree.of("generator_function_declaration")):
            self.functions.setdefault(text(node.child_by_field_name("name")), node)
        for declarator in self.tree.of("variable_declarator"):
            name, value = (
                declarator.child_by_field_name("name"),
                _function_value(declarator.child_by_field_name("value")),
            )
            if name is not None and name.type == "identifier" and value is not None:
                self.functions.setdefault(text(name), value)
        for method in self.tree.of("method_definition"):
            self.methods.setdefault(text(method.child_by_field_name("name")), method)
        for field_definition in self.tree.of("public_field_definition"):
            value = _function_value(field_definition.child_by_field_name("value"))
            if value is not None:
                self.methods.setdefault(text(field_definition.child_by_field_name("name")), value)

    def _has_jsx(self, node: Node) -> bool:
        return any(n.type in ("jsx_element", "jsx_self_closing_element", "jsx_fragment") for n in descendants(node))

    def _is_backend(self) -> bool:
        if self.react:
            return False
        folders = set(self.tree.path.split("/")[:-1])
        return bool(self.values.modules & _DATABASE_MODULES) or bool(folders & _BACKEND_FOLDERS)

    # --- the facts ------------------------------------------------------------------------------

    def facts(self) -> FileFacts:
        calls = self.tree.of("call_expression")
        for call in calls:
            name = callee_name(call)
            if name in _INTERVAL_TIMERS:
                self._interval_timer(call)
            elif name in _TIMEOUTS:
                self._timeout_loop(call)
        for call in calls:
            self._engine_call_or_start_polling(call)
        self._query_options()
        self._manual_refreshes()
        return FileFacts(
            path=self.tree.path,
            language=self.language,
            sites=tuple(sorted(self.sites, key=lambda s: (s.location.line, s.location.column, s.kind))),
            routes=self._routes(),
            handled_message_types=self._handled_message_types(),
            suppressions=self._suppressions(),
        )

    def _suppressions(self) -> tuple[Suppression, ...]:
        found = (parse_suppression(text(c), c.start_point[0] + 1) for c in self.tree.of("comment"))
        return tuple(s for s in found if s is not None)

    # --- timers ---------------------------------------------------------------------------------

    def _interval_timer(self, call: Node) -> None:
        args = arguments(call)
        if not args:
            return
        delay = self.values.evaluate(args[1]) if len(args) > 1 else None
        function, _ = self._where(call)
        reads = self._callback_reads(args[0])
        if reads.reads:
            self._add(SiteKind.INTERVAL_TIMER, "setInterval", call, delay, reads)
        elif self._calls_parameter(call, args[0]):
            if function is not None:
                self.engines.add(function.split(".")[-1])
            self._add(SiteKind.POLLING_ENGINE, f"{function or 'helper'}() wraps setInterval", call, delay, None)

    def _timeout_loop(self, call: Node) -> None:
        """A setTimeout that re-arms the function it is in: a polling loop if that function fetches."""
        args = arguments(call)
        if not args:
            return
        target = self._rearmed_function(call, args[0])
        if target is None:
            return
        delay = self.values.evaluate(args[1]) if len(args) > 1 else None
        function, _ = self._where(call)
        reads = self._reads(target)
        if reads.reads:
            self._add(SiteKind.TIMEOUT_LOOP, "recursive setTimeout", call, delay, reads, detail="reschedules itself")
        elif self._calls_parameter(call, target):
            if function is not None:
                self.engines.add(function.split(".")[-1])
            self._add(SiteKind.POLLING_ENGINE, f"{function or 'helper'}() re-arms setTimeout", call, delay, None)

    def _rearmed_function(self, call: Node, callback: Node) -> Node | None:
        """The enclosing function a setTimeout schedules again, if it does."""
        enclosing = {name: node for node in _ancestors(call) if (name := self._own_name(node)) is not None}
        if not enclosing:
            return None
        callback = unwrap(callback)
        if callback is None:
            return None
        if callback.type in ("identifier", "member_expression"):
            return enclosing.get(text(callback).removeprefix("this."))
        if callback.type in FUNCTION_TYPES:
            for node in descendants(callback):
                if node.type == "call_expression" and (
                    target := enclosing.get(callee_name(node).removeprefix("this."))
                ):
                    return target
        return None

    def _calls_parameter(self, call: Node, callback: Node) -> bool:
        """Whether a timer's callback is, or calls, a function the enclosing function was handed."""
        parameters: set[str] = set()
        for node in _ancestors(call):
            if node.type in FUNCTION_TYPES:
                parameters |= _parameters(node)
        if not parameters:
            return False
        callback = unwrap(callback)
        if callback is None:
            return False
        if callback.type == "identifier":
            return text(callback) in parameters
        if callback.type not in FUNCTION_TYPES:
            return False
        refs = self._refs_of(call, parameters)
        for node in descendants(callback):
            if node.type == "call_expression":
                name = callee_name(node)
                if name in parameters or (name.endswith(".current") and name.removesuffix(".current") in refs):
                    return True
        return False

    def _refs_of(self, call: Node, parameters: set[str]) -> set[str]:
        """`savedCallback` in `const savedCallback = useRef(fn)` / `savedCallback.current = fn`."""
        scope = _outermost_function(call) or self.tree.root
        refs: set[str] = set()
        for node in descendants(scope):
            if node.type == "variable_declarator":
                value = unwrap(node.child_by_field_name("value"))
                if value is not None and value.type == "call_expression" and callee_name(value).endswith("useRef"):
                    args = arguments(value)
                    if args and text(args[0]) in parameters:
                        refs.add(text(node.child_by_field_name("name")))
            elif node.type == "assignment_expression":
                left = text(node.child_by_field_name("left"))
                if left.endswith(".current") and text(node.child_by_field_name("right")) in parameters:
                    refs.add(left.removesuffix(".current"))
        return refs

    # --- polling helpers' call sites and Apollo startPolling -----------------------------------

    def _engine_call_or_start_polling(self, call: Node) -> None:
        function_node = call.child_by_field_name("function")
        name = callee_name(call)
        args = arguments(call)
        if function_node is not None and function_node.type == "member_expression":
            if property_name(call) == "startPolling" and len(args) == 1:
                self._add(SiteKind.START_POLLING, "Apollo startPolling", call, self.values.evaluate(args[0]), None)
            return
        if name not in self.engines and name not in _KNOWN_ENGINES:
            return
        enclosing, _ = self._where(call)
        if enclosing is not None and enclosing.split(".")[-1] == name:
            return  # the helper calling itself is the engine, not a use of it
        reads, interval = self._engine_arguments(args)
        if reads is not None:
            where = "defined in this file" if name in self.engines else "imported"
            self._add(SiteKind.ENGINE_CALL, f"{name}() polling helper", call, interval, reads, detail=where)
        elif name == "startPolling" and len(args) == 1:
            self._add(SiteKind.START_POLLING, "Apollo startPolling", call, self.values.evaluate(args[0]), None)

    def _engine_arguments(self, args: list[Node]) -> tuple[_Reads | None, Value | None]:
        """The fetching callback handed to a polling helper, and the interval it is given."""
        reads: _Reads | None = None
        interval: Value | None = None
        for arg in args:
            node = unwrap(arg)
            if node is None:
                continue
            if node.type == "object":
                for pair in node.named_children:
                    if pair.type != "pair":
                        continue
                    key, value = pair_key(pair), pair.child_by_field_name("value")
                    if key in _CALLBACK_OPTION_KEYS and reads is None:
                        candidate = self._callback_reads(value)
                        reads = candidate if candidate.reads else None
                    elif key in _INTERVAL_OPTION_KEYS and interval is None:
                        interval = self.values.evaluate(value)
                continue
            if reads is None and node.type in (*FUNCTION_TYPES, "identifier", "member_expression"):
                candidate = self._callback_reads(node)
                if candidate.reads:
                    reads = candidate
                    continue
            if interval is None:
                interval = self.values.evaluate(node)
        return reads, interval

    # --- what a callback reads --------------------------------------------------------------------

    def _callback_reads(self, callback: Node | None) -> _Reads:
        callback = unwrap(callback)
        reads = _Reads()
        if callback is None:
            return reads
        if callback.type in FUNCTION_TYPES:
            return self._reads(callback)
        name = text(callback)
        target = self.functions.get(name) if callback.type == "identifier" else None
        if callback.type == "member_expression" and name.startswith("this."):
            target = self.methods.get(name.removeprefix("this."))
        if target is not None:
            return self._reads(target)
        last = name.split(".")[-1]
        reads.fetches = last in _FETCH_CALLS or bool(_FETCHISH_NAME.match(last))
        return reads

    def _reads(self, function: Node, depth: int = _READ_DEPTH, seen: set[int] | None = None) -> _Reads:
        reads = _Reads()
        self._read_into(function, reads, depth, seen if seen is not None else {function.id})
        if not reads.broadcasts:
            reads.typed.clear()
        return reads

    def _read_into(self, root: Node, reads: _Reads, depth: int, seen: set[int]) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if node is not root and _is_event_handler(node):
                continue  # a socket's onmessage runs on events, not on the timer's tick
            kind = node.type
            if kind == "call_expression":
                self._read_call(node, reads, depth, seen)
            elif kind == "binary_expression" and text(node.child_by_field_name("operator")) in _EQUALITY:
                if _STATE_WORDS.search(text(node)):
                    reads.compares_state = True
            elif kind == "for_in_statement" and text(node.child_by_field_name("right")).endswith("clients"):
                reads.broadcasts = True
            elif kind == "pair" and pair_key(node) == "type":
                value = string_value(node.child_by_field_name("value"))
                if value and value not in reads.typed:
                    reads.typed.append(value)
            stack.extend(reversed(node.children))

    def _read_call(self, call: Node, reads: _Reads, depth: int, seen: set[int]) -> None:
        function = call.child_by_field_name("function")
        if function is None:
            return
        name, prop, args = text(function), property_name(call), arguments(call)
        if function.type == "identifier":
            self._read_plain_call(name, call, args, reads, depth, seen)
            return
        if function.type != "member_expression":
            return
        owner = text(function.child_by_field_name("object"))
        root = owner.split(".")[0].split("(")[0]
        if owner == "console":
            reads.logs_warning |= prop == "warn"
            reads.logs_activity |= prop in ("log", "info", "debug")
        elif owner.lower().endswith("logger") and prop in ("warn", "warning", "info", "debug", "log"):
            reads.logs_warning |= prop.startswith("warn")
            reads.logs_activity |= not prop.startswith("warn")
        elif prop in _SQL_METHODS and (sql := self._sql_argument(args)) is not None:
            reads.database = True
            reads.tables.extend(t for t in tables_read(sql) if t not in reads.tables)
        elif root == "prisma" and prop in _PRISMA_READS:
            reads.database = True
            table = owner.split(".")[-1]
            if table not in reads.tables:
                reads.tables.append(table)
        elif prop in _CACHE_REFETCHES:
            reads.fetches = True
        elif _broadcasts(prop, owner, root):
            reads.broadcasts = True
        elif root == "this" or owner in ("props", "this.props"):
            target = self.methods.get(prop) if owner == "this" else None
            if target is not None:
                self._follow(target, reads, depth, seen)
            elif _FETCHISH_NAME.match(prop):
                reads.fetches = True
        elif (
            "(" not in owner
            and prop != "send"
            and (root in _HTTP_OBJECTS or _CLIENT_OBJECT.search(owner.split(".")[-1]))
        ):
            reads.fetches = True
            urls = self._url_arguments(args)
            for url in urls or [f"{owner}.{prop}"]:
                reads.add_url(url)

    def _read_plain_call(
        self, name: str, call: Node, args: list[Node], reads: _Reads, depth: int, seen: set[int]
    ) -> None:
        if name in _FETCH_CALLS:
            reads.fetches = True
            for url in self._url_arguments(args):
                reads.add_url(url)
        elif name == "dispatch":
            action = unwrap(args[0]) if args else None
            if action is not None and action.type == "call_expression":
                reads.fetches |= bool(_FETCHISH_NAME.match(property_name(action))) or self._is_thunk(action)
        elif name == "sql" and args and unwrap(args[0]) is not None and unwrap(args[0]).type == "template_string":
            reads.database = True
            reads.tables.extend(t for t in tables_read(string_value(args[0]) or "") if t not in reads.tables)
        elif name in self.functions:
            self._follow(self.functions[name], reads, depth, seen)
        elif name.startswith("broadcast"):
            reads.broadcasts = True
        elif _FETCHISH_NAME.match(name):
            reads.fetches = True

    def _follow(self, function: Node, reads: _Reads, depth: int, seen: set[int]) -> None:
        if depth > 0 and function.id not in seen:
            seen.add(function.id)
            self._read_into(function, reads, depth - 1, seen)

    def _is_thunk(self, action: Node) -> bool:
        """`dispatch(loadQueue())` where `loadQueue = createAsyncThunk(...)` in this file."""
        value = self.values.constants.get(property_name(action))
        return value is not None and value.type == "call_expression" and callee_name(value).endswith("createAsyncThunk")

    def _sql_argument(self, args: list[Node]) -> str | None:
        if not args:
            return None
        first = unwrap(args[0])
        if first is not None and first.type == "identifier" and text(first) in self.values.constants:
            first = self.values.constants[text(first)]
        sql = string_value(first)
        return sql if sql is not None and _SQL_TEXT.match(sql) else None

    def _url_arguments(self, args: list[Node]) -> list[str]:
        urls = []
        for arg in args[:1]:
            node = unwrap(arg)
            if node is not None and node.type == "identifier" and text(node) in self.values.constants:
                node = self.values.constants[text(node)]
            value = string_value(node)
            if value and value.startswith(("/", "http://", "https://", "${")):
                urls.append(value)
        return urls

    # --- query library options --------------------------------------------------------------------

    def _query_options(self) -> None:
        options = [(pair, pair.child_by_field_name("value")) for pair in self.tree.of("pair")]
        options += [(short, short) for short in self.tree.of("shorthand_property_identifier")]
        for node, value in options:
            key = pair_key(node) if node.type == "pair" else text(node)
            if key not in _OPTION_MECHANISMS or node.parent is None or node.parent.type != "object":
                continue
            option = self._option(value)
            if option is None:
                continue
            query = self._query_facts(node.parent)
            query.reads.fetches = True  # the query library fetches on each tick, whatever the query function is
            self._add(
                SiteKind.QUERY_OPTION,
                _OPTION_MECHANISMS[key],
                node,
                option.value,
                query.reads,
                query_key=query.query_key,
                in_background=query.in_background,
                fallback=option.fallback or query.fallback,
                context_node=query.usage,
            )

    def _option(self, node: Node | None, depth: int = 0) -> _Option | None:
        """How a polling option polls, or None when its value turns polling off (false, 0)."""
        node = unwrap(node)
        if node is None or depth > 6 or node.type in ("false", "null", "undefined", "true"):
            return None
        if node.type == "identifier" and text(node) == "undefined":
            return None
        if node.type == "ternary_expression":
            condition = node.child_by_field_name("condition")
            when_true = self._option(node.child_by_field_name("consequence"), depth + 1)
            when_false = self._option(node.child_by_field_name("alternative"), depth + 1)
            if when_true is not None and when_false is not None:
                return when_true
            if when_true is not None:
                return _Option(when_true.value, when_true.fallback or _fallback_condition(condition, True))
            if when_false is not None:
                return _Option(when_false.value, when_false.fallback or _fallback_condition(condition, False))
            return None
        if node.type in FUNCTION_TYPES:
            returned = [option for r in _returned(node) if (option := self._option(r, depth + 1)) is not None]
            if not returned:
                return None
            known = next((o.value for o in returned if o.value is not None and o.value.ms is not None), None)
            return _Option(known or returned[0].value, any(o.fallback for o in returned))
        if node.type in ("identifier", "shorthand_property_identifier") and text(node) in self.values.constants:
            return self._option(self.values.constants[text(node)], depth + 1)
        value = self.values.evaluate(node) if node.type != "shorthand_property_identifier" else None
        if value is None and node.type == "shorthand_property_identifier":
            value = self.values.lookup(text(node), depth)
        if value is not None and value.ms is not None and value.ms <= 0:
            return None
        return _Option(value)

    def _query_facts(self, options: Node, depth: int = 0) -> _QueryFacts:
        """The query an options object belongs to: its key, what its fetch function reads, its flags."""
        facts = _QueryFacts()
        self._merge_options(options, facts)
        call = _call_of_argument(options)
        if call is not None:
            args = arguments(call)
            position = next((i for i, a in enumerate(args) if unwrap(a) == options), 0)
            if position >= 1:  # useSWR(key, fetcher, options), useQuery(key, fn, options)
                key = unwrap(args[0])
                facts.query_key = facts.query_key or _flat(key)
                if (url := string_value(key)) is not None and url.startswith(("/", "http")):
                    facts.reads.add_url(url)
                if position >= 2:
                    self._merge_reads(facts.reads, self._callback_reads(args[1]))
        holder = _declared_name(options)
        if holder is not None and depth == 0:
            for usage in self._usages(holder):
                facts.usage = facts.usage or usage
                if usage.type == "object":
                    used = self._query_facts(usage, depth + 1)
                    facts.query_key = facts.query_key or used.query_key
                    facts.in_background |= used.in_background
                    facts.fallback |= used.fallback
                    self._merge_reads(facts.reads, used.reads)
        return facts

    def _merge_options(self, options: Node, facts: _QueryFacts) -> None:
        for pair in options.named_children:
            if pair.type != "pair":
                continue
            key, value = pair_key(pair), pair.child_by_field_name("value")
            if key == "queryKey":
                facts.query_key = _flat(value)
            elif key in ("queryFn", "fetcher", "queryFunction"):
                self._merge_reads(facts.reads, self._callback_reads(value))
            elif key in ("refetchIntervalInBackground", "refreshWhenHidden"):
                facts.in_background = text(value) == "true"
            elif key == "enabled":
                facts.fallback = _fallback_condition(value, True)

    def _merge_reads(self, into: _Reads, other: _Reads) -> None:
        into.fetches |= other.fetches
        into.database |= other.database
        for url in other.urls:
            into.add_url(url)

    def _usages(self, name: str) -> list[Node]:
        """Objects that spread `...name`, and calls that are passed `name`."""
        found = []
        for spread in self.tree.of("spread_element"):
            inner = spread.named_children[0] if spread.named_children else None
            if inner is not None and text(inner) == name and spread.parent is not None:
                found.append(spread.parent)
        for call in self.tree.of("call_expression"):
            if any(a.type == "identifier" and text(a) == name for a in arguments(call)):
                found.append(call)
        return found

    # --- Exception 4: manual refresh -------------------------------------------------------------

    def _manual_refreshes(self) -> None:
        for pair in self.tree.of("pair"):
            if pair_key(pair) != "staleTime" or pair.parent is None:
                continue
            if text(pair.child_by_field_name("value")) not in ("Infinity", "Number.POSITIVE_INFINITY"):
                continue
            options = pair.parent
            if any(p.type == "pair" and pair_key(p) in _OPTION_MECHANISMS for p in options.named_children):
                continue
            call = _call_of_argument(options)
            holder = _declared_name(options)
            if call is None and holder is not None:
                call = next((u for u in self._usages(holder) if u.type == "call_expression"), None)
            refetch = _destructured(call, "refetch") if call is not None else None
            if call is None or refetch is None or not self._wired_to_user_action(call, refetch):
                continue
            query = self._query_facts(options)
            query.reads.fetches = True
            self._add(
                SiteKind.MANUAL_REFRESH,
                "useQuery staleTime: Infinity + manual refetch",
                pair,
                None,
                query.reads,
                query_key=query.query_key,
                context_node=call,
            )

    def _wired_to_user_action(self, call: Node, refetch: str) -> bool:
        """Whether an `on...` JSX attribute in the same component calls `refetch`."""
        scope = _outermost_function(call) or self.tree.root
        handlers = {
            name
            for name, node in self.functions.items()
            if scope.start_byte <= node.start_byte < scope.end_byte and _calls(node, refetch)
        }
        for attribute in self.tree.of("jsx_attribute"):
            if not scope.start_byte <= attribute.start_byte < scope.end_byte:
                continue
            name = attribute.named_children[0] if attribute.named_children else None
            if name is None or not text(name).startswith("on"):
                continue
            if any(n.type == "identifier" and text(n) in (refetch, *handlers) for n in descendants(attribute)):
                return True
        return False

    # --- one site ---------------------------------------------------------------------------------

    def _add(
        self,
        kind: SiteKind,
        mechanism: str,
        node: Node,
        interval: Value | None,
        reads: _Reads | None,
        *,
        query_key: str | None = None,
        in_background: bool = False,
        fallback: bool = False,
        context_node: Node | None = None,
        detail: str | None = None,
    ) -> None:
        function, context = self._where(node)
        if function is None and context_node is not None:
            function, context = self._where(context_node)
        reads = reads or _Reads()
        fallback = fallback or self._guarded_by_fallback(node)
        extra = self._fallback_facts(context_node or node) if fallback else {}
        polls = Polls.DATABASE if reads.database else Polls.HTTP if reads.fetches else Polls.UNKNOWN
        self.sites.append(
            PollingSite(
                kind=kind,
                mechanism=mechanism,
                language=self.language,
                location=self.tree.location(node),
                snippet=snippet(node),
                function=function,
                context=context,
                interval_seconds=interval.ms / 1000 if interval is not None and interval.ms is not None else None,
                interval_ref=interval.ref if interval is not None else None,
                polls=polls,
                tables=tuple(reads.tables),
                urls=tuple(reads.urls),
                query_key=query_key,
                broadcasts=reads.broadcasts,
                compares_state=reads.compares_state,
                message_types=tuple(reads.typed),
                in_background=in_background,
                interval_env_var=interval.env if interval is not None else None,
                logs_activity=reads.logs_activity,
                logs_warning=reads.logs_warning or bool(extra.get("logs_warning")),
                fallback_only=fallback,
                max_duration_seconds=extra.get("max_duration_seconds"),  # type: ignore[arg-type]
                restores_connection=bool(extra.get("restores_connection")),
                detail=detail,
            )
        )

    def _where(self, node: Node) -> tuple[str | None, Context]:
        """The enclosing component/hook/method name, and what kind of place it is."""
        outer: Node | None = None
        name: str | None = None
        owner_class: Node | None = None
        for ancestor in _ancestors(node):
            if ancestor.type in ("class_declaration", "class", "abstract_class_declaration"):
                owner_class = ancestor
                break
            if ancestor.type in FUNCTION_TYPES and (own := self._own_name(ancestor)) is not None:
                outer, name = ancestor, own
        if owner_class is not None:
            class_name = text(owner_class.child_by_field_name("name")) or "<class>"
            qualified = f"{class_name}.{name}" if name else class_name
            if self.backend:
                return qualified, Context.BACKEND
            return qualified, Context.CLASS_COMPONENT if _extends_react(owner_class) else Context.CLIENT_MODULE
        if self.backend:
            return name, Context.BACKEND
        if outer is None or name is None:
            return name, Context.CLIENT_MODULE
        if re.match(r"^use[A-Z0-9]", name):
            return name, Context.HOOK
        if name[:1].isupper() and self._has_jsx(outer):
            return name, Context.PROVIDER if self._is_provider(name, outer) else Context.COMPONENT
        return name, Context.CLIENT_MODULE

    def _is_provider(self, name: str, function: Node) -> bool:
        if name.endswith("Provider"):
            return True
        return any(
            n.type in ("jsx_opening_element", "jsx_self_closing_element")
            and text(n.child_by_field_name("name")).endswith(".Provider")
            for n in descendants(function)
        )

    def _own_name(self, function: Node) -> str | None:
        """The name a function is declared or bound under, if any."""
        if function.type not in FUNCTION_TYPES:
            return None
        named = function.child_by_field_name("name")
        if named is not None:
            return text(named)
        holder = function.parent
        while holder is not None and holder.type in ("arguments", "call_expression", "parenthesized_expression"):
            if holder.type == "call_expression" and callee_name(holder) not in _FUNCTION_WRAPPERS:
                return None
            holder = holder.parent
        if holder is None:
            return None
        if holder.type == "variable_declarator":
            name = holder.child_by_field_name("name")
            return text(name) if name is not None and name.type == "identifier" else None
        if holder.type == "public_field_definition":
            return text(holder.child_by_field_name("name"))
        if holder.type == "pair":
            return pair_key(holder)
        return None

    # --- Exception 3: emergency fallback ---------------------------------------------------------

    def _guarded_by_fallback(self, node: Node) -> bool:
        """Whether the site only runs while the event-driven connection is down."""
        child = node
        for ancestor in _ancestors(node):
            kind = ancestor.type
            if kind in ("if_statement", "ternary_expression"):
                condition = ancestor.child_by_field_name("condition")
                if _inside(child, ancestor.child_by_field_name("consequence")):
                    if _fallback_condition(condition, True):
                        return True
                elif _inside(child, ancestor.child_by_field_name("alternative")) and _fallback_condition(
                    condition, False
                ):
                    return True
            elif kind == "binary_expression" and text(ancestor.child_by_field_name("operator")) == "&&":
                if child == ancestor.child_by_field_name("right") and _fallback_condition(
                    ancestor.child_by_field_name("left"), True
                ):
                    return True
            elif kind == "statement_block" and _early_return_unless_fallback(ancestor, child):
                return True
            elif _FALLBACK_WORDS.search(pair_key(ancestor) if kind == "pair" else self._own_name(ancestor) or ""):
                return True  # inside `onFallback: () => ...` or a function named for the fallback
            child = ancestor
        return False

    def _fallback_facts(self, node: Node) -> dict[str, object]:
        """Requirements of Exception 3 met around a fallback: warning, reconnect, maximum duration."""
        scope = _outermost_function(node) or self.tree.root
        facts: dict[str, object] = {}
        for n in descendants(scope):
            if n.type == "call_expression":
                name = callee_name(n)
                last = name.split(".")[-1].lower()
                if name in ("console.warn", "logger.warn", "log.warn") or name.endswith("logger.warn"):
                    facts["logs_warning"] = True
                if name.endswith("location.reload") or "reconnect" in last or last.startswith("connect"):
                    facts["restores_connection"] = True
                if name in _TIMEOUTS and any(w in text(n) for w in ("reload", "reconnect")):
                    args = arguments(n)
                    self._note_duration(facts, self.values.evaluate(args[1]) if len(args) > 1 else None)
            elif n.type == "binary_expression" and text(n.child_by_field_name("operator")) in _COMPARISONS:
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                for measured, bound in ((left, right), (right, left)):
                    if _DURATION_WORDS.search(text(measured)):
                        self._note_duration(facts, self.values.evaluate(bound))
        return facts

    def _note_duration(self, facts: dict[str, object], bound: Value | None) -> None:
        if bound is not None and bound.ms is not None and "max_duration_seconds" not in facts:
            facts["max_duration_seconds"] = bound.ms / 1000

    # --- backend routes and handled message types ------------------------------------------------

    def _routes(self) -> tuple[Route, ...]:
        routers = self._routers()
        prefixes: dict[str, str] = {}
        for call in self.tree.of("call_expression"):
            args = arguments(call)
            if property_name(call) == "use" and len(args) >= 2 and (prefix := string_value(args[0])) is not None:
                for arg in args[1:]:
                    prefixes[text(arg)] = prefix.rstrip("/")
        routes = []
        for call in self.tree.of("call_expression"):
            function = call.child_by_field_name("function")
            if function is None or function.type != "member_expression":
                continue
            owner, method = text(function.child_by_field_name("object")), property_name(call)
            args = arguments(call)
            if method not in _ROUTE_METHODS or owner not in routers or len(args) < 2:
                continue
            path = string_value(args[0])
            if path is None or not path.startswith("/"):
                continue
            reads = self._callback_reads(args[-1])
            routes.append(
                Route(
                    method=_ROUTE_METHODS[method],
                    path=prefixes.get(owner, "") + path,
                    location=self.tree.location(call),
                    tables=tuple(reads.tables),
                    message_types=tuple(reads.typed),
                )
            )
        return tuple(routes)

    def _routers(self) -> set[str]:
        """Names that hold an Express/Koa app or router in this file."""
        names = set()
        for declarator in self.tree.of("variable_declarator"):
            name, value = text(declarator.child_by_field_name("name")), unwrap(declarator.child_by_field_name("value"))
            if value is None:
                continue
            made = value.child_by_field_name("function") or value.child_by_field_name("constructor")
            made_by_factory = value.type in ("call_expression", "new_expression") and text(made) in _ROUTER_FACTORIES
            if made_by_factory or (_ROUTERS.match(name) and not self.react):
                names.add(name)
        return names

    def _handled_message_types(self) -> tuple[str, ...]:
        handled: list[str] = []
        for binary in self.tree.of("binary_expression"):
            if text(binary.child_by_field_name("operator")) not in ("===", "=="):
                continue
            left, right = unwrap(binary.child_by_field_name("left")), unwrap(binary.child_by_field_name("right"))
            for subject, literal in ((left, right), (right, left)):
                if _is_type_field(subject) and (value := string_value(literal)) and value not in handled:
                    handled.append(value)
        for switch in self.tree.of("switch_statement"):
            if not _is_type_field(unwrap(switch.child_by_field_name("value"))):
                continue
            for case in descendants(switch):
                value = string_value(case.child_by_field_name("value")) if case.type == "switch_case" else None
                if value and value not in handled:
                    handled.append(value)
        return tuple(handled)


# --- small syntax helpers --------------------------------------------------------------------------


def _ancestors(node: Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _inside(node: Node, container: Node | None) -> bool:
    return container is not None and container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def _outermost_function(node: Node) -> Node | None:
    outer = None
    for ancestor in _ancestors(node):
        if ancestor.type in ("class_declaration", "class"):
            break
        if ancestor.type in FUNCTION_TYPES:
            outer = ancestor
    return outer


def _function_value(value: Node | None) -> Node | None:
    """A function bound to a name: `() => ...`, `function () {}`, or `useCallback(() => ..., deps)`."""
    value = unwrap(value)
    if value is None:
        return None
    if value.type in FUNCTION_TYPES:
        return value
    if value.type == "call_expression" and callee_name(value) in _FUNCTION_WRAPPERS:
        args = arguments(value)
        inner = unwrap(args[0]) if args else None
        return inner if inner is not None and inner.type in FUNCTION_TYPES else None
    return None


def _parameters(function: Node) -> set[str]:
    names: set[str] = set()
    single = function.child_by_field_name("parameter")
    if single is not None:
        names.add(text(single))
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern") or parameter
        for node in descendants(pattern):
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                names.add(text(node))
    return names


def _returned(function: Node) -> list[Node]:
    """The expressions a function returns (not those of functions nested in it)."""
    body = function.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]
    found = []
    stack = list(body.children)
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_TYPES or node.type == "class":
            continue
        if node.type == "return_statement" and node.named_children:
            found.append(node.named_children[0])
        stack.extend(node.children)
    return found


def _is_event_handler(node: Node) -> bool:
    """`ws.onmessage = ...`, `socket.addEventListener(...)`, `emitter.on(...)`."""
    if node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return left is not None and left.type == "member_expression" and property_name_of(left).startswith("on")
    return node.type == "call_expression" and property_name(node) in _EVENT_HANDLER_CALLS and "." in callee_name(node)


def property_name_of(member: Node) -> str:
    return text(member.child_by_field_name("property"))


def _fallback_condition(condition: Node | None, polls_when: bool) -> bool:
    """Whether polling when `condition` is `polls_when` means polling only while disconnected."""
    condition = unwrap(condition)
    if condition is None:
        return False
    if condition.type == "unary_expression" and text(condition.child_by_field_name("operator")) == "!":
        return _fallback_condition(condition.child_by_field_name("argument"), not polls_when)
    if condition.type == "binary_expression":
        op = text(condition.child_by_field_name("operator"))
        parts = (condition.child_by_field_name("left"), condition.child_by_field_name("right"))
        if (op == "&&" and polls_when) or (op == "||" and not polls_when):
            return any(_fallback_condition(part, polls_when) for part in parts)
        return False
    if condition.type not in ("identifier", "member_expression"):
        return False
    name = text(condition).split(".")[-1]
    if _FALLBACK_WORDS.search(name):
        return polls_when
    if _CONNECTED_WORDS.search(name):
        return not polls_when
    return False


def _early_return_unless_fallback(block: Node, child: Node) -> bool:
    """`if (isConnected) return;` earlier in the block: what follows runs only while disconnected."""
    for statement in block.named_children:
        if statement.start_byte >= child.start_byte:
            return False
        if statement.type != "if_statement" or statement.child_by_field_name("alternative") is not None:
            continue
        consequence = statement.child_by_field_name("consequence")
        returns = consequence is not None and (
            consequence.type == "return_statement"
            or (consequence.named_child_count == 1 and consequence.named_children[0].type == "return_statement")
        )
        if returns and _fallback_condition(statement.child_by_field_name("condition"), False):
            return True
    return False


def _call_of_argument(node: Node) -> Node | None:
    parent = node.parent
    if parent is not None and parent.type == "arguments" and parent.parent is not None:
        return parent.parent
    return None


def _declared_name(options: Node) -> str | None:
    """`name` in `const name = {...}` or `const name = queryOptions({...})`."""
    holder = options.parent
    if holder is not None and holder.type == "arguments" and holder.parent is not None:
        holder = holder.parent.parent
    while holder is not None and holder.type in ("as_expression", "satisfies_expression", "parenthesized_expression"):
        holder = holder.parent
    if holder is not None and holder.type == "variable_declarator":
        name = holder.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    return None


def _destructured(call: Node, name: str) -> str | None:
    """The local name of `name` in `const { name: alias } = call`."""
    holder = call.parent
    if holder is None or holder.type != "variable_declarator":
        return None
    pattern = holder.child_by_field_name("name")
    if pattern is None or pattern.type != "object_pattern":
        return None
    for entry in pattern.named_children:
        if entry.type == "shorthand_property_identifier_pattern" and text(entry) == name:
            return name
        if entry.type == "pair_pattern" and pair_key(entry) == name:
            return text(entry.child_by_field_name("value"))
    return None


def _calls(function: Node, name: str) -> bool:
    return any(n.type == "call_expression" and callee_name(n) == name for n in descendants(function))


def _broadcasts(prop: str, owner: str, root: str) -> bool:
    """`wss.clients.forEach(...)`, `io.emit(...)`, `server.broadcast(...)`."""
    return (
        (prop == "forEach" and owner.endswith("clients"))
        or prop == "broadcast"
        or (prop == "emit" and root in _BROADCAST_EMITTERS)
    )


def _extends_react(owner_class: Node) -> bool:
    for node in owner_class.named_children:
        if node.type == "class_heritage":
            return any(n.type == "extends_clause" and _base_class(n) in _REACT_CLASSES for n in node.named_children)
    return False


def _base_class(extends: Node) -> str:
    value = extends.child_by_field_name("value")
    return text(value).split("<")[0]


def _is_type_field(node: Node | None) -> bool:
    return node is not None and (
        (node.type == "member_expression" and property_name_of(node) == "type")
        or (node.type == "identifier" and text(node) == "type")
    )


def _flat(node: Node | None) -> str | None:
    return " ".join(text(node).split()) if node is not None else None
