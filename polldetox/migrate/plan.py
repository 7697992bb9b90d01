"""The migration plan: every file change (rewritten or scaffolded), every site left alone and why.

Selected sites -> edits computed in memory, per file, in order -> a plan the command shows as a
diff, prints as JSON, or writes. Nothing here touches the disk except to read.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from polldetox.config import Config
from polldetox.findings import PollingSite, SiteKind
from polldetox.migrate.python_edits import Unsafe, Watcher, Wiring, migrate_watcher, wire_listener
from polldetox.migrate.python_schedules import ScheduleWiring, remove_schedule, wire_schedule
from polldetox.migrate.select import Hook, Selection, read_tables
from polldetox.migrate.ts_apollo_polling import migrate_start_polling
from polldetox.migrate.ts_classes import migrate_class_site
from polldetox.migrate.ts_config import WebSocketEntry, add_websocket_entry
from polldetox.migrate.ts_edits import (
    HookUse,
    drop_unused_export,
    hook_query_key,
    hook_returns_last_updated,
    hook_takes_on_change,
    migrate_query_site,
)
from polldetox.migrate.ts_hook_signal import HookSignal, add_last_updated
from polldetox.migrate.ts_ranges import import_source
from polldetox.migrate.ts_timers import InClassComponent, migrate_timer_site
from polldetox.naming import InvalidName, Names, names_for
from polldetox.scaffold.layout import DEFAULT_LAYOUT, Layout, LayoutError
from polldetox.scaffold.render import Action, Pattern, Request, environment, plan, python_module, ts_import
from polldetox.scaffold.schema import Table
from polldetox.scaffold.steps import manual_steps
from polldetox.scan.files import discover
from polldetox.scan.ts_parse import parse
from polldetox.scan.ts_values import module_path

# What the listener needs that the app may not have yet: the trigger and the LISTEN runtime.
_SCAFFOLDED_KINDS = ("migration_up", "migration_down", "pg_listener")
_TRIGGER_KINDS = ("migration_up", "migration_down")  # a joined table needs only its trigger
# A hook generated for a panel that has none, with the server side that feeds it.
_GENERATED_KINDS = (
    *_SCAFFOLDED_KINDS, "connection_manager", "callback", "listener", "endpoint", "test_python",
    "reconnecting_socket", "api_config", "hook", "test_ts",
)  # fmt: skip
_DEFAULT_CLIENT = "app/client/"  # where the standard's layout puts the frontend package
_PACKAGE_FILES = ("package.json", "tsconfig.json")
_TS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", "/index.ts", "/index.tsx", "/index.js")


@dataclass(frozen=True)
class Change:
    path: str
    action: str  # "create" (a scaffolded file) or "edit"
    reason: str


@dataclass(frozen=True)
class Skipped:
    path: str
    line: int
    reason: str


@dataclass
class MigrationPlan:
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)  # lines the user must add where no place was found
    before: dict[str, str | None] = field(default_factory=dict)  # None: the file is new
    after: dict[str, str] = field(default_factory=dict)

    def absorb(self, staged: MigrationPlan) -> None:
        """Another plan's files, changes and steps. A file both plans changed keeps this plan's change,
        and the other's is listed to make by hand."""
        mine = set(self.changed_paths())
        for path in staged.after:
            if path not in mine:
                self.before[path] = staged.before.get(path)
                self.after[path] = staged.after[path]
        for change in staged.changes:
            if change.path not in mine:
                self.changes.append(change)
            elif self.after[change.path] != staged.after[change.path]:
                self.manual.append(f"{change.path}: {change.reason}")
        self.manual += staged.manual

    def changed_paths(self) -> list[str]:
        return sorted(path for path, text in self.after.items() if text != self.before.get(path))

    def diff(self) -> str:
        pieces = []
        for path in self.changed_paths():
            before = self.before.get(path)
            pieces += difflib.unified_diff(
                (before or "").splitlines(keepends=True), self.after[path].splitlines(keepends=True),
                fromfile=f"a/{path}" if before is not None else "/dev/null", tofile=f"b/{path}",
            )  # fmt: skip
        return "".join(pieces)


class _Files:
    """The project's files as the plan has left them so far."""

    def __init__(self, root: Path, result: MigrationPlan) -> None:
        self.root = root
        self.plan = result

    def read(self, path: str) -> str:
        if path not in self.plan.after:
            text = (self.root / path).read_text(encoding="utf-8")
            self.plan.before[path] = text
            self.plan.after[path] = text
        return self.plan.after[path]

    def write(self, path: str, text: str, reason: str) -> None:
        self.read(path)
        if text != self.plan.after[path]:
            self.plan.after[path] = text
            self.plan.changes.append(Change(path, "edit", reason))


def build_plan(
    root: Path,
    config: Config,
    names: Names,
    layout: Layout,
    table: Table | None,
    selection: Selection,
    joined: dict[str, Table | None],
) -> MigrationPlan:
    """`joined`: the shape of each other table the backend sites read (None: no schema creates it)."""
    result = MigrationPlan()
    files = _Files(root, result)
    sources = [source.relative for source in discover([root], config).files]
    migrated = [site for site in selection.backend if _migrate_backend(site, files, names, layout, sources)]
    if migrated and table is not None:
        _scaffold(root, names, layout, table, result, _SCAFFOLDED_KINDS)
    elif migrated:
        result.manual.append(
            f"No schema creates {names.table.sql()}, so no NOTIFY trigger was written: run "
            f"`polldetox scaffold {names.table.sql()} --schema FILE_OR_FOLDER` for its migration and listener runtime."
        )
    for other in sorted({name for site in migrated for name in _joined(site, names)}):
        other_names = names_for(other)
        if joined.get(other) is not None:
            _scaffold(root, other_names, layout, joined[other], result, _TRIGGER_KINDS)  # type: ignore[arg-type]
        else:
            result.manual.append(
                f"No schema creates {other_names.table.sql()}, which the callback of {names.table.sql()} also "
                f"reads: give it a NOTIFY trigger on {other_names.channel} (polldetox scaffold "
                f"{other_names.table.sql()} --schema FILE_OR_FOLDER)."
            )
    # What the hook needs (scaffold's hook and its server side, a config entry) is staged, and kept
    # only when a site calls the hook: as on the backend, nothing is scaffolded for skipped sites.
    staged = _Files(root, MigrationPlan())
    hook, missing = selection.hook, _no_hook(selection)
    if hook is not None and selection.frontend:
        _scaffolded_hook_config(staged, names, layout, hook)
    if hook is None and selection.frontend and table is not None:
        client_layout = _in_sites_package(root, layout, selection.frontend)
        hook, missing = _generated_hook(root, names, client_layout, table, staged)
    types = frozenset({f"{names.snake}_update", *selection.message_types})  # as `select` finds the hook
    # A project's own hook is edited with the sites (given lastUpdated once, seen by the next site);
    # a generated one exists only in the staged files.
    hook_files = files if selection.hook is not None else staged
    calling = False
    for site in selection.frontend:
        calling |= _migrate_frontend(site, files, hook_files, hook, missing, sources, types)
    if calling:
        result.absorb(staged.plan)
    return result


def _no_hook(selection: Selection) -> str:
    types = ", ".join(selection.message_types) or "this data"
    return (
        f"no use<Type>WebSocket hook handles {types} and no schema creates the table to generate one: "
        "give --schema, or write a hook, and rerun"
    )


def _in_sites_package(root: Path, layout: Layout, sites: tuple[PollingSite, ...]) -> Layout:
    """The layout with the client files it does not configure moved into the frontend package of the
    sites (the nearest folder with a package.json or tsconfig.json), where the hook's bare imports
    (`react`, `@tanstack/react-query`) resolve; files the user placed stay where they are."""
    owners = Counter(_package_of(root, PurePosixPath(site.location.path)) for site in sites)
    package = owners.most_common(1)[0][0]
    client = [kind for kind, path in DEFAULT_LAYOUT.items() if path.startswith(_DEFAULT_CLIENT)]
    moved = {
        kind: (package / layout.paths[kind].removeprefix(_DEFAULT_CLIENT)).as_posix()
        for kind in client
        if layout.paths[kind] == DEFAULT_LAYOUT[kind]
        and package is not None
        and _package_of(root, PurePosixPath(DEFAULT_LAYOUT[kind])) != package
    }
    return replace(layout, paths={**layout.paths, **moved}) if moved else layout


def _package_of(root: Path, path: PurePosixPath) -> PurePosixPath | None:
    """The nearest folder at or above a file's that holds a package.json or tsconfig.json, up to the root."""
    for folder in path.parents:
        if any((root / folder / name).is_file() for name in _PACKAGE_FILES):
            return folder
    return None


def _generated_hook(root: Path, names: Names, layout: Layout, table: Table, files: _Files) -> tuple[Hook | None, str]:
    """scaffold's hook with the endpoint, callback and listener it needs, or why they cannot be written."""
    planned = plan(Request(names, Pattern.db, table, layout), root, environment(None), force=False)
    by_kind = {item.kind: item for item in planned}
    api, hook = by_kind["api_config"], by_kind["hook"]
    if hook.action == Action.skip:
        return None, f"{hook.path} exists but handles none of the backend's message types: fix it and rerun"
    if api.action == Action.skip and f"{names.camel}:" not in (api.existing or ""):
        unsafe = _add_websocket_entry(files, names, api.path.as_posix(), hook.path.as_posix())
        if unsafe is not None:
            return None, (
                f"no use<Type>WebSocket hook handles this data, and the one polldetox scaffold writes "
                f"({hook.path}) reads apiConfig.websocket.{names.camel}, which polldetox cannot add: {unsafe}"
            )
    result = files.plan
    _scaffold(root, names, layout, table, result, _GENERATED_KINDS)
    result.manual += [step for step in manual_steps(Request(names, Pattern.db, table, layout), planned, [])
                      if not step.startswith(("Render ", "Run the migration", "Add to apiConfig"))]  # fmt: skip
    return Hook(hook.path.as_posix(), f"use{names.pascal}WebSocket"), ""


def _add_websocket_entry(files: _Files, names: Names, config: str, hook: str) -> str | None:
    """The hook's `apiConfig.websocket.<name>` added to the app's config file, or why it cannot be, with the fix."""
    entry = WebSocketEntry("apiConfig", names.camel, f"/ws/{names.kebab}")
    try:
        added = add_websocket_entry(files.read(config), config, entry)
    except Unsafe as reason:
        return f"{reason}; {entry.by_hand()} and rerun"
    files.write(config, added, f"{entry.path} added to apiConfig.websocket for {hook}")
    return None


def _scaffolded_hook_config(files: _Files, names: Names, layout: Layout, hook: Hook) -> None:
    """A hook scaffold wrote earlier reads its URL from the config file scaffold could not extend: add it there."""
    config = layout.path("api_config", names.placeholders).as_posix()
    hook_source = files.read(hook.path)
    reads = f"apiConfig.websocket.{names.camel}(" in hook_source
    if not reads or import_source(parse(hook_source, hook.path), "apiConfig") != ts_import(
        PurePosixPath(hook.path), PurePosixPath(config)
    ):
        return
    if not (files.root / config).is_file() or re.search(rf"^\s*{re.escape(names.camel)}:", files.read(config), re.M):
        return
    unsafe = _add_websocket_entry(files, names, config, hook.path)
    if unsafe is not None:
        files.plan.manual.append(f"{hook.path} reads apiConfig.websocket.{names.camel}, which {config} lacks: {unsafe}")


def _joined(site: PollingSite, names: Names) -> list[str]:
    """The other tables a backend site's query reads, whose changes must rerun its callback too."""
    table = names.table.name.lower()
    return sorted(name for name in read_tables(site) if name != table and _valid_name(name))


def _valid_name(name: str) -> bool:
    try:
        names_for(name)
    except InvalidName:
        return False
    return True


def _skip(files: _Files, site: PollingSite, reason: str) -> bool:
    files.plan.skipped.append(Skipped(site.location.path, site.location.line, reason))
    return False


def _migrate_backend(site: PollingSite, files: _Files, names: Names, layout: Layout, sources: list[str]) -> bool:
    path = site.location.path
    if site.language != "python":
        return _skip(files, site, f"a {site.language} backend loop: only Python watchers are rewritten")
    if site.kind == SiteKind.SCHEDULER and site.function:
        return _migrate_schedule(site, site.function, files, names, layout, sources)
    if site.kind != SiteKind.LOOP or not site.function:
        return _skip(
            files, site, f"{site.mechanism}: remove its schedule and register it with the listener for "
            f"{names.channel} by hand"
        )  # fmt: skip
    callback = f"on_{names.snake}_change"
    try:
        rewritten = migrate_watcher(files.read(path), Watcher(site.function, callback))
    except Unsafe as reason:
        return _skip(files, site, str(reason))
    files.write(path, rewritten, f"{site.function}: the polling loop becomes {callback}, called on {names.channel}")
    owner, _, _ = site.function.rpartition(".")
    listener_module = python_module(layout.path("pg_listener", names.placeholders), layout.python_root)
    joined = tuple(names_for(other).channel for other in _joined(site, names))
    wiring = Wiring(owner or None, callback, names.channel, listener_module, joined)
    if not owner:
        _manual(files, names, wiring, site, "a module-level watcher has no owner object the start-up hook holds")
        return True
    for candidate in sources:
        if not candidate.endswith(".py") or candidate == path:
            continue
        text = files.read(candidate)
        if owner not in text or not re.search(r"asynccontextmanager|on_event\(", text):
            continue
        try:
            wired = wire_listener(text, wiring)
        except Unsafe as reason:
            _manual(files, names, wiring, site, f"{candidate}: {reason}")
            return True
        if wired is not None:
            files.write(
                candidate, wired, f"start {listener_module}.PgListener with {callback} for {', '.join(wiring.channels)}"
            )
            return True
    _manual(files, names, wiring, site, "no lifespan or startup hook creates it")
    return True


def _migrate_schedule(
    site: PollingSite, job: str, files: _Files, names: Names, layout: Layout, sources: list[str]
) -> bool:
    """An interval job's schedule goes; a listener started where the schedule was runs the job on each change."""
    path = site.location.path
    try:
        removed = remove_schedule(files.read(path), site.location.line, job, channel=names.channel)
    except Unsafe as reason:
        return _skip(files, site, str(reason))
    files.write(path, removed.source, f"{site.mechanism} of {job} removed: it runs on {names.channel} instead")
    listener_module = python_module(layout.path("pg_listener", names.placeholders), layout.python_root)
    wiring = ScheduleWiring(removed, _module_name(path, layout), names.channel, listener_module)
    for candidate in [path, *(source for source in sources if source.endswith(".py") and source != path)]:
        text = files.read(candidate)
        if not re.search(r"asynccontextmanager|on_event\(", text):
            continue
        try:
            wired = wire_schedule(text, wiring, candidate == path)
        except Unsafe as reason:
            _manual_schedule(files, wiring, path, f"{candidate}: {reason}")
            return True
        if wired is not None:
            files.write(candidate, wired, f"start {listener_module}.PgListener calling {job} on {names.channel}")
            return True
    if removed.celery:
        why = (
            f"Celery beat runs in a process of its own, and no lifespan or startup hook was found in a module "
            f"that imports {wiring.job_module}, where the task could be queued from"
        )
    else:
        why = f"no lifespan or startup hook runs {removed.holder}"
    _manual_schedule(files, wiring, path, why)
    return True


def _manual_schedule(files: _Files, wiring: ScheduleWiring, path: str, why: str) -> None:
    call = wiring.removed.call()
    files.plan.manual.append(
        f"{path}: {wiring.removed.job} no longer runs on a schedule, but {why}. "
        "Where the app starts (with what it passed the job at hand):\n"
        + ("    import asyncio\n" if "asyncio." in call else "")
        + f"    from {wiring.job_module} import {wiring.removed.job}\n"
        f"    from {wiring.listener_module} import PgListener\n"
        f"    listener = PgListener(DATABASE_URL)\n"
        f'    listener.register_callback("{wiring.channel}", lambda event: {call})\n'
        f"    listener.on_connect(lambda: {call})\n"
        f"    await listener.start()\n"
        f"and to its shutdown:\n"
        f"    await listener.stop()"
    )


def _module_name(path: str, layout: Layout) -> str:
    try:
        return python_module(PurePosixPath(path), layout.python_root)
    except LayoutError:  # outside the configured python-root: the module as its path names it
        return ".".join(PurePosixPath(path).with_suffix("").parts)


def _manual(files: _Files, names: Names, wiring: Wiring, site: PollingSite, why: str) -> None:
    target = f"<{wiring.owner_class} instance>.{wiring.callback}" if wiring.owner_class else wiring.callback
    files.plan.manual.append(
        f"{site.location.path}: {site.function} is now {wiring.callback}, but {why}. Add to the app's start-up:\n"
        f"    from {wiring.listener_module} import PgListener\n"
        f"    listener = PgListener(DATABASE_URL)\n"
        + "".join(f'    listener.register_callback("{channel}", {target})\n' for channel in wiring.channels)
        + f'    listener.on_connect(lambda: {target}({{"operation": "RESYNC"}}))\n'
        f"    await listener.start()\n"
        f"and to its shutdown:\n"
        f"    await listener.stop()"
    )


def _scaffold(
    root: Path, names: Names, layout: Layout, table: Table, result: MigrationPlan, kinds: tuple[str, ...]
) -> None:
    """Those of scaffold's files of `kinds`, through its own plan: created when missing, never overwritten."""
    planned = plan(Request(names, Pattern.db, table, layout), root, environment(None), force=False)
    for item in planned:
        path = item.path.as_posix()
        if item.kind in kinds and item.action in (Action.create, Action.extend) and path not in result.after:
            result.before[path] = item.existing
            result.after[path] = item.content
            action = "create" if item.existing is None else "edit"
            result.changes.append(Change(path, action, f"scaffold {item.kind} for {names.channel}"))


def _migrate_frontend(
    site: PollingSite,
    files: _Files,
    hook_files: _Files,
    hook: Hook | None,
    missing: str,
    sources: list[str],
    types: frozenset[str],
) -> bool:
    """`hook_files`: where the hook is read (the staged files for a generated one). Whether the site now calls it."""
    path = site.location.path
    if site.kind not in (SiteKind.QUERY_OPTION, SiteKind.START_POLLING, SiteKind.INTERVAL_TIMER, SiteKind.TIMEOUT_LOOP):
        return _skip(
            files, site, f"{site.mechanism}: only a query's polling option, Apollo's startPolling or an effect's "
            "timer loop is rewritten; replace it by hand"
        )  # fmt: skip
    if hook is None:
        return _skip(files, site, missing)
    try:
        edit = _frontend_edit(site, files, hook, hook_files.read(hook.path), types)
    except Unsafe as reason:
        return _skip(files, site, str(reason))
    if edit.signal is not None:
        files.write(
            hook.path, edit.signal.source, f"{hook.name} returns lastUpdated, a new Date on each "
            f"{edit.signal.message_type} message, which {site.function} now reloads on"
        )  # fmt: skip
    files.write(path, edit.source, f"{site.mechanism} in {site.function}: {edit.push}")
    for specifier, name in edit.removed:
        _drop_constant(files, path, specifier, name, sources)
    return True


@dataclass(frozen=True)
class _FrontendEdit:
    source: str  # the site's file after its edit
    removed: tuple[tuple[str, str], ...]  # the imports it left unused
    push: str  # how pushed data now arrives
    signal: HookSignal | None = None  # the hook given the lastUpdated the edit reloads on, when it had none


def _frontend_edit(
    site: PollingSite, files: _Files, hook: Hook, hook_source: str, types: frozenset[str]
) -> _FrontendEdit:
    path, line = site.location.path, site.location.line
    module = ts_import(PurePosixPath(path), PurePosixPath(hook.path))
    if site.kind in (SiteKind.QUERY_OPTION, SiteKind.START_POLLING):
        key = hook_query_key(hook_source, hook.path)
        use = HookUse(hook.name, module, key, hook_takes_on_change(hook_source, hook.path, hook.name))
        if site.kind == SiteKind.START_POLLING:
            edit = migrate_start_polling(files.read(path), path, line, use)
            return _FrontendEdit(edit.source, edit.removed_names, edit.push)
        edit = migrate_query_site(files.read(path), path, line, use)
        return _FrontendEdit(edit.source, edit.removed_names, f"polling option removed, {edit.push}")
    # The shape first: a timer outside an effect is left alone whatever the hook returns.
    try:
        timed = migrate_timer_site(files.read(path), path, line, hook.name, module)
        push = f"the timer and its clear removed, the effect reruns on {hook.name}()'s lastUpdated"
        lacking, by_hand = (
            f"{hook.name} returns no lastUpdated to rerun the effect's load on each push",
            "replace it by hand",
        )
    except InClassComponent as found:
        timed = migrate_class_site(files.read(path), path, line, hook.name, module)
        push = (
            f"{found.component} wrapped in a function component that calls {hook.name}(); the class reloads in "
            "componentDidUpdate on its lastUpdated"
        )
        lacking = f"{hook.name} returns no lastUpdated to wrap {found.component} on"
        by_hand = _class_component_steps(found, hook, hook_source)
    if hook_returns_last_updated(hook_source, hook.path, hook.name):
        return _FrontendEdit(timed.source, timed.removed_names, push)
    try:
        signal = add_last_updated(hook_source, hook.path, hook.name, types)
    except Unsafe as reason:
        raise Unsafe(f"{lacking}, and polldetox cannot add one ({reason}): {by_hand}") from None
    return _FrontendEdit(timed.source, timed.removed_names, push, signal)


def _class_component_steps(found: InClassComponent, hook: Hook, hook_source: str) -> str:
    """What to do by hand: hooks run only in function components, so the class must become one or be wrapped."""
    key = hook_query_key(hook_source, hook.path)
    if key is not None:
        reads = f"reads the data with useQuery({{ queryKey: {key} }}), which {hook.name}() keeps current"
    else:
        reads = f"reloads when {hook.name}() reports a change"
    return (
        f"a class component cannot call {hook.name}: convert {found.component} to a function component that calls "
        f"{hook.name}() and {reads}, in place of the {found.timer} in {found.method} and its clear; "
        "or render it from such a component, passing the data as props"
    )


def _drop_constant(files: _Files, importer: str, specifier: str, name: str, sources: list[str]) -> None:
    """The exported interval constant, when no file of the project mentions it any more.

    Its module is found as the scan's cross-file resolution finds it: relative, or through a source alias.
    """
    base = module_path(importer, specifier)
    if base is None:
        return
    module = next((base + suffix for suffix in _TS_SUFFIXES if base + suffix in sources), None)
    if module is None:
        return
    word = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    others = (source for source in sources if source != module and source.endswith((".ts", ".tsx", ".js", ".jsx")))
    if any(word.search(files.read(source)) for source in others):
        return
    dropped = drop_unused_export(files.read(module), module, name)
    if dropped is not None:
        files.write(module, dropped, f"the interval constant {name} is used nowhere any more")
