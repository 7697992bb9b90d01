"""Rules for backend polling: periodic watchers in Python (and Node backend modules)."""

from polldetox.findings import Severity
from polldetox.rules import Invalid, Rule, Valid

SERVICE = "app/server/services/watchers.py"
SCRIPT = "scripts/monitor_tokens.py"
TRIGGER = "adws/adw_triggers/trigger_issues.py"

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
level lower. A loop that waits a day or longer per turn (a daily version check, `sleep(2**32)`
keeping a main thread alive) is a batch cadence or no interval at all, not polling.
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
        Valid(
            path="app/server/routes/websocket_routes.py",
            code="""
import asyncio

from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.websocket("/ws")
async def feed(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive_text(), timeout=30)
        except TimeoutError:
            await websocket.send_json({"type": "heartbeat"})
            continue
        await websocket.send_json({"type": "echo", "data": message})
""",
        ),
        Valid(
            path="app/server/db.py",
            code="""
import asyncio

import asyncpg


async def connect_with_retry(dsn: str) -> asyncpg.Connection:
    delay = 1.0
    while True:
        try:
            return await asyncpg.connect(dsn)
        except OSError:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)
""",
        ),
        Valid(
            path=SERVICE,
            code="""
class QueueEvents:
    async def start(self) -> None:
        await self.listener.add_listener("queue_items_changed", self._on_queue_change)

    async def _on_queue_change(self, connection, pid, channel, payload) -> None:
        rows = await self.pool.fetch("SELECT id, status FROM queue_items")
        await self.websocket_manager.broadcast({"type": "queue_update", "data": rows})
""",
        ),
        Valid(
            path=SERVICE,
            code="""
import subprocess
import time


def export_report(job) -> bytes:
    worker = subprocess.Popen(["pg_dump", "--table", "orders"])
    while worker.poll() is None:
        time.sleep(0.5)
    while not job.done():
        time.sleep(1)
    return job.result()
""",
        ),
        Valid(
            path=SERVICE,
            code="""
import time


def wait_for_glue_run(client, job_name: str, run_id: str) -> None:
    while True:
        state = client.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]["JobRunState"]
        if state in ("FAILED", "STOPPED", "TIMEOUT"):
            raise RuntimeError(f"{job_name} ended {state}")
        if state == "SUCCEEDED":
            return
        time.sleep(60)
""",
        ),
        Valid(
            path=SERVICE,
            code="""
import time

import requests


def check_for_new_version(current: str) -> None:
    while True:
        latest = requests.get("https://releases.example.com/latest", timeout=10).json()["version"]
        if latest != current:
            print(f"version {latest} is available")
        time.sleep(60 * 60 * 24)
""",
        ),
        Valid(
            path="app/server/smtpd.py",
            code="""
import time


class SmtpCommand:
    def handle(self, controller) -> None:
        controller.start()
        while True:
            try:
                time.sleep(2**32)
            except KeyboardInterrupt:
                print("interrupted")
                break
        controller.stop()
""",
        ),
        Valid(
            path="app/server/workers.py",
            code="""
import asyncio


async def update_worker(jobs, stop, executor) -> None:
    while not stop.is_set():
        try:
            job = await jobs.async_get(executor=executor, timeout=1.0)
        except asyncio.TimeoutError:
            continue
        await job.run()
        await asyncio.sleep(0.5)
""",
        ),
        Valid(
            path="app/server/browser_loop.py",
            code="""
import threading
import time

browser_loop = None


def ensure_browser_loop() -> None:
    threading.Thread(target=start_browser_loop, daemon=True).start()
    started = time.time()
    while browser_loop is None:
        if time.time() - started > 5:
            raise RuntimeError("the browser loop did not start")
        time.sleep(0.01)
""",
        ),
        Valid(
            path="app/server/batch.py",
            code="""
import time


def run_batches(pool, store, runs: int) -> None:
    run = 1
    while run <= runs:
        pool.wait_for_all_checks(timeout=300)
        run += 1
        store.queue_watches_for_recheck()
        time.sleep(2)
""",
        ),
        Valid(
            path="app/server/workers.py",
            code="""
import time


def drain(jobs, stats) -> None:
    last_report = time.monotonic()
    while True:
        job = jobs.get(timeout=1)
        job.run()
        if time.monotonic() - last_report >= 60:
            stats.log_summary()
            last_report = time.monotonic()
""",
        ),
    ),
    invalid=(
        Invalid(
            path="app/server/notifications.py",
            interval_seconds=1,
            code="""
import queue


def notification_runner(outbox: queue.Queue, stop, store) -> None:
    while not stop.is_set():  # expect: PD101
        try:
            message = outbox.get(block=False)
        except queue.Empty:
            stop.wait(1)
        else:
            store.save_notification(message)
""",
        ),
        Invalid(
            path="app/server/consumer.py",
            interval_seconds=300,
            polls="file",
            code="""
from pathlib import Path
from time import monotonic

from watchfiles import watch


def consume_folder(directory: Path, stop, queue) -> None:
    last_rescan = monotonic()
    while not stop.is_set():  # expect: PD101
        for changes in watch(directory, stop_event=stop, rust_timeout=60_000, yield_on_timeout=True):
            for _, path in changes:
                queue.put(path)
            break
        if monotonic() - last_rescan >= 300:
            for path in directory.glob("**/*.pdf"):
                queue.put(path)
            last_rescan = monotonic()
""",
        ),
        Invalid(
            path="app/server/feeds.py",
            interval_seconds=60,
            tables=("feeds",),
            code="""
import asyncio


async def refresh_feeds(pool, max_runs=None) -> None:
    runs = 0
    while max_runs is None or runs < max_runs:  # expect: PD101
        rows = await pool.fetch("SELECT id, url FROM feeds")
        await pool.cache_feeds(rows)
        runs += 1
        await asyncio.sleep(60)
""",
        ),
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
        while True:  # expect: PD101
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
    while True:  # expect: PD101
        print(open("usage.log").read())
        time.sleep(10)
""",
        ),
        Invalid(
            path=SERVICE,
            interval_seconds=15,
            polls="http",
            code="""
import os
import threading
from time import sleep as pause

import requests

STATUS_POLL_SECONDS = int(os.environ.get("STATUS_POLL_SECONDS", "15"))


def start_status_thread(cache: dict) -> threading.Thread:
    def run() -> None:
        while True:  # expect: PD101
            cache["status"] = requests.get("http://localhost:8100/status", timeout=5).json()
            pause(STATUS_POLL_SECONDS)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
""",
        ),
        Invalid(
            path="shop/services/order_watcher.py",
            interval_seconds=5,
            tables=("shop_order",),
            polls="database",
            code="""
import threading

from shop.models import Order


class PendingOrderWatcher(threading.Thread):
    def __init__(self, poll_seconds: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.poll_seconds = poll_seconds
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(timeout=self.poll_seconds):  # expect: PD101
            pending = list(Order.objects.filter(status="pending").values("id", "total"))
            self.publish(pending)
""",
        ),
        Invalid(
            path=SERVICE,
            status="allowed",
            exception="fallback",
            interval_seconds=5,
            tables=("queue_items",),
            code="""
import asyncio
import logging
import time

logger = logging.getLogger(__name__)

MAX_FALLBACK_SECONDS = 300


class QueueFallback:
    async def run_while_listener_down(self) -> None:
        logger.warning("NOTIFY listener lost: polling queue_items until it reconnects")
        deadline = time.monotonic() + MAX_FALLBACK_SECONDS
        last_rows = None
        while not self.listener.is_connected() and time.monotonic() < deadline:  # expect: PD101
            rows = await self.pool.fetch("SELECT id, status FROM queue_items")
            if rows != last_rows:
                await self.websocket_manager.broadcast({"type": "queue_update", "data": rows})
                last_rows = rows
            await self.listener.reconnect()
            await asyncio.sleep(5)
""",
        ),
        Invalid(
            path=SERVICE,
            status="allowed",
            exception="fallback",
            missing=(
                "logs a WARNING when the fallback activates",
                "has a maximum fallback duration (5 minutes)",
            ),
            code="""
import asyncio


class QueueFallback:
    async def run_fallback(self) -> None:
        while not self.listener.is_connected():  # expect: PD101
            rows = await self.pool.fetch("SELECT id, status FROM queue_items")
            await self.websocket_manager.broadcast_if_changed("queue_update", rows)
            await self.listener.reconnect()
            await asyncio.sleep(5)
""",
        ),
        Invalid(
            path=TRIGGER,
            status="allowed",
            exception="trigger",
            interval_seconds=30,
            missing=("documents why webhooks are not used", "takes its interval from an environment variable"),
            code="""
'''Start ADW workflows for new GitHub issues.'''

import logging
import time

import requests

logger = logging.getLogger(__name__)


def main() -> None:
    while True:  # expect: PD101
        issues = requests.get("https://api.github.com/repos/acme/app/issues", timeout=10).json()
        logger.info("Polled GitHub: %d open issues", len(issues))
        time.sleep(30)


if __name__ == "__main__":
    main()
""",
        ),
        Invalid(
            path="app/server/triggers/reminder_schedule.py",
            interval_seconds=60,
            tables=("reminders",),
            code="""
import asyncio


async def send_due_reminders(pool, mailer) -> None:
    while True:  # expect: PD101
        rows = await pool.fetch("SELECT id, email FROM reminders WHERE due_at <= now() AND sent = false")
        for row in rows:
            await mailer.send(row["email"])
        await asyncio.sleep(60)
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
        Valid(
            path=SERVICE,
            code="""
import asyncio
import json


async def watch_data(websocket_manager, get_data):
    last_state = None
    while True:  # expect: PD101
        data = get_data()
        current_state = json.dumps(data, sort_keys=True)
        if current_state != last_state:
            await websocket_manager.broadcast({"type": "data_update", "data": data})
            last_state = current_state
        await asyncio.sleep(10)
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
    while True:  # expect: PD102
        data = get_data()
        await websocket_manager.broadcast({"type": "data_update", "data": data})
        await asyncio.sleep(10)
""",
        ),
        Invalid(
            path=SERVICE,
            interval_seconds=2,
            tables=("queue_items",),
            polls="database",
            code="""
import asyncio

QUEUE_POLL_SECONDS = 2


class BackgroundTaskManager:
    async def watch_queue(self) -> None:
        while True:  # expect: PD102
            rows = await self._load_queue()
            await self.websocket_manager.broadcast({"type": "queue_update", "data": rows})
            await asyncio.sleep(QUEUE_POLL_SECONDS)

    async def _load_queue(self):
        return await self.pool.fetch("SELECT id, title, status FROM queue_items ORDER BY position")
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
In Node: node-schedule `scheduleJob`, node-cron `cron.schedule`, cron `new CronJob`/`CronJob.from`,
agenda `every`, Bull/BullMQ repeatable jobs (`add(name, data, { repeat: { every | pattern } })`,
`upsertJobScheduler`; each job is what the queue's worker, `new Worker(queue, fn)`, runs),
toad-scheduler `SimpleIntervalJob`, and NestJS `@Cron`/`@Interval`. A cron
schedule polls when it repeats within the day (`*/5 * * * *`, `0 * * * *`); one that runs at a
time of day (`0 3 * * *`, `CronExpression.EVERY_DAY_AT_1AM`) does not. A job that reads nothing
visible is judged by its name: syncing and checking poll; cleanup, expiry, backups, digests and
reminders are housekeeping. A job repeating once a day or less often (`every 24 h`) is a batch
job, as one at a fixed time of day is.
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
        Valid(
            path="app/server/celery_app.py",
            code="""
from celery import Celery
from celery.schedules import crontab

app = Celery("tasks")
app.conf.beat_schedule = {
    "nightly-report": {"task": "tasks.send_report", "schedule": crontab(hour=2, minute=0)},
}
""",
        ),
        Valid(
            path="app/server/celery_app.py",
            code="""
from datetime import timedelta

from celery import Celery

app = Celery("tasks")
app.conf.beat_schedule = {
    "purge-expired-sessions": {"task": "tasks.purge_expired_sessions", "schedule": timedelta(minutes=10)},
}
""",
        ),
        Valid(
            path=SERVICE,
            code="""
import schedule

schedule.every().day.at("03:00").do(rotate_logs)
""",
        ),
        Valid(
            path="app/server/main.py",
            code="""
from fastapi import FastAPI
from fastapi_utils.tasks import repeat_every

app = FastAPI()


@app.on_event("startup")
@repeat_every(seconds=60 * 60 * 24)
async def post_daily_totals() -> None:
    rows = await app.state.pool.fetch("SELECT day, total FROM order_totals")
    await app.state.mailer.send_totals(rows)
""",
        ),
        Valid(
            path="server/src/jobs/maintenance.ts",
            code="""
import cron from 'node-cron';
import { Injectable } from '@nestjs/common';
import { Cron, CronExpression, Interval } from '@nestjs/schedule';
import { purgeExpiredSessions, sendDailyDigest } from './tasks';

cron.schedule('0 3 * * *', () => sendDailyDigest());
cron.schedule('*/10 * * * *', () => purgeExpiredSessions());

@Injectable()
export class ReportsService {
  constructor(private readonly ordersRepository: Repository<Order>) {}

  @Cron(CronExpression.EVERY_DAY_AT_1AM)
  async nightlyTotals() {
    return this.ordersRepository.find();
  }

  @Interval('heartbeat', 10_000)
  heartbeat() {
    this.logger.log('alive');
  }
}
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
scheduler.add_job(sync_queue, "interval", seconds=30)  # expect: PD103
""",
        ),
        Invalid(
            path=SERVICE,
            interval_seconds=300,
            polls="file",
            code="""
import os
import time

import schedule


def snapshot_disk_usage() -> None:
    total = sum(entry.stat().st_size for entry in os.scandir("/srv/artifacts"))
    print(f"artifacts: {total} bytes")


schedule.every(5).minutes.do(snapshot_disk_usage)  # expect: PD103

while True:
    schedule.run_pending()
    time.sleep(1)
""",
        ),
        Invalid(
            path=SERVICE,
            interval_seconds=60,
            polls="http",
            code="""
import threading

import requests


def refresh_rates(cache: dict) -> None:
    cache["rates"] = requests.get("https://api.example.com/rates", timeout=5).json()
    threading.Timer(60, refresh_rates, args=(cache,)).start()  # expect: PD103
""",
        ),
        Invalid(
            path="app/server/main.py",
            interval_seconds=60,
            tables=("exchange_rates",),
            code="""
from fastapi import FastAPI
from fastapi_utils.tasks import repeat_every

app = FastAPI()


@app.on_event("startup")
@repeat_every(seconds=60)  # expect: PD103
async def refresh_exchange_rates() -> None:
    rows = await app.state.pool.fetch("SELECT currency, rate FROM exchange_rates")
    app.state.rates = {row["currency"]: row["rate"] for row in rows}
""",
        ),
        Invalid(
            path="app/server/celery_app.py",
            interval_seconds=30,
            tables=("queue_items",),
            code="""
from datetime import timedelta

from celery import Celery

app = Celery("tasks")


@app.task
def sync_queue():
    with app.pool.connection() as conn:
        return conn.execute("SELECT id FROM queue_items WHERE synced = false").fetchall()


app.conf.beat_schedule = {
    "sync-queue": {"task": "tasks.sync_queue", "schedule": timedelta(seconds=30)},  # expect: PD103
}
""",
        ),
        Invalid(
            path="shop/celery_app.py",
            interval_seconds=30,
            tables=("orders",),
            polls="database",
            code="""
from datetime import timedelta

from celery import Celery

app = Celery("shop")
app.conf.beat_schedule = {
    "sync-orders": {"task": "shop.tasks.sync_orders", "schedule": timedelta(seconds=30)},  # expect: PD103
}
""",
            extra_files=(
                (
                    "shop/tasks.py",
                    """from shop.db import pool


def sync_orders():
    with pool.connection() as conn:
        return conn.execute("SELECT id FROM orders WHERE synced = false").fetchall()
""",
                ),
            ),
        ),
        Invalid(
            path="app/server/settings/schedule.py",
            interval_seconds=600,
            code="""
import os

from celery.schedules import crontab


def parse_beat_schedule() -> dict:
    schedule = {}
    tasks = [
        {  # expect: PD103
            "name": "Check mailboxes",
            "env_key": "MAIL_TASK_CRON",
            "env_default": "*/10 * * * *",
            "task": "mail.tasks.process_mail_accounts",
        },
        {
            "name": "Optimize the index",
            "env_key": "INDEX_TASK_CRON",
            "env_default": "0 0 * * *",
            "task": "documents.tasks.index_optimize",
        },
        {
            "name": "Empty trash",
            "env_key": "TRASH_TASK_CRON",
            "env_default": "*/30 * * * *",
            "task": "documents.tasks.empty_trash",
        },
    ]
    for task in tasks:
        value = os.getenv(task["env_key"], task["env_default"])
        minute, hour, day_month, month, day_week = value.split(" ")
        schedule[task["name"]] = {  # expect: PD103
            "task": task["task"],
            "schedule": crontab(minute, hour, day_week, day_month, month),
        }
    return schedule
""",
        ),
        Invalid(
            path="app/server/tasks/schedule.py",
            interval_seconds=30,
            tables=("queries",),
            code="""
from datetime import datetime, timedelta

from rq_scheduler import Scheduler

scheduler = Scheduler(queue_name="periodic")


def refresh_queries():
    return db.execute("SELECT id FROM queries WHERE next_run_at < now()").fetchall()


def periodic_job_definitions():
    return [
        {"func": refresh_queries, "timeout": 600, "interval": 30},  # expect: PD103
        {"func": remove_ghost_locks, "interval": timedelta(minutes=1)},
        {"func": empty_schedules, "interval": timedelta(minutes=60)},
    ]


def schedule_periodic_jobs(jobs):
    for job in jobs:
        scheduler.schedule(scheduled_time=datetime.utcnow(), **job)
""",
        ),
        Invalid(
            path="app/server/views/moderation.py",
            interval_seconds=300,
            code="""
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def schedule_moderation_tasks(request):
    with transaction.atomic():
        every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.get_or_create(  # expect: PD103
            interval=every_five,
            name="automod-task",
            task="app.moderation.tasks.scan_new_statuses",
        )
        PeriodicTask.objects.get_or_create(
            interval=every_five,
            name="delete-exports-task",
            task="app.housekeeping.start_export_deletions",
        )
""",
        ),
        Invalid(
            path="app/server/app.py",
            interval_seconds=60,
            code="""
from app.server import tasks
from app.server.scheduler import SchedulerRegistry


async def start_scheduler() -> None:
    SchedulerRegistry.register_daily(tasks.purge_password_reset_tokens, tasks.create_timeline_events)
    SchedulerRegistry.register_minutely(tasks.post_group_webhooks)  # expect: PD103
    SchedulerRegistry.register_hourly(tasks.locked_user_reset)
""",
            extra_files=(
                (
                    "app/server/scheduler_service.py",
                    """from fastapi_utils.tasks import repeat_every

from app.server.scheduler import SchedulerRegistry


@repeat_every(seconds=60 * 60)
def run_hourly():
    for func in SchedulerRegistry.hourly:
        func()


@repeat_every(seconds=5 * 60)  # expect: PD103
def run_minutely():
    for func in SchedulerRegistry.minutely:
        func()
""",
                ),
            ),
        ),
        Invalid(
            path="server/src/jobs/orders.ts",
            interval_seconds=300,
            tables=("orders",),
            polls="database",
            code="""
import cron from 'node-cron';
import { pool } from '../db';
import { releaseHeldStock } from '../stock';

cron.schedule('*/5 * * * *', async () => {  // expect: PD103
  const { rows } = await pool.query("SELECT id FROM orders WHERE status = 'pending'");
  await releaseHeldStock(rows);
});
""",
        ),
        Invalid(
            path="server/src/sync/inventory.service.ts",
            interval_seconds=45,
            code="""
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';

const settings = { inventory: { syncEveryMs: 45_000 } };

@Injectable()
export class InventorySyncService implements OnModuleInit {
  constructor(private readonly queue: Queue) {}

  async onModuleInit() {
    await this.queue.add('sync-inventory', {}, { repeat: { every: settings.inventory.syncEveryMs } });  // expect: PD103
  }
}
""",
        ),
        Invalid(
            path="server/src/schedulers/monitors.ts",
            interval_seconds=10,
            code="""
import { Queue, Worker } from 'bullmq';
import { listActiveMonitors, syncMonitorSchedules } from '../monitors';

const queue = new Queue('monitor-sync');

new Worker('monitor-sync', async () => {
  await syncMonitorSchedules(await listActiveMonitors());
});

export const start = () =>
  queue.upsertJobScheduler(`${prefix}_main`, { every: 10_000 }, {});  // expect: PD103
""",
        ),
    ),
)

RULES = (BACKEND_POLLING_LOOP, BROADCAST_UNCHANGED_DATA, SCHEDULED_POLLING_JOB)
