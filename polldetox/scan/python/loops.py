"""Loops that wait on a clock: `while True: ... sleep(n)`, `for _ in itertools.count(): ...`.

A loop is a site when a normal iteration waits on a timer and nothing in it blocks on an event;
retries, keep-alives, deadline waits, backoff supervisors and debounce drains are told apart here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from polldetox.findings import PollingSite, Polls, SiteKind
from polldetox.scan.python import waits
from polldetox.scan.python.index import Index, Where
from polldetox.scan.python.reads import SLEEPS, Facts
from polldetox.scan.python.sites import Analysis
from polldetox.scan.python.syntax import (
    Walker,
    argument_values,
    collect,
    dotted,
    final_name,
    identifiers,
    is_constant_true,
    keyword,
    number_of,
    positional,
)
from polldetox.scan.python.values import Number

_EVENT_SOURCE_METHODS = frozenset(
    {
        "receive", "receive_text", "receive_json", "receive_bytes", "recv", "recv_json", "recv_string",
        "recv_multipart", "recvfrom", "accept", "get_message",
    }
)  # fmt: skip
_STREAM_READS = frozenset({"read", "readline", "readexactly", "readuntil"})
_STREAM_RECEIVER = re.compile(r"reader|stream|stdout|stderr|stdin|sock|conn", re.IGNORECASE)
# Calls that block until something happens (input, I/O readiness, other tasks finishing).
_BLOCKING_CALLS = frozenset({"input", "select.select", "sys.stdin.readline", "asyncio.wait", "concurrent.futures.wait"})
_RETRY_NAME = re.compile(r"attempt|retr|tries|tried", re.IGNORECASE)
_SUCCESS_WORDS = frozenset({"ok", "success", "succeeded", "successful", "connected", "acquired", "sent"})
_EVENT_CALLBACK = re.compile(r"^_?(on|handle)_")  # on_queue_change, _on_notify, handle_message
# `while not job.done():`, `while worker.is_alive():`, `while not db_ready():`, `while not port_open(p)`:
# the loop ends when one operation ends or one service comes up.
_COMPLETION_CALL = re.compile(
    r"^(is_)?(done|ready|finished|complete|completed|alive|successful)$"
    r"|_(ready|done|finished|completed|up|available|reachable|open)$"
)
_COMPLETION_FLAG = re.compile(r"^_?(is_)?(done|finished|complete|completed)$")
# `while self.is_locked(key):`, `while state.is_pending():`, `while import_in_progress():`: one lock,
# one proposed transition or one running operation.
_HELD_CALL = re.compile(r"^(is_)?(locked|pending|still_running)$|_in_progress$")
# Words of a final state: `if state in TERMINAL_STATES: return`, `while status not in [FAILED, SUCCEEDED]:`.
_FINAL_WORD = re.compile(r"succe|fail|final|terminal|complete|finish|cancel|abort|error|until_states", re.IGNORECASE)
_STATE_WORD = re.compile(r"state|status|phase|final|terminal", re.IGNORECASE)
_STATE_FIELD = re.compile(r"^_?(status|state|phase)$")
# A cursor through results: `offset += len(rows)`, `page += 1`, `cursor = response["next"]`.
_CURSOR_NAME = re.compile(r"^_?(cursor|offset|page|page_number|next_page|start|skip|after|marker|next_token)$")
_EXIT_STATUSES = frozenset({"returncode", "exitcode"})
_QUEUE_GET = re.compile(r"^(async_|a)?get(_async)?$")
_NOTHING_QUEUED = re.compile(r"\bempty\b|queueempty", re.IGNORECASE)  # identifiers() lower-cases
# Periodic work on the process's own state: samplers, buffer flushers, telemetry, cache sweeps.
_LOCAL_WORK = re.compile(
    r"flush|sample|metric|telemetry|gauge|stats|evict|expire|sweep|purge|prune|cleanup|clean_up|collect_garbage"
    r"|psutil|memory|cpu_percent",
    re.IGNORECASE,
)

# `callback(current_memory_usage())`: a sampler hands what it measured to whoever asked for it.
_HANDS_ON = re.compile(r"(^|_)callback$")


@dataclass
class _Wait:
    node: ast.Call  # the wait call, for the snippet
    label: str  # "asyncio.sleep", "Event.wait"
    interval: ast.expr | None
    multiplier: ast.expr | None = None  # chunked sleep: `for _ in range(n): sleep(1)`
    nested: bool = False  # inside an inner loop over items (a rate limit, not the period)
    on_failure: bool = False  # inside an `except` handler: waits only after something failed


def _is_stop_guard(line: ast.stmt) -> bool:
    """`if stop_event.is_set(): return`: a statement that only leaves the loop when told to stop."""
    if not isinstance(line, ast.If) or line.orelse:
        return False
    return all(isinstance(statement, ast.Break | ast.Return) for statement in line.body)


def _is_success_test(test: ast.expr) -> bool:
    words = identifiers(test)
    return bool(words & _SUCCESS_WORDS) or "status_code" in words


class _LoopBody(Walker):
    """What a loop does each iteration: how it waits, whether it blocks on events, how it exits."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self.waits: list[_Wait] = []
        self.event_source = False
        self.drives_schedule = False
        self.exits_on_success = False
        self.exits = False  # a break or return of this loop
        self._awaited: set[int] = set()
        self._skip: set[int] = set()
        self._chunk: list[ast.expr | None] = []
        self._inner_loops = 0
        self._try_bodies = 0
        self._except_depth = 0  # `except` handlers the walk is inside
        self._ifs_in_try = 0  # `if` statements entered since the innermost `try` began

    def enter_FunctionDef(self, node: ast.AST) -> bool:
        return False

    enter_AsyncFunctionDef = enter_ClassDef = enter_Lambda = enter_FunctionDef
    enter_While = enter_FunctionDef  # an inner while loop is a site of its own

    def enter_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.event_source = True  # `async for message in websocket` inside the loop
        self.enter_For(node)

    def enter_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._chunk.append(self._chunk_count(node))
        self._inner_loops += 1

    def leave_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._chunk.pop()
        self._inner_loops -= 1

    leave_AsyncFor = leave_For

    def _chunk_count(self, node: ast.For | ast.AsyncFor) -> ast.expr | None:
        if isinstance(node.iter, ast.Call) and self._index.qualify(node.iter.func) == "range":
            args = argument_values(node.iter)
            # `if self.stopping: break` beside the sleep makes the wait interruptible, not a rate limit
            steps = [line for line in node.body if not _is_stop_guard(line)]
            if len(args) == 1 and len(steps) == 1:
                return args[0]
        return None

    def enter_Try(self, node: ast.Try) -> bool:
        outer_ifs, self._ifs_in_try = self._ifs_in_try, 0
        self._try_bodies += 1
        self.walk(node.body)
        self._try_bodies -= 1
        self._ifs_in_try = outer_ifs
        for handler in node.handlers:
            idle = handler.type is not None and _NOTHING_QUEUED.search(" ".join(identifiers(handler.type)))
            self._except_depth += 0 if idle else 1  # `except queue.Empty:` is the idle turn of a poll, not a failure
            self.walk(handler)
            self._except_depth -= 0 if idle else 1
        self.walk(node.orelse)
        self.walk(node.finalbody)
        return False

    def enter_Return(self, node: ast.Return) -> None:
        self._exit()

    enter_Break = enter_Return

    def _exit(self) -> None:
        if self._inner_loops:
            return  # leaves an inner loop, not this one
        self.exits = True
        # `try: return do()` leaves once the operation worked; `try: ... if stopping: break` does not say so
        if self._try_bodies and not self._ifs_in_try:
            self.exits_on_success = True

    def enter_If(self, node: ast.If) -> None:
        exits = any(isinstance(statement, ast.Return | ast.Break) for statement in node.body)
        if exits and not self._inner_loops and _is_success_test(node.test):
            self.exits_on_success = True
        self._ifs_in_try += 1

    def leave_If(self, node: ast.If) -> None:
        self._ifs_in_try -= 1

    def enter_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Call):
            self._awaited.add(id(node.value))

    def enter_Call(self, node: ast.Call) -> bool:
        if id(node) in self._skip:
            return False
        qualified = self._index.qualify(node.func) or ""
        name = final_name(node.func)
        if name == "run_pending":
            self.drives_schedule = True
        if qualified in SLEEPS and number_of(positional(node, 0, "seconds")) == 0:
            pass  # `sleep(0)` yields to other tasks between batches: not an interval
        elif qualified in SLEEPS:
            self._wait(node, qualified, positional(node, 0, "seconds") or keyword(node, "delay"))
        elif qualified == "asyncio.wait_for":
            awaited = positional(node, 0, "fut")
            if isinstance(awaited, ast.Call) and self._blocks_on_event(awaited, awaited_call=True):
                self.event_source = True
            else:
                self._wait(node, "asyncio.wait_for", positional(node, 1, "timeout"))
            if isinstance(awaited, ast.Call):
                self._skip.add(id(awaited))
        elif name == "wait" and qualified not in _BLOCKING_CALLS and isinstance(node.func, ast.Attribute):
            timeout = positional(node, 0, "timeout")
            if timeout is None:
                self.event_source = True  # Event.wait() / Condition.wait() without a timeout blocks
            else:
                self._wait(node, "Event.wait", timeout)
        elif self._blocks_on_event(node, awaited_call=id(node) in self._awaited):
            self.event_source = True
        return True

    def _blocks_on_event(self, call: ast.Call, *, awaited_call: bool) -> bool:
        qualified = self._index.qualify(call.func) or ""
        name = final_name(call.func)
        if qualified in _BLOCKING_CALLS or name in _EVENT_SOURCE_METHODS:
            return True
        if not isinstance(call.func, ast.Attribute):
            return False
        if _QUEUE_GET.match(name or "") and not call.args:
            # queue.get() / await queue.get() / q.get(timeout=1) / q.async_get(timeout=1) block until an item
            # arrives; q.get(block=False) returns at once, so the loop's own wait paces it
            block = keyword(call, "block")
            return not (isinstance(block, ast.Constant) and block.value is False)
        receiver = dotted(call.func.value) or ""
        if name == "select" and "sel" in receiver.lower():
            return True
        return awaited_call and name in _STREAM_READS and bool(_STREAM_RECEIVER.search(receiver))

    def _wait(self, node: ast.Call, label: str, interval: ast.expr | None) -> None:
        chunks = [count for count in self._chunk if count is not None]
        self.waits.append(
            _Wait(
                node,
                label,
                interval,
                multiplier=chunks[-1] if chunks and len(chunks) == len(self._chunk) else None,
                nested=bool(self._chunk) and len(chunks) != len(self._chunk),
                on_failure=self._except_depth > 0,
            )
        )


def _only_waits(body: Sequence[ast.stmt], waits: Sequence[_Wait]) -> bool:
    """The loop does nothing but wait: it reads and checks nothing, so it cannot poll."""
    wait_calls = {id(wait.node) for wait in waits}
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        value = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(value, ast.Await):
            value = value.value
        if value is None or id(value) not in wait_calls:
            return False
    return True


def _waits_for_one_operation(test: ast.expr) -> bool:
    """`while not job.done():`, `while proc.poll() is None:`, `while t.is_alive():`: waiting for a job,
    child process, thread or query to finish delivers no changing data, and ends when it ends."""
    for node in collect(test, ast.Call, ast.Compare, ast.Attribute):
        name = final_name(node.func) or "" if isinstance(node, ast.Call) else ""
        if _COMPLETION_CALL.search(name) or _HELD_CALL.search(name):
            return True
        if isinstance(node, ast.Attribute) and _COMPLETION_FLAG.match(node.attr):
            return True  # `while not progress.finished:`
        if _waits_for_a_state(node):
            return True
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Is | ast.IsNot)
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value is None
        ):
            subject = node.left
            if isinstance(subject, ast.Call) and final_name(subject.func) == "poll" and not subject.args:
                return True
            if isinstance(subject, ast.Attribute) and subject.attr in _EXIT_STATUSES:
                return True
            if node is test and isinstance(node.ops[0], ast.Is) and isinstance(subject, ast.Name | ast.Attribute):
                # `while server_loop is None:` waits for one value to be set, as a thread starts; in
                # `while max_runs is None or runs < max_runs:` None is a setting that means "forever"
                return True
    return False


def _words(node: ast.AST) -> set[str]:
    """Names, attributes and string constants in an expression, unsplit."""
    words = {found.value for found in collect(node, ast.Constant) if isinstance(found.value, str)}  # type: ignore[attr-defined]
    for found in collect(node, ast.Name, ast.Attribute):
        words.add(found.id if isinstance(found, ast.Name) else found.attr)  # type: ignore[attr-defined]
    return words


def _reaches_final_state(test: ast.expr) -> bool:
    """`if job_state == "SUCCEEDED": break`, `while status not in [FAILED, SUCCEEDED]:`,
    `if state.is_final(): return run`: the test asks whether one job's state is final."""
    for node in collect(test, ast.Compare, ast.Call):
        words = _words(node)
        if any(_STATE_WORD.search(word) for word in words) and any(_FINAL_WORD.search(word) for word in words):
            return True
    return False


def _asks_exit_status(test: ast.expr) -> bool:
    """`if handle.returncode is not None: return`, `if return_code is not None: break` after `proc.poll()`."""
    for node in collect(test, ast.Compare):
        assert isinstance(node, ast.Compare)
        subject = node.left
        named = subject.attr if isinstance(subject, ast.Attribute) else getattr(subject, "id", "")
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], ast.Is | ast.IsNot)
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value is None
            and named.replace("_", "") in _EXIT_STATUSES
        ):
            return True
    return False


def _leaves_when_process_gone(loop: ast.While | ast.For) -> bool:
    """`try: os.kill(pid, 0) except ProcessLookupError: return`: asks whether one process still exists."""
    for found in collect(loop.body, ast.ExceptHandler):
        assert isinstance(found, ast.ExceptHandler)
        caught = identifiers(found.type) if found.type is not None else set()
        if "processlookuperror" in caught and collect(found.body, ast.Return, ast.Break):
            return True
    return False


def _takes_a_lock(test: ast.expr) -> bool:
    calls = [node for node in collect(test, ast.Call) if isinstance(node, ast.Call)]
    return bool(calls) and ("lock" in identifiers(test) or any(final_name(call.func) == "acquire" for call in calls))


def _counts_attempts(test: ast.expr) -> bool:
    """`tries < 3`, `attempt >= MAX_ATTEMPTS`: the comparison counts tries of one operation."""
    return any(
        any(_RETRY_NAME.search(word) for word in identifiers(comparison)) for comparison in collect(test, ast.Compare)
    )


def _counts_iterations(loop: ast.While | ast.For) -> bool:
    """`while run <= total_runs: ... run += 1`: a fixed number of turns, then the loop ends; a batch,
    not a watcher that stands for the life of the process."""
    if not isinstance(loop, ast.While) or not isinstance(loop.test, ast.Compare):
        return False
    counter = loop.test.left
    if not isinstance(counter, ast.Name) or not isinstance(loop.test.ops[0], ast.Lt | ast.LtE):
        return False
    return any(
        isinstance(found, ast.AugAssign)
        and isinstance(found.op, ast.Add)
        and dotted(found.target) == counter.id
        and number_of(found.value) is not None
        for found in collect(loop.body, ast.AugAssign)
    )


def _exit_tests(loop: ast.While | ast.For) -> list[ast.expr]:
    """The loop's own test and the tests of `if`s in its body that leave it (return, break or raise)."""
    tests: list[ast.expr] = [loop.test] if isinstance(loop, ast.While) else []
    pending: list[ast.stmt] = list(loop.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, ast.If):
            if any(isinstance(line, ast.Return | ast.Break | ast.Raise) for line in statement.body):
                tests.append(statement.test)
            pending.extend(statement.body)
            pending.extend(statement.orelse)
        elif isinstance(statement, ast.Try | ast.With | ast.AsyncWith):
            pending.extend(statement.body)
    return tests


def _waits_for_a_state(node: ast.AST) -> bool:
    """`while job.status == JobStatus.PENDING:`, `while run.state != "finished":`: one job's state moving on."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return False
    subject, value = node.left, node.comparators[0]
    if not (isinstance(subject, ast.Attribute) and _STATE_FIELD.match(subject.attr)):
        return False
    named = isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id[:1].isupper()
    return named or (isinstance(value, ast.Constant) and isinstance(value.value, str))


def _waits_on_flag_for_local_work(test: ast.expr, facts: Facts) -> bool:
    """`while not stop.wait(1): sample()` around work that reads nothing shared: a stop-flag wait."""
    flag = any(
        isinstance(node, ast.Call) and final_name(node.func) in {"wait", "is_set"} for node in collect(test, ast.Call)
    )
    # a queue that other threads fill is shared data, read each tick
    return flag and facts.polls == Polls.MEMORY and not facts.broadcasts and not facts.reads_queue


def _advances_a_cursor(loop: ast.While | ast.For) -> bool:
    for found in collect(loop.body, ast.AugAssign, ast.Assign):
        targets = [found.target] if isinstance(found, ast.AugAssign) else found.targets  # type: ignore[union-attr]
        if any(_CURSOR_NAME.match((dotted(target) or "").rsplit(".", 1)[-1]) for target in targets):
            return True
    return False


def _does_local_work(facts: Facts) -> bool:
    """`self.flush()`, `gauge.set(psutil.cpu_percent())`, `cache.evict_expired()` each tick, and nothing
    read from a database, a file or another service: local upkeep, nothing users wait for."""
    sampled = [name for name in facts.work if not _HANDS_ON.search(name)]
    return (
        facts.polls in (Polls.UNKNOWN, Polls.MEMORY)
        and not facts.broadcasts
        and bool(sampled)
        and all(_LOCAL_WORK.search(name) for name in sampled)
    )


def loop_site(analysis: Analysis, loop: ast.While | ast.For, where: Where) -> PollingSite | None:
    source, index = analysis.source, analysis.index
    if isinstance(loop, ast.For):
        if not isinstance(loop.iter, ast.Call) or index.qualify(loop.iter.func) != "itertools.count":
            return None
        head = f"for {source.code(loop.target)} in {source.code(loop.iter)}:"
        mechanism_head, test = "for itertools.count()", None
    else:
        test = loop.test
        written = source.parenthesized_code(test)
        head = f"while {written}:"
        mechanism_head = f"while {written}" if is_constant_true(test) else "while loop"
        if _waits_for_one_operation(test):
            return None
    exit_tests = _exit_tests(loop) + waits.flag_tests(loop)
    if any(_counts_attempts(exit_test) for exit_test in exit_tests):
        return None  # `while attempt < MAX_ATTEMPTS:`, `if attempt >= 2: raise`: a bounded retry
    if _counts_iterations(loop):
        return None
    if any(_reaches_final_state(exit_test) for exit_test in exit_tests):
        return None  # waits for one job, run or query to reach a final state, then moves on
    if waits.waits_for_one_operation(exit_tests, where.function) or waits.pages_to_a_bound(loop):
        return None
    if any(_asks_exit_status(exit_test) for exit_test in exit_tests) or _leaves_when_process_gone(loop):
        return None  # waits for one child process to exit
    if any(_takes_a_lock(exit_test) for exit_test in exit_tests):
        return None  # `if lock := redis.set(key, 1, nx=True): break`: waits to acquire one lock
    body = _LoopBody(index)
    if test is not None:
        body.walk(test)
    body.walk(loop.body)
    if (not body.waits or body.event_source) and not body.drives_schedule:
        return _clock_gated_site(analysis, loop, where, head, mechanism_head, test)
    if body.drives_schedule:
        return None
    if all(w.on_failure for w in body.waits):
        return None  # sleeps only after an error before trying again: a retry, not a period
    if test is not None and is_constant_true(test) and _only_waits(loop.body, body.waits):
        return None  # `while True: time.sleep(1)` keeps the main thread alive for an observer
    fallback = analysis.surroundings.fallback_only(where, test)
    if body.exits_on_success and not fallback:
        return None  # every iteration tries an operation and leaves on success: a retry
    function_name = where.function.name if where.function else ""
    if body.exits and _EVENT_CALLBACK.match(function_name):
        return None  # runs after an event until the burst is drained (debounce), not on a clock
    # the period is the wait of a normal iteration, not a rate limit over items or a pause after an error
    wait = next((w for w in body.waits if not w.nested and not w.on_failure), None)
    wait = wait or next((w for w in body.waits if not w.nested), body.waits[0])
    facts = analysis.reads.facts(loop, where.function)
    if facts.keepalive_only:
        return None  # a health probe of a connection, not a poll of the data
    if test is not None and _waits_on_flag_for_local_work(test, facts):
        return None
    if _does_local_work(facts):
        return None
    if facts.only_sends:
        return None  # sends a heartbeat or push each tick and reads nothing back
    if _keeps_to_itself(analysis, loop, facts, where, body.exits):
        return None
    if body.exits and _advances_a_cursor(loop):
        return None  # pages through results until they run out: pagination, paced by the sleep
    if _backs_off(wait, loop) and facts.restores_connection and not fallback:
        return None  # reconnects with growing delays: a supervisor of an event source
    if _waits_out_deadline(analysis, wait, loop):
        return None  # waits for a condition until a deadline, then gives up: a timeout, not a period
    interval = analysis.values.number(wait.interval, where.function)
    if wait.multiplier is not None and interval.value is not None:
        count = analysis.values.number(wait.multiplier, where.function)
        interval = Number(
            None if count.value is None else count.value * interval.value,
            interval.env_var or count.env_var,
        )
    wait_code = source.code(_awaited_form(wait.node, loop))
    return analysis.site(
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


def _clock_gated_site(
    analysis: Analysis, loop: ast.While | ast.For, where: Where, head: str, mechanism_head: str, test: ast.expr | None
) -> PollingSite | None:
    """`if monotonic() - last_rescan >= rescan_every: rescan(); last_rescan = monotonic()` in a loop that
    otherwise waits on events: the gated work re-reads its source on an interval the clock measures
    (a periodic rescan behind a file watcher). Work that reads nothing shared is upkeep, not polling."""
    clock = analysis.surroundings.is_clock
    for gate in collect(loop.body, ast.If):
        assert isinstance(gate, ast.If)
        for comparison in collect(gate.test, ast.Compare):
            assert isinstance(comparison, ast.Compare)
            elapsed = comparison.left
            if not (
                len(comparison.ops) == 1
                and isinstance(comparison.ops[0], ast.Gt | ast.GtE)
                and isinstance(elapsed, ast.BinOp)
                and isinstance(elapsed.op, ast.Sub)
                and clock(elapsed.left)
            ):
                continue
            stamp = dotted(elapsed.right)
            restamped = any(
                isinstance(found, ast.Assign) and clock(found.value) and any(dotted(t) == stamp for t in found.targets)
                for found in collect(gate.body, ast.Assign)
            )
            facts = analysis.reads.facts(gate, where.function)
            if not restamped or facts.polls not in (Polls.DATABASE, Polls.FILE, Polls.HTTP):
                continue
            return analysis.site(
                kind=SiteKind.LOOP,
                mechanism=f"{mechanism_head} + clock-gated re-read",
                node=loop,
                snippet=f"{head} ... if {analysis.source.code(comparison)}:",
                where=where,
                function=where.function,
                body=gate,
                interval=analysis.values.number(comparison.comparators[0], where.function),
                loop_test=test,
            )
    return None


def _keeps_to_itself(analysis: Analysis, loop: ast.While | ast.For, facts: Facts, where: Where, exits: bool) -> bool:
    """Renews or announces what it owns, waits for a service to come up, writes out its own buffer,
    logs its own counters or waits on events only: nothing shared is re-read for use."""
    return (
        waits.keeps_alive(facts, where.function)
        or waits.waits_until_ready(facts, exits)
        or waits.writes_out_own_buffer(facts)
        or waits.logs_own_counters(loop, facts, analysis.index)
        or waits.waits_on_events_only(loop, analysis.index)
        or waits.watches_own_worker(loop, facts, analysis.index, where.function)
    )


def _backs_off(wait: _Wait, loop: ast.AST) -> bool:
    """The delay grows inside the loop: `delay *= 2`, `delay = min(cap, base * 2 ** attempt)`."""
    if not isinstance(wait.interval, ast.Name):
        return False
    name = wait.interval.id
    for found in collect(loop, ast.Assign, ast.AugAssign):
        if isinstance(found, ast.AugAssign):
            if isinstance(found.op, ast.Mult | ast.Pow) and dotted(found.target) == name:
                return True
        elif (
            isinstance(found, ast.Assign)
            and any(dotted(target) == name for target in found.targets)
            and any(
                isinstance(op, ast.BinOp) and isinstance(op.op, ast.Pow | ast.Mult)
                for op in collect(found.value, ast.BinOp)
            )
        ):
            return True
    return False


def _waits_out_deadline(analysis: Analysis, wait: _Wait, loop: ast.While | ast.For) -> bool:
    """`remaining = endtime - time()`, `if remaining <= 0: raise Empty`, `cond.wait(remaining)`."""
    if not isinstance(wait.interval, ast.Name):
        return False
    name = wait.interval.id
    from_clock = any(
        isinstance(found, ast.Assign)
        and any(dotted(target) == name for target in found.targets)
        and isinstance(found.value, ast.BinOp)
        and isinstance(found.value.op, ast.Sub)
        and analysis.surroundings.is_clock(found.value.right)
        for found in collect(loop, ast.Assign)
    )
    if not from_clock:
        return False
    # The budget running out ends the loop; a drift-correcting poller only skips the sleep.
    budget_tests: list[ast.expr] = [loop.test] if isinstance(loop, ast.While) else []
    for found in collect(loop, ast.If):
        assert isinstance(found, ast.If)
        if collect(found.body, ast.Raise, ast.Break, ast.Return):
            budget_tests.append(found.test)
    return any(
        isinstance(comparison, ast.Compare)
        and dotted(comparison.left) == name
        and len(comparison.ops) == 1
        and number_of(comparison.comparators[0]) == 0
        for test in budget_tests
        for comparison in collect(test, ast.Compare)
    )


def _awaited_form(call: ast.Call, loop: ast.AST) -> ast.AST:
    for found in collect(loop, ast.Await):
        assert isinstance(found, ast.Await)
        if found.value is call:
            return found
    return call
