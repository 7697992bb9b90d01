"""A structural prefilter for Python, between the byte prefilter and the detector.

Trigger tokens are common words (`path(`, `wait(`, `sleep`), so many files that contain one hold
no loop that waits, no scheduler and no route. CPython's compiler answers that question first,
at C speed (compiling is faster than building Python's own AST as Python objects, which the
detector then walks): the names each code object uses, whether it jumps backwards (a loop), and
its string constants. The detector then runs only where it can find something.

The gate is generous: it looks at names, not at what they resolve to, so it may let in a file
with nothing to find but never keeps out one with a site, a route or a suppression comment.
"""

from __future__ import annotations

import dis
import warnings
from collections.abc import Set as AbstractSet
from types import CodeType

from polldetox.scan.python.index import CADENCE_REGISTRATION

# Calls that make a loop wait on a clock (sleep, event.wait(t), asyncio.wait_for, schedule.run_pending).
# A loop reading the clock may gate work on the time elapsed (`if monotonic() - last >= n`).
_WAITS = frozenset({"sleep", "wait", "wait_for", "run_pending", "monotonic", "perf_counter"})
# Names that re-run work on an interval without a loop of their own.
_SCHEDULERS = frozenset(
    {
        "Timer", "call_later", "add_job", "scheduled_job", "every", "repeat_every", "IntervalTrigger",
        "add_periodic_task", "beat_schedule", "celery_beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE",
        "cron", "schedule",  # rq-scheduler: scheduler.cron(...), scheduler.schedule(..., interval=60)
        "PeriodicTask",  # django-celery-beat
    }
)  # fmt: skip
# A route is a decorator like `@router.get("/queue")`, or Django's `path("queue/", view)`.
_ROUTE_NAMES = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket"}
)
_ROUTE_OWNERS = frozenset({"FastAPI", "APIRouter", "Flask", "Blueprint", "Sanic"})
_DJANGO_NAMES = frozenset({"path", "re_path", "url"})
# Every loop compiles to a backward jump to its start (JUMP_BACKWARD, 3.11's POP_JUMP_BACKWARD_IF_*).
# JUMP_BACKWARD_NO_INTERRUPT is the resend loop of every `await` and `yield from`, not a loop of the code.
_LOOP_OPCODES = frozenset(
    code for name, code in dis.opmap.items() if "BACKWARD" in name and not name.endswith("NO_INTERRUPT")
)


def may_hold_sites(source: str, path: str) -> bool:
    """False only when the file certainly holds no polling site, route or suppression comment."""
    if "polldetox" in source:  # a suppression comment: the detector must see it, used or not
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are the detector's business
            module = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # let the detector parse it and report the error with its position
    codes = _code_objects(module)
    names = set().union(*(code.co_names for code in codes))
    if not names.isdisjoint(_SCHEDULERS) or any(_builds_beat_entry(code) for code in codes):
        return True
    if any(CADENCE_REGISTRATION.match(name) for name in names):
        return True
    if not names.isdisjoint(_WAITS):
        # A site is a loop whose own body waits. Aliases cost a bytecode pass over every code
        # object, so they are looked for only when no loop waits by the usual names.
        looping = [code for code in codes if not _LOOP_OPCODES.isdisjoint(code.co_code[::2])]
        if any(_waits_inside_a_loop(code, _WAITS) for code in looping):
            return True
        aliases = _aliases(codes) if looping else set()
        if aliases and any(_waits_inside_a_loop(code, aliases) for code in looping):
            return True
    if not names.isdisjoint(_ROUTE_NAMES) and (
        not names.isdisjoint(_ROUTE_OWNERS) or any(_calls_verb_with_a_path(code) for code in codes)
    ):
        return True
    return not names.isdisjoint(_DJANGO_NAMES) and any(name.startswith("django") for name in names)


def _builds_beat_entry(code: CodeType) -> bool:
    """`{"task": ..., "schedule": ...}`: a Celery beat entry, wherever the schedule it joins is named;
    `{"func": ..., "interval": ...}`: an rq-scheduler job definition."""
    strings: set[str] = set()
    for constant in code.co_consts:
        if isinstance(constant, str):
            strings.add(constant)
        elif isinstance(constant, tuple):  # the keys of a dict literal: BUILD_CONST_KEY_MAP
            strings.update(item for item in constant if isinstance(item, str))
    return {"task", "schedule"} <= strings or {"func", "interval"} <= strings


def _code_objects(module: CodeType) -> list[CodeType]:
    found, pending = [], [module]
    while pending:
        code = pending.pop()
        found.append(code)
        pending.extend(constant for constant in code.co_consts if isinstance(constant, CodeType))
    return found


def _waits_inside_a_loop(code: CodeType, waits: AbstractSet[str]) -> bool:
    """A wait named between a backward jump and its target: in the body or the condition of a loop.

    The span is generous (code laid out between the two, such as an `except` block placed after
    the loop that jumps back into it, counts as inside), so a loop that waits is never missed.
    """
    if waits.isdisjoint(_inline_names(code)):
        return False
    instructions = list(dis.get_instructions(code))
    spans = [(step.argval, step.offset) for step in instructions if step.opcode in _LOOP_OPCODES]
    for step in instructions:
        if not step.opname.startswith("LOAD") or not any(start <= step.offset <= end for start, end in spans):
            continue
        value = step.argval
        if isinstance(value, CodeType):  # a lambda or comprehension made in the loop runs in it
            named = _inline_names(value) if value.co_name.startswith("<") else set()
        elif isinstance(value, str) and step.opname != "LOAD_CONST":
            named = {value}
        elif isinstance(value, tuple) and step.opname != "LOAD_CONST":  # 3.13's LOAD_FAST_LOAD_FAST
            named = set(value)
        else:
            continue
        if not waits.isdisjoint(named):
            return True
    return False


def _inline_names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType) and constant.co_name.startswith("<"):  # <lambda>, <listcomp>, ...
            names.update(_inline_names(constant))
    return names


def _aliases(codes: list[CodeType]) -> set[str]:
    """Names bound to a wait: `from time import sleep as pause`, `pause = time.sleep`."""
    aliases: set[str] = set()
    for code in codes:
        if _WAITS.isdisjoint(code.co_names):
            continue
        previous = None
        for instruction in dis.get_instructions(code):
            if instruction.opname.startswith("STORE_") and previous in _WAITS:
                aliases.add(instruction.argval)
            if instruction.opname != "CACHE":
                previous = instruction.argval if isinstance(instruction.argval, str) else None
    return aliases


def _calls_verb_with_a_path(code: CodeType) -> bool:
    """`router.get("/queue", ...)`: a route verb called with a path as its first argument."""
    if _ROUTE_NAMES.isdisjoint(code.co_names) or not any(
        isinstance(constant, str) and constant.startswith("/") for constant in code.co_consts
    ):
        return False
    previous = None
    for instruction in dis.get_instructions(code):
        if instruction.opname == "CACHE":
            continue
        if (
            instruction.opname == "LOAD_CONST"
            and isinstance(instruction.argval, str)
            and instruction.argval.startswith("/")
            and previous in _ROUTE_NAMES
        ):
            return True
        previous = instruction.argval if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") else None
    return False
