"""Loops that wait for one operation, renew what they own, wait for readiness, write out their own buffer
or log their own counters are not polling; loops that re-read shared data for something new still are."""

from __future__ import annotations

import textwrap

import pytest

from polldetox.findings import PollingSite
from polldetox.scan.python import detect

SERVICE = "app/server/services/jobs.py"


def sites_of(code: str) -> tuple[PollingSite, ...]:
    return detect(textwrap.dedent(code).lstrip("\n"), SERVICE).sites


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import time

            def watch(client, execution, poll_interval=5):
                while execution.is_running():
                    execution = client.get_execution(execution.name)
                    time.sleep(poll_interval)
                return execution
            """,
            id="handle-is-running",
        ),
        pytest.param(
            """
            import asyncio

            async def pause(client, run_id, poll_interval=10):
                while True:
                    run = await client.read_flow_run(run_id)
                    if run.state and run.state.is_running():
                        return
                    await asyncio.sleep(poll_interval)
            """,
            id="state-predicate-in-an-exit-test",
        ),
        pytest.param(
            """
            import time

            def wait_for_container(client, group):
                state = group.state
                while state != ContainerRunState.TERMINATED:
                    group = client.get_group(group.name)
                    state = group.state
                    time.sleep(5)
                return group.exit_code
            """,
            id="local-state-against-a-named-state",
        ),
        pytest.param(
            """
            import time

            def wait_for_step(describe):
                statuses = ["CANCELLED", "FAILED", "COMPLETED"]
                while True:
                    status = describe()
                    if status in statuses:
                        break
                    time.sleep(30)
                return status
            """,
            id="status-in-a-local-list-of-final-states",
        ),
        pytest.param(
            """
            import time

            def run_job(api, name):
                job_completed = False
                while not job_completed:
                    response = api.read_namespaced_job(name=name)
                    if response.status.succeeded is not None or response.status.failed is not None:
                        job_completed = True
                    time.sleep(5)
            """,
            id="flag-set-where-the-status-is-final",
        ),
        pytest.param(
            """
            import time

            def wait_for_install(container):
                ready = False
                while not ready:
                    result = container.exec_run("test -f /READY")
                    ready = result.exit_code == 0
                    if not ready:
                        time.sleep(3)
            """,
            id="flag-from-an-exit-code",
        ),
        pytest.param(
            """
            import time

            def wait_for_batches(self, job_id):
                batches = self.get_batches(job_id)
                while True:
                    queued = [b["id"] for b in batches if b["state"] == "Queued"]
                    running = [b["id"] for b in batches if b["state"] == "InProgress"]
                    if not queued and not running:
                        return batches
                    time.sleep(60)
                    batches = self.get_batches(job_id)
            """,
            id="items-filtered-by-state",
        ),
        pytest.param(
            """
            import time

            def wait_for_reports(self, job_ids):
                jobs_still_running = True
                checks = 1
                while job_ids and jobs_still_running and checks <= 20:
                    time.sleep(15)
                    statuses = self.get_resource("jobs", job_ids)
                    jobs_still_running = any(s["status"] == "PROCESSING" for s in statuses)
                    checks += 1
            """,
            id="still-running-flag",
        ),
        pytest.param(
            """
            import time

            def wait_for_monitors(self, started, poll_interval=60):
                completed = {}
                while len(completed) < len(started):
                    for monitor_id in started:
                        status = self.monitor_status(monitor_id)
                        if status["done"]:
                            completed[monitor_id] = status["passed"]
                    time.sleep(poll_interval)
            """,
            id="count-of-completed-against-started",
        ),
        pytest.param(
            """
            import time

            def wait_for_extraction(self, client_id, job_name):
                while True:
                    extraction = self.list_extractions(client_id)[0]
                    if extraction["discovery_exit_status"] == 0:
                        break
                    time.sleep(30)
            """,
            id="exit-status-key",
        ),
        pytest.param(
            """
            import anyio

            async def run_process(self, flow_run):
                await self.start_process(flow_run)
                while True:
                    await anyio.sleep(0.1)
                    if self._process_map.get(flow_run.id) is None:
                        break
            """,
            id="entry-removed-when-the-operation-ends",
        ),
        pytest.param(
            """
            import asyncio

            async def wait_for_leader(self, event):
                while not await self.event_has_been_seen(event.follows):
                    await asyncio.sleep(0.25)
            """,
            id="one-event-seen",
        ),
        pytest.param(
            """
            import asyncio

            async def confirm(self, state_id):
                while not self._closed:
                    try:
                        run = await self._client.read_flow_run(self.run_id)
                    except Exception:
                        pass
                    else:
                        if run.state.id == state_id or is_suspended_run_state(run.state):
                            return
                    await asyncio.sleep(0.5)
            """,
            id="final-state-in-the-else-of-a-try",
        ),
        pytest.param(
            """
            import time

            def sync(self, bookmark, window):
                start = bookmark
                sync_end = now()
                while start < sync_end:
                    users = self.client.search(updated_after=start, updated_before=start + window)
                    if users.inconsistent:
                        time.sleep(30)
                        continue
                    self.write(users)
                    start = start + window
            """,
            id="window-advanced-to-a-bound",
        ),
    ],
)
def test_waiting_for_one_operation_is_not_polling(code: str) -> None:
    assert sites_of(code) == ()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import asyncio

            async def _extend_visibility_while_processing(message):
                while True:
                    await asyncio.sleep(240)
                    await message.extend_visibility()
            """,
            id="message-visibility",
        ),
        pytest.param(
            """
            def _lease_renewal_loop(client, lease_id, duration, stop_event):
                while not stop_event.is_set():
                    renewed = renew_lease(client, lease_id, duration)
                    if not renewed:
                        return
                    stop_event.wait(duration * 0.75)
            """,
            id="lease-renewal",
        ),
        pytest.param(
            """
            import anyio

            async def _heartbeat_loop(self, websocket, interval):
                while True:
                    await anyio.sleep(interval)
                    frame = HeartbeatFrame(sent_at=now(), worker=self.name)
                    await websocket.send(frame.model_dump_json())
            """,
            id="heartbeat-frames",
        ),
    ],
)
def test_keep_alive_is_not_polling(code: str) -> None:
    assert sites_of(code) == ()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import anyio

            async def main(client):
                while True:
                    error = await client.api_healthcheck()
                    if error is not None:
                        await anyio.sleep(1)
                    else:
                        break
            """,
            id="readiness-wait",
        ),
        pytest.param(
            """
            import asyncio

            class Publisher:
                async def _publish_periodically(self, interval):
                    while True:
                        await asyncio.sleep(interval)
                        await asyncio.shield(self._publish_current_batch())
            """,
            id="batch-flusher",
        ),
        pytest.param(
            """
            import asyncio

            class Emitter:
                async def _checkpoint_loop(self):
                    while True:
                        await asyncio.sleep(self._interval)
                        if not self._unconfirmed:
                            continue
                        if self._websocket:
                            await self._force_checkpoint()
                            continue
                        await self._reconnect()
            """,
            id="checkpoint-of-its-own-outbox",
        ),
        pytest.param(
            """
            import asyncio
            import logging

            logger = logging.getLogger(__name__)
            METRICS = {}

            async def log_metrics_periodically(interval=2.0):
                while True:
                    await asyncio.sleep(interval)
                    for topic, data in METRICS.items():
                        logger.debug("%s published=%d", topic, data["published"])
            """,
            id="counters-logged",
        ),
        pytest.param(
            """
            import anyio

            async def drain(self):
                while self.limiter.borrowed_tokens > 0:
                    self._logger.debug("Waiting for %s run(s)", self.limiter.borrowed_tokens)
                    await anyio.sleep(0.1)
            """,
            id="drain-of-its-own-counter",
        ),
        pytest.param(
            """
            import asyncio
            import time

            async def wait_for_ack(reg, timeout):
                deadline = time.monotonic() + timeout
                while True:
                    if reg.acked.is_set():
                        return True
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    try:
                        await asyncio.wait_for(reg.acked.wait(), timeout=min(remaining, 0.1))
                    except asyncio.TimeoutError:
                        continue
            """,
            id="event-waited-in-slices",
        ),
        pytest.param(
            """
            import threading
            import time

            class HealthCheckThread(threading.Thread):
                def run(self):
                    while True:
                        idle = time.time() - self.consumer_thread.last_message_time
                        if idle > self.timeout_seconds:
                            self.source.print(f"No messages for {idle} s, restarting")
                            self.consumer_thread.stop()
                            return
                        time.sleep(self.timeout_seconds)
            """,
            id="watchdog-of-its-own-consumer-thread",
        ),
        pytest.param(
            """
            import logging
            import time

            logger = logging.getLogger(__name__)

            def check_scheduler_status():
                status = manager.get_status(auto_restart=True)
                logger.info(f"Scheduler status: {status}.")

            def start_scheduler(foreground=False):
                if foreground:
                    while True:
                        check_scheduler_status()
                        time.sleep(20)
            """,
            id="watchdog-restarting-its-own-child-process",
        ),
        pytest.param(
            """
            import threading

            class ObjectStorageSink:
                def upload_data(self):
                    self.timer = threading.Timer(self.buffer_timeout_seconds, self.upload_data)
                    self.timer.start()
                    if not self.buffer:
                        return
                    self.upload_data_with_client(buffer=serialize(self.buffer))
                    self.clear_buffer()
            """,
            id="timer-flushing-its-own-buffer",
        ),
    ],
)
def test_local_work_and_readiness_are_not_polling(code: str) -> None:
    assert sites_of(code) == ()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import time

            def pool(queue, size, job_dict):
                workers = []
                while True:
                    workers = [w for w in workers if w.is_alive()]
                    if not workers and queue.empty():
                        break
                    while not queue.empty() and len(workers) < size:
                        workers.append(start_worker(queue, job_dict))
                    time.sleep(1)
            """,
            id="worker-pool-checking-a-shared-queue",
        ),
        pytest.param(
            """
            import time

            class Watcher:
                def run(self):
                    while self.is_running():
                        rows = self.db.execute("SELECT id FROM jobs WHERE status = 'new'").fetchall()
                        self.handle(rows)
                        time.sleep(5)
            """,
            id="service-run-flag-over-a-database-read",
        ),
        pytest.param(
            """
            import time

            class Publisher:
                def _publish_loop(self):
                    while True:
                        self.publish_updates()
                        time.sleep(5)

                def publish_updates(self):
                    rows = self.db.execute("SELECT id, status FROM jobs").fetchall()
                    self.redis.publish("jobs", rows)
            """,
            id="publisher-that-reads-the-database",
        ),
        pytest.param(
            """
            import time

            def supervise(self):
                while True:
                    jobs = self.db.execute("SELECT id FROM jobs WHERE state = 'stuck'").fetchall()
                    if jobs:
                        self.worker_process.restart()
                    time.sleep(30)
            """,
            id="restart-decided-by-a-database-read",
        ),
        pytest.param(
            """
            import threading

            class Sync:
                def sync(self):
                    threading.Timer(60, self.sync).start()
                    if not self.enabled:
                        return
                    rows = self.db.execute("SELECT id FROM orders").fetchall()
                    self.save(rows)
            """,
            id="timer-reading-the-database-before-saving",
        ),
    ],
)
def test_polling_that_looks_like_a_wait_is_still_reported(code: str) -> None:
    assert len(sites_of(code)) == 1


def test_an_in_process_queue_checked_on_a_timer_polls_memory() -> None:
    (site,) = sites_of(
        """
        import asyncio
        from queue import Empty

        class EventStreamHandler:
            async def get(self, uuid):
                while True:
                    queue = await self.get_queue()
                    try:
                        result = queue.get_nowait()
                    except Empty:
                        result = None
                    if result is not None:
                        self.write(encode_event(uuid, result))
                    await self.flush()
                    await asyncio.sleep(0.1)
        """
    )
    assert (site.polls.value, site.interval_seconds) == ("memory", 0.1)


def test_a_stop_flag_loop_that_checks_a_shared_queue_still_polls() -> None:
    (site,) = sites_of(
        """
        def ticker(app, datastore, update_q, worker_pool):
            while not app.config.exit.is_set():
                running = worker_pool.get_running_uuids()
                queued = {item.uuid for item in update_q.queue}
                if update_q.qsize() < 100:
                    for uuid, watch in datastore.data["watching"].items():
                        if watch.is_due() and uuid not in running and uuid not in queued:
                            update_q.put(uuid)
                app.config.exit.wait(1)
        """
    )
    assert (site.polls.value, site.interval_seconds) == ("memory", 1)
