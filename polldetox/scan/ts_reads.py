"""What a timer's or a query's callback does on each tick: fetch, query a database, broadcast, log.

Follows calls into functions defined in the same file (function declarations, arrows, `useCallback`
values, class methods) up to two levels, and ignores event handlers a callback installs (a socket's
`onmessage` runs on events, not on the tick).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from polldetox.findings import Polls
from polldetox.scan.sql import tables_read
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    FUNCTION_WRAPPERS,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    member_property,
    pair_key,
    property_name,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_values import Values

_LOADER_INVALIDATIONS = frozenset({"invalidate", "invalidateAll"})
_ITERATIONS = frozenset({"forEach", "map", "flatMap", "each"})
_FETCH_CALLS = frozenset({"fetch", "axios", "ky", "refetch", "$fetch", "ofetch", "got", "mutate"})
_FETCHISH_NAME = re.compile(r"^(fetch|load|refetch|refresh|reload|revalidate)[A-Z_]")
# What `loadImage`, `refreshTime`, `reloadPage` work on is local to the page, not data from a server.
_LOCAL_NOUN = re.compile(
    r"(Time|Clock|Date|Timer|Countdown|Image|Img|Font|Script|Style|Css|Icon|Page|Window|Frame|Iframe|Animation|Layout"
    r"|Canvas|View|Scroll|Position|Size|Theme)s?$"
)
# Renewing credentials before they expire (`refreshAccessToken`, `renewSession`) reads no changing data.
_CREDENTIAL_RENEWAL = re.compile(
    r"^(refresh|renew|rotate|extend)\w*(Tokens?|Credentials?|Session|Auth|Jwt|Csrf|Login)$", re.IGNORECASE
)
_CREDENTIAL_KEY = re.compile(r"token|credential", re.IGNORECASE)
_CACHE_REFETCHES = frozenset({"invalidateQueries", "refetchQueries", "refetch", "fetchQuery", "revalidate"})
_HTTP_OBJECTS = frozenset({"axios", "ky", "api", "http", "client", "apiClient", "httpClient", "$http", "superagent"})
_CLIENT_OBJECT = re.compile(r"(client|api|service)$", re.IGNORECASE)
# Services that answer from the process itself: configuration, translation, clocks (a `logService`
# may well fetch a pod's logs, so only a `loggerService` is taken for logging).
_LOCAL_SERVICE = re.compile(r"^_?(config|configuration|settings|env|environment|logger|i18n|translate"
                            r"|translation|date|time|clock|storage|localStorage)Service_?$", re.IGNORECASE)  # fmt: skip
_SQL_METHODS = frozenset(
    {"query", "execute", "raw", "any", "many", "one", "oneOrNone", "manyOrNone", "prepare", "$queryRaw"}
)
_SQL_TEXT = re.compile(r"^\s*(select|with|update|delete|insert)\b", re.IGNORECASE)
_PRISMA_READS = frozenset({"findMany", "findFirst", "findUnique", "count", "aggregate", "groupBy", "updateMany"})
# Mongoose model statics that read (`Job.find(...)`): the model's name stands for its collection.
_MONGOOSE_READS = frozenset(
    {"find", "findOne", "findById", "countDocuments", "estimatedDocumentCount", "aggregate", "distinct"}
)
_JQUERY = frozenset({"$", "jQuery"})
_VUE_GLOBALS = frozenset({"$root", "$store", "$parent", "store"})
_GETTER = re.compile(r"^get[A-Z]\w*(Data|List|s)$")
# `await CTFd.pages.scoreboard.getScoreboard()`: a getter of an imported module that has to be awaited.
_ASYNC_GETTER = re.compile(r"^get[A-Z]")
_JQUERY_READS = frozenset({"ajax", "get", "getJSON", "post"})
_PROP_REFRESH = re.compile(r"^(on)?(refresh|reload|update|poll|fetch|load|sync)", re.IGNORECASE)
# A child component's events to its parent; one named for refreshing is handled by a fetch up there.
_EMITTERS = frozenset({"emit", "$emit", "dispatch"})
# Clients of a data store (`const client = new Redis(url)`): a function handed one reads through it.
_STORE_MODULES = frozenset({"ioredis", "redis", "@redis/client", "pg", "mysql", "mysql2", "mysql2/promise", "mongodb"})
_WRITES = re.compile(
    r"^(set|save|write|publish|push|flush|send|record|store|delete|remove|clear|close|quit|disconnect|clean|purge"
    r"|expire|trim|track|log|emit|enqueue|add|insert|update|upsert|incr|decr)",
    re.IGNORECASE,
)
_CONTROLLER = re.compile(r"(?<!abort)controller$", re.IGNORECASE)
_REPOSITORY = re.compile(r"^_?([a-z]\w*?)_?(?:Repository|Repo|Model)_?$")
_REPOSITORY_READS = _MONGOOSE_READS | {"findBy", "findOneBy", "findAndCount", "count", "countBy", "createQueryBuilder"}
_BROADCAST_EMITTERS = frozenset({"io", "socket", "server", "nsp", "namespace"})
_EQUALITY = frozenset({"===", "!==", "==", "!="})
_STATE_WORDS = re.compile(r"last|prev|previous|known|seen|cached", re.IGNORECASE)
# Methods of socket clients (`wsClient.send`, `pubsubService.publish`), which push rather than fetch.
_SOCKET_METHODS = frozenset({"send", "emit", "ping", "close", "connect", "disconnect", "subscribe", "publish"})
_WRITE_METHODS = frozenset({"post", "put", "patch"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "request", "fetch"})
_GENERIC_HTTP = frozenset({"axios", "ky", "http", "httpClient", "$http", "superagent"})
_REPORT_URL = re.compile(
    r"(^|[/_.-])(heartbeat|keep-?alive|ping|beacon|telemetry|analytics|track|events?|logs?)([/?_.-]|$)", re.IGNORECASE
)
_HEARTBEAT_URL = re.compile(r"(^|/)(heartbeat|keep-?alive|ping|push)(/|\?|$)", re.IGNORECASE)  # a whole path segment
_RELATIVE_URL = re.compile(r"^[\w.-]+/[\w./{}:$-]*$")  # `api/v1/me`, resolved against the page
_EVENT_HANDLER_CALLS = frozenset({"addEventListener", "on", "once"})
_READ_DEPTH = 2  # same-file functions followed from a callback


@dataclass(slots=True)
class Reads:
    """What a callback does on each tick, gathered from its body and the functions it calls."""

    fetches: bool = False  # HTTP request or a query-cache refetch
    database: bool = False
    urls: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    broadcasts: bool = False
    typed: list[str] = field(default_factory=list)  # `type: '...'` values of objects it builds
    compares_state: bool = False
    query_key: str | None = None  # the key a query-cache refetch names (`invalidateQueries({ queryKey })`)
    logs_activity: bool = False
    logs_warning: bool = False

    @property
    def reads(self) -> bool:
        return self.fetches or self.database

    @property
    def polls(self) -> Polls:
        return Polls.DATABASE if self.database else Polls.HTTP if self.fetches else Polls.UNKNOWN

    def add_url(self, url: str) -> None:
        if url not in self.urls:
            self.urls.append(url)

    def merge(self, other: Reads) -> None:
        """Add what another callback of the same query reads."""
        self.fetches |= other.fetches
        self.database |= other.database
        for url in other.urls:
            self.add_url(url)


class CallbackReader:
    """Reads callbacks against the functions of one file."""

    def __init__(self, tree: Tree, values: Values, *, browser: bool = True) -> None:
        self.tree = tree
        self.values = values
        self.browser = browser  # UI code, whose project modules' getters call the app's API
        self.functions: dict[str, Node] = {}  # same-file function name -> function node
        self.methods: dict[str, Node] = {}  # class method or arrow field -> function node
        self.fields: dict[str, Node] = {}  # class field -> its string value (`endpoint = '/api/v1/me'`)
        self.mongoose = "mongoose" in values.modules
        self.knex = self._knex_instances()
        self.picked: dict[str, Node] = {}  # local name -> the constant table it is picked from
        self._collect_functions()

    def _knex_instances(self) -> set[str]:
        """`knex` itself and `db` in `const db = knex({...})` / `require('knex')({...})`: `db('jobs')` reads jobs."""
        factories = {name for name, (module, _) in self.values.imports.items() if module == "knex"}
        instances = set(factories)
        for name, value in self.values.constants.items():
            value = unwrap(value)
            if value is None or value.type != "call_expression":
                continue
            made = text(value.child_by_field_name("function"))
            if made in factories or made.replace('"', "'") == "require('knex')":
                instances.add(name)
        return instances

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
            name = text(field_definition.child_by_field_name("name"))
            value = _function_value(field_definition.child_by_field_name("value"))
            if value is not None:
                self.methods.setdefault(name, value)
            elif string_value(field_definition.child_by_field_name("value")) is not None:
                self.fields.setdefault(name, field_definition.child_by_field_name("value"))
        for declarator in self.tree.of("variable_declarator"):
            table = self._table(declarator.child_by_field_name("value"))
            pattern = declarator.child_by_field_name("name")
            if table is None or pattern is None:
                continue
            names = [pattern] if pattern.type == "identifier" else pattern.named_children
            for name in names:  # `const cfg = configs[key]`, `let [solves, fails] = apiFuncs[type]`
                if name.type in ("identifier", "shorthand_property_identifier_pattern"):
                    self.picked.setdefault(text(name), table)

    def _table(self, value: Node | None) -> Node | None:
        """The constant object literal that `table[key]` picks an entry from."""
        value = unwrap(value)
        if value is None or value.type != "subscript_expression":
            return None
        table = unwrap(self.values.constants.get(text(value.child_by_field_name("object"))))
        return table if table is not None and table.type == "object" else None

    def callback(self, callback: Node | None) -> Reads:
        callback = unwrap(callback)
        reads = Reads()
        if callback is None:
            return reads
        if callback.type in FUNCTION_TYPES:
            return self.function(callback)
        name = text(callback)
        if _CREDENTIAL_RENEWAL.match(name.split(".")[-1]):
            return reads
        target = self.functions.get(name) if callback.type == "identifier" else None
        if callback.type == "member_expression" and name.startswith("this."):
            target = self.methods.get(name.removeprefix("this."))
        if target is not None:
            return self.function(target)
        last = name.split(".")[-1]
        reads.fetches = last in _FETCH_CALLS or _fetchish(last)
        return reads

    def function(self, function: Node, depth: int = _READ_DEPTH, seen: set[int] | None = None) -> Reads:
        reads = Reads()
        self._read_into(function, reads, depth, seen if seen is not None else {function.id})
        if not reads.broadcasts:
            reads.typed.clear()
        return reads

    def _read_into(self, root: Node, reads: Reads, depth: int, seen: set[int]) -> None:
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

    def _read_call(self, call: Node, reads: Reads, depth: int, seen: set[int]) -> None:
        function = call.child_by_field_name("function")
        if function is None:
            return
        name, prop, args = text(function), property_name(call), arguments(call)
        if _CREDENTIAL_RENEWAL.match(prop) or (
            prop in _CACHE_REFETCHES and _CREDENTIAL_KEY.search(_refetched_key(args) or "")
        ):
            return  # renews a token or session before it expires: credentials, not data
        if function.type == "identifier":
            self._read_plain_call(name, call, args, reads, depth, seen)
            return
        if function.type != "member_expression":
            return
        owner = text(function.child_by_field_name("object"))
        if prop in _ITERATIONS:
            for arg in args:  # `nodes.forEach(updatePanel)`: runs a same-file function on each element
                if arg.type == "identifier" and (target := self.functions.get(text(arg))) is not None:
                    self._follow(target, reads, depth, seen)
        if owner in self.picked or (owner in self.values.constants and prop not in _ITERATIONS):
            table = self.picked.get(owner)  # `cfg.data()` for `const cfg = configs[key]`: any entry's `data`
            for entry in _table_functions(table, prop) if table is not None else _object_functions(owner, prop, self):
                self._follow(entry, reads, depth, seen)
        if owner.startswith("this.") and owner != "this.props":
            owner = owner.removeprefix("this.")  # `this.http.get(...)`: a service's injected client
        root = owner.split(".")[0].split("(")[0].strip("_")  # `this._http`, `this.http_`: injected clients
        if root in _JQUERY and "(" not in owner and prop in _JQUERY_READS and not self._reports_to(args, prop):
            reads.fetches = True  # `$.getJSON(url, ...)`, `$.ajax({ url })`, `jQuery.get(url)`
            for url in self._url_arguments(args) or self._url_option(args):
                reads.add_url(url)
        elif prop == "reload" and owner.endswith(".ajax"):
            reads.fetches = True  # DataTables `table.ajax.reload()` re-requests the table's data
        elif owner == "console":
            reads.logs_warning |= prop == "warn"
            reads.logs_activity |= prop in ("log", "info", "debug")
        elif owner.lower().endswith("logger") and prop in ("warn", "warning", "info", "debug", "log"):
            reads.logs_warning |= prop.startswith("warn")
            reads.logs_activity |= not prop.startswith("warn")
        elif prop in _SQL_METHODS and (sql := self._sql_argument(args)) is not None:
            reads.database = True
            reads.tables.extend(t for t in tables_read(sql) if t not in reads.tables)
        elif self.mongoose and prop in _MONGOOSE_READS and owner[:1].isupper() and owner.isidentifier():
            reads.database = True
            collection = _mongoose_collection(owner)
            if collection not in reads.tables:
                reads.tables.append(collection)
        elif prop in _REPOSITORY_READS and (model := _REPOSITORY.search(owner.split(".")[-1])) is not None:
            reads.database = True  # TypeORM `ordersRepository.find()`, Nest Mongoose `orderModel.find()`
            if model.group(1) not in reads.tables:
                reads.tables.append(model.group(1))
        elif root == "prisma" and prop in _PRISMA_READS:
            reads.database = True
            table = owner.split(".")[-1]
            if table not in reads.tables:
                reads.tables.append(table)
        elif prop in _CACHE_REFETCHES:
            reads.fetches = True
            reads.query_key = reads.query_key or _refetched_key(args)
        elif _broadcasts(prop, owner, root):
            reads.broadcasts = True
        elif prop == "$emit" and _asks_parent_to_refresh(args):
            reads.fetches = True  # `this.$emit('refresh')`
        elif root == "this" or owner in ("props", "this.props"):
            target = self._method(call, prop) if owner == "this" else None
            if target is not None:
                self._follow(target, reads, depth, seen)
            elif _fetchish(prop) or (owner in ("props", "this.props") and _refreshes(prop)):
                reads.fetches = True  # `this.props.onRefresh()`: the parent hands in what re-fetches
        elif _ASYNC_GETTER.match(prop) and self._awaited_import(call, root):
            reads.fetches = True
            reads.add_url(f"{owner}.{prop}")
        elif owner in _VUE_GLOBALS and (_fetchish(prop) or _GETTER.match(prop)):
            reads.fetches = True  # Vue `this.$root.getMonitorChartData(...)`, `this.$store.loadJobs()`
        elif owner.split(".")[-1] == "actions" and (_fetchish(prop) or _GETTER.match(prop)):
            reads.fetches = True  # `actions.getJobLogs()`: bound action creators a parent hands in
        elif owner in _VUE_GLOBALS and prop == "dispatch" and args and _fetchish(string_value(args[0]) or ""):
            reads.fetches = True  # Vuex `this.$store.dispatch('fetchJobs')`
        elif _CONTROLLER.search(owner.split(".")[-1]) and (_fetchish(prop) or _refreshes(prop)):
            reads.fetches = True  # `this.controller.refresh()`, `dashboardController.loadStats()`
        elif (
            "(" not in owner
            and prop not in _SOCKET_METHODS
            and (root in _HTTP_OBJECTS or _CLIENT_OBJECT.search(owner.split(".")[-1]))
            and not _LOCAL_SERVICE.search(owner.split(".")[-1])
            and not self._reports_to(args, prop)
        ):
            reads.fetches = True
            # `queueClient.getAll` names its data; `http.get`/`axios.get` with an unknown URL names nothing.
            generic = root in _GENERIC_HTTP and prop in _HTTP_VERBS
            urls = self._url_arguments(args) or ([] if generic else [f"{owner}.{prop}"])
            for url in urls:
                reads.add_url(url)

    def _read_plain_call(
        self, name: str, call: Node, args: list[Node], reads: Reads, depth: int, seen: set[int]
    ) -> None:
        if name in _FETCH_CALLS and not self._reports_to(args, _request_method(args)):
            reads.fetches = True
            for url in self._url_arguments(args):
                reads.add_url(url)
        elif name in _FETCH_CALLS:
            return  # a heartbeat or telemetry push
        elif name in _LOADER_INVALIDATIONS and self.values.imports.get(name, ("", ""))[0] == "$app/navigation":
            reads.fetches = True  # SvelteKit `invalidate(key)` / `invalidateAll()` re-run the page's data loaders
        elif name in _EMITTERS and _asks_parent_to_refresh(args):
            reads.fetches = True  # Vue `emit('refreshData')`, Svelte `dispatch('refresh')`: the parent re-fetches
        elif name == "dispatch":
            action = unwrap(args[0]) if args else None
            if action is not None and action.type == "call_expression":
                reads.fetches |= _fetchish(property_name(action)) or self._is_thunk(action)
        elif name in self.knex and args and (table := string_value(args[0])) is not None:
            reads.database = True
            if table not in reads.tables:
                reads.tables.append(table)
        elif name == "sql" and args and unwrap(args[0]) is not None and unwrap(args[0]).type == "template_string":
            reads.database = True
            reads.tables.extend(t for t in tables_read(string_value(args[0]) or "") if t not in reads.tables)
        elif name in self.functions and depth > 0:
            self._follow(self.functions[name], reads, depth, seen)
        elif name in self.functions:
            reads.fetches |= _fetchish(name)  # deeper than followed: `fetchShoppingList()` is taken by its name
        elif name in self.picked:
            for entry in _table_functions(self.picked[name], None):  # one of the table's functions
                self._follow(entry, reads, depth, seen)
        elif name.startswith("broadcast"):
            reads.broadcasts = True
        elif _fetchish(name):
            reads.fetches = True
        elif not _WRITES.match(name) and any(self._store_client(a) for a in args):
            reads.database = True  # `discoverQueues(client, prefixes)` with `client = new Redis(url)`

    def _follow(self, function: Node, reads: Reads, depth: int, seen: set[int]) -> None:
        if depth > 0 and function.id not in seen:
            seen.add(function.id)
            self._read_into(function, reads, depth - 1, seen)

    def _store_client(self, arg: Node) -> bool:
        """An argument bound to a data store's client made here (`new Redis(url)`, `new Pool()`, `createClient()`)."""
        value = unwrap(self.values.constants.get(text(arg))) if arg.type == "identifier" else None
        if value is None or value.type not in ("new_expression", "call_expression"):
            return False
        made = value.child_by_field_name("constructor") or value.child_by_field_name("function")
        root = text(made).split(".")[0] if made is not None else ""
        return self.values.imports.get(root, ("",))[0] in _STORE_MODULES

    def _method(self, call: Node, name: str) -> Node | None:
        """`this.name`: the method of the object or class the call is in, else any method so named."""
        for holder in ancestors(call):
            if holder.type in ("object", "class_body"):
                own = _table_functions(holder, name, entries=False)
                if own:
                    return own[0]
        return self.methods.get(name)

    def _awaited_import(self, call: Node, root: str) -> bool:
        """Whether UI code awaits a call through a module imported from the project (`./index`)."""
        if not self.browser:
            return False
        module = self.values.imports.get(root, ("", ""))[0]
        awaited = call.parent is not None and call.parent.type == "await_expression"
        return awaited and module.startswith(".") and not _LOCAL_SERVICE.search(root)

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

    def _reports_to(self, args: list[Node], method: str) -> bool:
        """A write to a heartbeat, keep-alive or telemetry endpoint, or a request of any method to a
        heartbeat or push URL (`GET /api/push/<token>?status=up`): it sends, it does not read data."""
        urls = self._url_arguments(args)
        if any(_HEARTBEAT_URL.search(url) for url in urls):
            return True
        return method.lower() in _WRITE_METHODS and any(_REPORT_URL.search(url) for url in urls)

    def returned_urls(self, function: Node | None) -> list[str]:
        """The URLs a key function returns (`(index) => `/api/orders?page=${index}``), by node or same-file name."""
        if function is not None and function.type == "identifier":
            function = self.functions.get(text(function))
        if function is None or function.type not in FUNCTION_TYPES:
            return []
        body = function.child_by_field_name("body")
        if body is not None and body.type != "statement_block":
            return self._url_arguments([body])
        returned = [node for node in descendants(body) if node.type == "return_statement" and node.named_children]
        own = [node for node in returned if next(a for a in ancestors(node) if a.type in FUNCTION_TYPES) == function]
        return [url for node in own for url in self._url_arguments(node.named_children[:1])]

    def _url_option(self, args: list[Node]) -> list[str]:
        """The `url` of an options object (`$.ajax({ url: '/api/v1/jobs' })`)."""
        options = unwrap(args[0]) if args else None
        if options is None or options.type != "object":
            return []
        for pair in options.named_children:
            if pair.type == "pair" and pair_key(pair) == "url":
                return self._url_arguments([pair.child_by_field_name("value")])
        return []

    def _url_arguments(self, args: list[Node]) -> list[str]:
        urls = []
        for arg in args[:1]:
            node = unwrap(arg)
            if node is not None and node.type == "identifier" and text(node) in self.values.constants:
                node = self.values.constants[text(node)]
            elif node is not None and node.type == "member_expression" and text(node).startswith("this."):
                node = self.fields.get(member_property(node), node)  # `private readonly endpoint = 'api/v1/me'`
            value = string_value(node)
            if value and (value.startswith(("/", "http://", "https://", "${")) or _RELATIVE_URL.match(value)):
                urls.append(value)
        return urls


def _function_value(value: Node | None) -> Node | None:
    """A function bound to a name: `() => ...`, `function () {}`, or `useCallback(() => ..., deps)`."""
    value = unwrap(value)
    if value is None:
        return None
    if value.type in FUNCTION_TYPES:
        return value
    if value.type == "call_expression" and callee_name(value) in FUNCTION_WRAPPERS:
        args = arguments(value)
        inner = unwrap(args[0]) if args else None
        return inner if inner is not None and inner.type in FUNCTION_TYPES else None
    return None


def _object_functions(owner: str, prop: str, reader: CallbackReader) -> list[Node]:
    """`handlers.refresh` of `const handlers = { refresh: () => ..., refresh() {} }`."""
    table = unwrap(reader.values.constants.get(owner))
    return _table_functions(table, prop, entries=False) if table is not None and table.type == "object" else []


def _table_functions(table: Node, prop: str | None, entries: bool = True) -> list[Node]:
    """The functions a table's entries hold: the entry itself (a function or a list of them) when `prop`
    is None, else the entries' (or with `entries=False` the table's own) functions named `prop`."""
    holders = [table]
    if entries:
        holders = [unwrap(p.child_by_field_name("value")) for p in table.named_children if p.type == "pair"]
    found = []
    for holder in holders:
        if holder is None:
            continue
        if prop is None:
            values = holder.named_children if holder.type == "array" else [holder]
        elif holder.type in ("object", "class_body"):
            values = [_member_value(member) for member in holder.named_children if _member_name(member) == prop]
        else:
            values = []
        found += [f for v in values if (f := _function_value(v)) is not None]
    return found


def _member_name(member: Node) -> str | None:
    """The key of an object's pair or method, or a class's method or field."""
    if member.type == "pair":
        return pair_key(member)
    if member.type in ("method_definition", "public_field_definition"):
        return text(member.child_by_field_name("name"))
    return None


def _member_value(member: Node) -> Node | None:
    return member if member.type == "method_definition" else member.child_by_field_name("value")


def _refetched_key(args: list[Node]) -> str | None:
    """`['inbox']` of `invalidateQueries({ queryKey: ['inbox'] })` or `invalidateQueries(['inbox'])`."""
    first = unwrap(args[0]) if args else None
    if first is not None and first.type == "object":
        first = next(
            (
                unwrap(p.child_by_field_name("value"))
                for p in first.named_children
                if p.type == "pair" and pair_key(p) == "queryKey"
            ),
            None,
        )
    if first is None or first.type not in ("array", "string"):
        return None
    return " ".join(text(first).split())


def _request_method(args: list[Node]) -> str:
    """`method` of `fetch(url, { method: 'POST' })`; GET when not given."""
    options = unwrap(args[1]) if len(args) > 1 else None
    for pair in options.named_children if options is not None and options.type == "object" else ():
        if pair.type == "pair" and pair_key(pair) == "method":
            return string_value(pair.child_by_field_name("value")) or "GET"
    return "GET"


def _fetchish(name: str) -> bool:
    """A function named for fetching data (`fetchOrders`, `loadQueue`), not for local work (`loadImage`)."""
    return bool(_FETCHISH_NAME.match(name)) and not _LOCAL_NOUN.search(name)


def _refreshes(name: str) -> bool:
    """A callback named for refreshing what is shown (`onRefresh`, `update`), not local work (`refreshClock`)."""
    return bool(_PROP_REFRESH.match(name)) and not _LOCAL_NOUN.search(name)


def _asks_parent_to_refresh(args: list[Node]) -> bool:
    """`emit('refreshData')`, `dispatch('reload')`: an event named for refreshing what is shown."""
    event = string_value(args[0]) if args else None
    return event is not None and ":" not in event and _refreshes(event)  # not v-model's `update:modelValue`


def _mongoose_collection(model: str) -> str:
    """The collection Mongoose names after a model by default: `Job` -> `jobs`."""
    lowered = model.lower()
    return lowered if lowered.endswith("s") else lowered + "s"


def _is_event_handler(node: Node) -> bool:
    """`ws.onmessage = ...`, `socket.addEventListener(...)`, `emitter.on(...)`."""
    if node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return left is not None and left.type == "member_expression" and member_property(left).startswith("on")
    return node.type == "call_expression" and property_name(node) in _EVENT_HANDLER_CALLS and "." in callee_name(node)


def _broadcasts(prop: str, owner: str, root: str) -> bool:
    """`wss.clients.forEach(...)`, `io.emit(...)`, `server.broadcast(...)`."""
    return (
        (prop == "forEach" and owner.endswith("clients"))
        or prop == "broadcast"
        or (prop == "emit" and root in _BROADCAST_EMITTERS)
    )
