"""Loops that look like polling but wait for one thing to end, or only keep something of their own going.

A poll re-reads data that others change and hands on what is new. These loops do not:
- they wait for one operation they hold (a job, an execution, a process, an event) to reach a final
  state, a readiness check to pass, a count of outstanding work to drain, or one entry to disappear;
- they renew or announce something they own (a lease, a message's visibility, a heartbeat);
- they write out their own buffer, log their own counters, or wait on nothing but events and clocks.
"""

from __future__ import annotations

import ast
import re

from polldetox.findings import Polls
from polldetox.scan.python.index import FunctionInfo, Index
from polldetox.scan.python.reads import SLEEPS, Facts, is_log
from polldetox.scan.python.syntax import collect, dotted, final_name, is_constant_true

# `execution.is_running()`, `event_has_been_seen(id)`, `_pid_is_alive(pid)`: one operation still going
# or already over. `is_running()` of `self` is a service's own run flag, so only other receivers count.
_OVER_CALL = re.compile(r"(^|_)(alive|seen|processed|acked|acknowledged|confirmed|resumed|exited|stopped|terminated)$")
_RUNNING_CALL = re.compile(r"^is_(running|pending|paused|suspended|terminal|final)$")
# `jobs_still_running`, `work_in_progress`, `ready`, `self.state.terminal`: a flag over one operation.
_OPERATION_FLAG = re.compile(r"(^|_)(still_running|in_progress|ready|terminal)$")
# `current_state != ContainerRunState.TERMINATED`, `b["state"] == "Queued"`, `job.status in DONE`
_STATE_NAME = re.compile(r"(^|_)(state|status|phase)$")
_STATE_NAME_WORD = re.compile(r"state|status|phase")
_EXIT_STATUS = re.compile(r"(^|_)(exit_?(status|code)|returncode|exitcode)$")
_FINAL_WORD = re.compile(
    r"succe|fail|final|terminal|terminat|complete|finish|cancel|abort|error|suspend|exited|stopped|dead",
    re.IGNORECASE,
)
_DONE_COUNT = re.compile(r"complete|done|finish|processed", re.IGNORECASE)
# A loop that renews what it holds: `extend_visibility()`, `renew_lease()`, a heartbeat frame.
_KEEPALIVE = re.compile(r"renew|heartbeat|keep_?alive|extend_\w*(visibility|lease|lock|ttl)", re.IGNORECASE)
# A readiness check: the server answers, the database accepts connections.
_READINESS = re.compile(r"health_?check|readiness|(^|_)is_ready$|wait_for_(server|service|db|database)$", re.I)
# Writing out what this process buffered: `self._publish_current_batch()`, `self._force_checkpoint()`.
_WRITE_OUT = re.compile(r"flush|publish|upload|checkpoint|persist|save|reconnect", re.IGNORECASE)
_CURSOR = re.compile(r"^_?(cursor|offset|page|page_number|next_page|start|skip|after|marker|next_token)$")
# A watchdog acts on a worker it holds: stops or restarts it.
_STOPS = frozenset({"stop", "terminate", "kill", "restart"})
_WORKER = re.compile(r"thread|process|proc|worker|child|consumer", re.IGNORECASE)
_RESTART = re.compile(r"restart|respawn|revive", re.IGNORECASE)
_QUIET = frozenset({"print", "len", "str", "int", "float", "min", "max", "format"})
_CONTAINERS = frozenset({"dict", "defaultdict", "Counter", "OrderedDict", "list", "set", "deque"})
_EVENT_WAITS = frozenset({"is_set", "wait"})
_EVENT_CALLS = frozenset({"is_set", "wait", "wait_for", "min", "max", "monotonic", "time", "perf_counter"})


def waits_for_one_operation(exit_tests: list[ast.expr], function: FunctionInfo | None) -> bool:
    """The loop ends when one operation is over: `while execution.is_running()`, `if flow_run.state.is_running():
    return`, `if not in_flight: return` with `in_flight = [b for b in batches if b["state"] == "InProgress"]`."""
    return any(_asks_about_one_operation(test, function) for test in exit_tests)


def flag_tests(loop: ast.While | ast.For) -> list[ast.expr]:
    """What else ends the loop: `while not done:` ... `done = result.exit_code == 0` or `if status.succeeded:
    done = True` (what sets the flag), and `if ...: return` in the `else` or `except` of a `try`."""
    flags: set[str] = set()
    if isinstance(loop, ast.While) and not is_constant_true(loop.test):
        flags = {node.id for node in collect(loop.test, ast.Name) if isinstance(node, ast.Name)}
    found: list[ast.expr] = []

    def visit(statements: list[ast.stmt], guards: list[ast.expr], *, in_try: bool = False) -> None:
        for statement in statements:
            if (
                in_try
                and isinstance(statement, ast.If)
                and any(isinstance(line, ast.Return | ast.Break) for line in statement.body)
            ):
                found.append(statement.test)
            if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id in flags for target in statement.targets
            ):
                is_bool = isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, bool)
                found.extend(guards[-1:] if is_bool else [statement.value])
            elif isinstance(statement, ast.If):
                visit(statement.body, [*guards, statement.test], in_try=in_try)
                visit(statement.orelse, [*guards, statement.test], in_try=in_try)
            elif isinstance(statement, ast.Try):
                visit(statement.body, guards)
                visit(statement.orelse, guards, in_try=True)
                for handler in statement.handlers:
                    visit(handler.body, guards, in_try=True)
            elif isinstance(statement, ast.With | ast.AsyncWith | ast.For | ast.While):
                visit(statement.body, guards)

    visit(loop.body, [])
    return found


def _asks_about_one_operation(test: ast.expr, function: FunctionInfo | None, *, follow: bool = True) -> bool:
    for node in collect(test, ast.Call, ast.Compare, ast.Name, ast.Attribute):
        if follow and isinstance(node, ast.Name) and function is not None:
            # `if not queued_batches:` with `queued_batches = [b for b in batches if b["state"] == "Queued"]`
            bound = function.assignments.get(node.id, [])
            compared = [found for value in bound for found in collect(value, ast.Compare)]
            if any(_compares_state(found, function) for found in compared if isinstance(found, ast.Compare)):
                return True
        if isinstance(node, ast.Call) and _asks_if_over(node):
            return True
        if isinstance(node, ast.Name | ast.Attribute) and _OPERATION_FLAG.search(final_name(node) or ""):
            return True
        if isinstance(node, ast.Compare) and (
            _compares_state(node, function) or _counts_done(node) or _entry_gone(node)
        ):
            return True
    return False


def _asks_if_over(call: ast.Call) -> bool:
    name = final_name(call.func) or ""
    if _OVER_CALL.search(name) or (_STATE_NAME_WORD.search(name) and _FINAL_WORD.search(name)):
        return True  # also `is_suspended_flow_run_state(state)`
    receiver = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
    return bool(_RUNNING_CALL.match(name)) and receiver not in (None, "self", "cls")


def _subject_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value  # `extraction["discovery_exit_status"]`
    return final_name(node) or "" if isinstance(node, ast.Name | ast.Attribute) else ""


def _compares_state(node: ast.Compare, function: FunctionInfo | None) -> bool:
    """`current_state != X.TERMINATED`, `b["state"] == "Queued"`, `status in statuses` with `statuses`
    listing final states, `extraction["exit_status"] == 0`."""
    if len(node.ops) != 1:
        return False
    subject, value = node.left, node.comparators[0]
    name = _subject_name(subject)
    if _EXIT_STATUS.search(name):
        return True
    if not _STATE_NAME.search(name):
        return False
    if isinstance(node.ops[0], ast.Eq | ast.NotEq):
        named = isinstance(value, ast.Attribute) and (dotted(value.value) or "")[:1].isupper()
        return named or (isinstance(value, ast.Constant) and isinstance(value.value, str))
    if isinstance(node.ops[0], ast.In | ast.NotIn):
        return any(_FINAL_WORD.search(word) for word in _listed_words(value, function))
    return False


def _listed_words(value: ast.expr, function: FunctionInfo | None) -> set[str]:
    """The strings and names of a collection, also through a local name bound to one: `statuses = ["FAILED", ...]`."""
    bound = function.assignments.get(value.id, []) if function and isinstance(value, ast.Name) else []
    words: set[str] = set()
    for collection in (value, *bound):
        if isinstance(collection, ast.List | ast.Tuple | ast.Set):
            for item in collection.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    words.add(item.value)
                elif isinstance(item, ast.Name | ast.Attribute):
                    words.add(final_name(item) or "")
    return words


def _counts_done(node: ast.Compare) -> bool:
    """`len(monitors_completed) < len(monitors_started)`: waits until every started operation is done."""
    sides = [node.left, *node.comparators]
    lengths = [side for side in sides if isinstance(side, ast.Call) and final_name(side.func) == "len"]
    return len(lengths) == 2 and any(_DONE_COUNT.search(dotted(side.args[0]) or "") for side in lengths if side.args)


def _entry_gone(node: ast.Compare) -> bool:
    """`self._process_map.get(run.id) is None`: one entry, kept while its operation runs, is gone."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Is):
        return False
    looked_up, none = node.left, node.comparators[0]
    return (
        isinstance(none, ast.Constant)
        and none.value is None
        and isinstance(looked_up, ast.Call)
        and final_name(looked_up.func) == "get"
        and len(looked_up.args) == 1
    )


def keeps_alive(facts: Facts, function: FunctionInfo | None) -> bool:
    """Renews a lease or a message's visibility, or sends a heartbeat: it announces, it reads no data."""
    named = [function.name] if function else []
    if not any(_KEEPALIVE.search(name) for name in (*named, *facts.work)):
        return False
    return not (facts.database or facts.tables or facts.file)


def waits_until_ready(facts: Facts, exits: bool) -> bool:
    """`while True: if await client.api_healthcheck() is None: break`: waits for a service to come up."""
    return exits and any(_READINESS.search(name.rsplit(".", 1)[-1]) for name in facts.work)


def writes_out_own_buffer(facts: Facts) -> bool:
    """Each tick publishes, uploads or checkpoints what this process buffered, and reads nothing back."""
    calls = [name for name in facts.work if name not in ("asyncio.shield", "asyncio.create_task")]
    return (
        bool(calls)
        and all(_WRITE_OUT.search(name.rsplit(".", 1)[-1]) and name.startswith("self.") for name in calls)
        and facts.polls not in (Polls.DATABASE, Polls.FILE)
        and not facts.http_response_used
    )


def logs_own_counters(loop: ast.While | ast.For, facts: Facts, index: Index) -> bool:
    """Reads only counters this module keeps and only logs them (telemetry), or logs while a counter of
    its own work drains to zero (`while self.limiter.borrowed_tokens > 0`). A gauge of another
    component's state, logged each tick, is still reported."""
    hands_back = any(isinstance(node, ast.Return) and node.value is not None for node in collect(loop, ast.Return))
    quiet = not facts.work and not facts.broadcasts and not hands_back and not facts.reads_queue
    if not (facts.polls == Polls.MEMORY and facts.logs_activity and quiet):
        return False
    module_state = any(
        isinstance(node, ast.Name) and any(_is_container(value) for value in index.constants.get(node.id, []))
        for node in collect(loop, ast.Name)
    )
    return module_state or (isinstance(loop, ast.While) and _drains(loop.test))


def _is_container(value: ast.expr) -> bool:
    """`METRICS = defaultdict(...)`, `COUNTS = {}`: a module-level store its module updates."""
    if isinstance(value, ast.Call):
        return final_name(value.func) in _CONTAINERS
    return isinstance(value, ast.Dict | ast.List | ast.Set)


def _drains(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Gt | ast.NotEq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == 0
    )


def waits_on_events_only(loop: ast.While | ast.For, index: Index) -> bool:
    """Every call is an event check, a clock or a wait: it waits for one event in slices, reading nothing."""
    calls = [node for node in collect(loop, ast.Call) if isinstance(node, ast.Call)]
    events = [call for call in calls if final_name(call.func) in _EVENT_WAITS]
    return bool(events) and all(
        (index.qualify(call.func) or "") in SLEEPS or final_name(call.func) in _EVENT_CALLS or is_log(index, call)
        for call in calls
    )


def pages_to_a_bound(loop: ast.While | ast.For) -> bool:
    """`while start < sync_end: ... start = end`: a window advanced through results up to a bound set before."""
    if not isinstance(loop, ast.While) or not isinstance(loop.test, ast.Compare):
        return False
    cursor = dotted(loop.test.left) or ""
    if not _CURSOR.match(cursor.rsplit(".", 1)[-1]):
        return False
    return any(
        any(dotted(target) == cursor for target in (found.targets if isinstance(found, ast.Assign) else [found.target]))
        for found in collect(loop.body, ast.Assign, ast.AugAssign)
    )


def watches_own_worker(loop: ast.While | ast.For, facts: Facts, index: Index, function: FunctionInfo | None) -> bool:
    """Checks a thread or process of its own and stops or restarts it (`self.consumer_thread.stop()`,
    `get_status(auto_restart=True)`), and does nothing else but log: a watchdog, not a reader of data."""
    if facts.database or facts.tables or facts.file or facts.http or facts.broadcasts:
        return False
    verdicts = [_watchdog_call(call, index, function, follow=True) for call in _calls(loop)]
    return all(verdicts) and any(verdict == "acts" for verdict in verdicts)


def _calls(node: ast.AST | list[ast.stmt]) -> list[ast.Call]:
    return [found for found in collect(node, ast.Call) if isinstance(found, ast.Call)]


def _watchdog_call(call: ast.Call, index: Index, function: FunctionInfo | None, *, follow: bool) -> str:
    """ "acts" (stops or restarts a worker), "quiet" (waits, clocks, logs) or "" (anything else)."""
    name = final_name(call.func) or ""
    receiver = dotted(call.func.value) or "" if isinstance(call.func, ast.Attribute) else ""
    if name in _STOPS and _WORKER.search(receiver.rsplit(".", 1)[-1]):
        return "acts"
    if _RESTART.search(name) or any(_RESTART.search(word.arg or "") for word in call.keywords):
        return "acts"
    qualified = index.qualify(call.func) or ""
    if qualified in SLEEPS or qualified.startswith("time.") or name in _QUIET or is_log(index, call):
        return "quiet"
    callee = index.resolve(call.func, function) if follow else None
    if callee is None:
        return ""
    inner = [_watchdog_call(found, index, callee, follow=False) for found in _calls(callee.node.body)]
    if not all(inner):
        return ""
    return "acts" if "acts" in inner else "quiet"


def flushes_own_buffer(job: FunctionInfo, facts: Facts) -> bool:
    """A timer re-armed to write out what the process buffered: `upload_data()` returns at once when
    `self.buffer` is empty, and reads nothing back."""
    if not _WRITE_OUT.search(job.name) or facts.database or facts.tables or facts.file or facts.broadcasts:
        return False
    if facts.http_response_used:
        return False
    return any(
        isinstance(found, ast.If)
        and isinstance(found.test, ast.UnaryOp)
        and isinstance(found.test.op, ast.Not)
        and (dotted(found.test.operand) or "").startswith("self.")
        and all(isinstance(line, ast.Return) for line in found.body)
        for found in collect(job.node.body, ast.If)
    )
