"""The TypeScript/JavaScript detector: tree-sitter source -> PollingSite facts, no judgement.

Parses a file (or a Vue/Svelte component's scripts) and gathers the sites its finders report:
timers and polling helpers (ts_timers), query libraries' options and manual refreshes
(ts_query_options), RxJS pipelines (ts_rxjs), promise-paced loops (ts_loops) and Node schedulers
(ts_schedulers); plus the routes a Node backend serves and the message types a WebSocket handler
reacts to.
"""

from __future__ import annotations

from polldetox.findings import FileFacts, PendingSite, PollingSite, SiteKind, Suppression
from polldetox.scan import ParseFailure
from polldetox.scan.tokens import token_search
from polldetox.scan.ts_context import FallbackFacts, Surroundings
from polldetox.scan.ts_exports import function_reads as function_reads
from polldetox.scan.ts_globals import fetching_globals, is_classic_script
from polldetox.scan.ts_loops import SleepLoops
from polldetox.scan.ts_parse import Tree, language_of, parse, snippet, text
from polldetox.scan.ts_query_options import QueryOptionPolling
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_routes import ROUTE_METHODS, handled_message_types, routes
from polldetox.scan.ts_rxjs import RxjsPolling
from polldetox.scan.ts_schedulers import NodeSchedules
from polldetox.scan.ts_sfc import (
    PAGE_SUFFIXES,
    SFC_SUFFIXES,
    has_template_syntax,
    script_blocks,
    without_template_syntax,
)
from polldetox.scan.ts_site import Found
from polldetox.scan.ts_timers import TimerPolling
from polldetox.scan.ts_values import Values
from polldetox.scan.ts_values import exported_constants as exported_constants
from polldetox.scan.ts_values import reexported_names as reexported_names
from polldetox.suppressions import parse_suppression

# A file containing none of these is never parsed: every trigger below needs one of them.
TRIGGER_TOKENS: tuple[bytes, ...] = (
    b"refetchInterval",
    b"refreshInterval",
    b"pollInterval",
    b"pollingInterval",
    b"startPolling",
    b"setInterval",
    b"setTimeout",
    b"staleTime",
    b"usePoll",
    b"useInterval",
    b"SetInterval",
    b"AutoRefresh",
    b"Poller",
    b"poll(",
    b"polldetox",
    b"rxjs",
    # Classic scripts' global helpers (see ts_globals).
    b"$.getJSON",
    b"$.ajax",
    b"$.get(",
    b"$.post(",
    b"XMLHttpRequest",
    # Promise-paced loops (see ts_loops).
    b"sleep",
    b"delay(",
    b"timers/promises",
    # Node schedulers (see ts_schedulers).
    b"cron",
    b"Cron",
    b"scheduleJob",
    b"agenda",
    b"repeat",
    b"upsertJobScheduler",
    b"IntervalJob",
    b"@Interval",
    # Routes: an app or router made by a factory, or named app/router/server (see ts_routes).
    # A bare `Router` would let in every Next.js page (`useRouter()`); an Express router module names
    # express, a Koa one is made with `new Router(`, and a router named `jobsRouter` is called by name.
    b"express",
    b"Koa",
    b"new Router(",
    *(f"{owner}.{method}(".encode() for owner in ("app", "router", "server", "Router") for method in ROUTE_METHODS),
)

# Hand-written code averages well under this many characters a line; bundles and minified files do not.
_MINIFIED_LINE = 400
_DATABASE_MODULES = frozenset(
    {
        "pg",
        "pg-promise",
        "postgres",
        "mysql",
        "mysql2",
        "mysql2/promise",
        "@prisma/client",
        "knex",
        "mongoose",
        "mongodb",
        "sequelize",
        "better-sqlite3",
        "sqlite3",
    }
)
# Code importing a UI framework runs in the browser, whatever its folder is called (`app/jobs/`).
_UI_MODULES = ("@angular/", "vue", "svelte", "@sveltejs/", "pinia", "@vue/")
_BACKEND_FOLDERS = frozenset({"server", "backend", "jobs", "workers", "worker"})


def detect(source: str, path: str) -> FileFacts:
    """Every polling fact of one TypeScript/JavaScript file, or of a Vue/Svelte component's scripts."""
    if len(source) > _MINIFIED_LINE * (source.count("\n") + 1):
        return FileFacts(path=path, language=language_of(path))  # minified or bundled: a vendored build, not source
    if path.endswith(PAGE_SUFFIXES) and "<script" not in source.lower():
        return FileFacts(path=path, language="javascript")  # a page without scripts: markup only
    if path.endswith((*SFC_SUFFIXES, *PAGE_SUFFIXES)):
        scripts = script_blocks(source)
        encoded = scripts.source.encode()
        if not scripts.blocks or (path.endswith(PAGE_SUFFIXES) and token_search(TRIGGER_TOKENS)(encoded) is None):
            return FileFacts(path=path, language="javascript")
        language = "typescript" if scripts.typescript else "javascript"
        return _Detector(_parse_templated(scripts.source, path, scripts.typescript), language).facts()
    return _Detector(_parse_templated(source, path), language_of(path)).facts()


def _parse_templated(source: str, path: str, typescript: bool | None = None) -> Tree:
    """Parse a script; one that fails only because of server template syntax parses with it blanked."""
    try:
        return parse(source, path, typescript)
    except ParseFailure:
        if not has_template_syntax(source):
            raise
        return parse(without_template_syntax(source), path, typescript)


class _Detector:
    def __init__(self, tree: Tree, language: str) -> None:
        self.tree = tree
        self.values = Values(tree)
        self.language = language
        self.react = any(
            m == "react" or m.startswith(("react-", "react/", "@tanstack/react")) for m in self.values.modules
        )
        self.react = self.react or bool(tree.jsx_elements(tree.root))
        self.backend = self._is_backend()
        self.reader = CallbackReader(tree, self.values, browser=not self.backend)
        self.place = Surroundings(tree, self.values, self.backend)
        self.sites: list[PollingSite] = []
        self.classic = not self.backend and not self.react and is_classic_script(tree, self.values)
        self.pending: list[PendingSite] = []

    def _is_backend(self) -> bool:
        if self.react or any(m.startswith(_UI_MODULES) for m in self.values.modules):
            return False
        folders = set(self.tree.path.split("/")[:-1])
        return bool(self.values.modules & _DATABASE_MODULES) or bool(folders & _BACKEND_FOLDERS)

    # --- the facts ------------------------------------------------------------------------------

    def facts(self) -> FileFacts:
        found = TimerPolling(self.tree, self.values, self.reader, self.place, self.classic).sites()
        for poll in RxjsPolling(self.tree, self.values, self.reader).sites():
            found.append(Found(SiteKind.INTERVAL_TIMER, poll.mechanism, poll.node, poll.interval, poll.reads))
        for loop in SleepLoops(self.tree, self.values, self.reader, self.place).loops():
            kind = SiteKind.LOOP if self.backend else SiteKind.TIMEOUT_LOOP
            found.append(Found(kind, loop.mechanism, loop.node, loop.interval, loop.reads))
        for job in NodeSchedules(self.tree, self.values, self.reader).jobs():
            detail = f"job {job.job}" if job.job else None
            found.append(
                Found(
                    SiteKind.SCHEDULER,
                    job.mechanism,
                    job.node,
                    job.interval,
                    job.reads,
                    detail=detail,
                    pending_imports=job.imported if job.pending else (),
                    reads_through=() if job.pending else job.imported,
                )
            )
        found += QueryOptionPolling(self.tree, self.values, self.reader).sites()
        for one in found:
            self._add(one)
        return FileFacts(
            path=self.tree.path,
            language=self.language,
            sites=tuple(sorted(self.sites, key=lambda s: (s.location.line, s.location.column, s.kind))),
            routes=routes(self.tree, self.reader, self.react),
            handled_message_types=handled_message_types(self.tree, self.place),
            suppressions=self._suppressions(),
            fetching_globals=fetching_globals(self.tree, self.reader) if self.classic else (),
            pending_sites=tuple(self.pending),
        )

    def _suppressions(self) -> tuple[Suppression, ...]:
        found = (parse_suppression(text(c), c.start_point[0] + 1) for c in self.tree.of("comment"))
        return tuple(s for s in found if s is not None)

    # --- one site ---------------------------------------------------------------------------------

    def _add(self, found: Found) -> None:
        node, interval, context_node = found.node, found.interval, found.context_node
        function, context = self.place.where(node)
        if function is None and context_node is not None:
            function, context = self.place.where(context_node)
        reads = found.reads or Reads()
        fallback = found.fallback or self.place.fallback_only(node)
        extra = self.place.fallback_facts(context_node or node) if fallback else FallbackFacts()
        polls = reads.polls
        site = PollingSite(
            kind=found.kind,
            mechanism=found.mechanism,
            language=self.language,
            location=self.tree.location(node),
            snippet=snippet(node),
            function=function,
            context=context,
            interval_seconds=interval.ms / 1000 if interval is not None and interval.ms is not None else None,
            interval_ref=interval.ref if interval is not None else None,
            polls=polls,
            tables=tuple(reads.tables),
            urls=tuple(reads.urls),
            query_key=found.query_key or reads.query_key,
            broadcasts=reads.broadcasts,
            compares_state=reads.compares_state,
            message_types=tuple(reads.typed),
            in_background=found.in_background,
            interval_env_var=interval.env if interval is not None else None,
            logs_activity=reads.logs_activity,
            logs_warning=reads.logs_warning or extra.logs_warning,
            fallback_only=fallback,
            max_duration_seconds=extra.max_duration_seconds,
            restores_connection=extra.restores_connection,
            detail=found.detail,
            reads_through=found.reads_through,
        )
        if found.pending or found.pending_imports:
            self.pending.append(PendingSite(site=site, globals=found.pending, imports=found.pending_imports))
        else:
            self.sites.append(site)
