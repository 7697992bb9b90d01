"""The structural prefilter never keeps out a file the Python detector would find something in."""

from __future__ import annotations

import textwrap

import pytest

from polldetox.rules import RULES
from polldetox.scan import python as detector
from polldetox.scan.python_gate import may_hold_sites
from tests.conftest import DEMO


def python_sources() -> list[tuple[str, str]]:
    sources = [(path.relative_to(DEMO).as_posix(), path.read_text()) for path in sorted(DEMO.rglob("*.py"))]
    for rule in RULES.values():
        for example in (*rule.valid, *rule.invalid):
            for path, code in ((example.path, example.code), *example.extra_files):
                if path.endswith(".py"):
                    sources.append((f"{rule.id}:{path}", textwrap.dedent(code)))
    return sources


@pytest.mark.parametrize(("path", "source"), python_sources(), ids=lambda value: value if "/" in value else "")
def test_gate_lets_in_every_file_with_sites_routes_or_suppressions(path: str, source: str) -> None:
    facts = detector.detect(source, path)
    if facts.sites or facts.routes or facts.suppressions:
        assert may_hold_sites(source, path)


@pytest.mark.parametrize(
    "source",
    [
        # `while cond:` compiles to a conditional backward jump on 3.11, `while True:` to a plain one.
        "import threading\n\ndef drain(q, done):\n    while not done.is_set():\n        done.wait(5)\n",
        "from time import sleep as pause\n\ndef watch():\n    while True:\n        pause(10)\n",
        "import asyncio as aio\n\nasync def watch():\n    for _ in iter(int, 1):\n        await aio.sleep(1)\n",
        "from apscheduler.triggers.interval import IntervalTrigger as Every\nscheduler.add_job(f, Every(seconds=5))\n",
        "app.conf.beat_schedule = {'sync': {'task': 'sync', 'schedule': 30.0}}\n",
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('')\ndef index():\n    return []\n",
        "@router.get('/api/v1/queue')\nasync def queue():\n    return []\n",
        "from django.urls import path\nurls = [path('queue/', views.queue)]\n",
        "def register(app):\n    @app.get('/health', response_model=None)\n    def health():\n        return {}\n",
        "x = 1  # polldetox: ignore[PD101]\n",
        # An `except` block is laid out after the loop it belongs to, and jumps back into it.
        "import time\n\ndef watch():\n    while True:\n        try:\n            sync()\n"
        "        except OSError:\n            time.sleep(5)\n            continue\n",
        "import asyncio\n\nasync def watch(feed):\n    async for item in feed:\n"
        "        await asyncio.sleep(item.delay)\n",
        "import time\n\ndef watch():\n    while True:\n        list(map(lambda t: time.sleep(t), [1]))\n",
        "def broken(:\n    pass\n",
    ],
)
def test_gate_keeps(source: str) -> None:
    assert may_hold_sites(source, "module.py")


@pytest.mark.parametrize(
    "source",
    [
        "import os\n\ndef settings_path(name):\n    return os.path.join(BASE, name)\n",
        "import time\n\ndef backoff_once():\n    time.sleep(1)\n    return fetch()\n",
        "def total(values):\n    result = 0\n    for value in values:\n        result += value\n    return result\n",
        "def lookup(d, key):\n    return d.get(key)\n",
        "TMP = '/tmp/cache'\n\ndef cached(store, key):\n    return store.get(key) or TMP\n",
        # A loop and a wait in one function, but the wait is not inside the loop.
        "import time\n\ndef drain(queue):\n    while queue:\n        queue.pop()\n    time.sleep(1)\n",
        "import asyncio\n\nasync def settle(items):\n    for item in items:\n        item.close()\n"
        "    await asyncio.sleep(0.5)\n",
        # Every `await` resends in a loop of its own (JUMP_BACKWARD_NO_INTERRUPT): not a loop of the code.
        "import asyncio\n\nasync def pause():\n    await asyncio.sleep(1)\n",
    ],
)
def test_gate_drops_files_that_cannot_poll(source: str) -> None:
    assert not may_hold_sites(source, "module.py")
