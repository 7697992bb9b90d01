"""A structural prefilter for Python, between the byte prefilter and libcst.

Trigger tokens are common words (`path(`, `wait(`, `sleep`), so many files that contain one hold
no loop that waits, no scheduler and no route. CPython's compiler answers that question first,
at C speed (several times faster than building Python's own AST, and far faster than a libcst
tree): the names each code object uses, whether it jumps backwards (a loop), and its string
constants. libcst then runs only where the detector can find something.

The gate is generous: it looks at names, not at what they resolve to, so it may let in a file
with nothing to find but never keeps out one with a site, a route or a suppression comment.
"""

from __future__ import annotations

import dis
import warnings
from types import CodeType

# Calls that make a loop wait on a clock (sleep, event.wait(t), asyncio.wait_for, schedule.run_pending).
_WAITS = frozenset({"sleep", "wait", "wait_for", "run_pending"})
# Names that re-run work on an interval without a loop of their own.
_SCHEDULERS = frozenset(
    {
        "Timer", "call_later", "add_job", "scheduled_job", "every", "repeat_every", "IntervalTrigger",
        "add_periodic_task", "beat_schedule", "celery_beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE",
    }
)  # fmt: skip
# A route is a decorator like `@router.get("/queue")`, or Django's `path("queue/", view)`.
_ROUTE_NAMES = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket"}
)
_ROUTE_OWNERS = frozenset({"FastAPI", "APIRouter", "Flask", "Blueprint", "Sanic"})
_DJANGO_NAMES = frozenset({"path", "re_path", "url"})
# Every loop compiles to a backward jump (JUMP_BACKWARD, 3.11's POP_JUMP_BACKWARD_IF_*, older JUMP_ABSOLUTE).
_LOOP_OPCODES = frozenset(code for name, code in dis.opmap.items() if "BACKWARD" in name or name == "JUMP_ABSOLUTE")


def may_hold_sites(source: str, path: str) -> bool:
    """False only when the file certainly holds no polling site, route or suppression comment."""
    if "polldetox" in source:  # a suppression comment: the detector must see it, used or not
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are the detector's business
            module = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # let libcst parse it and report the error with its position
    names: set[str] = set()
    strings: list[str] = []
    has_loop = False
    pending = [module]
    while pending:
        code = pending.pop()
        names.update(code.co_names)
        for constant in code.co_consts:
            if isinstance(constant, CodeType):
                pending.append(constant)
            elif isinstance(constant, str):
                strings.append(constant)
        has_loop = has_loop or not _LOOP_OPCODES.isdisjoint(code.co_code[::2])
    if not names.isdisjoint(_SCHEDULERS) or (has_loop and not names.isdisjoint(_WAITS)):
        return True
    if not names.isdisjoint(_ROUTE_NAMES) and (
        not names.isdisjoint(_ROUTE_OWNERS) or any(text.startswith("/") for text in strings)
    ):
        return True
    return not names.isdisjoint(_DJANGO_NAMES) and any(name.startswith("django") for name in names)
