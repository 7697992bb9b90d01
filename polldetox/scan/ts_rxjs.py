"""RxJS polling: a periodic source piped into an operator that fetches, or a fetch re-subscribed on a delay.

`interval(n)` and `timer(d, n)` emit forever; piped into `switchMap`/`mergeMap`/`exhaustMap`/
`concatMap` (or their `...To` forms, `tap`, `subscribe`) that call HttpClient, fetch, `ajax` or
a service method, they re-fetch every n ms. `repeat({ delay })`/`repeatWhen(... delay(n))` after a
fetch, and `expand(() => ... delay(n))` around one, re-subscribe to it on a clock. A one-shot
`timer(n)`, `retry`, `debounceTime` and an `expand` without a delay (paging) do not poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    member_property,
    pair_key,
    property_name,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_values import Value, Values

_PERIODIC = frozenset({"interval", "timer"})
_FLATTENING = frozenset(
    {
        "switchMap",
        "mergeMap",
        "exhaustMap",
        "concatMap",
        "flatMap",
        "switchMapTo",
        "mergeMapTo",
        "concatMapTo",
        "exhaustMapTo",
    }
)
# Operators whose callback runs on every emission of the source.
_PER_TICK = _FLATTENING | {"tap", "subscribe", "do"}
_DELAYS = frozenset({"delay", "timer", "delayWhen"})
_MAX_HOPS = 12


@dataclass(frozen=True, slots=True)
class RxPoll:
    node: Node  # the periodic source, or the repeat/expand operator
    mechanism: str
    interval: Value | None
    reads: Reads


class RxjsPolling:
    """Finds RxJS polling in one file that imports rxjs."""

    def __init__(self, tree: Tree, values: Values, reader: CallbackReader) -> None:
        self.tree = tree
        self.values = values
        self.reader = reader

    def sites(self) -> list[RxPoll]:
        if not any(module == "rxjs" or module.startswith("rxjs/") for module in self.values.modules):
            return []
        found = []
        for call in self.tree.of("call_expression"):
            name = self._rxjs_name(call)
            if name in _PERIODIC:
                poll = self._periodic(call, name)
            elif name in ("repeat", "repeatWhen"):
                poll = self._repeat(call)
            elif name == "expand":
                poll = self._expand(call)
            else:
                continue
            if poll is not None and poll.reads.reads:
                found.append(poll)
        return found

    def _rxjs_name(self, call: Node) -> str:
        """`interval` for `interval(...)` imported from rxjs, `Observable.interval(...)`, `rxjs.timer(...)`."""
        name = callee_name(call)
        if name.startswith(("Observable.", "rxjs.")):
            return name.split(".", 1)[1]
        imported = self.values.imports.get(name)
        if imported is not None and (imported[0] == "rxjs" or imported[0].startswith("rxjs/")):
            return imported[1]
        return ""

    # --- interval(n) / timer(d, n) -----------------------------------------------------------------

    def _periodic(self, call: Node, name: str) -> RxPoll | None:
        args = arguments(call)
        period = args[0] if name == "interval" and args else args[1] if len(args) > 1 else None
        if period is None:
            return None  # timer(n): one emission
        reads = Reads()
        operators = []
        for operator in self._downstream(call):
            if property_name(operator) in _PER_TICK:
                operators.append(property_name(operator))
                for arg in arguments(operator):
                    reads.merge(self._reads(arg))
        flattening = next((o for o in operators if o in _FLATTENING), operators[0] if operators else "subscribe")
        return RxPoll(call, f"RxJS {name} + {flattening}", self.values.evaluate(period), reads)

    def _downstream(self, source: Node) -> Iterator[Node]:
        """The operator calls applied to what `source` emits, across `.pipe()` chains and names."""
        pending = [source]
        seen: set[int] = set()
        while pending:
            node = pending.pop()
            for _ in range(_MAX_HOPS):
                if node.id in seen:
                    break
                seen.add(node.id)
                parent = node.parent
                if parent is None:
                    break
                if parent.type == "member_expression" and parent.child_by_field_name("object") == node:
                    call = parent.parent
                    if call is None or call.type != "call_expression":
                        break
                    if member_property(parent) == "pipe":
                        operators = map(unwrap, arguments(call))
                        yield from (a for a in operators if a is not None and a.type == "call_expression")
                    else:
                        yield call  # `.switchMap(...)`, `.subscribe(...)`: operators as methods
                    node = call
                    continue
                if (outer := _operator_returning(node)) is not None:
                    pipe, operator = outer
                    later = arguments(pipe)
                    yield from later[later.index(operator) + 1 :]
                    node = pipe
                    continue
                pending.extend(self._uses_of_holder(node))
                break

    def _uses_of_holder(self, node: Node) -> list[Node]:
        """`poll$.pipe(...)`/`this.timer$.subscribe(...)` for `poll$ = interval(n)` or a class field."""
        holder = node.parent
        while holder is not None and holder.type in ("parenthesized_expression", "as_expression"):
            holder = holder.parent
        if holder is None:
            return []
        if holder.type == "variable_declarator":
            names = {text(holder.child_by_field_name("name"))}
        elif holder.type == "public_field_definition":
            field = text(holder.child_by_field_name("name"))
            names = {f"this.{field}", field}
        elif holder.type == "assignment_expression" and holder.child_by_field_name("right") == node:
            names = {text(holder.child_by_field_name("left"))}
        else:
            return []
        uses = []
        for call in self.tree.of("call_expression"):
            function = call.child_by_field_name("function")
            if function is not None and function.type == "member_expression":
                owner = function.child_by_field_name("object")
                if text(owner) in names:
                    uses.append(owner)
        return uses

    # --- repeat({ delay }) and expand(() => ... delay(n)) --------------------------------------

    def _repeat(self, call: Node) -> RxPoll | None:
        args = arguments(call)
        options = unwrap(args[0]) if args else None
        interval: Value | None = None
        if options is None:
            return None
        if options.type == "object":
            delay = next((p.child_by_field_name("value") for p in options.named_children
                          if p.type == "pair" and pair_key(p) == "delay"), None)  # fmt: skip
            if delay is None:
                return None  # repeat({ count }) re-runs at once, a fixed number of times
            interval = self._delay_of(delay)
        elif options.type in FUNCTION_TYPES:
            interval = self._delay_of(options)  # repeatWhen(done => done.pipe(delay(n)))
            if interval is None and not self._has_delay(options):
                return None
        else:
            return None
        reads = self._upstream_reads(call)
        mechanism = f"RxJS {property_name(call)}" + ("({ delay })" if options.type == "object" else "")
        return RxPoll(call, mechanism, interval, reads)

    def _expand(self, call: Node) -> RxPoll | None:
        args = arguments(call)
        step = unwrap(args[0]) if args else None
        if step is None or not self._has_delay(step):
            return None  # expand without a delay pages through results
        reads = self._reads(step)
        reads.merge(self._upstream_reads(call))
        return RxPoll(call, "RxJS expand + delay", self._delay_of(step), reads)

    def _has_delay(self, node: Node) -> bool:
        return any(n.type == "call_expression" and self._is_delay(n) for n in descendants(node))

    def _is_delay(self, call: Node) -> bool:
        name = self._rxjs_name(call) or property_name(call)
        return name in _DELAYS

    def _delay_of(self, node: Node) -> Value | None:
        """The first delay a `delay` option, `delay(n)` or `timer(n)` inside `node` waits."""
        value = self.values.evaluate(node)
        if value is not None:
            return value
        for inner in descendants(node):
            args = arguments(inner) if inner.type == "call_expression" and self._is_delay(inner) else []
            if args and (found := self.values.evaluate(args[0])) is not None:
                return found
        return None

    def _upstream_reads(self, operator: Node) -> Reads:
        """What the observable an operator is piped onto fetches: `this.http.get(url).pipe(repeat(...))`."""
        reads = Reads()
        pipe = operator.parent.parent if operator.parent is not None and operator.parent.type == "arguments" else None
        if pipe is None or pipe.type != "call_expression" or property_name(pipe) != "pipe":
            return reads
        later = arguments(pipe)
        for before in later[: later.index(operator)]:
            reads.merge(self._reads(before))
        function = pipe.child_by_field_name("function")
        if function is not None and function.type == "member_expression":
            reads.merge(self._reads(function.child_by_field_name("object")))
        return reads

    def _reads(self, node: Node | None) -> Reads:
        node = unwrap(node)
        if node is None:
            return Reads()
        if node.type in ("identifier", "member_expression", *FUNCTION_TYPES):
            return self.reader.callback(node)
        return self.reader.function(node)


def _operator_returning(node: Node) -> tuple[Node, Node] | None:
    """(the pipe call, the operator) when `node` is what a flattening operator's function returns.

    `source.pipe(switchMap(() => timer(0, n)), ...)`: the periodic source emits into what follows.
    """
    holder = node.parent
    if holder is not None and holder.type == "return_statement":
        holder = next((a for a in ancestors(holder) if a.type in FUNCTION_TYPES), None)
    elif holder is not None and holder.type not in FUNCTION_TYPES:
        return None
    if holder is None or holder.parent is None or holder.parent.type != "arguments":
        return None
    operator = holder.parent.parent
    if operator is None or operator.type != "call_expression" or property_name(operator) not in _FLATTENING:
        return None
    arguments_node = operator.parent
    pipe = arguments_node.parent if arguments_node is not None and arguments_node.type == "arguments" else None
    if pipe is None or pipe.type != "call_expression" or property_name(pipe) != "pipe":
        return None
    return pipe, operator
