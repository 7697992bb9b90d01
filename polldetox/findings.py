"""The currency between stages: facts a detector extracts, findings the policy rules on.

Data flows one way: files -> FileFacts (detectors) -> Finding (policy) -> reports.
Everything here is a small frozen dataclass so that it pickles across the process pool,
caches, and can never be mutated by a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Status(StrEnum):
    VIOLATION = "violation"
    ALLOWED = "allowed"


class Polls(StrEnum):
    """What a polling site reads on every tick (decides the recommended replacement)."""

    DATABASE = "database"
    FILE = "file"
    HTTP = "http"
    MEMORY = "memory"
    UNKNOWN = "unknown"


class SiteKind(StrEnum):
    """How the code polls. Language-neutral: the policy maps kinds to rules."""

    LOOP = "loop"  # while-loop that waits on a clock (Python watcher)
    SCHEDULER = "scheduler"  # Timer / APScheduler / schedule / call_later / repeat_every / celery beat
    QUERY_OPTION = "query_option"  # refetchInterval, refreshInterval, pollInterval, pollingInterval
    START_POLLING = "start_polling"  # Apollo startPolling(n)
    INTERVAL_TIMER = "interval_timer"  # setInterval whose callback fetches
    TIMEOUT_LOOP = "timeout_loop"  # recursive setTimeout that fetches
    POLLING_ENGINE = "polling_engine"  # a helper that wraps setInterval and is handed a fetch function
    ENGINE_CALL = "engine_call"  # a call site of such a helper
    MANUAL_REFRESH = "manual_refresh"  # staleTime: Infinity + refetch button (Exception 4)


class Context(StrEnum):
    """Where the site runs; the policy uses it with the path to pick main-app vs tool."""

    BACKEND = "backend"
    COMPONENT = "component"
    HOOK = "hook"
    CLASS_COMPONENT = "class_component"
    PROVIDER = "provider"
    CLIENT_MODULE = "client_module"  # frontend module scope (query client defaults, api helpers)
    SCRIPT = "script"  # a `if __name__ == "__main__"` / CLI entry point
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # relative to the scanned root, "/" separators
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class PollingSite:
    """One place that polls, as facts only: no judgement of whether it is allowed."""

    kind: SiteKind
    mechanism: str  # what a reader recognises: "while True + asyncio.sleep", "useQuery refetchInterval"
    language: str  # "python" | "typescript" | "javascript"
    location: Location
    snippet: str  # the site's head line(s), whitespace-normalised: shown in reports, fingerprinted
    function: str | None = None  # enclosing function / component / method name
    context: Context = Context.UNKNOWN
    interval_seconds: float | None = None  # None when it cannot be resolved statically
    # (module path relative to the root without suffix, exported name): an interval imported from
    # another file of the project, resolved by the engine once every file is known.
    interval_ref: tuple[str, str] | None = None
    polls: Polls = Polls.UNKNOWN
    tables: tuple[str, ...] = ()  # tables read each tick (sqlglot over SQL strings, ORM models)
    urls: tuple[str, ...] = ()  # URLs / API methods fetched each tick
    query_key: str | None = None  # React Query key, source text
    broadcasts: bool = False  # sends what it read to clients (websocket/broadcast call)
    compares_state: bool = False  # compares with the previous state before broadcasting
    message_types: tuple[str, ...] = ()  # "type" values it broadcasts
    in_background: bool = False  # refetchIntervalInBackground: true
    opt_in_flag: str | None = None  # polling only runs behind this flag ("--watch", "args.watch")
    interval_env_var: str | None = None  # interval read from this environment variable
    logs_activity: bool = False  # logs each poll / polling activity
    logs_warning: bool = False  # logs at WARNING (console.warn) when it starts
    fallback_only: bool = False  # runs only while the event-driven connection is down
    max_duration_seconds: float | None = None  # a bound on how long it may keep polling
    restores_connection: bool = False  # attempts to restore the event-driven connection
    detail: str | None = None  # a short extra fact for the message ("reschedules itself")
    # (module path relative to the root without suffix, function or "Class.method") of calls into the
    # project's own modules that the file cannot see into; the engine follows them to what they read.
    reads_through: tuple[tuple[str, str], ...] = ()
    # (module path, class, the table guessed from the class name) of ORM models imported from another
    # module of the project, whose declared table (`__tablename__`, `db_table`) the engine looks up.
    models: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ReadSummary:
    """What one function reads, for the loops of other files that call it."""

    tables: tuple[str, ...] = ()
    polls: Polls = Polls.UNKNOWN
    calls: tuple[tuple[str, str], ...] = ()  # its own calls into other modules of the project
    models: tuple[tuple[str, str, str], ...] = ()  # models it reads that are declared elsewhere


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTP route a backend file serves; links a frontend fetch URL to backend tables (AP3)."""

    method: str  # "GET", "POST", ... or "*"
    path: str  # "/api/v1/queue", parameters as written ("/items/{item_id}", "/items/:id")
    location: Location
    tables: tuple[str, ...] = ()
    message_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Suppression:
    """A `# polldetox: ignore[RULE]` / `// polldetox-ignore RULE` comment.

    It covers its own line and the line below; `rules` empty means every rule.
    """

    line: int
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PendingSite:
    """A timer in a classic browser script whose callback calls global functions this file does
    not define; it polls if another script defines one of them and that one fetches. Or a scheduled
    job that reads nothing visible and calls functions of other project modules (`imports`, as
    (module, name)); it polls if one of them reads, a few calls deep."""

    site: PollingSite
    globals: tuple[str, ...] = ()
    imports: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything one detector learned from one file."""

    path: str
    language: str
    sites: tuple[PollingSite, ...] = ()
    routes: tuple[Route, ...] = ()
    handled_message_types: tuple[str, ...] = ()  # message types a frontend hook/handler reacts to
    suppressions: tuple[Suppression, ...] = ()
    documents_dev_tool: bool = False  # docstring / header says it is a development tool
    documents_webhook_reason: bool = False  # says why webhooks are not used (Exception 2)
    # Classic browser scripts (no modules) share one global scope across a page's <script> tags:
    fetching_globals: tuple[str, ...] = ()  # top-level functions it defines that fetch data
    pending_sites: tuple[PendingSite, ...] = ()  # timers calling globals defined elsewhere


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding involves (the other half of an Anti-pattern 3 pair)."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    status: Status
    location: Location
    message: str
    snippet: str
    interval_seconds: float | None = None
    polls: Polls = Polls.UNKNOWN
    tables: tuple[str, ...] = ()
    exception: str | None = None  # "devtool" | "trigger" | "fallback" | "manual_refresh"
    missing: tuple[str, ...] = ()  # requirements of the exception that the code does not meet
    recommendation: str | None = None  # the standard's event detection method
    scaffold: str | None = None  # the `polldetox scaffold ...` command that writes the replacement
    related: tuple[Related, ...] = ()
    site_kind: SiteKind | None = None
    context: Context | None = None
    broadcasts: bool = False


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file the scan could not read, decode or parse. Reported; never stops the scan."""

    path: str
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    suppressed: tuple[Finding, ...] = ()
    files_scanned: int = 0  # files discovered and considered
    files_parsed: int = 0  # files that passed the byte prefilter (parsed, or served from the cache)
    lines_scanned: int = 0  # lines in every file read
    elapsed_seconds: float = 0.0
