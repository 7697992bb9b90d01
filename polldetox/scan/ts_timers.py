"""Timers that poll: `setInterval` with a fetching callback, a `setTimeout` that re-arms a fetching
function, home-grown polling helpers built on them (engines) and their call sites, Apollo `startPolling`."""

from __future__ import annotations

import re
from collections.abc import Callable

from tree_sitter import Node

from polldetox.findings import SiteKind
from polldetox.scan.ts_context import TIMEOUTS, Surroundings, in_failure_handler, in_reconnect_handler, is_backoff
from polldetox.scan.ts_globals import undefined_calls
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    outermost_function,
    pair_key,
    property_name,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_site import Found, SiteCollector
from polldetox.scan.ts_values import Value, Values, helper_interval

_INTERVAL_TIMERS = frozenset({"setInterval", "window.setInterval", "globalThis.setInterval"})
# A helper named after a timer is a shim that forwards to it (`setInterval: (cb, ms) => setInterval(cb, ms)`).
_TIMER_NAMES = frozenset({"setInterval", "setTimeout"})
# Elements that load their content from a URL when they mount or their `src` changes.
_EMBEDS = frozenset({"iframe", "img", "embed", "object", "video", "audio"})
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


class TimerPolling(SiteCollector):
    def __init__(self, tree: Tree, values: Values, reader: CallbackReader, place: Surroundings, classic: bool) -> None:
        super().__init__()
        self.tree = tree
        self.values = values
        self.reader = reader
        self.place = place
        self.classic = classic
        self.engines: set[str] = set()

    def sites(self) -> list[Found]:
        calls = self.tree.of("call_expression")
        for call in calls:
            name = callee_name(call)
            if name in _INTERVAL_TIMERS:
                self._interval_timer(call)
            elif name in TIMEOUTS:
                self._timeout_loop(call)
        for call in calls:
            self._engine_call_or_start_polling(call)
        return self.found

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
        elif (embedded := self._reloaded_embed(args[0])) is not None:
            detail = f"re-keys the <{embedded}>, which loads its source again"
            self._add(SiteKind.INTERVAL_TIMER, "setInterval", call, delay, Reads(fetches=True), detail=detail)

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

    def _reloaded_embed(self, callback: Node) -> str | None:
        """`setInterval(() => setTick(tick + 1), ms)` where `tick` is the `key` or part of the `src` of an
        `<iframe>`/`<img>`: each change remounts or re-points the element, which fetches its source again."""
        callback = unwrap(callback)
        if callback is None or callback.type not in FUNCTION_TYPES:
            return None
        setters = {callee_name(n) for n in descendants(callback) if n.type == "call_expression"}
        states = set()
        for declarator in self.tree.of("variable_declarator"):
            pattern, value = declarator.child_by_field_name("name"), unwrap(declarator.child_by_field_name("value"))
            if pattern is None or pattern.type != "array_pattern" or value is None or value.type != "call_expression":
                continue
            names = [text(n) for n in pattern.named_children]
            if callee_name(value).endswith("useState") and len(names) == 2 and names[1] in setters:
                states.add(names[0])
        for element in self.tree.jsx_elements(self.tree.root):
            tag = text(element.child_by_field_name("name"))
            if tag not in _EMBEDS:
                continue
            for attribute in element.named_children:
                name = attribute.named_children[0] if attribute.type == "jsx_attribute" else None
                if name is None or text(name) not in ("key", "src"):
                    continue
                if any(_reloads_with(n, states, attribute) for n in descendants(attribute)):
                    return tag
        return None

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
        own = _own_name_stripper(call, self.tree)
        if callback.type in ("identifier", "member_expression"):
            name = own(text(callback))
            if name in enclosing:
                return enclosing[name]
            # `setTimeout(safeBeat, ms)` inside `beat`, where `safeBeat` calls `beat`: re-armed through a wrapper
            wrapper = self.reader.functions.get(name) or self.reader.methods.get(name)
            if wrapper is None:
                return None
            called = [own(callee_name(n)) for n in descendants(wrapper) if n.type == "call_expression"]
            return next((enclosing[c] for c in called if c in enclosing), None)
        if callback.type in FUNCTION_TYPES:
            for node in descendants(callback):
                if node.type != "call_expression":
                    continue
                if target := enclosing.get(own(callee_name(node))):
                    return target
                if property_name(node) in ("then", "finally"):  # `scan().finally(scheduleRescan)`
                    handed = (own(text(a)) for a in arguments(node))
                    if target := next((enclosing[h] for h in handed if h in enclosing), None):
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
                self._start_polling(call, args[0])
            return
        if name not in self.engines and not _KNOWN_ENGINE.match(name):
            return
        enclosing, _ = self.place.where(call)
        if enclosing is not None and enclosing.split(".")[-1] == name:
            return  # the helper calling itself is the engine, not a use of it
        reads, interval = self._engine_arguments(args)
        if interval is None:
            interval = self._helper_default(name)
        if reads is None and _SELF_FETCHING_ENGINE.match(name) and not any(_is_callback(a) for a in args):
            reads = Reads(fetches=True)
        if reads is not None:
            where = "defined in this file" if name in self.engines else "imported"
            self._add(SiteKind.ENGINE_CALL, f"{name}() polling helper", call, interval, reads, detail=where)
        elif name == "startPolling" and len(args) == 1:
            self._start_polling(call, args[0])

    def _start_polling(self, call: Node, interval: Node) -> None:
        document = _apollo_document(self.tree, call)
        self._add(
            SiteKind.START_POLLING, "Apollo startPolling", call, self.values.evaluate(interval), None,
            query_key=document,
        )  # fmt: skip

    def _helper_default(self, name: str) -> Value | None:
        """The interval a polling helper runs on when its call site passes none: its own default."""
        helper = self.reader.functions.get(name)
        if helper is None:
            return self.values.helper_default(name)
        default = helper_interval(helper, self.values)
        return Value(ms=default) if default is not None else None

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


def _own_name_stripper(call: Node, tree: Tree) -> Callable[[str], str]:
    """A function that turns `this.poll`, `self.poll` or `that.poll` (any name bound to `this` in a function
    around `call`, as in `const bookkeeper = this`) into `poll`: a method re-armed through an alias of `this`."""
    prefixes = ["this."]
    for function in ancestors(call):
        if function.type not in FUNCTION_TYPES:
            continue
        for declarator in tree.within("variable_declarator", function):  # indexed: no walk of the function
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None and value.type == "this":
                prefixes.append(text(name) + ".")

    def strip(name: str) -> str:
        return next((name.removeprefix(p) for p in prefixes if name.startswith(p)), name)

    return strip


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


def _is_promise_executor(function: Node) -> bool:
    """`(resolve, reject) => ...` in `new Promise(...)`: calling `resolve` settles a promise, not a callback."""
    holder = function.parent
    constructor = holder.parent if holder is not None and holder.type == "arguments" else None
    return (
        constructor is not None
        and constructor.type == "new_expression"
        and text(constructor.child_by_field_name("constructor")) == "Promise"
    )


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


def _reloads_with(node: Node, states: set[str], attribute: Node) -> bool:
    """A state in a key, or in a src other than as an index (`slides[index]` moves through a list of
    sources; `?t=${tick}` loads the same one again)."""
    if node.type != "identifier" or text(node) not in states:
        return False
    between = []
    for ancestor in ancestors(node):
        if ancestor == attribute:
            break
        between.append(ancestor.type)
    return "subscript_expression" not in between


def _apollo_document(tree: Tree, start: Node) -> str | None:
    """The query document whose result `startPolling` comes from: `useQuery(GET_ORDERS)` destructured as
    `{ startPolling }` or kept as `result` (`result.startPolling`), or `client.watchQuery({ query: GET_ORDERS })`."""
    function = start.child_by_field_name("function")
    if function is None:
        return None
    holder = text(function.child_by_field_name("object")) if function.type == "member_expression" else None
    for declarator in reversed(tree.of("variable_declarator")):  # the nearest one before the call
        name, value = declarator.child_by_field_name("name"), unwrap(declarator.child_by_field_name("value"))
        if name is None or value is None or value.type != "call_expression" or value.start_byte > start.start_byte:
            continue
        bound = (
            text(name) == holder
            if holder is not None
            else any(
                node.type in ("shorthand_property_identifier_pattern", "identifier") and text(node) == text(function)
                for node in descendants(name)
            )
        )
        args = arguments(value)
        if not bound or not args:
            continue
        document: Node | None = args[0]
        if args[0].type == "object":  # client.watchQuery({ query: GET_ORDERS, ... })
            pairs = (pair for pair in args[0].named_children if pair.type == "pair" and pair_key(pair) == "query")
            document = next((pair.child_by_field_name("value") for pair in pairs), None)
        return text(document) or None
    return None
