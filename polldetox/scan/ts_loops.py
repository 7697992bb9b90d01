"""Polling written with promises instead of timers: a fetch, an awaited sleep, and again.

- a loop around an awaited sleep: `while (true) { await fetch(...); await sleep(n); }`, `for (;;)`;
- async recursion: `async function poll() { await fetch(...); await sleep(n); return poll(); }`;
- a recursive promise chain: `sleep(n).then(() => poll())` inside `poll`.

A sleep is a call named `sleep`/`delay`/`wait`/`pause`/`timeout`, `setTimeout` from
`timers/promises`, or `new Promise((resolve) => setTimeout(resolve, n))`. Loops bounded by a
counter (`for (let i = 0; i < 3; i++)`, `while (attempt < max)`), backoff delays and sleeps in
a socket's close or error handler retry or reconnect; they do not poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.scan.ts_context import Surroundings, in_failure_handler, in_reconnect_handler, is_backoff
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    property_name,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_values import Value, Values

_SLEEP_NAMES = re.compile(r"^(sleep|delay|wait|pause|timeout|waitMs|sleepMs)$", re.IGNORECASE)
_TIMER_PROMISES = frozenset({"timers/promises", "node:timers/promises"})
_LOOPS = frozenset({"while_statement", "do_statement", "for_statement"})
_BOUNDED = re.compile(r"<|retr|attempt|tries|count", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SleepLoop:
    node: Node  # the loop, or the sleep of a recursive function
    mechanism: str
    interval: Value | None
    reads: Reads


class SleepLoops:
    """Finds fetch-sleep-repeat loops in one file."""

    def __init__(self, tree: Tree, values: Values, reader: CallbackReader, place: Surroundings) -> None:
        self.tree = tree
        self.values = values
        self.reader = reader
        self.place = place
        self.promised_timeouts = {
            name for name, (module, imported) in values.imports.items()
            if module in _TIMER_PROMISES and imported == "setTimeout"
        }  # fmt: skip

    def loops(self) -> list[SleepLoop]:
        found: dict[int, SleepLoop] = {}
        for node in (*self.tree.of("call_expression"), *self.tree.of("new_expression")):
            delay = self._sleep(node)
            if delay is None or in_reconnect_handler(node) or (delay and is_backoff(delay[0])):
                continue
            interval = self.values.evaluate(delay[0]) if delay else None
            poll = self._around(node, interval)
            if poll is not None and poll.reads.reads:
                found.setdefault(poll.node.id, poll)
        return list(found.values())

    def _sleep(self, node: Node) -> list[Node] | None:
        """The delay argument of a sleep (an empty list when it has none), or None when `node` is no sleep."""
        if node.type == "new_expression":
            if text(node.child_by_field_name("constructor")) != "Promise":
                return None
            timer = next((n for n in descendants(node) if n.type == "call_expression"
                          and callee_name(n) in ("setTimeout", "window.setTimeout")), None)  # fmt: skip
            return arguments(timer)[1:2] if timer is not None else None
        if node.parent is not None and node.parent.type == "new_expression":
            return None
        name = callee_name(node)
        if name in self.promised_timeouts:
            return arguments(node)[:1]
        if _SLEEP_NAMES.match(property_name(node)) and name.split(".")[0] not in ("$", "jQuery", "cy", "page"):
            return arguments(node)[:1]
        return None

    def _around(self, sleep: Node, interval: Value | None) -> SleepLoop | None:
        """The loop a sleep paces, or the function that calls itself again after it."""
        if in_failure_handler(sleep):
            return None  # sleeping after a failure retries until the operation succeeds
        for ancestor in ancestors(sleep):
            if ancestor.type in FUNCTION_TYPES:
                return self._recursion(ancestor, sleep, interval)
            if ancestor.type in _LOOPS and not _bounded(ancestor):
                reads = self.reader.function(ancestor)
                return SleepLoop(ancestor, f"{_loop_name(ancestor)} + await sleep", interval, reads)
        return None

    def _recursion(self, function: Node, sleep: Node, interval: Value | None) -> SleepLoop | None:
        """`poll` awaiting a sleep and then calling `poll` again, directly or in the sleep's `.then()`."""
        outer = function
        while outer.type in FUNCTION_TYPES and self.place.own_name(outer) is None:
            # `sleep(n).then(() => poll())`: the arrow is the chain's callback inside `poll`
            enclosing = next((a for a in ancestors(outer) if a.type in FUNCTION_TYPES), None)
            if enclosing is None:
                return None
            outer = enclosing
        name = self.place.own_name(outer)
        if name is None:
            return None
        again = [
            call for call in descendants(outer)
            if call.type == "call_expression" and call.start_byte > sleep.start_byte
            and callee_name(call).removeprefix("this.") == name
        ]  # fmt: skip
        if not again:
            return None
        chained = any(a.type == "call_expression" and property_name(a) == "then" for a in ancestors(again[0]))
        mechanism = "promise chain + sleep" if chained else "async recursion + sleep"
        return SleepLoop(sleep, mechanism, interval, self.reader.function(outer))


def _bounded(loop: Node) -> bool:
    """A counted loop (`for (let i = 0; i < 3; i++)`, `while (attempt < max)`) retries; it does not poll."""
    if loop.type == "for_statement":
        condition = loop.child_by_field_name("condition")
        return condition is not None and text(condition).strip(" ;") not in ("", "true")
    condition = unwrap(loop.child_by_field_name("condition"))
    return condition is not None and bool(_BOUNDED.search(text(condition)))


def _loop_name(loop: Node) -> str:
    return {"while_statement": "while loop", "do_statement": "do-while loop"}.get(loop.type, "for loop")
