"""The standard's rulings, on facts as the detectors hand them over (no parsing here)."""

from dataclasses import replace
from pathlib import Path

import pytest

from polldetox.config import Config, PathOverride
from polldetox.findings import (
    Context,
    FileFacts,
    Finding,
    Location,
    PollingSite,
    Polls,
    Related,
    Route,
    Severity,
    SiteKind,
    Status,
    Suppression,
)
from polldetox.scan.policy import data_name, format_interval, judge, polls_external_service, url_matches_route

CONFIG = Config(root=Path("/project"))


def at(path: str, line: int) -> Location:
    return Location(path=path, line=line, column=5, end_line=line + 4, end_column=1)


def backend_loop(path: str = "app/server/services/watchers.py", line: int = 10, **facts) -> PollingSite:
    defaults = dict(
        kind=SiteKind.LOOP,
        mechanism="while True + asyncio.sleep",
        language="python",
        location=at(path, line),
        snippet="while True: ... await asyncio.sleep(2)",
        function="watch_queue",
        context=Context.BACKEND,
        interval_seconds=2.0,
        polls=Polls.DATABASE,
        tables=("queue_items",),
    )
    return PollingSite(**{**defaults, **facts})


def query_option(path: str = "app/client/src/components/QueuePanel.tsx", line: int = 7, **facts) -> PollingSite:
    defaults = dict(
        kind=SiteKind.QUERY_OPTION,
        mechanism="useQuery refetchInterval",
        language="typescript",
        location=at(path, line),
        snippet="refetchInterval: 3000",
        function="QueuePanel",
        context=Context.COMPONENT,
        interval_seconds=3.0,
        polls=Polls.HTTP,
        urls=("/api/v1/queue",),
        query_key="['queue']",
    )
    return PollingSite(**{**defaults, **facts})


def facts_of(*sites: PollingSite, **file_facts) -> FileFacts:
    path = sites[0].location.path if sites else file_facts.pop("path")
    return FileFacts(path=path, language="python" if path.endswith(".py") else "typescript", sites=sites, **file_facts)


def only(config: Config = CONFIG, *files: FileFacts):
    findings = judge(files, config).findings
    assert len(findings) == 1, findings
    return findings[0]


def test_backend_loop_is_a_violation_with_the_recommended_replacement() -> None:
    finding = only(CONFIG, facts_of(backend_loop()))
    assert (finding.rule, finding.status, finding.severity) == ("PD101", Status.VIOLATION, Severity.ERROR)
    assert finding.message == (
        "Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep)"
    )
    assert finding.recommendation.startswith("PostgreSQL NOTIFY trigger on queue_items")
    assert finding.scaffold == "polldetox scaffold queue_items"


def test_anti_pattern_2_outranks_the_better_variant() -> None:
    unchanged = only(CONFIG, facts_of(backend_loop(broadcasts=True)))
    compared = only(CONFIG, facts_of(backend_loop(broadcasts=True, compares_state=True)))
    assert (unchanged.rule, unchanged.severity) == ("PD102", Severity.ERROR)
    assert "without comparing with the previous state" in unchanged.message
    assert (compared.rule, compared.severity) == ("PD101", Severity.WARNING)


def test_scheduler_and_node_backend_timer_are_backend_watchers() -> None:
    scheduled = only(CONFIG, facts_of(backend_loop(kind=SiteKind.SCHEDULER, mechanism="APScheduler interval job")))
    node = only(
        CONFIG,
        facts_of(
            backend_loop(
                path="jobs/stale_jobs.mjs", kind=SiteKind.INTERVAL_TIMER, language="javascript", mechanism="setInterval"
            )
        ),
    )
    assert scheduled.rule == "PD103"
    assert node.rule == "PD101"


@pytest.mark.parametrize(
    ("site", "rule"),
    [
        (query_option(), "PD201"),
        (query_option(mechanism="useSWR refreshInterval"), "PD202"),
        (query_option(kind=SiteKind.START_POLLING, mechanism="Apollo startPolling"), "PD202"),
        (query_option(kind=SiteKind.INTERVAL_TIMER, mechanism="setInterval"), "PD203"),
        (query_option(kind=SiteKind.TIMEOUT_LOOP, mechanism="recursive setTimeout"), "PD203"),
        (query_option(kind=SiteKind.ENGINE_CALL, mechanism="usePolling call"), "PD204"),
    ],
)
def test_frontend_sites_map_to_their_rules(site: PollingSite, rule: str) -> None:
    finding = only(CONFIG, facts_of(site))
    assert (finding.rule, finding.status) == (rule, Status.VIOLATION)
    assert finding.scaffold == "polldetox scaffold queue"


def test_background_polling_raises_the_configured_severity() -> None:
    config = replace(CONFIG, severity={"PD201": Severity.WARNING})
    assert only(config, facts_of(query_option())).severity == Severity.WARNING
    assert only(config, facts_of(query_option(in_background=True))).severity == Severity.ERROR


def test_manual_refresh_is_allowed_at_info() -> None:
    finding = only(CONFIG, facts_of(query_option(kind=SiteKind.MANUAL_REFRESH, interval_seconds=None)))
    assert (finding.rule, finding.status, finding.severity, finding.exception) == (
        "PD205",
        Status.ALLOWED,
        Severity.INFO,
        "manual_refresh",
    )


def test_dev_tool_exception_names_each_missing_requirement() -> None:
    path = "scripts/monitor_tokens.py"
    complete = only(CONFIG, facts_of(backend_loop(path=path, opt_in_flag="--watch"), documents_dev_tool=True))
    partial = only(CONFIG, facts_of(backend_loop(path=path)))
    assert (complete.status, complete.exception, complete.severity, complete.missing) == (
        Status.ALLOWED,
        "devtool",
        Severity.INFO,
        (),
    )
    assert (partial.status, partial.severity) == (Status.ALLOWED, Severity.WARNING)
    assert partial.missing == (
        "documents that it is a development tool",
        "polls only behind an opt-in flag such as --watch",
    )
    assert "Allowed as development tool (Exception 1); missing:" in partial.message


GITHUB = dict(polls=Polls.HTTP, tables=(), urls=("https://api.github.com/repos/{GITHUB_REPO}/issues",))


def test_trigger_exception_takes_precedence_inside_adws() -> None:
    path = "adws/adw_triggers/trigger_cron.py"
    complete = only(
        CONFIG,
        facts_of(backend_loop(path=path, interval_env_var="ADW_POLL_SECONDS", logs_activity=True, **GITHUB),
                 documents_webhook_reason=True),
    )  # fmt: skip
    partial = only(CONFIG, facts_of(backend_loop(path=path, **GITHUB)))
    assert (complete.exception, complete.severity) == ("trigger", Severity.INFO)
    assert partial.exception == "trigger"
    assert partial.missing == (
        "documents why webhooks are not used",
        "takes its interval from an environment variable",
        "logs polling activity",
    )


def test_fallback_exception_applies_in_the_main_app() -> None:
    complete = backend_loop(fallback_only=True, logs_warning=True, restores_connection=True, max_duration_seconds=300)
    too_long = replace(complete, max_duration_seconds=900, logs_warning=False)
    assert only(CONFIG, facts_of(complete)).exception == "fallback"
    assert only(CONFIG, facts_of(complete)).severity == Severity.INFO
    finding = only(CONFIG, facts_of(too_long))
    assert finding.status == Status.ALLOWED
    assert finding.missing == (
        "logs a WARNING when the fallback activates",
        "keeps the fallback within 5 minutes (allows 15 min)",
    )


def test_configured_paths_and_per_path_overrides() -> None:
    config = replace(
        CONFIG,
        dev_tool_paths=("tools/",),
        per_path=(PathOverride(patterns=("app/legacy/",), severity={"PD101": Severity.WARNING}),),
    )
    assert only(config, facts_of(backend_loop(path="tools/watch.py"))).exception == "devtool"
    assert only(config, facts_of(backend_loop(path="scripts/watch.py"))).exception is None
    assert only(config, facts_of(backend_loop(path="app/legacy/watch.py"))).severity == Severity.WARNING
    ignored = replace(CONFIG, ignore=frozenset({"PD101"}))
    assert judge([facts_of(backend_loop())], ignored).findings == ()


def test_suppressions_on_the_line_or_above_by_id_name_or_bare() -> None:
    site = backend_loop(line=10)
    for suppression in (
        Suppression(line=10, rules=("PD101",)),
        Suppression(line=9, rules=("backend-polling-loop",)),
        Suppression(line=10, rules=()),
    ):
        judgement = judge([facts_of(site, suppressions=(suppression,))], CONFIG)
        assert judgement.findings == ()
        assert [f.rule for f in judgement.suppressed] == ["PD101"]


def test_suppression_for_another_rule_does_not_hide_and_is_reported_unused() -> None:
    judgement = judge([facts_of(backend_loop(line=10), suppressions=(Suppression(line=10, rules=("PD201",)),))], CONFIG)
    assert [(f.rule, f.location.line) for f in judgement.findings] == [("PD901", 10), ("PD101", 10)]
    unused = judgement.findings[0]
    assert unused.severity == Severity.WARNING
    assert unused.message == "This polldetox ignore comment suppresses PD201 but no finding on this line or the next"


def test_suppression_naming_an_unknown_rule_is_reported() -> None:
    facts = facts_of(path="app/util.py", suppressions=(Suppression(line=3, rules=("PD999",)),))
    finding = only(CONFIG, facts)
    assert (finding.rule, finding.location.line) == ("PD901", 3)
    assert "unknown rule PD999" in finding.message


def test_double_polling_is_linked_through_the_route_that_serves_the_url() -> None:
    back = facts_of(backend_loop(broadcasts=True, message_types=("queue_update",)))
    route = FileFacts(
        path="app/server/routes/queue_routes.py",
        language="python",
        routes=(Route(method="GET", path="/api/v1/queue", location=at("app/server/routes/queue_routes.py", 8),
                      tables=("queue_items",)),),
    )  # fmt: skip
    front = facts_of(query_option(urls=("http://localhost:8000/api/v1/queue?limit=50",)))
    findings = judge([back, route, front], CONFIG).findings
    assert sorted(f.rule for f in findings) == ["PD102", "PD201", "PD301"]
    pair = next(f for f in findings if f.rule == "PD301")
    assert pair.location.path == "app/client/src/components/QueuePanel.tsx"
    assert [r.location.path for r in pair.related] == [
        "app/server/services/watchers.py",
        "app/server/routes/queue_routes.py",
    ]
    assert pair.severity == Severity.ERROR
    assert "already polls table queue_items every 2 s and broadcasts it" in pair.message
    assert pair.scaffold == "polldetox scaffold queue_items"


def test_double_polling_is_linked_through_message_type_or_table_name() -> None:
    back = facts_of(backend_loop(broadcasts=True, compares_state=True, message_types=("queue_update",)))
    by_type = facts_of(query_option(urls=("/api/other",)), handled_message_types=("queue_update",))
    by_table = facts_of(query_option(urls=(), query_key="['queue_items', page]"))
    unrelated = facts_of(query_option(urls=("/api/v1/users",), query_key="['users']"))
    assert [f.rule for f in judge([back, by_type], CONFIG).findings].count("PD301") == 1
    assert [f.rule for f in judge([back, by_table], CONFIG).findings].count("PD301") == 1
    assert "PD301" not in [f.rule for f in judge([back, unrelated], CONFIG).findings]
    # A backend loop that does not broadcast is not half of a pair.
    silent = facts_of(backend_loop())
    assert "PD301" not in [f.rule for f in judge([silent, by_table], CONFIG).findings]


def test_pair_is_suppressed_from_either_place() -> None:
    back = facts_of(backend_loop(broadcasts=True, line=10), suppressions=(Suppression(line=9, rules=("PD301",)),))
    front = facts_of(query_option(urls=(), query_key="['queue_items']"))
    judgement = judge([back, front], CONFIG)
    assert "PD301" not in [f.rule for f in judgement.findings]
    assert [f.rule for f in judgement.suppressed] == ["PD301"]


@pytest.mark.parametrize(
    ("url", "route", "matches"),
    [
        ("/api/v1/queue", "/api/v1/queue", True),
        ("`${API_BASE}/api/v1/queue`", "/api/v1/queue", False),
        ("${API_BASE}/api/v1/queue", "/api/v1/queue", True),
        ("https://api.example.com/api/v1/items/42", "/api/v1/items/{item_id}", True),
        ("/api/v1/items/${id}", "/api/v1/items/:id", True),
        ("/api/v1/queue/stats", "/api/v1/queue", False),
        ("/api/v1/queue?limit=5", "/api/v1/queue/", True),
        ("/api/v1/queue#recent", "/api/v1/queue", True),
        ("/api/v1/queue?next=/home?tab=1", "/api/v1/queue", True),
    ],
)
def test_url_matching(url: str, route: str, matches: bool) -> None:
    assert url_matches_route(url, route) is matches


@pytest.mark.parametrize(
    ("site", "name"),
    [
        (query_option(tables=("public.planned_features",)), "planned_features"),
        (query_option(query_key="['planned-features', { limit: 200 }]"), "planned_features"),
        (query_option(query_key=None, urls=("/api/v1/workflow-history/{id}",)), "workflow_history"),
        (query_option(query_key=None, urls=("${API}/api/v1/system/status",)), "system_status"),
        (query_option(query_key=None, urls=("queueClient.getAll",), function="OrdersPanel"), "queue"),
        (
            query_option(query_key=None, urls=("https://api.example.com/v1/reports/daily",), function="OrdersPanel"),
            "reports_daily",
        ),  # a URL with dots is not a client method
        (query_option(query_key=None, urls=(), function="SystemStatusPanel"), "system_status"),
        (query_option(query_key=None, urls=(), function="LegacyQueueTable.componentDidMount"), "legacy_queue"),
        (backend_loop(tables=(), function="Watcher.watch_system_status"), "system_status"),
        (backend_loop(tables=("agents", "queue_items"), function="Manager.watch_queue"), "queue_items"),
        (backend_loop(tables=("agents", "jobs"), function="tick", message_types=("job_update",)), "jobs"),
        (backend_loop(tables=(), function="Watcher._watch_orders"), "orders"),  # a private method
        (backend_loop(tables=(), function="watch__orders"), "orders"),  # underscores run together read as one
    ],
)
def test_data_name_for_the_scaffold_command(site: PollingSite, name: str) -> None:
    assert data_name(site) == name


def test_a_shared_table_links_a_pair_only_when_it_is_what_the_backend_is_about() -> None:
    back = facts_of(backend_loop(broadcasts=True, tables=("agents", "queue_items")))
    agents_poller = facts_of(query_option(urls=("/api/v1/agents",), query_key="['agents']"))
    queue_poller = facts_of(query_option(urls=(), query_key="['queue_items']"))
    assert "PD301" not in [f.rule for f in judge([back, agents_poller], CONFIG).findings]
    assert "PD301" in [f.rule for f in judge([back, queue_poller], CONFIG).findings]


def test_polling_engine_is_told_to_go_away_not_to_be_scaffolded() -> None:
    finding = only(CONFIG, facts_of(query_option(kind=SiteKind.POLLING_ENGINE, mechanism="usePolling")))
    assert finding.scaffold is None
    assert finding.recommendation == "Move each call site to its data type's WebSocket hook, then delete this helper"


def test_frontend_recommendation_names_the_hook_scaffold_generates() -> None:
    finding = only(CONFIG, facts_of(query_option(query_key="['planned-features']", urls=())))
    assert finding.scaffold == "polldetox scaffold planned_features"
    assert finding.recommendation.startswith("Subscribe with usePlannedFeatureWebSocket(),")


def test_a_site_whose_url_is_served_by_a_route_reading_other_data_is_not_paired_by_message_type() -> None:
    back = facts_of(backend_loop(broadcasts=True, tables=("orders",), message_types=("orders_update",)))
    route = FileFacts(
        path="app/server/routes/products.py",
        language="python",
        routes=(Route(method="GET", path="/api/products", location=at("app/server/routes/products.py", 5),
                      tables=("products",)),),
    )  # fmt: skip
    products = facts_of(
        query_option(urls=("/api/products",), query_key="['products']"), handled_message_types=("orders_update",)
    )
    assert "PD301" not in [f.rule for f in judge([back, route, products], CONFIG).findings]


@pytest.mark.parametrize(
    "facts",
    [
        dict(),  # polls the project's own table
        dict(polls=Polls.HTTP, tables=(), urls=("/api/v1/jobs",)),
        dict(polls=Polls.HTTP, tables=(), urls=("http://localhost:8000/api/v1/jobs",)),
        dict(polls=Polls.HTTP, tables=(), urls=("https://shop.example.com/api/v1/orders",)),  # served by our route
        dict(polls=Polls.UNKNOWN, tables=(), urls=()),
    ],
)
def test_a_triggers_folder_alone_is_not_exception_2(facts: dict) -> None:
    path = "app/server/triggers/reminders.py"
    route = Route(method="GET", path="/api/v1/orders", location=at("app/server/routes.py", 3))
    routes = facts_of(path="app/server/routes.py", routes=(route,))
    finding = only(CONFIG, facts_of(backend_loop(path=path, **facts)), routes)
    assert (finding.exception, finding.status) == (None, Status.VIOLATION)


@pytest.mark.parametrize(
    "urls",
    [
        ("https://api.github.com/repos/{GITHUB_REPO}/issues",),
        ("github.issues.list_for_repo",),
        ("https://{JIRA}/rest",),
    ],
)
def test_exception_2_polls_an_external_service(urls: tuple[str, ...]) -> None:
    site = backend_loop(path="app/server/triggers/issues.py", polls=Polls.HTTP, tables=(), urls=urls)
    assert only(CONFIG, facts_of(site)).exception == "trigger"


BACKEND_METHOD_1 = "PostgreSQL NOTIFY trigger{} and a LISTEN callback (Event Detection Method 1)"
METHOD_3 = "Direct broadcast from the action that changes the data (Event Detection Method 3)"
ENGINE_ADVICE = "Move each call site to its data type's WebSocket hook, then delete this helper"


@pytest.mark.parametrize(
    ("site", "rule", "message", "recommendation", "scaffold"),
    [
        (
            backend_loop(kind=SiteKind.SCHEDULER, mechanism="APScheduler interval job", interval_seconds=3600),
            "PD103",
            "Scheduled job `watch_queue` polls table queue_items every 1 h",
            BACKEND_METHOD_1.format(" on queue_items"),
            "polldetox scaffold queue_items",
        ),
        (
            backend_loop(function=None, tables=("a", "b"), interval_seconds=7200),
            "PD101",
            "Backend watcher polls tables a, b every 2 h (while True + asyncio.sleep)",
            BACKEND_METHOD_1.format(" on a, b"),
            "polldetox scaffold a",
        ),
        (
            backend_loop(tables=(), function="watch_status_table", interval_seconds=60),
            "PD101",
            "Backend watcher `watch_status_table` polls the database every 1 min (while True + asyncio.sleep)",
            BACKEND_METHOD_1.format(""),
            "polldetox scaffold status",
        ),
        (
            backend_loop(polls=Polls.FILE, tables=(), function="watch_uploads", interval_seconds=90),
            "PD101",
            "Backend watcher `watch_uploads` polls the file system every 90 s (while True + asyncio.sleep)",
            "File system watcher with debounce (Event Detection Method 2)",
            "polldetox scaffold uploads --pattern file",
        ),
        (
            backend_loop(polls=Polls.FILE, tables=(), function=None),
            "PD101",
            "Backend watcher polls the file system every 2 s (while True + asyncio.sleep)",
            "File system watcher with debounce (Event Detection Method 2)",
            None,
        ),
        (
            backend_loop(
                polls=Polls.HTTP,
                tables=(),
                urls=("/api/a", "/api/b", "/api/c"),
                function="sync_reports_api",
                interval_seconds=0.5,
            ),
            "PD101",
            "Backend watcher `sync_reports_api` polls /api/a /api/b every 0.5 s (while True + asyncio.sleep)",
            METHOD_3,
            "polldetox scaffold reports --pattern action",
        ),
        (
            backend_loop(polls=Polls.HTTP, tables=(), urls=(), function=None, interval_seconds=None),
            "PD101",
            "Backend watcher polls an HTTP endpoint on an interval that cannot be resolved statically"
            " (while True + asyncio.sleep)",
            METHOD_3,
            None,
        ),
        (
            backend_loop(polls=Polls.MEMORY, tables=(), function="check_jobs", interval_seconds=5400),
            "PD101",
            "Backend watcher `check_jobs` polls in-process state every 90 min (while True + asyncio.sleep)",
            METHOD_3,
            "polldetox scaffold jobs --pattern action",
        ),
        (
            backend_loop(polls=Polls.UNKNOWN, tables=(), function="poll_x", interval_seconds=120),
            "PD101",
            "Backend watcher `poll_x` polls its data every 2 min (while True + asyncio.sleep)",
            METHOD_3,
            "polldetox scaffold x --pattern action",
        ),
        (
            backend_loop(polls=Polls.UNKNOWN, tables=(), urls=("/api/v1/health",), function=None),
            "PD101",
            "Backend watcher polls /api/v1/health every 2 s (while True + asyncio.sleep)",
            METHOD_3,
            "polldetox scaffold health --pattern action",
        ),
        (
            query_option(function=None, in_background=True, detail="no visibility check"),
            "PD201",
            "useQuery refetchInterval polls /api/v1/queue every 3 s; it keeps polling while the tab is in the"
            " background (no visibility check)",
            "Subscribe with useQueueWebSocket(), fed by the backend's event broadcast; remove the polling",
            "polldetox scaffold queue",
        ),
        (
            query_option(query_key=None, urls=(), function=None),
            "PD201",
            "useQuery refetchInterval polls an HTTP endpoint every 3 s",
            "Subscribe with a WebSocket hook, fed by the backend's event broadcast; remove the polling",
            None,
        ),
        (
            query_option(kind=SiteKind.POLLING_ENGINE, mechanism="usePolling", function="usePolling"),
            "PD204",
            "Polling engine `usePolling` wraps a timer around the callback it is given",
            ENGINE_ADVICE,
            None,
        ),
        (
            query_option(kind=SiteKind.POLLING_ENGINE, mechanism="usePolling", function=None),
            "PD204",
            "Polling engine wraps a timer around the callback it is given",
            ENGINE_ADVICE,
            None,
        ),
        (
            query_option(kind=SiteKind.MANUAL_REFRESH, mechanism="refresh button", interval_seconds=None),
            "PD205",
            "refresh button in `QueuePanel` fetches once and refreshes on a user action."
            " Allowed as manual refresh (Exception 4)",
            "Keep the manual refresh with a last-updated time, or prefer a WebSocket hook (Exception 4)",
            None,
        ),
        (
            backend_loop(
                kind=SiteKind.INTERVAL_TIMER,
                mechanism="setInterval",
                path="jobs/stale.mjs",
                language="javascript",
                compares_state=True,
                broadcasts=True,
            ),
            "PD101",
            "Backend watcher `watch_queue` polls table queue_items every 2 s; it compares state before"
            " broadcasting, but still polls",
            BACKEND_METHOD_1.format(" on queue_items"),
            "polldetox scaffold queue_items",
        ),
    ],
)
def test_message_and_recommendation_say_what_polls_what_how_often(
    site: PollingSite, rule: str, message: str, recommendation: str, scaffold: str | None
) -> None:
    finding = only(CONFIG, facts_of(site))
    assert (finding.rule, finding.message, finding.recommendation, finding.scaffold) == (
        rule,
        message,
        recommendation,
        scaffold,
    )


QUEUE_ROUTE = FileFacts(
    path="app/server/routes/queue_routes.py",
    language="python",
    routes=(Route(method="GET", path="/api/v1/queue", location=at("app/server/routes/queue_routes.py", 8),
                  tables=("queue_items",)),),
)  # fmt: skip


def test_a_pair_finding_is_placed_at_the_frontend_and_carries_the_backend_replacement() -> None:
    back = facts_of(backend_loop(broadcasts=True, message_types=("queue_update",)))
    front = facts_of(query_option(urls=("http://localhost:8000/api/v1/queue?limit=50",)))
    pair = next(f for f in judge([back, QUEUE_ROUTE, front], CONFIG).findings if f.rule == "PD301")
    assert pair == Finding(
        rule="PD301",
        name="double-polling",
        severity=Severity.ERROR,
        status=Status.VIOLATION,
        location=at("app/client/src/components/QueuePanel.tsx", 7),
        message=(
            "useQuery refetchInterval in `QueuePanel` polls every 3 s while backend watcher `watch_queue`"
            " (app/server/services/watchers.py:10) already polls table queue_items every 2 s and broadcasts it"
            " (http://localhost:8000/api/v1/queue?limit=50 is served by GET /api/v1/queue, which reads queue_items)"
        ),
        snippet="refetchInterval: 3000",
        interval_seconds=3.0,
        polls=Polls.DATABASE,
        tables=("queue_items",),
        recommendation="PostgreSQL NOTIFY trigger on queue_items and a LISTEN callback (Event Detection Method 1)",
        scaffold="polldetox scaffold queue_items",
        related=(
            Related(
                location=at("app/server/services/watchers.py", 10),
                message=(
                    "backend polling loop: Backend watcher `watch_queue` polls table queue_items every 2 s"
                    " (while True + asyncio.sleep); it broadcasts on every tick without comparing with the"
                    " previous state"
                ),
            ),
            Related(location=at("app/server/routes/queue_routes.py", 8), message="route GET /api/v1/queue"),
        ),
        site_kind=SiteKind.QUERY_OPTION,
        context=Context.COMPONENT,
        broadcasts=True,
    )


@pytest.mark.parametrize(
    ("severity", "per_path", "expected"),
    [
        # One step above its stronger half, compared by rank (a string compare would put "warning" first).
        ({"PD102": Severity.INFO, "PD201": Severity.INFO}, {}, Severity.ERROR),
        ({"PD102": Severity.INFO, "PD201": Severity.INFO, "PD301": Severity.INFO}, {}, Severity.WARNING),
        ({"PD102": Severity.INFO, "PD201": Severity.ERROR, "PD301": Severity.INFO}, {}, Severity.ERROR),
        ({"PD102": Severity.WARNING, "PD201": Severity.INFO, "PD301": Severity.INFO}, {}, Severity.ERROR),
        # The pair's own severity where the frontend half lives.
        ({"PD102": Severity.INFO, "PD201": Severity.INFO, "PD301": Severity.INFO}, {"PD301": Severity.ERROR},
         Severity.ERROR),
    ],
)  # fmt: skip
def test_a_pair_is_one_step_above_its_stronger_half_and_never_below_its_own_severity(
    severity: dict, per_path: dict, expected: Severity
) -> None:
    config = replace(CONFIG, severity=severity, per_path=(PathOverride(patterns=("app/client/",), severity=per_path),))
    back = facts_of(backend_loop(broadcasts=True))
    front = facts_of(query_option(urls=("/api/v1/queue",)))
    pairs = [f for f in judge([back, QUEUE_ROUTE, front], config).findings if f.rule == "PD301"]
    assert [f.severity for f in pairs] == [expected]


@pytest.mark.parametrize(
    ("urls", "external"),
    [
        (("https://user:token@api.example.com/v1/issues",), True),  # credentials are not the host
        (("http://127.0.0.1:9000/metrics",), False),
        (("http://LOCALHOST:8000/api/v1/jobs",), False),
        (("https://Queue.LOCAL/jobs",), False),
        (("https://jobs.internal/api",), False),
        (("http://worker:8000/api",), False),  # a bare service name: the project's own network
        (("/api/v1/orders", "https://api.stripe.com/v1/charges"), True),  # any external URL counts
        (("https://shop.example.com/api/v1/orders", "https://api.stripe.com/v1/charges"), True),
    ],
)
def test_which_urls_are_an_external_service(urls: tuple[str, ...], external: bool) -> None:
    served = Route(method="GET", path="/api/v1/orders", location=at("app/server/routes.py", 3))
    site = backend_loop(path="app/server/triggers/sync.py", polls=Polls.HTTP, tables=(), urls=urls)
    assert polls_external_service(site, (served,)) is external


def test_a_site_reading_tables_is_not_an_external_service_whatever_it_fetches() -> None:
    site = backend_loop(polls=Polls.HTTP, tables=("issues",), urls=("https://api.github.com/repos/o/r/issues",))
    assert polls_external_service(site) is False


def test_the_better_variant_of_a_configured_warning_is_info() -> None:
    config = replace(CONFIG, severity={"PD101": Severity.WARNING})
    assert only(config, facts_of(backend_loop(compares_state=True))).severity == Severity.INFO


def test_a_url_with_no_path_is_served_by_no_route() -> None:
    back = facts_of(backend_loop(broadcasts=True))
    root_route = FileFacts(
        path="app/server/routes/index.py",
        language="python",
        routes=(Route(method="GET", path="/", location=at("app/server/routes/index.py", 4), tables=("queue_items",)),),
    )
    front = facts_of(query_option(urls=("/",), query_key="['home']"))
    assert [f.rule for f in judge([back, root_route, front], CONFIG).findings] == ["PD201", "PD102"]


@pytest.mark.parametrize(
    ("urls", "query_key"),
    [
        (("/api/v1/stats", "queueItems.list"), None),  # each URL is read apart from the next
        ((), "['QueueItems']"),  # camel case names the same table
    ],
)
def test_a_frontend_site_is_paired_by_the_table_its_key_or_urls_name(urls: tuple[str, ...], query_key: str) -> None:
    back = facts_of(backend_loop(broadcasts=True))
    front = facts_of(query_option(urls=urls, query_key=query_key))
    pairs = [f for f in judge([back, front], CONFIG).findings if f.rule == "PD301"]
    assert [pair.message.rsplit("(", 1)[1] for pair in pairs] == ["both read queue_items)"]


def test_a_backend_loop_finding_in_full() -> None:
    site = backend_loop(broadcasts=True, compares_state=True, detail="sleeps in the loop body")
    assert judge([facts_of(site)], CONFIG).findings == (
        Finding(
            rule="PD101",
            name="backend-polling-loop",
            severity=Severity.WARNING,
            status=Status.VIOLATION,
            location=at("app/server/services/watchers.py", 10),
            message=(
                "Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep);"
                " it compares state before broadcasting, but still polls (sleeps in the loop body)"
            ),
            snippet="while True: ... await asyncio.sleep(2)",
            interval_seconds=2.0,
            polls=Polls.DATABASE,
            tables=("queue_items",),
            recommendation=BACKEND_METHOD_1.format(" on queue_items"),
            scaffold="polldetox scaffold queue_items",
            site_kind=SiteKind.LOOP,
            context=Context.BACKEND,
            broadcasts=True,
        ),
    )


def test_a_manual_refresh_takes_its_configured_severity_globally_and_per_path() -> None:
    manual = facts_of(query_option(kind=SiteKind.MANUAL_REFRESH, interval_seconds=None))
    configured = replace(CONFIG, severity={"PD205": Severity.WARNING})
    assert only(configured, manual).severity == Severity.WARNING
    per_path = replace(
        configured, per_path=(PathOverride(patterns=("app/client/",), severity={"PD205": Severity.ERROR}),)
    )
    assert only(per_path, manual).severity == Severity.ERROR


def test_background_polling_is_one_step_up_from_info() -> None:
    config = replace(CONFIG, severity={"PD201": Severity.INFO})
    assert only(config, facts_of(query_option(in_background=True))).severity == Severity.WARNING


def test_a_pair_through_a_parameter_route_names_every_table_it_reads() -> None:
    back = facts_of(backend_loop(broadcasts=True))
    route = FileFacts(
        path="app/server/routes/queue_routes.py",
        language="python",
        routes=(Route(method="GET", path="/api/v1/queue/{item_id}", location=at("app/server/routes/queue_routes.py", 8),
                      tables=("queue_items", "agents")),),
    )  # fmt: skip
    front = facts_of(query_option(urls=("/api/v1/queue/${id}",), query_key="['item']"))
    [pair] = [f for f in judge([back, route, front], CONFIG).findings if f.rule == "PD301"]
    assert pair.message.endswith(
        "(/api/v1/queue/${id} is served by GET /api/v1/queue/{item_id}, which reads queue_items, agents)"
    )


def test_a_pair_by_message_type_names_the_types_both_sides_handle() -> None:
    back = facts_of(backend_loop(broadcasts=True, message_types=("queue_update", "agent_update")))
    front = facts_of(
        query_option(urls=(), query_key="['dashboard']"),
        handled_message_types=("queue_update", "orders_update"),  # one the backend never sends
    )
    [pair] = [f for f in judge([back, front], CONFIG).findings if f.rule == "PD301"]
    assert pair.message.endswith("(both sides handle the message type queue_update)")


def test_a_fallback_missing_everything_lists_each_requirement_in_its_message() -> None:
    finding = only(CONFIG, facts_of(backend_loop(fallback_only=True)))
    assert finding.message == (
        "Backend watcher `watch_queue` polls table queue_items every 2 s (while True + asyncio.sleep). Allowed as"
        " emergency fallback (Exception 3); missing: logs a WARNING when the fallback activates; attempts to"
        " restore the event-driven connection; has a maximum fallback duration (5 minutes)"
    )
    assert format_interval(None) == "an interval that cannot be resolved statically"


def test_a_database_watcher_with_no_name_to_scaffold() -> None:
    finding = only(CONFIG, facts_of(backend_loop(tables=(), function=None)))
    assert (finding.recommendation, finding.scaffold) == (BACKEND_METHOD_1.format(""), None)


def test_suppressed_findings_of_a_disabled_rule_are_not_listed() -> None:
    site = backend_loop(line=10)
    ignored = replace(CONFIG, ignore=frozenset({"PD101"}))
    judgement = judge([facts_of(site, suppressions=(Suppression(line=10, rules=("PD101",)),))], ignored)
    assert (judgement.findings, judgement.suppressed) == ((), ())


def test_only_frontend_violations_that_poll_themselves_are_half_of_a_pair() -> None:
    back = facts_of(backend_loop(broadcasts=True))
    engine = facts_of(query_option(kind=SiteKind.POLLING_ENGINE, mechanism="usePolling", query_key="['queue_items']"))
    dev_tool = facts_of(query_option(path="scripts/queue_monitor.tsx", urls=(), query_key="['queue_items']"))
    for front in (engine, dev_tool):
        assert "PD301" not in [f.rule for f in judge([back, front], CONFIG).findings]


def test_every_unused_or_unknown_suppression_is_reported_where_it_is() -> None:
    suppressions = (
        Suppression(line=10, rules=("PD101",)),  # used
        Suppression(line=20, rules=()),
        Suppression(line=30, rules=("PD998", "PD999")),
    )
    findings = judge([facts_of(backend_loop(line=10), suppressions=suppressions)], CONFIG).findings
    assert [(f.rule, f.location, f.message) for f in findings] == [
        ("PD901", Location("app/server/services/watchers.py", 20, 1, 20, 1),
         "This polldetox ignore comment suppresses all rules but no finding on this line or the next"),
        ("PD901", Location("app/server/services/watchers.py", 30, 1, 30, 1),
         "This polldetox ignore comment names unknown rule PD998, PD999 (see `polldetox rules`)"),
    ]  # fmt: skip


def test_an_unused_suppression_finding_in_full() -> None:
    config = replace(CONFIG, per_path=(PathOverride(patterns=("app/server/",), severity={"PD901": Severity.ERROR}),))
    facts = facts_of(path="app/server/util.py", suppressions=(Suppression(line=4, rules=("PD201", "PD202")),))
    assert judge([facts], config).findings == (
        Finding(
            rule="PD901",
            name="unused-suppression",
            severity=Severity.ERROR,
            status=Status.VIOLATION,
            location=Location("app/server/util.py", 4, 1, 4, 1),
            message="This polldetox ignore comment suppresses PD201, PD202 but no finding on this line or the next",
            snippet="polldetox ignore PD201 PD202",
            recommendation="Delete the comment, or move it to the line the finding is reported on",
        ),
    )
