"""pytest plugin for bench/mutation.py: each test session starts with polldetox's caches empty.

mutmut tests each mutant in a fork of a process that has already run the tests on the unmutated
code. A function behind `functools.lru_cache` (policy's URL segments) would answer from that run,
never calling the mutated code below it, and the mutant would "survive" tests that do kill it.
"""

from __future__ import annotations

import functools
import gc


def pytest_sessionstart() -> None:
    for cached in gc.get_objects():
        if isinstance(cached, functools._lru_cache_wrapper) and cached.__module__.startswith("polldetox"):
            cached.cache_clear()
