"""`polldetox status`: the standard's Migration Checklist for each data type, each step checked from the code.

A step is done when the code does what the step asks, whoever wrote it (`polldetox scaffold` or a
person), never because a file has the expected name:

- trigger: a SQL migration (a .sql file, or a SQL string in Python such as an Alembic `op.execute`)
  creates a trigger on the table whose function sends a NOTIFY;
- listener: a call registers a callback for the channel `<table>_changed`;
- callback: that callback, through what it calls, fetches data and broadcasts it;
- endpoint: a WebSocket route serves it: its path names the data, its handler reads the table or sends
  the data's message types, or hands its socket to the object those types are broadcast through;
- hook: a frontend `use...` hook opens a WebSocket for the data (a dedicated endpoint's path, written or
  through an apiConfig entry) or handles its message types;
- component: another frontend file calls that hook;
- polling_removed: no polling site of this data remains, neither one the scan groups under its name nor
  one tied to its table by the links `data_sites` follows (and `migrate` rewrites);
- tests: a test runs SQL naming the channel or trigger function and SQL writing the table against a
  database, and a test opens a WebSocket client to the endpoint or renders the hook (status_tests).

For the file and action patterns (Decision Tree 1) there is no table: trigger and listener are not needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from polldetox.config import Config
from polldetox.data_sites import DataSites, data_sites
from polldetox.naming import Names, names_for
from polldetox.report.inventory import METHODS, DataType, inventory
from polldetox.scan import engine, policy
from polldetox.scan.files import discover, relative_to_root
from polldetox.status_frontend import Frontend
from polldetox.status_python import PythonFacts, read_python
from polldetox.status_sql import read_sql
from polldetox.status_tests import Wanted, tested

STEPS = (
    ("trigger", "Migration creates a NOTIFY trigger on the table"),
    ("listener", "Listener registered for <table>_changed"),
    ("callback", "Callback fetches fresh data and broadcasts it"),
    ("endpoint", "WebSocket endpoint serves it"),
    ("hook", "Frontend hook subscribes to it"),
    ("component", "Components use the hook"),
    ("polling_removed", "No polling site for it remains"),
    ("tests", "Tests for the trigger and the endpoint exist"),
)

_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|[^/]*\.(test|spec)\.[jt]sx?$)")


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    done: bool
    evidence: str | None  # the file (or file:line) that shows it, or what is still in the way


@dataclass(frozen=True, slots=True)
class DataTypeStatus:
    name: str
    method: str
    steps: tuple[Step, ...]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


class UnknownDataType(ValueError):
    """A named data type that nothing in the project polls, creates, triggers on or listens for."""


@dataclass
class _ProjectFacts:
    python: PythonFacts
    triggers: list[tuple[str, str]]  # (table, path) of triggers whose function notifies
    trigger_functions: list[tuple[str, str]]  # (table, function) of those triggers
    created_tables: set[str]
    frontend: Frontend
    tests: list[tuple[str, str]]  # (path, text) of test files, Python and TypeScript


def migration_status(root: Path, config: Config, names: Sequence[str] = ()) -> list[DataTypeStatus]:
    """The checklist for each named data type, or each one the project polls or already serves."""
    requested = [names_for(name) for name in names]  # InvalidName before any work
    scanned = engine.read_facts([root], config)
    judgement = policy.judge(scanned, config)
    polled = {d.name: d for d in inventory(judgement.findings) if d.pattern}
    facts = _project_facts(root, config)
    tied = {wanted.snake: data_sites(scanned, wanted, config, judgement) for wanted in requested}
    for wanted in requested:
        if not _known(wanted, polled, facts, tied[wanted.snake]):
            raise UnknownDataType(
                f"{wanted.snake}: nothing in {root} polls it, creates it, serves it, triggers on it or listens for it"
            )
    chosen = requested
    if not requested:
        served = {table for table, _ in facts.triggers} | {
            channel.removesuffix("_changed") for channel, _, _ in facts.python.listens if channel.endswith("_changed")
        }
        chosen = [names_for(name) for name in sorted(set(polled) | served)]
        tied = {wanted.snake: data_sites(scanned, wanted, config, judgement) for wanted in chosen}
        chosen = [wanted for wanted in chosen if not _folded(polled.get(wanted.snake), served, polled, tied)]
    return [_status(wanted, polled.get(wanted.snake), facts, tied[wanted.snake]) for wanted in chosen]


def _folded(polled: DataType | None, served: set[str], every: dict[str, DataType], tied: dict[str, DataSites]) -> bool:
    """A data type the scan named after a URL or API method (`queue` for `queueClient.getAll`) whose
    polling sites are all tied to a table's data type: they are listed under that table instead."""
    if polled is None or polled.source == "table" or polled.name in served:
        return False
    places = {(f.location.path, f.location.line) for f in (*polled.backend, *polled.frontend)}
    return any(
        places <= {(s.location.path, s.location.line) for s in (*sites.backend, *sites.frontend)}
        for name, sites in tied.items()
        if name != polled.name and (name in served or (name in every and every[name].source == "table"))
    )


def _known(names: Names, polled: dict[str, DataType], facts: _ProjectFacts, tied: DataSites) -> bool:
    table = names.table.name
    return (
        names.snake in polled
        or bool(tied.backend or tied.frontend or tied.routes)
        or table in facts.created_tables
        or any(t == table for t, _ in facts.triggers)
        or any(channel == names.channel for channel, _, _ in facts.python.listens)
    )


def _status(names: Names, polled: DataType | None, facts: _ProjectFacts, tied: DataSites) -> DataTypeStatus:
    pattern = polled.pattern if polled and polled.pattern else "db"
    evidence: dict[str, str | None] = {}
    types = {f"{names.snake}_update", *tied.message_types}
    if pattern == "db":
        evidence["trigger"] = next((path for table, path in facts.triggers if table == names.table.name), None)
        listen = next(((cb, path) for channel, cb, path in facts.python.listens if channel == names.channel), None)
        evidence["listener"] = listen[1] if listen else None
        evidence["callback"] = facts.python.callback(listen[0]) if listen else None
        types |= facts.python.types_sent_by(listen[0]) if listen else set()
    else:
        not_needed = f"not needed: {METHODS[pattern]}"
        evidence["trigger"] = evidence["listener"] = not_needed
        evidence["callback"] = facts.python.broadcasting_function(names.snake)
    endpoints = _endpoints(names, facts.python, tied, types)
    evidence["endpoint"] = endpoints[0][0][1] if endpoints else None
    hook = facts.frontend.hook(names, [route for (route, _), dedicated in endpoints if dedicated], types)
    evidence["hook"] = hook.path if hook else None
    evidence["component"] = ", ".join(facts.frontend.callers(hook)) or None if hook else None
    remaining = _remaining(polled, tied)
    wanted = Wanted(
        table=names.table.name,
        channel=names.channel,
        trigger_functions=frozenset(f for table, f in facts.trigger_functions if table == names.table.name),
        endpoints=tuple(route for (route, _), _ in endpoints),
        hook=hook.name if hook else None,
    )
    tests = tested(wanted, facts.tests, needs_trigger=pattern == "db")
    steps = []
    for step_id, title in STEPS:
        if step_id == "polling_removed":
            where = ", ".join(remaining[:3])
            more = f" and {len(remaining) - 3} more" if len(remaining) > 3 else ""
            steps.append(Step(step_id, title, not remaining, f"still polls: {where}{more}" if remaining else None))
        elif step_id == "tests":
            steps.append(Step(step_id, title, tests[0], tests[1]))
        else:
            title = title.replace("<table>", names.table.name)
            steps.append(Step(step_id, title, evidence[step_id] is not None, evidence[step_id]))
    return DataTypeStatus(names.snake, METHODS[pattern], tuple(steps))


def _endpoints(
    names: Names, python: PythonFacts, tied: DataSites, types: set[str]
) -> list[tuple[tuple[str, str], bool]]:
    """((route, file), dedicated) of the WebSocket endpoints serving the data, dedicated ones first: a
    path naming it, or a handler the scan sees reading the table or sending its message types; then
    shared feeds, whose handler hands its socket to the object the data's types are broadcast through."""
    named = [(e.route, e.path) for e in python.endpoints if _route_serves(e.route, names)]
    scanned = [(r.path, r.location.path) for r in tied.routes if r.method == "WEBSOCKET"]
    fed = [(e.route, e.path) for e in python.endpoints if python.feeding(e) & types]
    dedicated = list(dict.fromkeys([*named, *scanned]))
    return [(endpoint, True) for endpoint in dedicated] + [
        (endpoint, False) for endpoint in dict.fromkeys(fed) if endpoint not in dedicated
    ]


def _remaining(polled: DataType | None, tied: DataSites) -> list[str]:
    """Where the data is still polled: the scan's violations grouped under its name, and every polling
    site tied to its table by a link (tables read, URL to route, message type, the same request)."""
    backend = [*(polled.backend if polled else ()), *tied.backend]
    frontend = [*(polled.frontend if polled else ()), *tied.frontend]
    places = []
    for sites in (backend, frontend):
        places += sorted({(site.location.path, site.location.line) for site in sites})
    return [f"{path}:{line}" for path, line in dict.fromkeys(places)]


def _project_facts(root: Path, config: Config) -> _ProjectFacts:
    python = PythonFacts()
    frontend: list[tuple[str, bytes]] = []
    tests: list[tuple[str, str]] = []
    for source in discover([root], config).files:
        try:
            data = source.path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the scan reports unreadable files; the checklist only needs what it can read
        if _TEST_FILE.search(source.relative):
            tests.append((source.relative, text))
        elif source.language == "python":
            read_python(text, source.relative, python)
        else:
            frontend.append((source.relative, data))  # parsed only if its bytes may hold a hook or a call
    sql = read_sql([*python.sql, *_sql_files(root, config)])
    return _ProjectFacts(
        python, list(sql.triggers), list(sql.trigger_functions), set(sql.created_tables), Frontend(frontend), tests
    )


def _sql_files(root: Path, config: Config) -> Iterable[tuple[str, str]]:
    """The .sql files outside excluded folders (node_modules, virtualenvs, build output are never
    entered) whose bytes mention CREATE: only those can define a trigger, function or table."""
    for directory, folders, files in os.walk(root):
        folders[:] = sorted(
            folder
            for folder in folders
            if not config.exclude_spec.match_file(relative_to_root(Path(directory, folder), config.root) + "/")
        )
        for name in sorted(files):
            path = Path(directory, name)
            relative = relative_to_root(path, config.root)
            if not name.endswith(".sql") or config.exclude_spec.match_file(relative):
                continue
            try:
                data = path.read_bytes()
                if b"create" in data.lower():
                    yield data.decode("utf-8"), relative
            except (OSError, UnicodeDecodeError):
                continue


def _route_serves(route: str, names: Names) -> bool:
    segments = [segment for segment in route.strip("/").split("/") if segment]
    return any(segment in (names.kebab, names.snake, names.camel) for segment in segments)
