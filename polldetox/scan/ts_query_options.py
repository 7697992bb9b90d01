"""Query libraries' polling options (TanStack/Vue Query `refetchInterval`, SWR `refreshInterval`,
Apollo `pollInterval`, RTK Query `pollingInterval`) and Exception 4's manual-refresh queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from polldetox.findings import SiteKind
from polldetox.scan.ts_context import fallback_condition
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
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_site import Found, SiteCollector
from polldetox.scan.ts_values import Value, Values, local_default

_CASTS = ("as_expression", "satisfies_expression", "parenthesized_expression")
_OPTION_MECHANISMS = {
    "refetchInterval": "useQuery refetchInterval",
    "refreshInterval": "useSWR refreshInterval",
    "pollInterval": "Apollo pollInterval",
    "pollingInterval": "RTK Query pollingInterval",
}
_VUE_REFS = frozenset({"ref", "computed", "shallowRef", "toRef", "readonly"})
_FILE_WATCH_MODULES = frozenset({"chokidar", "fs", "node:fs", "fs/promises", "node:fs/promises", "nodemon", "wait-on"})
# A state setter (`setSettings({ pollingInterval })`, `store.setState(...)`) stores a preference; these
# setters instead configure a query client or observer, so what they are handed still polls.
_STATE_SETTER = re.compile(r"^set(State|[A-Z]\w*)?$")
_QUERY_SETTERS = frozenset({"setOptions", "setQueryDefaults", "setDefaultOptions", "setMutationDefaults"})
# Store and selector wrappers whose objects are state: zustand's create/persist/useShallow, React's createContext.
_STORE_WRAPPERS = frozenset({"create", "persist", "devtools", "immer", "useShallow", "createContext", "shallow"})


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


class QueryOptionPolling(SiteCollector):
    def __init__(self, tree: Tree, values: Values, reader: CallbackReader) -> None:
        super().__init__()
        self.tree = tree
        self.values = values
        self.reader = reader

    def sites(self) -> list[Found]:
        self._query_options()
        self._manual_refreshes()
        return self.found

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
            default := local_default(node, text(node))
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
                for url in self.reader.returned_urls(key):  # useSWRInfinite(getKey, ...): the key makes the URL
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
