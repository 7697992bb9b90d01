"""Rules for backend polling: periodic watchers in Python (and Node backend modules)."""

from polldetox.findings import Severity
from polldetox.rules import Invalid, Rule, Valid

SERVICE = "app/server/services/watchers.py"
SCRIPT = "scripts/monitor_tokens.py"

BACKEND_POLLING_LOOP = Rule(
    id="PD101",
    name="backend-polling-loop",
    summary="A backend loop re-reads data on a timer instead of reacting to a change event",
    severity=Severity.ERROR,
    section="Core Principle; Examples & References > Example 2 (Workflow History)",
    what="""
Finds loops in backend code that wait on a clock and repeat: `while True:` (or `while 1`,
`while self.running`, `while not stop.is_set()`) whose body sleeps (`time.sleep`,
`asyncio.sleep`, `trio.sleep`, `anyio.sleep`, `gevent.sleep`), waits on an event with a timeout
(`event.wait(10)`, `asyncio.wait_for(event.wait(), 10)`), or re-arms a Node `setInterval` /
`setTimeout` that queries a data source. Names are resolved through imports and aliases, so
`from time import sleep as pause` is found too. A loop that compares the new state with the
previous one before broadcasting (the standard's "better" variant) is reported one severity
level lower.
""",
    why="""
The standard prohibits polling in backend periodic watchers. A watcher that re-reads its data
every N seconds adds N-second latency (2-30 s instead of <100 ms), runs a query per tick whether
or not anything changed (the standard measures -80% database queries after migrating), and keeps a
CPU-consuming loop alive for the life of the process.
""",
    example="""
```python
async def watch_workflow_history(self):
    while True:
        history = await db.fetch("SELECT * FROM workflow_history")
        if history != self.last:
            await websocket_manager.broadcast({"type": "workflow_history_update", "data": history})
            self.last = history
        await asyncio.sleep(10)
```
""",
    use_instead="""
React to the change where it happens (Decision Tree 1): a PostgreSQL NOTIFY trigger on the
table and a listener callback for database data (`polldetox scaffold workflow_history`), a
watchdog file watcher for files (`--pattern file`), or a direct broadcast from the API action
that made the change (`--pattern action`).
""",
    valid=(
        Valid(
            path=SERVICE,
            code="""
import asyncio


async def consume(queue: asyncio.Queue) -> None:
    while True:
        item = await queue.get()
        await handle(item)
""",
        ),
        Valid(
            path=SERVICE,
            code="""
import time

import requests


def fetch_with_retry(url: str) -> dict:
    for attempt in range(5):
        try:
            return requests.get(url, timeout=5).json()
        except requests.RequestException:
            time.sleep(2**attempt)
    raise RuntimeError("gave up")
""",
        ),
    ),
    invalid=(
        Invalid(
            path=SERVICE,
            interval_seconds=10,
            tables=("workflow_history",),
            polls="database",
            severity="warning",
            code="""
import asyncio


class WorkflowWatcher:
    async def watch_workflow_history(self):
        last = None
        while True:
            rows = await self.pool.fetch("SELECT id, status FROM workflow_history")
            if rows != last:
                await self.websocket_manager.broadcast({"type": "workflow_history_update", "data": rows})
                last = rows
            await asyncio.sleep(10)
""",
        ),
        Invalid(
            path=SCRIPT,
            status="allowed",
            exception="devtool",
            missing=("documents that it is a development tool",),
            code="""
import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--watch", action="store_true")
args = parser.parse_args()

if args.watch:
    while True:
        print(open("usage.log").read())
        time.sleep(10)
""",
        ),
    ),
)

BROADCAST_UNCHANGED_DATA = Rule(
    id="PD102",
    name="broadcast-unchanged-data",
    summary="A polling loop broadcasts on every tick without comparing against the previous state",
    severity=Severity.ERROR,
    section="Anti-Patterns to Avoid > Anti-Pattern 2: Polling in Backend Without State Comparison",
    what="""
Finds backend polling loops that broadcast what they read on every tick (a `broadcast(...)`,
`send_json(...)` or `emit(...)` call inside the loop) without first comparing it with the
previous state.
""",
    why="""
On top of the cost of polling itself, it sends unchanged data to every connected client every
N seconds: wasted bandwidth, needless re-renders in every browser, and load that grows with
N clients x M broadcasts per second.
""",
    example="""
```python
async def watch_data(self):
    while True:
        data = get_data()
        await websocket_manager.broadcast({"type": "data_update", "data": data})
        await asyncio.sleep(10)
```
""",
    use_instead="""
Best: an event-driven callback that runs only when the data changed (`polldetox scaffold
<table>`). If polling must stay for now, compare a serialised snapshot with the previous one and
broadcast only on a difference (the standard's "better" variant, reported by PD101 at a lower
severity).
""",
    valid=(
        Valid(
            path=SERVICE,
            code="""
import asyncio
import json


async def watch_data(manager):
    while True:
        message = await manager.inbox.get()
        await manager.broadcast(json.loads(message))
""",
        ),
    ),
    invalid=(
        Invalid(
            path=SERVICE,
            interval_seconds=10,
            code="""
import asyncio


async def watch_data(websocket_manager, get_data):
    while True:
        data = get_data()
        await websocket_manager.broadcast({"type": "data_update", "data": data})
        await asyncio.sleep(10)
""",
        ),
    ),
)

SCHEDULED_POLLING_JOB = Rule(
    id="PD103",
    name="scheduled-polling-job",
    summary="A scheduler re-runs a job on a fixed interval to look for changes",
    severity=Severity.ERROR,
    section="Core Principle; Migration Checklist > Backend Migration (BackgroundTaskManager)",
    what="""
Finds polling expressed through a scheduler instead of a loop: a `threading.Timer` that
reschedules its own function, APScheduler `add_job(..., "interval", ...)` /
`IntervalTrigger`, `schedule.every(N).seconds.do(...)` with its `run_pending` driver loop, a
self-rescheduling `loop.call_later`, fastapi-utils `@repeat_every`, and Celery beat entries.
""",
    why="""
A scheduler is a polling loop with extra machinery: the job still re-reads its source every N
seconds, with the latency and load the standard prohibits in backend periodic watchers.
""",
    example="""
```python
scheduler.add_job(sync_queue, "interval", seconds=30)
```
""",
    use_instead="""
Trigger the work from the change itself: a NOTIFY trigger and listener callback for database
data, a file watcher for files, a direct broadcast from the endpoint that changes the data.
""",
    valid=(
        Valid(
            path=SERVICE,
            code="""
from apscheduler.schedulers.asyncio import AsyncIOScheduler

scheduler = AsyncIOScheduler()
scheduler.add_job(send_daily_report, "cron", hour=6)
""",
        ),
    ),
    invalid=(
        Invalid(
            path=SERVICE,
            interval_seconds=30,
            code="""
from apscheduler.schedulers.asyncio import AsyncIOScheduler

scheduler = AsyncIOScheduler()
scheduler.add_job(sync_queue, "interval", seconds=30)
""",
        ),
    ),
)

RULES = (BACKEND_POLLING_LOOP, BROADCAST_UNCHANGED_DATA, SCHEDULED_POLLING_JOB)
