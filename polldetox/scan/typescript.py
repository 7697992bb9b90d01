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

from polldetox.findings import FileFacts, PendingSite, PollingSite, Polls, SiteKind, Suppression
from polldetox.scan import ParseFailure
from polldetox.scan.ts_context import (
    TIMEOUTS,
    FallbackFacts,
    Surroundings,
    fallback_condition,
    in_failure_handler,
    in_reconnect_handler,
    is_backoff,
)
from polldetox.scan.ts_globals import fetching_globals, is_classic_script, undefined_calls
from polldetox.scan.ts_loops import SleepLoops
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    language_of,
    outermost_function,
    pair_key,
    parse,
    property_name,
    snippet,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_routes import ROUTE_METHODS, handled_message_types, routes
from polldetox.scan.ts_rxjs import RxjsPolling
from polldetox.scan.ts_schedulers import NodeSchedules
from polldetox.scan.ts_sfc import (
    PAGE_SUFFIXES,
    SFC_SUFFIXES,
    has_template_syntax,
    script_blocks,
    without_template_syntax,
)
from polldetox.scan.ts_values import Value, Values
from polldetox.scan.ts_values import exported_constants as exported_constants
from polldetox.scan.ts_values import reexported_names as reexported_names
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
    b"SetInterval",
    b"AutoRefresh",
    b"Poller",
    b"poll(",
    b"polldetox",
    b"rxjs",
    # Classic scripts' global helpers (see ts_globals).
    b"$.getJSON",
    b"$.ajax",
    b"$.get(",
    b"$.post(",
    b"XMLHttpRequest",
    # Promise-paced loops (see ts_loops).
    b"sleep",
    b"delay(",
    b"timers/promises",
    # Node schedulers (see ts_schedulers).
    b"cron",
    b"Cron",
    b"scheduleJob",
    b"agenda",
    b"repeat",
    b"upsertJobScheduler",
    b"IntervalJob",
    b"@Interval",
    # Routes: an app or router made by a factory, or named app/router/server (see ts_routes).
    b"express",
    b"Router",
    b"Koa",
    *(f"{owner}.{method}(".encode() for owner in ("app", "router", "server") for method in ROUTE_METHODS),
)

# Hand-written code averages well under this many characters a line; bundles and minified files do not.
_MINIFIED_LINE = 400
_CASTS = ("as_expression", "satisfies_expression", "parenthesized_expression")
_OPTION_MECHANISMS = {
    "refetchInterval": "useQuery refetchInterval",
    "refreshInterval": "useSWR refreshInterval",
    "pollInterval": "Apollo pollInterval",
    "pollingInterval": "RTK Query pollingInterval",
}
_INTERVAL_TIMERS = frozenset({"setInterval", "window.setInterval", "globalThis.setInterval"})
# A helper named after a timer is a shim that forwards to it (`setInterval: (cb, ms) => setInterval(cb, ms)`).
_TIMER_NAMES = frozenset({"setInterval", "setTimeout"})
# Polling helpers recognised by name when they are imported: usePolling, usePolledData, useInterval, createPoller.
# So are timer wrappers named after the timer (`adaptiveSetInterval(refreshStatus)`), and auto-refresh hooks.
_KNOWN_ENGINE = re.compile(
    r"^(usePoll\w*|useInterval|create\w*Poller|poll|startPolling|[a-z]\w*SetInterval\w*|use\w*AutoRefresh)$"
)
# An auto-refresh hook called without a callback re-fetches the page's data itself (`useAutoRefresh({ key })`).
_SELF_FETCHING_ENGINE = re.compile(r"^use\w*AutoRefresh$")
# Hooks that keep a callback handed in stable across renders: what they return calls that callback.
# An autosave's callback prop: `onSave`, `savePipelineContent`, `persistDraft`, `flush`.
_SAVES = re.compile(r"^(on)?(auto)?(save|persist|flush)", re.IGNORECASE)
_STABLE_CALLBACK_HOOK = re.compile(r"^(React\.)?use\w*(Callback|Event)$|^useLatest\w*$")
_INTERVAL_OPTION_KEYS = frozenset({"interval", "intervalMs", "delay", "ms", "every", "period"})
_CALLBACK_OPTION_KEYS = frozenset({"fn", "callback", "task", "fetcher", "queryFn", "onTick", "poll"})

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
_VUE_REFS = frozenset({"ref", "computed", "shallowRef", "toRef", "readonly"})
_FILE_WATCH_MODULES = frozenset({"chokidar", "fs", "node:fs", "fs/promises", "node:fs/promises", "nodemon", "wait-on"})
# Code importing a UI framework runs in the browser, whatever its folder is called (`app/jobs/`).
_UI_MODULES = ("@angular/", "vue", "svelte", "@sveltejs/", "pinia", "@vue/")
_BACKEND_FOLDERS = frozenset({"server", "backend", "jobs", "workers", "worker"})
# A state setter (`setSettings({ pollingInterval })`, `store.setState(...)`) stores a preference; these
# setters instead configure a query client or observer, so what they are handed still polls.
_STATE_SETTER = re.compile(r"^set(State|[A-Z]\w*)?$")
_QUERY_SETTERS = frozenset({"setOptions", "setQueryDefaults", "setDefaultOptions", "setMutationDefaults"})
# Store and selector wrappers whose objects are state: zustand's create/persist/useShallow, React's createContext.
_STORE_WRAPPERS = frozenset({"create", "persist", "devtools", "immer", "useShallow", "createContext", "shallow"})


def detect(source: str, path: str) -> FileFacts:
    """Every polling fact of one TypeScript/JavaScript file, or of a Vue/Svelte component's scripts."""
    if len(source) > _MINIFIED_LINE * (source.count("\n") + 1):
        return FileFacts(path=path, language=language_of(path))  # minified or bundled: a vendored build, not source
    if path.endswith(PAGE_SUFFIXES) and "<script" not in source.lower():
        return FileFacts(path=path, language="javascript")  # a page without scripts: markup only
    if path.endswith((*SFC_SUFFIXES, *PAGE_SUFFIXES)):
        scripts = script_blocks(source)
        encoded = scripts.source.encode()
        if not scripts.blocks or (path.endswith(PAGE_SUFFIXES) and not any(t in encoded for t in TRIGGER_TOKENS)):
            return FileFacts(path=path, language="javascript")
        language = "typescript" if scripts.typescript else "javascript"
        return _Detector(_parse_templated(scripts.source, path, scripts.typescript), language).facts()
    return _Detector(_parse_templated(source, path), language_of(path)).facts()


def _parse_templated(source: str, path: str, typescript: bool | None = None) -> Tree:
    """Parse a script; one that fails only because of server template syntax parses with it blanked."""
    try:
        return parse(source, path, typescript)
    except ParseFailure:
        if not has_template_syntax(source):
            raise
        return parse(without_template_syntax(source), path, typescript)


@dataclass(frozen=True, slots=True)
class _Option:
    """A polling option's value: the interval (None when unknown) and whether it only runs as a fallback."""

    value: Value | None
    fallback: bool = False


@dataclass(slots=True)
class _QueryFacts:
    query_key: str | None = None
    reads: Reads = field(default_factory=Reads)
    in_background: bool = False
    fallback: bool = False
    usage: Node | None = None  # where options defined elsewhere are used


class _Detector:
    def __init__(self, tree: Tree, language: str) -> None:
        self.tree = tree
        self.values = Values(tree)
        self.language = language
        self.reader = CallbackReader(tree, self.values)
        self.react = any(
            m == "react" or m.startswith(("react-", "react/", "@tanstack/react")) for m in self.values.modules
        )
        self.react = self.react or bool(tree.jsx_elements(tree.root))
        self.backend = self._is_backend()
        self.place = Surroundings(tree, self.values, self.backend)
        self.engines: set[str] = set()
        self.sites: list[PollingSite] = []
        self.classic = not self.backend and not self.react and is_classic_script(tree, self.values)
        self.pending: list[PendingSite] = []

    def _is_backend(self) -> bool:
        if self.react or any(m.startswith(_UI_MODULES) for m in self.values.modules):
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
            elif name in TIMEOUTS:
                self._timeout_loop(call)
        for call in calls:
            self._engine_call_or_start_polling(call)
        for poll in RxjsPolling(self.tree, self.values, self.reader).sites():
            self._add(SiteKind.INTERVAL_TIMER, poll.mechanism, poll.node, poll.interval, poll.reads)
        for loop in SleepLoops(self.tree, self.values, self.reader, self.place).loops():
            kind = SiteKind.LOOP if self.backend else SiteKind.TIMEOUT_LOOP
            self._add(kind, loop.mechanism, loop.node, loop.interval, loop.reads)
        for job in NodeSchedules(self.tree, self.values, self.reader).jobs():
            detail = f"job {job.job}" if job.job else None
            self._add(SiteKind.SCHEDULER, job.mechanism, job.node, job.interval, job.reads, detail=detail)
        self._query_options()
        self._manual_refreshes()
        return FileFacts(
            path=self.tree.path,
            language=self.language,
            sites=tuple(sorted(self.sites, key=lambda s: (s.location.line, s.location.column, s.kind))),
            routes=routes(self.tree, self.reader, self.react),
            handled_message_types=handled_message_types(self.tree, self.place),
            suppressions=self._suppressions(),
            fetching_globals=fetching_globals(self.tree, self.reader) if self.classic else (),
            pending_sites=tuple(self.pending),
        )

    def _suppressions(self) -> tuple[Suppression, ...]:
        found = (parse_suppression(text(c), c.start_point[0] + 1) for c in self.tree.of("comment"))
        return tuple(s for s in found if s is not None)

    # --- timers ---------------------------------------------------------------------------------

    def _interval_timer(self, call: Node) -> None:
        args = arguments(call)
        if not args or in_reconnect_handler(call):
            return
        delay = self.values.evaluate(args[1]) if len(args) > 1 else None
        reads = self.reader.callback(args[0])
        if reads.reads:
            self._add(SiteKind.INTERVAL_TIMER, "setInterval", call, delay, reads)
        elif self._calls_parameter(call, args[0]) and not self._saves_through_parameter(call, args[0]):
            self._engine(call, delay, "wraps setInterval")
        elif self.classic and (names := undefined_calls(args[0], self.reader, self.values)):
            self._add(SiteKind.INTERVAL_TIMER, "setInterval", call, delay, reads, pending=names)

    def _timeout_loop(self, call: Node) -> None:
        """A setTimeout that re-arms the function it is in: a polling loop if that function fetches."""
        args = arguments(call)
        if not args or in_reconnect_handler(call):
            return
        target = self._rearmed_function(call, args[0])
        if target is None and _reloads_the_page_on_load(call, args[0]):
            delay = self.values.evaluate(args[1]) if len(args) > 1 else None
            detail = "reloads the page, which sets it again"
            self._add(SiteKind.TIMEOUT_LOOP, "setTimeout page reload", call, delay, Reads(fetches=True), detail=detail)
            return
        if target is None or (len(args) > 1 and is_backoff(args[1])) or in_failure_handler(call):
            return
        delay = self.values.evaluate(args[1]) if len(args) > 1 else None
        reads = self.reader.function(target)
        if reads.reads:
            self._add(SiteKind.TIMEOUT_LOOP, "recursive setTimeout", call, delay, reads, detail="reschedules itself")
        elif not _waits_for_a_condition(call) and (
            self._calls_parameter(call, target) or self._passes_parameter(call, args)
        ):
            self._engine(call, delay, "re-arms setTimeout")
        elif self.classic and (names := undefined_calls(target, self.reader, self.values)):
            detail = "reschedules itself"
            self._add(SiteKind.TIMEOUT_LOOP, "recursive setTimeout", call, delay, reads, detail=detail, pending=names)

    def _engine(self, timer: Node, delay: Value | None, how: str) -> None:
        """A helper that runs the callback it is handed on a timer; its call sites are found next."""
        function, _ = self.place.where(timer)
        if function is not None and function.split(".")[-1] in _TIMER_NAMES:
            return
        if function is not None:
            self.engines.add(function.split(".")[-1])
        self._add(SiteKind.POLLING_ENGINE, f"{function or 'helper'}() {how}", timer, delay, None)

    def _rearmed_function(self, call: Node, callback: Node) -> Node | None:
        """The enclosing function a setTimeout schedules again, if it does."""
        enclosing = {name: node for node in ancestors(call) if (name := self.place.own_name(node)) is not None}
        if not enclosing:
            return None
        callback = unwrap(callback)
        if callback is None:
            return None
        if callback.type in ("identifier", "member_expression"):
            name = text(callback).removeprefix("this.")
            if name in enclosing:
                return enclosing[name]
            # `setTimeout(safeBeat, ms)` inside `beat`, where `safeBeat` calls `beat`: re-armed through a wrapper
            wrapper = self.reader.functions.get(name) or self.reader.methods.get(name)
            if wrapper is None:
                return None
            called = [callee_name(n).removeprefix("this.") for n in descendants(wrapper) if n.type == "call_expression"]
            return next((enclosing[c] for c in called if c in enclosing), None)
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
        for node in ancestors(call):
            if node.type in FUNCTION_TYPES and not _is_promise_executor(node):
                parameters |= _parameters(node)
        if not parameters:
            return False
        callback = unwrap(callback)
        if callback is None:
            return False
        if callback.type == "identifier":
            return text(callback) in parameters or self._wraps_parameter(call, text(callback), parameters)
        if callback.type not in FUNCTION_TYPES:
            return False
        refs = self._refs_of(call, parameters)
        for node in descendants(callback):
            if node.type == "call_expression":
                name = callee_name(node)
                if name in parameters or (name.endswith(".current") and name.removesuffix(".current") in refs):
                    return True
        return False

    def _saves_through_parameter(self, call: Node, callback: Node) -> bool:
        """`setInterval(() => onSave(editor.getValue()), 5000)`: an autosave hands its own content to a save
        callback; every function handed in that it calls writes, and nothing is read back."""
        parameters: set[str] = set()
        for node in ancestors(call):
            if node.type in FUNCTION_TYPES and not _is_promise_executor(node):
                parameters |= _parameters(node)
        callback = unwrap(callback)
        if callback is None or callback.type not in FUNCTION_TYPES:
            return False
        called = [callee_name(node) for node in descendants(callback) if node.type == "call_expression"]
        handed = [name for name in called if name in parameters]
        return bool(handed) and all(_SAVES.search(name) for name in handed)

    def _wraps_parameter(self, call: Node, name: str, parameters: set[str]) -> bool:
        """`const run = useImmutableCallback(refresh)`: a stable-callback hook around a function handed in."""
        scope = outermost_function(call) or self.tree.root
        for declarator in self.tree.within("variable_declarator", scope):
            value = unwrap(declarator.child_by_field_name("value"))
            if text(declarator.child_by_field_name("name")) != name or value is None or value.type != "call_expression":
                continue
            args = arguments(value)
            if _STABLE_CALLBACK_HOOK.match(callee_name(value)) and args and text(unwrap(args[0])) in parameters:
                return True
        return False

    def _passes_parameter(self, call: Node, args: list[Node]) -> bool:
        """`setTimeout(setInter, ms, func, ms)` inside `setInter(func, ms)`: re-arms itself with the callback
        it was handed, every time; one re-armed only inside an `if` that returns waits for a condition."""
        function = next((a for a in ancestors(call) if a.type in FUNCTION_TYPES), None)
        if function is None:
            return False
        parameters = _parameters(function)
        return any(unwrap(a) is not None and text(unwrap(a)) in parameters for a in args[2:])

    def _refs_of(self, call: Node, parameters: set[str]) -> set[str]:
        """`savedCallback` in `const savedCallback = useRef(fn)` / `savedCallback.current = fn`."""
        scope = outermost_function(call) or self.tree.root
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
        if name not in self.engines and not _KNOWN_ENGINE.match(name):
            return
        enclosing, _ = self.place.where(call)
        if enclosing is not None and enclosing.split(".")[-1] == name:
            return  # the helper calling itself is the engine, not a use of it
        reads, interval = self._engine_arguments(args)
        if reads is None and _SELF_FETCHING_ENGINE.match(name) and not any(_is_callback(a) for a in args):
            reads = Reads(fetches=True)
        if reads is not None:
            where = "defined in this file" if name in self.engines else "imported"
            self._add(SiteKind.ENGINE_CALL, f"{name}() polling helper", call, interval, reads, detail=where)
        elif name == "startPolling" and len(args) == 1:
            self._add(SiteKind.START_POLLING, "Apollo startPolling", call, self.values.evaluate(args[0]), None)

    def _engine_arguments(self, args: list[Node]) -> tuple[Reads | None, Value | None]:
        """The fetching callback handed to a polling helper, and the interval it is given."""
        reads: Reads | None = None
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
                        candidate = self.reader.callback(value)
                        reads = candidate if candidate.reads else None
                    elif key in _INTERVAL_OPTION_KEYS and interval is None:
                        interval = self.values.evaluate(value)
                continue
            if reads is None and node.type in (*FUNCTION_TYPES, "identifier", "member_expression"):
                candidate = self.reader.callback(node)
                if candidate.reads:
                    reads = candidate
                    continue
            if interval is None:
                interval = self.values.evaluate(node)
        return reads, interval

    # --- query library options --------------------------------------------------------------------

    def _query_options(self) -> None:
        options = [(pair, pair.child_by_field_name("value")) for pair in self.tree.of("pair")]
        options += [(short, short) for short in self.tree.of("shorthand_property_identifier")]
        for node, value in options:
            key = pair_key(node) if node.type == "pair" else text(node)
            if key not in _OPTION_MECHANISMS or node.parent is None or node.parent.type != "object":
                continue
            option = self._option(value)
            if (
                option is None
                or self._configures_file_watching(node)
                or self._settings_constant(node.parent)
                or _stored_setting(node.parent)
            ):
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

    def _settings_constant(self, options: Node) -> bool:
        """A module's settings object (`const SETTINGS = { queue: { refetchInterval: 5000 } }`) that
        this file only reads values from: its number is reported where it reaches a query or timer.

        An object handed on whole (spread, passed, rendered as a prop) or exported stays a query's
        options; one that nothing uses whole is configuration, not polling."""
        top = options
        while top.parent is not None and top.parent.type == "pair" and top.parent.parent is not None:
            top = top.parent.parent  # `{ queue: { refetchInterval } }`: the settings object holds the options
        holder = top.parent
        while holder is not None and holder.type in (
            "as_expression",
            "satisfies_expression",
            "parenthesized_expression",
        ):
            holder = holder.parent
        if holder is None or holder.type != "variable_declarator":
            return False
        declaration = holder.parent
        if declaration is None or (declaration.parent is not None and declaration.parent.type == "export_statement"):
            return False
        declared = holder.child_by_field_name("name")
        for identifier in descendants(self.tree.root):
            if identifier.type == "shorthand_property_identifier" and text(identifier) == text(declared):
                return False  # `new QueryClient({ defaultOptions })`
            if identifier.type != "identifier" or text(identifier) != text(declared) or identifier == declared:
                continue
            parent = identifier.parent
            if (
                parent is None
                or parent.type != "member_expression"
                or parent.child_by_field_name("object") != identifier
            ):
                return False  # used whole
        return True

    def _configures_file_watching(self, option: Node) -> bool:
        """`chokidar.watch(path, { awaitWriteFinish: { pollInterval } })`: a file watcher's option, not a query's."""
        call = next((a for a in ancestors(option) if a.type in ("call_expression", "new_expression")), None)
        made = call.child_by_field_name("function") or call.child_by_field_name("constructor") if call else None
        return self._module_of(text(made).split(".")[0]) in _FILE_WATCH_MODULES

    def _module_of(self, name: str) -> str | None:
        """The module a local name was imported or required from."""
        if name in self.values.imports:
            return self.values.imports[name][0]
        value = unwrap(self.values.constants.get(name))
        if value is not None and value.type == "call_expression" and callee_name(value) == "require":
            args = arguments(value)
            return string_value(args[0]) if args else None
        return None

    def _option(self, node: Node | None, depth: int = 0) -> _Option | None:
        """How a polling option polls, or None when its value turns polling off (false, 0)."""
        node = unwrap(node)
        if node is None or depth > 6 or node.type in ("false", "null", "undefined", "true"):
            return None
        if node.type == "ternary_expression":
            condition = node.child_by_field_name("condition")
            when_true = self._option(node.child_by_field_name("consequence"), depth + 1)
            when_false = self._option(node.child_by_field_name("alternative"), depth + 1)
            if when_true is not None and when_false is not None:
                return when_true
            if when_true is not None:
                return _Option(when_true.value, when_true.fallback or fallback_condition(condition, True))
            if when_false is not None:
                return _Option(when_false.value, when_false.fallback or fallback_condition(condition, False))
            return None
        if node.type == "call_expression" and callee_name(node) in _VUE_REFS and len(arguments(node)) == 1:
            return self._option(arguments(node)[0], depth + 1)  # Vue Query takes refs: `computed(() => ...)`
        if node.type in FUNCTION_TYPES:
            returned = [option for r in _returned(node) if (option := self._option(r, depth + 1)) is not None]
            if not returned:
                return None
            known = next((o.value for o in returned if o.value is not None and o.value.ms is not None), None)
            return _Option(known or returned[0].value, any(o.fallback for o in returned))
        if node.type in ("identifier", "shorthand_property_identifier") and text(node) in self.values.constants:
            return self._option(self.values.constants[text(node)], depth + 1)
        if node.type in ("identifier", "shorthand_property_identifier") and (
            default := _parameter_default(node, text(node))
        ):
            return self._option(default, depth + 1)  # `function useX({ refetchInterval = 30_000 } = {})`
        shorthand = node.type == "shorthand_property_identifier"  # `{ refetchInterval }`
        value = self.values.lookup(text(node)) if shorthand else self.values.evaluate(node)
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
                    facts.reads.merge(self.reader.callback(args[1]))
        holder = _declared_name(options)
        if holder is not None and depth == 0:
            for usage in self._usages(holder):
                facts.usage = facts.usage or usage
                if usage.type == "object":
                    used = self._query_facts(usage, depth + 1)
                    facts.query_key = facts.query_key or used.query_key
                    facts.in_background |= used.in_background
                    facts.fallback |= used.fallback
                    facts.reads.merge(used.reads)
        return facts

    def _merge_options(self, options: Node, facts: _QueryFacts) -> None:
        for pair in options.named_children:
            if pair.type != "pair":
                continue
            key, value = pair_key(pair), pair.child_by_field_name("value")
            if key == "queryKey":
                facts.query_key = _flat(value)
            elif key in ("queryFn", "fetcher", "queryFunction"):
                facts.reads.merge(self.reader.callback(value))
            elif key in ("refetchIntervalInBackground", "refreshWhenHidden"):
                facts.in_background = text(value) == "true"
            elif key == "enabled":
                facts.fallback = fallback_condition(value, True)

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
        scope = outermost_function(call) or self.tree.root
        handlers = {
            name
            for name, node in self.reader.functions.items()
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
        reads: Reads | None,
        *,
        query_key: str | None = None,
        in_background: bool = False,
        fallback: bool = False,
        context_node: Node | None = None,
        detail: str | None = None,
        pending: tuple[str, ...] = (),
    ) -> None:
        function, context = self.place.where(node)
        if function is None and context_node is not None:
            function, context = self.place.where(context_node)
        reads = reads or Reads()
        fallback = fallback or self.place.fallback_only(node)
        extra = self.place.fallback_facts(context_node or node) if fallback else FallbackFacts()
        polls = Polls.DATABASE if reads.database else Polls.HTTP if reads.fetches else Polls.UNKNOWN
        site = PollingSite(
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
            query_key=query_key or reads.query_key,
            broadcasts=reads.broadcasts,
            compares_state=reads.compares_state,
            message_types=tuple(reads.typed),
            in_background=in_background,
            interval_env_var=interval.env if interval is not None else None,
            logs_activity=reads.logs_activity,
            logs_warning=reads.logs_warning or extra.logs_warning,
            fallback_only=fallback,
            max_duration_seconds=extra.max_duration_seconds,
            restores_connection=extra.restores_connection,
            detail=detail,
        )
        if pending:
            self.pending.append(PendingSite(site=site, globals=pending))
        else:
            self.sites.append(site)


# --- small syntax helpers --------------------------------------------------------------------------


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


def _waits_for_a_condition(timer: Node) -> bool:
    """`if (document.hidden) { setTimeout(callIfVisible, 1000, func); return; }`, or `if (last < wait)
    { setTimeout(check, wait - last) } else { fn() }`: tries again until a condition holds, then runs once."""
    for ancestor in ancestors(timer):
        if ancestor.type in FUNCTION_TYPES:
            return False
        if ancestor.type != "statement_block" or ancestor.parent is None:
            continue
        branch = ancestor.parent
        statement = branch.parent if branch.type == "else_clause" else branch
        if statement is None or statement.type != "if_statement":
            continue
        if any(child.type == "return_statement" for child in ancestor.named_children):
            return True
        # the other branch runs once the condition holds, and arms no timer again
        other = statement.child_by_field_name("alternative" if branch is statement else "consequence")
        return other is not None and not any(
            node.type == "call_expression" and callee_name(node) == "setTimeout" for node in descendants(other)
        )
    return False


def _parameter_default(node: Node, name: str) -> Node | None:
    """The default of the enclosing functions' parameter `name` (`name = 5000` or `{ name = 5000 }`)."""
    for function in ancestors(node):
        parameters = function.child_by_field_name("parameters") if function.type in FUNCTION_TYPES else None
        for parameter in descendants(parameters) if parameters is not None else ():
            if parameter.type == "object_assignment_pattern" and text(parameter.child_by_field_name("left")) == name:
                return parameter.child_by_field_name("right")
            if (
                parameter.type in ("required_parameter", "optional_parameter")
                and text(parameter.child_by_field_name("pattern")) == name
            ):
                return parameter.child_by_field_name("value")
    return None


def _is_promise_executor(function: Node) -> bool:
    """`(resolve, reject) => ...` in `new Promise(...)`: calling `resolve` settles a promise, not a callback."""
    holder = function.parent
    constructor = holder.parent if holder is not None and holder.type == "arguments" else None
    return (
        constructor is not None
        and constructor.type == "new_expression"
        and text(constructor.child_by_field_name("constructor")) == "Promise"
    )


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


def _stored_setting(options: Node) -> bool:
    """`{ pollingInterval: 5, setSettings }` in a store, a context value or a settings form: an object
    holding a polling option's key that is state, not a query's options. The preference is reported
    where it reaches a query hook's options, not where it is stored."""
    for entry in options.named_children:
        key = pair_key(entry) if entry.type in ("pair", "method_definition") else text(entry)
        if entry.type == "method_definition":
            key = text(entry.child_by_field_name("name"))
        if _STATE_SETTER.match(key) and key != "set" and key not in _QUERY_SETTERS:
            return True  # the object also hands out its setter: a store or a context value
    holder: Node | None = options
    while holder is not None and holder.parent is not None and holder.parent.type in (*_CASTS, "arrow_function"):
        holder = holder.parent  # `(set) => ({ ... })`: an arrow returning the object
    call = _call_of_argument(holder) if holder is not None else None
    if call is None:
        return False
    name = property_name(call)
    return name in _STORE_WRAPPERS or (bool(_STATE_SETTER.match(name)) and name not in _QUERY_SETTERS)


def _reloads_the_page_on_load(timer: Node, callback: Node) -> bool:
    """`setTimeout(() => location.reload(), 5000)` run as the script loads: every load arms the next one."""
    callback = unwrap(callback)
    if (
        callback is None
        or callback.type not in FUNCTION_TYPES
        or any(a.type in FUNCTION_TYPES for a in ancestors(timer))
    ):
        return False
    return any(
        n.type == "call_expression" and callee_name(n) in ("location.reload", "window.location.reload")
        for n in descendants(callback)
    )


def _is_callback(node: Node) -> bool:
    """A function handed to a helper, directly or as an option (`{ onTick: () => ... }`)."""
    value = unwrap(node)
    if value is not None and value.type == "object":
        return any(p.type == "pair" and pair_key(p) in _CALLBACK_OPTION_KEYS for p in value.named_children)
    return value is not None and (value.type in FUNCTION_TYPES or value.type in ("identifier", "member_expression"))


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


def _flat(node: Node | None) -> str | None:
    return " ".join(text(node).split()) if node is not None else None
