"""The scan engine: prefilter, error handling, cache, parallel parsing, cross-file intervals."""

from __future__ import annotations

import gc
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from polldetox.config import load_config, with_overrides
from polldetox.scan import engine
from polldetox.scan import python as python_detector

WATCHER = """
import asyncio

POLL_SECONDS = {interval}


async def watch_{name}(pool, manager):
    while True:
        rows = await pool.fetch("SELECT id, status FROM {name}")
        await manager.broadcast({{"type": "{name}_update", "data": [dict(r) for r in rows]}})
        await asyncio.sleep(POLL_SECONDS)
"""


def scan(root: Path, **overrides):
    return engine.scan([root], replace(load_config(root), **overrides))


def test_files_without_trigger_tokens_are_not_parsed(write_tree) -> None:
    root = write_tree(
        {
            "app/services/queue.py": WATCHER.format(interval=2, name="queue_items"),
            "app/models.py": "class Item:\n    id: int\n",
            "app/utils.ts": "export const add = (a: number, b: number) => a + b;\n",
        }
    )
    result = scan(root)
    assert result.files_scanned == 3
    assert result.files_parsed == 1
    assert result.lines_scanned >= 12
    assert [(f.rule, f.location.path, f.interval_seconds) for f in result.findings] == [
        ("PD102", "app/services/queue.py", 2)
    ]


def test_the_collector_runs_rarely_while_parsing_and_as_before_afterwards(write_tree, monkeypatch) -> None:
    root = write_tree({"app/services/queue.py": WATCHER.format(interval=2, name="queue_items")})
    seen: list[tuple[int, int, int]] = []
    detect = python_detector.detect

    def detect_noting_thresholds(source: str, path: str):
        seen.append(gc.get_threshold())
        return detect(source, path)

    monkeypatch.setattr(python_detector, "detect", detect_noting_thresholds)
    before = gc.get_threshold()
    assert [f.rule for f in scan(root, jobs=1).findings] == ["PD102"]
    assert seen == [(200_000, 30, 30)]
    assert gc.get_threshold() == before


def test_a_file_that_does_not_parse_or_decode_is_reported_and_the_scan_goes_on(write_tree) -> None:
    root = write_tree(
        {
            "app/broken.py": "import time\n\ndef watch(:\n    while True:\n        time.sleep(1)\n",
            "app/services/queue.py": WATCHER.format(interval=2, name="queue_items"),
        }
    )
    (root / "app" / "latin1.py").write_bytes(b"import time\n# caf\xe9\nwhile True:\n    time.sleep(1)\n")
    result = scan(root)
    assert [f.location.path for f in result.findings] == ["app/services/queue.py"]
    errors = {error.path: error for error in result.errors}
    assert set(errors) == {"app/broken.py", "app/latin1.py"}
    assert errors["app/broken.py"].message.startswith("cannot parse")
    assert errors["app/broken.py"].line == 3
    assert errors["app/latin1.py"].message == "not valid UTF-8 (byte 17)"
    assert errors["app/latin1.py"].line == 2


def test_a_python_file_is_decoded_as_its_coding_line_declares(write_tree) -> None:
    root = write_tree({"app/services/queue.py": WATCHER.format(interval=2, name="queue_items")})
    source = "# -*- coding: latin-1 -*-\nimport time\n\n\ndef watch():\n    while True:\n"
    source += '        show("\u00e9tat: " + read_status())\n        time.sleep(5)\n'
    (root / "app" / "services" / "latin1.py").write_bytes(source.encode("latin-1"))
    result = scan(root)
    assert result.errors == ()
    site = next(f for f in result.findings if f.location.path == "app/services/latin1.py")
    assert (site.location.line, site.location.end_line, site.location.end_column) == (6, 8, 22)
    assert site.interval_seconds == 5


def test_unchanged_files_come_from_the_cache(write_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(
        {
            "app/a.py": WATCHER.format(interval=2, name="queue_items"),
            "app/b.py": WATCHER.format(interval=5, name="jobs"),
        }
    )
    first = scan(root)
    parsed: list[str] = []
    real_detect = python_detector.detect

    def counting_detect(source: str, path: str):
        parsed.append(path)
        return real_detect(source, path)

    monkeypatch.setattr(python_detector, "detect", counting_detect)
    second = scan(root, jobs=1)
    assert parsed == []
    assert second.findings == first.findings
    (root / "app" / "b.py").write_text(WATCHER.format(interval=7, name="jobs"), encoding="utf-8")
    third = scan(root, jobs=1)
    assert parsed == ["app/b.py"]
    assert sorted(f.interval_seconds for f in third.findings) == [2, 7]
    no_cache = scan(root, jobs=1, cache=False)
    assert sorted(parsed) == ["app/a.py", "app/b.py", "app/b.py"]
    assert no_cache.findings == third.findings


def test_parallel_parsing_gives_the_same_findings_as_serial(write_tree) -> None:
    files = {}
    for n in range(48):
        padding = "\n".join(f"def helper_{n}_{i}(x):\n    return x * {i}\n" for i in range(160))
        files[f"app/services/watch_{n:02}.py"] = WATCHER.format(interval=n + 1, name=f"table_{n}") + padding
        files[f"app/models/model_{n:02}.py"] = f"class Model{n}:\n    id: int\n"  # read in the pool, never parsed
    root = write_tree(files)
    serial = scan(root, jobs=1, cache=False)
    parallel = scan(root, jobs=2, cache=False)
    assert len(serial.findings) == 48
    assert parallel.findings == serial.findings
    assert (parallel.files_scanned, parallel.files_parsed, parallel.lines_scanned) == (
        serial.files_scanned,
        serial.files_parsed,
        serial.lines_scanned,
    )
    assert (serial.files_scanned, serial.files_parsed) == (96, 48)
    assert sum(len(text) for text in files.values()) > engine._POOL_THRESHOLD_BYTES


def test_progress_is_reported_per_parsed_file(write_tree) -> None:
    root = write_tree({f"app/w{n}.py": WATCHER.format(interval=1, name=f"t{n}") for n in range(3)})
    seen: list[tuple[int, int]] = []
    engine.scan([root], replace(load_config(root), jobs=1), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_intervals_imported_from_another_module_are_resolved(write_tree) -> None:
    root = write_tree(
        {
            "web/src/config/polling.ts": """
            const base = <number>(1000);
            export const QUEUE_POLL_MS = 3 * 1000;
            export const unused = base;
            """,
            "web/src/components/QueuePanel.tsx": """
            import { useQuery } from '@tanstack/react-query';
            import { QUEUE_POLL_MS } from '../config/polling';

            export function QueuePanel() {
              const { data } = useQuery({
                queryKey: ['queue'],
                queryFn: () => fetch('/api/v1/queue').then((r) => r.json()),
                refetchInterval: QUEUE_POLL_MS,
              });
              return <div>{data?.length}</div>;
            }
            """,
        }
    )
    (finding,) = scan(root).findings
    assert (finding.rule, finding.interval_seconds) == ("PD201", 3.0)


def test_a_polling_helper_called_without_an_interval_runs_on_its_modules_default(write_tree) -> None:
    root = write_tree(
        {
            "web/src/lib/utils/useAutoRefresh.svelte.ts": """
            import { invalidate, invalidateAll } from '$app/navigation';

            export function useAutoRefresh(options: { intervalMs?: number; key?: string } = {}) {
              const { intervalMs = 60000, key } = options;
              $effect(() => {
                const id = setInterval(() => (key ? invalidate(key) : invalidateAll()), intervalMs);
                return () => clearInterval(id);
              });
            }
            """,
            "web/src/routes/gpu/+page.svelte": """
            <script lang="ts">
              import { useAutoRefresh } from '$lib/utils/useAutoRefresh.svelte';
              useAutoRefresh({ key: 'data:gpu' });
            </script>
            """,
            "web/src/routes/tokens/+page.svelte": """
            <script lang="ts">
              import { useAutoRefresh } from '../../lib/utils/useAutoRefresh.svelte';
              useAutoRefresh({ key: 'data:tokens', intervalMs: 15_000 });
            </script>
            """,
        }
    )
    found = sorted((f.location.path, f.rule, f.interval_seconds) for f in scan(root).findings)
    assert found == [
        ("web/src/lib/utils/useAutoRefresh.svelte.ts", "PD203", 60.0),
        ("web/src/routes/gpu/+page.svelte", "PD204", 60.0),
        ("web/src/routes/tokens/+page.svelte", "PD204", 15.0),
    ]


def test_intervals_imported_through_the_src_alias_are_resolved(write_tree) -> None:
    root = write_tree(
        {
            "web/src/lib/constants.ts": "export const REALTIME_INTERVAL = 10000;\n",
            "web/src/components/hooks/useRealtime.ts": """
            import { useQuery } from '@tanstack/react-query';
            import { REALTIME_INTERVAL } from '@/lib/constants';

            export function useRealtime(id) {
              return useQuery({ queryKey: ['realtime', id], queryFn: () => get(`/realtime/${id}`),
                                refetchInterval: REALTIME_INTERVAL });
            }
            """,
        }
    )
    (finding,) = scan(root).findings
    assert (finding.rule, finding.interval_seconds) == ("PD201", 10.0)


def test_python_intervals_imported_from_a_settings_module_are_seconds(write_tree) -> None:
    root = write_tree(
        {
            "app/server/settings.py": "QUEUE_POLL_SECONDS = 2 * 3\n",
            "app/server/services/queue.py": """
            import asyncio

            from app.server.settings import QUEUE_POLL_SECONDS


            async def watch_queue(pool):
                while True:
                    await pool.fetch("SELECT id FROM queue_items")
                    await asyncio.sleep(QUEUE_POLL_SECONDS)
            """,
        }
    )
    (finding,) = scan(root).findings
    assert (finding.rule, finding.interval_seconds) == ("PD101", 6.0)


def test_intervals_reexported_through_an_index_module_are_resolved(write_tree) -> None:
    root = write_tree(
        {
            "web/src/config/polling.ts": "export const FEED_POLL_MS = 90 * 1000;\n",
            "web/src/config/index.ts": "export { FEED_POLL_MS } from './polling';\n",
            "web/src/components/Feed.tsx": """
            import { useQuery } from '@tanstack/react-query';
            import { FEED_POLL_MS } from '../config';

            export function Feed() {
              const { data } = useQuery({ queryKey: ['feed'], queryFn: fetchFeed, refetchInterval: FEED_POLL_MS });
              return <ul>{data?.map((item) => <li key={item.id}>{item.title}</li>)}</ul>;
            }
            """,
        }
    )
    (finding,) = scan(root).findings
    assert finding.interval_seconds == 90.0


def _age(root: Path, seconds: float = 60) -> None:
    """Date every file back, as files are in a real checkout: fresh timestamps cannot vouch for a file."""
    past = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def _count_reads(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """The names of the files under `root` read from now on."""
    reads: list[str] = []
    real_read_bytes = Path.read_bytes

    def counting_read_bytes(self: Path) -> bytes:
        if self.is_relative_to(root):
            reads.append(self.name)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counting_read_bytes)
    return reads


def test_a_warm_scan_reads_no_unchanged_file_and_keeps_the_counts(write_tree, monkeypatch) -> None:
    root = write_tree(
        {
            "app/services/queue.py": WATCHER.format(interval=2, name="queue_items"),
            "app/models.py": "class Item:\n    id: int\n",
            "web/src/utils.ts": "export const add = (a: number, b: number) => a + b;\n",
        }
    )
    _age(root)
    cold = scan(root, jobs=1)
    reads = _count_reads(monkeypatch, root)
    warm = scan(root, jobs=1)
    assert reads == []
    assert warm.findings == cold.findings
    assert (warm.files_scanned, warm.files_parsed, warm.lines_scanned) == (3, 1, cold.lines_scanned)

    # Touched but unchanged: read and hashed again, not parsed again.
    (root / "app/services/queue.py").touch()
    parsed: list[str] = []
    real_detect = python_detector.detect
    monkeypatch.setattr(
        python_detector, "detect", lambda source, path: parsed.append(path) or real_detect(source, path)
    )
    assert scan(root, jobs=1).findings == cold.findings
    assert reads == ["queue.py"] and parsed == []


def test_a_file_written_just_before_it_was_cached_is_confirmed_by_content(write_tree, monkeypatch) -> None:
    root = write_tree({"app/services/queue.py": WATCHER.format(interval=2, name="queue_items")})
    scan(root, jobs=1)  # its timestamps are too fresh to prove that the next write changes them
    reads = _count_reads(monkeypatch, root)
    scan(root, jobs=1)
    assert reads == ["queue.py"]


def test_a_changed_constants_module_reaches_the_files_importing_it(write_tree) -> None:
    root = write_tree(
        {
            "app/server/settings.py": "QUEUE_POLL_SECONDS = 2\n",
            "app/server/services/queue.py": """
            import asyncio

            from app.server.settings import QUEUE_POLL_SECONDS


            async def watch_queue(pool):
                while True:
                    await pool.fetch("SELECT id FROM queue_items")
                    await asyncio.sleep(QUEUE_POLL_SECONDS)
            """,
        }
    )
    _age(root)
    assert [f.interval_seconds for f in scan(root).findings] == [2.0]
    assert [f.interval_seconds for f in scan(root).findings] == [2.0]
    (root / "app/server/settings.py").write_text("QUEUE_POLL_SECONDS = 45\n", encoding="utf-8")
    assert [f.interval_seconds for f in scan(root).findings] == [45.0]


WATCHERS_THROUGH_SERVICES = {
    "app/server/services/websocket_watchers.py": """
        import asyncio

        from app.server.services import workflow_service
        from app.server.services.planned_features_service import PlannedFeaturesService
        from app.server.services.websocket_manager import websocket_manager


        class Watchers:
            def __init__(self, features: PlannedFeaturesService) -> None:
                self.features = features

            async def watch_workflow_history(self) -> None:
                while True:
                    history_data, did_sync = workflow_service.get_workflow_history_with_cache()
                    if did_sync:
                        await websocket_manager.broadcast({"type": "workflow_history_update", "data": history_data})
                    await asyncio.sleep(10)

            async def watch_planned_features(self) -> None:
                while True:
                    features = self.features.get_all(limit=200)
                    await websocket_manager.broadcast({"type": "planned_features_update", "data": features})
                    await asyncio.sleep(300)
        """,
    "app/server/services/workflow_service.py": """
        from app.server.repositories.workflow_history_repository import WorkflowHistoryRepository

        _repository = WorkflowHistoryRepository()
        _last_seen = None


        def get_workflow_history_with_cache():
            global _last_seen
            rows = _repository.list_history(limit=100)
            newest = rows[0]["id"] if rows else None
            did_sync, _last_seen = newest != _last_seen, newest
            return rows, did_sync
        """,
    "app/server/repositories/workflow_history_repository.py": """
        from app.server.db import get_connection


        class WorkflowHistoryRepository:
            def list_history(self, limit: int = 100) -> list[dict]:
                with get_connection() as conn:
                    sql = "SELECT id, workflow_id, status FROM workflow_history ORDER BY id DESC LIMIT %s"
                    return conn.execute(sql, (limit,)).fetchall()
        """,
    "app/server/services/planned_features_service.py": """
        from app.server.repositories import planned_features_repository


        class PlannedFeaturesService:
            def get_all(self, limit: int = 200) -> list[dict]:
                return [feature for feature in planned_features_repository.fetch_features(limit) if feature]
        """,
    "app/server/repositories/planned_features_repository.py": """
        from sqlalchemy import select

        from app.server.db import SessionLocal
        from app.server.models.planned_feature import PlannedFeature


        def fetch_features(limit):
            with SessionLocal() as session:
                return session.scalars(select(PlannedFeature).limit(limit)).all()
        """,
    "app/server/models/planned_feature.py": """
        from sqlalchemy.orm import Mapped, mapped_column

        from app.server.models.base import Base


        class PlannedFeature(Base):
            __tablename__ = "planned_features"

            id: Mapped[int] = mapped_column(primary_key=True)
            title: Mapped[str]
        """,
    "app/server/services/websocket_manager.py": """
        class WebSocketManager:
            async def broadcast(self, message: dict) -> None:
                for connection in list(self.connections):
                    await connection.send_json(message)


        websocket_manager = WebSocketManager()
        """,
}


def test_loops_read_their_tables_through_services_and_repositories_in_other_modules(write_tree) -> None:
    root = write_tree(WATCHERS_THROUGH_SERVICES)
    result = scan(root)
    history, features = sorted(result.findings, key=lambda finding: finding.location.line)
    assert history.snippet.endswith("asyncio.sleep(10)") and features.snippet.endswith("asyncio.sleep(300)")
    assert (history.tables, history.interval_seconds) == (("workflow_history",), 10)
    assert (features.tables, features.interval_seconds) == (("planned_features",), 300)
    assert history.scaffold == "polldetox scaffold workflow_history"
    assert features.scaffold == "polldetox scaffold planned_features"


def test_reads_are_followed_into_a_src_layout_package_of_a_monorepo(write_tree) -> None:
    root = write_tree(
        {
            "engine/src/flows/inputs.py": """
            import time

            from flows.actions import filter_inputs

            def next_input(key):
                while True:
                    found = filter_inputs(key)
                    if found:
                        return found[0]
                    time.sleep(10)
            """,
            "engine/src/flows/__init__.py": "",
            "engine/src/flows/actions.py": """
            def filter_inputs(key):
                return client.filter_flow_run_input(key_prefix=key)
            """,
            "tools/flows/actions.py": "def filter_inputs(key):\n    return []\n",
        }
    )
    (finding,) = scan(root).findings
    assert (finding.location.path, finding.polls.value) == ("engine/src/flows/inputs.py", "http")


MONITOR_SCHEDULER = """
import { Queue, Worker } from 'bullmq';
import { runMonitor } from '../checks/{module}.js';

const queue = new Queue('monitors');
new Worker('monitors', async (job) => {
  await runMonitor(job.data);
});

export async function scheduleMonitor(monitor) {
  await queue.upsertJobScheduler(monitor.id, { pattern: monitor.cron }, { data: monitor });
}
"""


def test_a_scheduled_job_reading_through_an_imported_function_and_its_queue_worker(write_tree) -> None:
    root = write_tree(
        {
            "src/server/schedulers/monitors.ts": MONITOR_SCHEDULER.replace("{module}", "probe"),
            "src/server/checks/probe.ts": """
            import executions from '../queues/executions';

            export const runMonitor = async (monitor) => {
              await executions.push(monitor);
            };
            """,
            "src/server/queues/executions.ts": """
            import { Queue, Worker } from 'bullmq';
            import axios from 'axios';

            const queue = new Queue('executions');
            new Worker('executions', async (job) => {
              await probe(job.data);
            });

            async function probe(monitor) {
              return axios.get(monitor.url, { timeout: 10_000 });
            }

            const push = async (monitor) => {
              await queue.add('execute', { monitor });
            };

            export default { push };
            """,
        }
    )
    (finding,) = scan(root).findings
    assert (finding.rule, finding.location.path, finding.location.line) == (
        "PD103",
        "src/server/schedulers/monitors.ts",
        10,
    )
    assert (finding.interval_seconds, finding.polls.value) == (None, "http")
    assert "calls runMonitor() from src/server/checks/probe" in finding.message


def test_a_scheduled_job_whose_imported_function_reads_nothing_is_not_polling(write_tree) -> None:
    root = write_tree(
        {
            "src/server/schedulers/monitors.ts": MONITOR_SCHEDULER.replace("{module}", "tidy"),
            "src/server/checks/tidy.ts": """
            export const runMonitor = async (monitor) => {
              console.log('checked', monitor.id);
            };
            """,
        }
    )
    assert scan(root).findings == ()


def test_polling_in_test_files_is_not_judged_unless_tests_are_included(write_tree) -> None:
    waiting = """
    import { useEffect } from 'react';
    export function useStatus() {
      useEffect(() => {
        const id = setInterval(() => fetch('/api/v1/status'), 1000);
        return () => clearInterval(id);
      }, []);
    }
    """
    root = write_tree(
        {
            "web/src/useStatus.ts": waiting,
            "web/src/__tests__/useStatus.ts": waiting,
            "web/e2e/status.spec.ts": waiting + "// polldetox ignore PD203\n",
            "tests/test_worker.py": "import time\n\ndef test_waits():\n    while True:\n        time.sleep(1)\n",
        }
    )
    config = load_config(root)
    paths = {finding.location.path for finding in engine.scan([root], config).findings}
    assert paths == {"web/src/useStatus.ts"}
    included = engine.scan([root], with_overrides(config, include_tests=True)).findings
    assert {"web/src/__tests__/useStatus.ts", "web/e2e/status.spec.ts"} <= {f.location.path for f in included}


def test_timer_calling_a_global_helper_of_another_classic_script(write_tree) -> None:
    root = write_tree(
        {
            "public/js/common.js": """
            function updateStatusBadge() {
              $.getJSON('/status.json', function (data) { $('#status').text(data.state); });
            }
            function formatBytes(n) { return (n / 1024).toFixed(1) + ' KB'; }
            """,
            "public/js/dashboard.js": """
            $(document).ready(function () {
              setInterval(updateStatusBadge, 15000);
              setInterval(function () { $('#heap').text(formatBytes(performance.memory.usedJSHeapSize)); }, 1000);
              setInterval(function () { showToast('still here'); }, 60000);
            });
            """,
            "web/src/panel.js": """
            import { updateStatusBadge } from './badge';
            setInterval(updateStatusBadge, 5000);
            """,
        }
    )
    findings = engine.scan([root], load_config(root)).findings
    assert [(f.location.path, f.location.line, f.interval_seconds) for f in findings] == [
        ("public/js/dashboard.js", 2, 15)
    ]
    assert findings[0].message.endswith("(calls updateStatusBadge() from public/js/common.js)")
