"""A hand-made ScanResult covering every shape a report must render: deterministic, no scan needed."""

from __future__ import annotations

from polldetox.findings import Finding, Location, Polls, Related, ScanError, ScanResult, Severity, Status

WATCHER = Finding(
    rule="PD101",
    name="backend-polling-loop",
    severity=Severity.ERROR,
    status=Status.VIOLATION,
    location=Location("app/server/services/queue_watcher.py", 5, 5, 9, 35),
    message="Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep)",
    snippet="while True:",
    interval_seconds=2.0,
    polls=Polls.DATABASE,
    tables=("queue_items",),
    recommendation="PostgreSQL NOTIFY trigger on queue_items and a LISTEN callback (Event Detection Method 1)",
    scaffold="polldetox scaffold queue_items",
)
# Odd characters in path and message: GitHub annotation properties must escape them.
PANEL = Finding(
    rule="PD201",
    name="query-refetch-interval",
    severity=Severity.WARNING,
    status=Status.VIOLATION,
    location=Location("app/client/src/components/Queue, Panel: v2.tsx", 12, 3, 12, 26),
    message="useQuery refetchInterval in `QueuePanel` polls /api/v1/queue every 5 s\n100% of the time, a:b",
    snippet="refetchInterval: 5000",
    interval_seconds=5.0,
    polls=Polls.HTTP,
    recommendation="Subscribe with useQueueWebSocket(), fed by the backend's event broadcast; remove the polling",
)
PAIR = Finding(
    rule="PD301",
    name="double-polling",
    severity=Severity.ERROR,
    status=Status.VIOLATION,
    location=Location("app/client/src/components/Queue, Panel: v2.tsx", 12, 3, 12, 26),
    message="useQuery refetchInterval in `QueuePanel` polls every 5 s while Backend watcher `watch_queue` polls",
    snippet="refetchInterval: 5000",
    polls=Polls.DATABASE,
    tables=("queue_items",),
    related=(
        Related(Location("app/server/services/queue_watcher.py", 5, 5, 9, 35), "backend polling loop"),
        Related(Location("app/server/routes/queue_routes.py", 7, 1, 9, 60), "route GET /api/v1/queue"),
    ),
)
DEV_TOOL = Finding(
    rule="PD101",
    name="backend-polling-loop",
    severity=Severity.INFO,
    status=Status.ALLOWED,
    location=Location("scripts/monitor_tokens.py", 20, 9, 24, 30),
    message="Backend watcher `monitor` polls the file system every 10 s. Allowed as a development tool",
    snippet="while args.watch:",
    interval_seconds=10.0,
    polls=Polls.FILE,
    exception="devtool",
)
TRIGGER = Finding(
    rule="PD103",
    name="scheduled-polling-job",
    severity=Severity.WARNING,
    status=Status.ALLOWED,
    location=Location("adws/adw_triggers/trigger_cron.py", 30, 5, 30, 40),
    message="Scheduled job `check_issues` polls an HTTP endpoint every 20 s. Allowed as an automation trigger",
    snippet="schedule.every(20).seconds.do(check_issues)",
    interval_seconds=20.0,
    polls=Polls.HTTP,
    exception="trigger",
    missing=("a comment that says why webhooks are not used",),
)
SILENCED = Finding(
    rule="PD203",
    name="interval-fetch",
    severity=Severity.ERROR,
    status=Status.VIOLATION,
    location=Location("app/client/src/legacy/clock.ts", 3, 1, 5, 10),
    message="setInterval fetches /api/time every 1 s",
    snippet="setInterval(async () => {",
    interval_seconds=1.0,
    polls=Polls.HTTP,
)

HANDMADE = ScanResult(
    findings=(WATCHER, PAIR, PANEL, DEV_TOOL, TRIGGER),
    errors=(ScanError("app/server/broken.py", "invalid syntax", 3), ScanError("app/client/src/bad.ts", "not UTF-8")),
    suppressed=(SILENCED,),
    files_scanned=40,
    files_parsed=9,
    lines_scanned=1200,
)
