"""The standard's rulings: facts + path + suppressions + config -> findings.

The policy never looks at syntax; it reads `PollingSite` facts. Each site gets a rule by what
it is (a backend watcher, a query option, a timer), then an exception by where it lives and how
it behaves (Exception Cases 1-4), then a severity, a message, and the replacement the standard
recommends (Decision Tree 1). Anti-Pattern 3 pairs are found across files.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from polldetox.config import Config
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
from polldetox.naming import names_for
from polldetox.rules import RULES, get_rule
from polldetox.scan import cron

# The standard's Exception 3: "Must have max fallback duration (5 minutes)".
MAX_FALLBACK_SECONDS = 5 * 60
# A backend job or loop that runs once a day or less often is a batch cadence, not polling: the
# standard measures polling by the latency it adds to live data (seconds to minutes), and a cron job
# at a fixed time of day is already not polling; `every 24 h` is the same schedule written as a period.
# A wait of a day or longer (`sleep(2**32)` keeping a main thread alive) is no interval at all.
BATCH_CADENCE_SECONDS = 24 * 60 * 60

_BACKEND_KINDS = {SiteKind.LOOP, SiteKind.SCHEDULER}
_TIMER_KINDS = {SiteKind.INTERVAL_TIMER, SiteKind.TIMEOUT_LOOP}
_BACKEND_RULES = {"PD101", "PD102", "PD103"}
_FRONTEND_POLLING_RULES = {"PD201", "PD202", "PD203", "PD204"}
_BY_RANK = sorted(Severity, key=attrgetter("rank"))  # info, warning, error: Severity.rank is the one order


@dataclass(frozen=True, slots=True)
class Judgement:
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class _Ruled:
    """A finding with the site it came from, while cross-file rulings still need the facts."""

    finding: Finding
    site: PollingSite | None
    file: FileFacts


def judge(facts: Sequence[FileFacts], config: Config) -> Judgement:
    facts = [file for file in facts if not config.skips_tests_at(file.path)]  # test code: not the app's data path
    routes = tuple(route for file in facts for route in file.routes)
    sites = [(site, file) for file in facts for site in file.sites if not runs_daily_or_rarer(site)]
    sites = _without_idle_runners(sites)
    ruled = [_rule_site(site, file, config, routes) for site, file in sites]
    ruled += _double_polling(ruled, facts, config)
    kept, suppressed, used = _apply_suppressions(ruled, facts)
    kept += _unused_suppressions(facts, used, config)
    findings = [finding for finding in kept if config.rule_enabled(finding.rule, finding.location.path)]
    suppressed = [finding for finding in suppressed if config.rule_enabled(finding.rule, finding.location.path)]
    return Judgement(findings=_sorted(findings), suppressed=_sorted(suppressed))


def _sorted(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule)))


def is_backend(site: PollingSite) -> bool:
    return site.kind in _BACKEND_KINDS or (site.kind in _TIMER_KINDS and site.context == Context.BACKEND)


def _without_idle_runners(sites: list[tuple[PollingSite, FileFacts]]) -> list[tuple[PollingSite, FileFacts]]:
    """A runner of registered callbacks (`run_hourly` calling what `register_hourly` added) polls through
    them alone: when the project registers callbacks but none that re-read data at its cadence (only
    housekeeping there), the runner is not polling."""
    live = {cron.cadence_in(site.mechanism) for site, _ in sites if cron.REGISTRATION in site.mechanism}
    registered = any(cron.REGISTRATION in site.mechanism for site, _ in sites)

    def idle(site: PollingSite) -> bool:
        cadence = cron.cadence_in(site.function or "")
        return registered and cron.REGISTRY_RUNNER in site.mechanism and cadence is not None and cadence not in live

    return [(site, file) for site, file in sites if not idle(site)]


def runs_daily_or_rarer(site: PollingSite) -> bool:
    """A backend site repeating at most once a day: a batch job (version checks, daily digests), not polling."""
    return is_backend(site) and site.interval_seconds is not None and site.interval_seconds >= BATCH_CADENCE_SECONDS


def rule_for(site: PollingSite) -> str:
    """Which rule a site falls under, by what kind of polling it is."""
    if is_backend(site):
        if site.broadcasts and not site.compares_state:
            return "PD102"
        return "PD103" if site.kind == SiteKind.SCHEDULER else "PD101"
    if site.kind == SiteKind.QUERY_OPTION:
        return "PD201" if "refetchInterval" in site.mechanism else "PD202"
    if site.kind == SiteKind.START_POLLING:
        return "PD202"
    if site.kind in _TIMER_KINDS:
        return "PD203"
    if site.kind in (SiteKind.POLLING_ENGINE, SiteKind.ENGINE_CALL):
        return "PD204"
    return "PD205"


def exception_for(
    site: PollingSite, file: FileFacts, config: Config, routes: Sequence[Route] = ()
) -> tuple[str | None, tuple[str, ...]]:
    """The standard's exception a site falls under, and each of its requirements the code misses."""
    if site.kind == SiteKind.MANUAL_REFRESH:
        return "manual_refresh", ()
    if site.fallback_only:
        missing = []
        if not site.logs_warning:
            missing.append("logs a WARNING when the fallback activates")
        if not site.restores_connection:
            missing.append("attempts to restore the event-driven connection")
        if site.max_duration_seconds is None:
            missing.append("has a maximum fallback duration (5 minutes)")
        elif site.max_duration_seconds > MAX_FALLBACK_SECONDS:
            missing.append(f"keeps the fallback within 5 minutes (allows {format_interval(site.max_duration_seconds)})")
        return "fallback", tuple(missing)
    path = site.location.path
    if config.trigger_spec.match_file(path) and polls_external_service(site, routes):
        missing = []
        if not file.documents_webhook_reason:
            missing.append("documents why webhooks are not used")
        if site.interval_env_var is None:
            missing.append("takes its interval from an environment variable")
        if not site.logs_activity:
            missing.append("logs polling activity")
        return "trigger", tuple(missing)
    if config.dev_tool_spec.match_file(path):
        missing = []
        if not file.documents_dev_tool:
            missing.append("documents that it is a development tool")
        if site.opt_in_flag is None:
            missing.append("polls only behind an opt-in flag such as --watch")
        return "devtool", tuple(missing)
    return None, ()


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "host.docker.internal"})


def polls_external_service(site: PollingSite, routes: Sequence[Route] = ()) -> bool:
    """Exception 2 starts automation from an external service: a third-party API client or an
    absolute URL on another host that none of the project's routes serves. A folder named
    `triggers/` alone does not make one: there the word may just mean schedules reading the
    project's own database or API."""
    if site.polls == Polls.DATABASE or site.tables:
        return False
    for url in site.urls:
        if "/" not in url and "." in url and site.polls == Polls.HTTP:
            return True  # a client library's method: `github.issues.list_for_repo`
        host = re.match(r"^[a-z]+://([^/?#]+)", url.strip())
        if host is None or any(url_matches_route(url, route.path) for route in routes):
            continue
        name = host.group(1).rsplit("@", 1)[-1].split(":")[0].lower()
        if name not in _LOCAL_HOSTS and ("." in name or "{" in name) and not name.endswith((".local", ".internal")):
            return True
    return False


_EXCEPTION_NAMES = {
    "devtool": "development tool (Exception 1)",
    "trigger": "automation trigger (Exception 2)",
    "fallback": "emergency fallback (Exception 3)",
    "manual_refresh": "manual refresh (Exception 4)",
}


def _rule_site(site: PollingSite, file: FileFacts, config: Config, routes: Sequence[Route]) -> _Ruled:
    rule_id = rule_for(site)
    rule = RULES[rule_id]
    path = site.location.path
    exception, missing = exception_for(site, file, config, routes)
    if exception == "manual_refresh":
        status, severity = Status.ALLOWED, config.rule_severity(rule_id, path, rule.severity)
    elif exception is not None:
        status, severity = Status.ALLOWED, Severity.WARNING if missing else Severity.INFO
    else:
        status, severity = Status.VIOLATION, config.rule_severity(rule_id, path, rule.severity)
        if rule_id == "PD101" and site.compares_state:
            severity = _shift(severity, -1)  # the standard's "better" variant of Anti-Pattern 2
        if site.in_background:
            severity = _shift(severity, +1)
    recommendation, scaffold = recommend(site)
    finding = Finding(
        rule=rule_id,
        name=rule.name,
        severity=severity,
        status=status,
        location=site.location,
        message=_message(site, rule_id, exception, missing),
        snippet=site.snippet,
        interval_seconds=site.interval_seconds,
        polls=site.polls,
        tables=site.tables,
        exception=exception,
        missing=missing,
        recommendation=recommendation,
        scaffold=scaffold,
        site_kind=site.kind,
        context=site.context,
        broadcasts=site.broadcasts,
    )
    return _Ruled(finding=finding, site=site, file=file)


def _shift(severity: Severity, steps: int) -> Severity:
    return _BY_RANK[max(0, min(len(_BY_RANK) - 1, severity.rank + steps))]


def format_interval(seconds: float | None) -> str:
    if seconds is None:
        return "an interval that cannot be resolved statically"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _every(site: PollingSite) -> str:
    if site.interval_seconds is None:
        return "on an interval that cannot be resolved statically"
    return f"every {format_interval(site.interval_seconds)}"


def _source(site: PollingSite) -> str:
    if site.polls == Polls.DATABASE:
        if site.tables:
            return ("table " if len(site.tables) == 1 else "tables ") + ", ".join(site.tables)
        return "the database"
    if site.polls == Polls.FILE:
        return "the file system"
    if site.polls == Polls.HTTP or site.urls:
        return " ".join(site.urls[:2]) if site.urls else "an HTTP endpoint"
    if site.polls == Polls.MEMORY:
        return "in-process state"
    return "its data"


def _subject(site: PollingSite) -> str:
    name = f"`{site.function}`" if site.function else None
    if is_backend(site):
        kind = "Scheduled job" if site.kind == SiteKind.SCHEDULER else "Backend watcher"
        return f"{kind} {name}" if name else kind
    if site.kind == SiteKind.POLLING_ENGINE:
        return f"Polling engine {name}" if name else "Polling engine"
    return f"{site.mechanism} in {name}" if name else site.mechanism


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _message(site: PollingSite, rule_id: str, exception: str | None, missing: tuple[str, ...]) -> str:
    if site.kind == SiteKind.MANUAL_REFRESH:
        text = f"{_subject(site)} fetches once and refreshes on a user action"
    elif site.kind == SiteKind.POLLING_ENGINE:
        text = f"{_subject(site)} wraps a timer around the callback it is given"
    else:
        text = f"{_subject(site)} polls {_source(site)} {_every(site)}"
        if is_backend(site) and site.kind == SiteKind.LOOP:
            text += f" ({site.mechanism})"
    if rule_id == "PD102":
        text += "; it broadcasts on every tick without comparing with the previous state"
    elif is_backend(site) and site.compares_state:
        text += "; it compares state before broadcasting, but still polls"
    if site.in_background:
        text += "; it keeps polling while the tab is in the background"
    if site.detail:
        text += f" ({site.detail})"
    if exception is not None:
        text += f". Allowed as {_EXCEPTION_NAMES[exception]}"
        if missing:
            text += "; missing: " + "; ".join(missing)
    return text


def recommend(site: PollingSite) -> tuple[str, str | None]:
    """The standard's event detection method for the data a site polls (Decision Tree 1)."""
    name = data_name(site)
    if site.kind == SiteKind.MANUAL_REFRESH:
        return "Keep the manual refresh with a last-updated time, or prefer a WebSocket hook (Exception 4)", None
    if site.kind == SiteKind.POLLING_ENGINE:
        return "Move each call site to its data type's WebSocket hook, then delete this helper", None
    if is_backend(site):
        if site.polls == Polls.DATABASE:
            table = name
            where = f" on {', '.join(site.tables)}" if site.tables else ""
            return (
                f"PostgreSQL NOTIFY trigger{where} and a LISTEN callback (Event Detection Method 1)",
                f"polldetox scaffold {table}" if table else None,
            )
        if site.polls == Polls.FILE:
            return (
                "File system watcher with debounce (Event Detection Method 2)",
                f"polldetox scaffold {name} --pattern file" if name else None,
            )
        return (
            "Direct broadcast from the action that changes the data (Event Detection Method 3)",
            f"polldetox scaffold {name} --pattern action" if name else None,
        )
    hook = f"use{names_for(name).pascal}WebSocket()" if name else "a WebSocket hook"
    return (
        f"Subscribe with {hook}, fed by the backend's event broadcast; remove the polling",
        f"polldetox scaffold {name}" if name else None,
    )


_NOISE_PREFIXES = ("watch_", "poll_", "refresh_", "sync_", "fetch_", "get_", "use_", "load_", "check_")
_NOISE_SUFFIXES = (
    "_watcher", "_loop", "_poller", "_polling", "_panel", "_query", "_provider", "_monitor", "_table", "_list",
    "_client", "_api", "_service", "_context",
)  # fmt: skip
_VERSION_SEGMENT = re.compile(r"v\d+")


def primary_table(site: PollingSite) -> str | None:
    """The table a site is about: the one its function or broadcast names, else the first it reads."""
    if not site.tables:
        return None

    def words(text: str) -> set[str]:  # singular and plural spellings count as one word
        return {word.removesuffix("s") for word in re.findall(r"[a-z0-9]+", _snake(text))}

    named = words(" ".join((site.function or "", *site.message_types)))
    best = max(site.tables, key=lambda table: len(named & words(table.split(".")[-1])))
    return best.split(".")[-1]


def _url_name(url: str) -> str | None:
    """`/api/v1/system/status` -> system_status; `queueClient.getAll` -> queue."""
    if "/" not in url and "." in url:  # an API client method rather than a URL
        return url.split(".")[0]
    segments = [s for s in _url_path(url).split("/") if s and not _is_parameter(s)]
    segments = [s for s in segments if s != "api" and not _VERSION_SEGMENT.fullmatch(s)]
    return "_".join(segments) if segments else None


def data_name(site: PollingSite) -> str | None:
    """A snake_case name for the polled data: its table, else what the code calls it."""
    table = primary_table(site)
    if table:
        return table
    function = [part for part in (site.function or "").split(".") if part]
    keys = re.findall(r"['\"`]([A-Za-z][\w-]*)['\"`]", site.query_key or "")
    urls = [name for name in map(_url_name, site.urls) if name]
    # A backend watcher's name says what it watches; a frontend site's query key or URL says it better.
    candidates = [*function[-1:], *urls] if is_backend(site) else [*keys, *urls, *function[:1]]
    for candidate in candidates:
        name = _snake(candidate)
        for prefix in _NOISE_PREFIXES:
            name = name.removeprefix(prefix)
        for suffix in _NOISE_SUFFIXES:
            name = name.removesuffix(suffix)
        if re.fullmatch(r"[a-z][a-z0-9_]*", name):
            return name
    return None


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text.replace("-", "_"))
    return re.sub(r"_+", "_", text).strip("_").lower()


# --- Anti-Pattern 3: the backend polls and broadcasts what the frontend also polls ---------------
# Each frontend site meets only its candidates: the routes its URLs can match (a trie of path
# segments) and the backend sites sharing a table or a message type with them (indexes), so the
# pairing grows with the sites, routes and pairs rather than with their products.


def _url_path(url: str) -> str:
    """The path part of a URL as written in code: no scheme, host, template prefix or query."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url.strip())
    path = re.sub(r"^\$\{[^}]*\}", "", path)  # `${API_BASE}/api/v1/queue`
    path = path.split("?", 1)[0].split("#", 1)[0]
    return path if path.startswith("/") else "/" + path


@functools.lru_cache(maxsize=65536)
def _is_parameter(segment: str) -> bool:
    return bool(re.fullmatch(r"\{[^}]*\}|:\w+|<[^>]*>|\$\{[^}]*\}|\[[^\]]*\]", segment))


@functools.lru_cache(maxsize=65536)
def _segments(url: str) -> tuple[str, ...]:
    return tuple(s for s in _url_path(url).strip("/").split("/") if s)


def url_segments(url: str) -> tuple[str, ...]:
    """A fetched URL's path segments other than its parameters: what can name its data."""
    return tuple(segment for segment in _segments(url) if not _is_parameter(segment))


def url_matches_route(url: str, route_path: str) -> bool:
    """Whether a fetched URL is served by a route; parameters match any one segment."""
    fetched, served = _segments(url), _segments(route_path)
    if not fetched or len(fetched) != len(served):
        return False
    return all(_is_parameter(a) or _is_parameter(b) or a == b for a, b in zip(fetched, served, strict=True))


@dataclass(slots=True)
class _RouteNode:
    literal: dict[str, _RouteNode] = field(default_factory=dict)
    parameter: _RouteNode | None = None
    routes: list[int] = field(default_factory=list)  # indexes of the routes whose path ends here


class RouteIndex:
    """The routes in a trie of path segments, a parameter segment matching any one: what serves a URL."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = routes
        self._root = _RouteNode()
        self._serving: dict[str, list[Route]] = {}
        for index, route in enumerate(routes):
            node = self._root
            for segment in _segments(route.path):
                if _is_parameter(segment):
                    node.parameter = node = node.parameter or _RouteNode()
                else:
                    node = node.literal.setdefault(segment, _RouteNode())
            node.routes.append(index)

    def serving(self, url: str) -> list[Route]:
        """The routes `url_matches_route` accepts for a URL, in their order."""
        if url not in self._serving:
            fetched = _segments(url)
            nodes = [self._root] if fetched else []
            for segment in fetched:
                if _is_parameter(segment):
                    nodes = [child for node in nodes for child in (*node.literal.values(), node.parameter) if child]
                else:
                    nodes = [child for node in nodes for child in (node.literal.get(segment), node.parameter) if child]
            self._serving[url] = [self._routes[index] for index in sorted(i for node in nodes for i in node.routes)]
        return self._serving[url]


class _BackendIndex:
    """The backend sites by the tables they read, the message types they broadcast and their primary table."""

    def __init__(self, backend: Sequence[_Ruled]) -> None:
        self.by_table: dict[str, list[int]] = defaultdict(list)
        self.by_type: dict[str, list[int]] = defaultdict(list)
        self.by_primary: dict[str, list[int]] = defaultdict(list)
        self.types: list[set[str]] = []
        for index, back in enumerate(backend):
            assert back.site is not None
            for table in dict.fromkeys(back.site.tables):
                self.by_table[table].append(index)
            for message_type in dict.fromkeys(back.site.message_types):
                self.by_type[message_type].append(index)
            table = primary_table(back.site)
            if table is not None:
                self.by_primary[table].append(index)
            self.types.append(set(back.site.message_types))


def names_in(site: PollingSite) -> set[str]:
    """Table-like names a frontend site mentions in its query key and URLs."""
    words = re.findall(r"[A-Za-z][\w-]*", " ".join((site.query_key or "", *site.urls)))
    return {_snake(word) for word in words}


def _double_polling(ruled: Sequence[_Ruled], facts: Sequence[FileFacts], config: Config) -> list[_Ruled]:
    routes = RouteIndex([route for file in facts for route in file.routes])
    backend = [
        r for r in ruled if r.site and r.finding.rule in _BACKEND_RULES and r.finding.status == Status.VIOLATION
        and r.site.broadcasts
    ]  # fmt: skip
    frontend = [
        r for r in ruled if r.site and r.finding.rule in _FRONTEND_POLLING_RULES
        and r.finding.status == Status.VIOLATION and r.site.kind != SiteKind.POLLING_ENGINE
    ]  # fmt: skip
    index = _BackendIndex(backend)
    return [
        _pair(front, backend[back], link, config) for front in frontend for back, link in _links(front, index, routes)
    ]


def _links(front: _Ruled, backend: _BackendIndex, routes: RouteIndex) -> list[tuple[int, tuple[str, Route | None]]]:
    """The backend sites a frontend site is seen to poll the same data as, in their order, with how."""
    fsite = front.site
    assert fsite is not None
    links: dict[int, tuple[str, Route | None]] = {}
    served = [(url, route) for url in fsite.urls for route in routes.serving(url)]
    for url, route in served:  # the first route, in URL then route order, that reads a backend's data
        reason = f"{url} is served by {route.method} {route.path}, which reads {', '.join(route.tables)}"
        for key, index in ((route.tables, backend.by_table), (route.message_types, backend.by_type)):
            for name in key:
                for back in index.get(name, ()):
                    links.setdefault(back, (reason, route))
    if served:
        return sorted(links.items())  # the routes it fetches read other data: a socket handler is no link
    handled = set(front.file.handled_message_types)
    for message_type in handled:
        for back in backend.by_type.get(message_type, ()):
            if back not in links:
                types = ", ".join(sorted(backend.types[back] & handled))
                links[back] = (f"both sides handle the message type {types}", None)
    for name in names_in(fsite):
        for back in backend.by_primary.get(name, ()):
            links.setdefault(back, (f"both read {name}", None))
    return sorted(links.items())


def _pair(front: _Ruled, back: _Ruled, link: tuple[str, Route | None], config: Config) -> _Ruled:
    fsite, bsite = front.site, back.site
    assert fsite is not None and bsite is not None
    reason, route = link
    rule = RULES["PD301"]
    path = fsite.location.path
    base = config.rule_severity("PD301", path, rule.severity)
    strongest_part = max(front.finding.severity, back.finding.severity, key=attrgetter("rank"))
    severity = max(base, _shift(strongest_part, +1), key=attrgetter("rank"))
    back_where = f"{bsite.location.path}:{bsite.location.line}"
    backend = _lower_first(_subject(bsite))
    message = (
        f"{_subject(fsite)} polls {_every(fsite)} while {backend} "
        f"({back_where}) already polls {_source(bsite)} {_every(bsite)} and broadcasts it ({reason})"
    )
    related = [Related(location=bsite.location, message=f"backend polling loop: {back.finding.message}")]
    if route is not None:
        related.append(Related(location=route.location, message=f"route {route.method} {route.path}"))
    finding = Finding(
        rule="PD301",
        name=rule.name,
        severity=severity,
        status=Status.VIOLATION,
        location=fsite.location,
        message=message,
        snippet=fsite.snippet,
        interval_seconds=fsite.interval_seconds,
        polls=bsite.polls,
        tables=bsite.tables,
        recommendation=back.finding.recommendation,
        scaffold=back.finding.scaffold,
        related=tuple(related),
        site_kind=fsite.kind,
        context=fsite.context,
        broadcasts=True,
    )
    return _Ruled(finding=finding, site=None, file=front.file)


# --- Suppressions ---------------------------------------------------------------------------------


def _suppression_matches(suppression: Suppression, rule_id: str, line: int) -> bool:
    if line not in (suppression.line, suppression.line + 1):
        return False
    if not suppression.rules:
        return True
    rule = RULES[rule_id]
    return rule.id in suppression.rules or rule.name in suppression.rules


def _apply_suppressions(
    ruled: Sequence[_Ruled], facts: Sequence[FileFacts]
) -> tuple[list[Finding], list[Finding], set[tuple[str, int]]]:
    # A comment covers its own line and the next: looked up by line, not scanned per finding.
    by_line: dict[tuple[str, int], list[Suppression]] = defaultdict(list)
    for file in facts:
        for suppression in file.suppressions:
            for line in (suppression.line, suppression.line + 1):
                by_line[file.path, line].append(suppression)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    used: set[tuple[str, int]] = set()
    for item in ruled:
        finding = item.finding
        places = [finding.location, *(related.location for related in finding.related)]
        hits = [
            (place.path, suppression.line)
            for place in places
            for suppression in by_line.get((place.path, place.line), ())
            if _suppression_matches(suppression, finding.rule, place.line)
        ]
        if hits:
            used.update(hits)
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed, used


def _unused_suppressions(facts: Sequence[FileFacts], used: set[tuple[str, int]], config: Config) -> list[Finding]:
    rule = RULES["PD901"]
    findings = []
    for file in facts:
        for suppression in file.suppressions:
            unknown = [name for name in suppression.rules if get_rule(name) is None]
            if unknown:
                problem = f"names unknown rule {', '.join(unknown)} (see `polldetox rules`)"
            elif (file.path, suppression.line) not in used:
                named = ", ".join(suppression.rules) or "all rules"
                problem = f"suppresses {named} but no finding on this line or the next"
            else:
                continue
            location = Location(
                path=file.path, line=suppression.line, column=1, end_line=suppression.line, end_column=1
            )
            findings.append(
                Finding(
                    rule=rule.id,
                    name=rule.name,
                    severity=config.rule_severity(rule.id, file.path, rule.severity),
                    status=Status.VIOLATION,
                    location=location,
                    message=f"This polldetox ignore comment {problem}",
                    snippet=f"polldetox ignore {' '.join(suppression.rules)}".strip(),
                    recommendation="Delete the comment, or move it to the line the finding is reported on",
                )
            )
    return findings
