"""Where a site runs: its enclosing component, hook or method, and the fallback guarding it.

The context (component, hook, class component, provider, backend, client module) and the
standard's Exception 3 facts are read off the site's surroundings: the functions and conditions
around it, and the warning, reconnect and time limit in the same component or hook.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.findings import Context
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    FUNCTION_WRAPPERS,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    member_property,
    outermost_function,
    pair_key,
    property_name,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_sfc import SFC_SUFFIXES
from polldetox.scan.ts_values import Value, Values

# A re-arming timeout whose delay is a backoff retries a failed operation; it does not poll.
_BACKOFF_DELAY = re.compile(r"backoff|retry|retries|attempt", re.IGNORECASE)
_LOST_EVENTS = frozenset({"close", "error", "disconnect", "end"})
_LOST_HANDLERS = frozenset({"onclose", "onerror", "ondisconnect"})
TIMEOUTS = frozenset({"setTimeout", "window.setTimeout", "globalThis.setTimeout"})
_FALLBACK_WORDS = re.compile(r"fallback|disconnected|offline|degraded", re.IGNORECASE)
# Only an explicit name marks a callback or function as the fallback (`onFallback`, `startFallbackPolling`);
# `syncOfflineChanges` is ordinary work.
_FALLBACK_NAME = re.compile(r"fallback", re.IGNORECASE)
_CONNECTED_WORDS = re.compile(r"connected|online|isopen", re.IGNORECASE)
_DURATION_WORDS = re.compile(r"fallback|elapsed|duration|since", re.IGNORECASE)
_COMPARISONS = frozenset({">", ">=", "<", "<="})
_REACT_CLASSES = frozenset({"Component", "PureComponent", "React.Component", "React.PureComponent"})


@dataclass(frozen=True, slots=True)
class FallbackFacts:
    """Requirements of Exception 3 met around a fallback."""

    logs_warning: bool = False
    restores_connection: bool = False
    max_duration_seconds: float | None = None


class Surroundings:
    """Answers where a node of one file runs."""

    def __init__(self, tree: Tree, values: Values, backend: bool) -> None:
        self.tree = tree
        self.values = values
        self.backend = backend

    def where(self, node: Node) -> tuple[str | None, Context]:
        """The enclosing component/hook/method name, and what kind of place it is."""
        outer: Node | None = None
        name: str | None = None
        owner_class: Node | None = None
        for ancestor in ancestors(node):
            if ancestor.type in ("class_declaration", "class", "abstract_class_declaration"):
                owner_class = ancestor
                break
            if ancestor.type in FUNCTION_TYPES and (own := self.own_name(ancestor)) is not None:
                outer, name = ancestor, own
        if owner_class is not None:
            class_name = text(owner_class.child_by_field_name("name")) or _bound_name(owner_class)
            qualified = ".".join(part for part in (class_name, name) if part) or None
            if self.backend:
                return qualified, Context.BACKEND
            return qualified, Context.CLASS_COMPONENT if _extends_react(owner_class) else Context.CLIENT_MODULE
        if self.backend:
            return name, Context.BACKEND
        if self.tree.path.endswith(SFC_SUFFIXES):  # a Vue/Svelte component is its file
            component = posixpath.splitext(posixpath.basename(self.tree.path))[0]
            return ".".join(part for part in (component, name) if part), Context.COMPONENT
        if outer is None or name is None:
            return name, Context.CLIENT_MODULE
        if re.match(r"^use[A-Z0-9]", name):
            return name, Context.HOOK
        if name[:1].isupper() and self.tree.jsx_elements(outer):
            return name, Context.PROVIDER if self._is_provider(name, outer) else Context.COMPONENT
        return name, Context.CLIENT_MODULE

    def _is_provider(self, name: str, function: Node) -> bool:
        """Named as one, or renders a `<Context.Provider>`."""
        if name.endswith("Provider"):
            return True
        return any(text(n.child_by_field_name("name")).endswith(".Provider") for n in self.tree.jsx_elements(function))

    def own_name(self, function: Node) -> str | None:
        """The name a function is declared or bound under, if any."""
        if function.type not in FUNCTION_TYPES:
            return None
        named = function.child_by_field_name("name")
        if named is not None:
            return text(named)
        holder = function.parent
        while holder is not None and holder.type in ("arguments", "call_expression", "parenthesized_expression"):
            if holder.type == "call_expression" and callee_name(holder) not in FUNCTION_WRAPPERS:
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

    def fallback_only(self, node: Node) -> bool:
        """Whether the site only runs while the event-driven connection is down."""
        child = node
        for ancestor in ancestors(node):
            kind = ancestor.type
            if kind in ("if_statement", "ternary_expression"):
                condition = ancestor.child_by_field_name("condition")
                if _inside(child, ancestor.child_by_field_name("consequence")):
                    if fallback_condition(condition, True):
                        return True
                elif _inside(child, ancestor.child_by_field_name("alternative")) and fallback_condition(
                    condition, False
                ):
                    return True
            elif kind == "binary_expression" and text(ancestor.child_by_field_name("operator")) == "&&":
                if child == ancestor.child_by_field_name("right") and fallback_condition(
                    ancestor.child_by_field_name("left"), True
                ):
                    return True
            elif kind == "statement_block" and _early_return_unless_fallback(ancestor, child):
                return True
            elif _FALLBACK_NAME.search(pair_key(ancestor) if kind == "pair" else self.own_name(ancestor) or ""):
                return True  # inside `onFallback: () => ...` or a function named for the fallback
            child = ancestor
        return False

    def fallback_facts(self, node: Node) -> FallbackFacts:
        """Requirements of Exception 3 met in the component or hook around a fallback."""
        scope = outermost_function(node) or self.tree.root
        warns = restores = False
        bounds: list[Value | None] = []
        for n in descendants(scope):
            if n.type == "call_expression":
                name = callee_name(n)
                last = name.split(".")[-1].lower()
                warns |= name in ("console.warn", "log.warn") or name.endswith(("logger.warn", "logger.warning"))
                restores |= name.endswith("location.reload") or "reconnect" in last or last.startswith("connect")
                if name in TIMEOUTS and any(word in text(n) for word in ("reload", "reconnect")):
                    args = arguments(n)  # a timer that restores the connection bounds the fallback
                    bounds.append(self.values.evaluate(args[1]) if len(args) > 1 else None)
            elif n.type == "binary_expression" and text(n.child_by_field_name("operator")) in _COMPARISONS:
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                for measured, bound in ((left, right), (right, left)):
                    if _DURATION_WORDS.search(text(measured)):
                        bounds.append(self.values.evaluate(bound))
        known = [bound.ms / 1000 for bound in bounds if bound is not None and bound.ms is not None]
        return FallbackFacts(
            logs_warning=warns, restores_connection=restores, max_duration_seconds=known[0] if known else None
        )


def _bound_name(node: Node) -> str:
    """`Poller` in `const Poller = class { ... }`; empty for an anonymous class."""
    holder = node.parent
    if holder is not None and holder.type == "variable_declarator":
        return text(holder.child_by_field_name("name"))
    return ""


def _inside(node: Node, container: Node | None) -> bool:
    return container is not None and container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def fallback_condition(condition: Node | None, polls_when: bool) -> bool:
    """Whether polling when `condition` is `polls_when` means polling only while disconnected."""
    condition = unwrap(condition)
    if condition is None:
        return False
    if condition.type == "unary_expression" and text(condition.child_by_field_name("operator")) == "!":
        return fallback_condition(condition.child_by_field_name("argument"), not polls_when)
    if condition.type == "binary_expression":
        op = text(condition.child_by_field_name("operator"))
        parts = (condition.child_by_field_name("left"), condition.child_by_field_name("right"))
        if (op == "&&" and polls_when) or (op == "||" and not polls_when):
            return any(fallback_condition(part, polls_when) for part in parts)
        return False
    if condition.type == "call_expression" and callee_name(condition) == "computed":
        getter = unwrap(arguments(condition)[0]) if arguments(condition) else None
        body = getter.child_by_field_name("body") if getter is not None and getter.type in FUNCTION_TYPES else None
        return fallback_condition(body, polls_when)  # Vue: `enabled: computed(() => !connected.value)`
    if condition.type not in ("identifier", "member_expression"):
        return False
    # A Vue ref's `.value` and a React ref's `.current` hold what the ref is named for.
    name = text(condition).removesuffix(".value").removesuffix(".current").split(".")[-1]
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
        if returns and fallback_condition(statement.child_by_field_name("condition"), False):
            return True
    return False


def _extends_react(owner_class: Node) -> bool:
    for node in owner_class.named_children:
        if node.type == "class_heritage":
            return any(n.type == "extends_clause" and _base_class(n) in _REACT_CLASSES for n in node.named_children)
    return False


def _base_class(extends: Node) -> str:
    value = extends.child_by_field_name("value")
    return text(value).split("<")[0]


def in_reconnect_handler(timer: Node) -> bool:
    """Inside a socket's close or error handler: a timer there reconnects, it does not poll."""
    for node in ancestors(timer):
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression" and member_property(left) in _LOST_HANDLERS:
                return True
        elif node.type == "call_expression" and property_name(node) in ("on", "once", "addEventListener"):
            args = arguments(node)
            if args and string_value(args[0]) in _LOST_EVENTS:
                return True
        elif node.type == "pair" and pair_key(node).lower() in _LOST_HANDLERS:
            return True
    return False


def is_backoff(delay: Node) -> bool:
    """A retry's growing delay; `failed ? backoffMs : POLL_MS` still polls on its normal branch."""
    delay = unwrap(delay)
    return delay is not None and delay.type != "ternary_expression" and bool(_BACKOFF_DELAY.search(text(delay)))


def in_failure_handler(node: Node) -> bool:
    """Inside a `catch` block or a promise's `.catch()`/jQuery `.fail()` callback: what runs there again
    retries the operation that failed (a readiness wait), it does not poll."""
    below = node
    for ancestor in ancestors(node):
        if ancestor.type == "catch_clause":
            return True
        if (
            ancestor.type == "call_expression"
            and property_name(ancestor) in ("catch", "fail")
            and below == ancestor.child_by_field_name("arguments")  # not `.then(cb)` that `.catch` is chained to
        ):
            return True
        below = ancestor
        if ancestor.type in FUNCTION_TYPES and ancestor.parent is not None and ancestor.parent.type != "arguments":
            return False  # a named function boundary: its own callers decide
    return False
