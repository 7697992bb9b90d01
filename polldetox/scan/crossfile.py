"""Facts a file takes from other modules of the project, resolved after every file is parsed.

- Intervals imported from a settings or constants module (`from app.settings import POLL_SECONDS`,
  `export { POLL_MS } from './polling'`).
- What a Python loop reads through the project's own services, repositories and models:
  `service.get_history()` -> `repository.list_history()` -> `SELECT ... FROM workflow_history`.
- Timers in classic browser scripts calling a fetching global helper that another script defines.
- Scheduled TypeScript jobs whose worker calls an imported project function that reads: the same
  calls followed a few hops deep, through the exported functions' reads (scan/ts_exports.py).

Runs on every scan, over cached facts too, so a changed module reaches every file importing it.
The modules it reads are cached by file metadata like any scanned file (scan/cache.py).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from polldetox.findings import FileFacts, PollingSite, Polls, ReadSummary
from polldetox.scan import ParseFailure
from polldetox.scan.cache import Exports, FactsCache
from polldetox.scan.encoding import python_encoding
from polldetox.scan.files import stat_key

_TS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_REEXPORT_DEPTH = 3  # `export { X } from './x'`, a few hops at most
_READS_DEPTH = 4  # a loop -> a service -> a repository -> a model is three hops; one more for a helper
_PACKAGE_DEPTH = 3  # `prefect/src/prefect/`: a package at most three folders below the scan root
_POLLS_ORDER = (Polls.DATABASE, Polls.FILE, Polls.HTTP)  # what a site reads, most specific first


def resolve(facts: list[FileFacts], root: Path, cache: FactsCache | None) -> list[FileFacts]:
    modules = _Modules(root, cache)
    resolved = [_resolve_reads(_resolve_intervals(file_facts, modules), modules) for file_facts in facts]
    return _resolve_script_globals([_resolve_imported_reads(file_facts, modules) for file_facts in resolved])


class _Modules:
    """The project's modules that sites import from, each read at most once per scan."""

    def __init__(self, root: Path, cache: FactsCache | None) -> None:
        self.root = root
        self.cache = cache
        self.found: dict[tuple[str, str], Exports | None] = {}
        self.holding: dict[str, list[Path]] | None = None

    def exports(self, language: str, module: str) -> Exports | None:
        key = (language, module)
        if key not in self.found:
            path = self._file(language, module)
            self.found[key] = self._read(path, language) if path is not None else None
        return self.found[key]

    def constants(self, language: str, module: str, depth: int = 0) -> dict[str, float]:
        exports = self.exports(language, module)
        if exports is None:
            return {}
        constants = dict(exports.constants)
        if depth < _REEXPORT_DEPTH:
            for name, (source, original) in exports.reexports.items():
                value = self.constants(language, source, depth + 1).get(original)
                if value is not None:
                    constants.setdefault(name, value)
        return constants

    def reads(self, module: str, name: str, language: str = "python") -> ReadSummary | None:
        exports = self.exports(language, module)
        return exports.reads.get(name) if exports is not None else None

    def _file(self, language: str, module: str) -> Path | None:
        roots = [self.root]
        if language == "python" and not module.startswith((".", "/")):
            # the src layout (src/<package>/...), then the package wherever it lies below the root
            roots += [self.root / "src", *self._package_roots(module.split("/", 1)[0])]
        for root in roots:
            base = root / module
            if language == "python":
                candidates = [base.with_name(base.name + ".py"), base / "__init__.py"]
            else:
                candidates = [base.with_name(base.name + suffix) for suffix in _TS_SUFFIXES]
                candidates += [base / f"index{suffix}" for suffix in _TS_SUFFIXES]
            found = next((candidate for candidate in candidates if candidate.is_file()), None)
            if found is not None:
                return found
        return None

    def _package_roots(self, package: str) -> list[Path]:
        """Where a top-level package lives below the scan root: `src/` layouts and monorepos put
        `from app.services import x` at `src/app/` or `backend/src/app/`; the shallowest comes first."""
        if self.holding is None:
            self.holding = _folders_holding(self.root, _PACKAGE_DEPTH)
        return [folder for folder in self.holding.get(package, ()) if (folder / package / "__init__.py").exists()]

    def _read(self, path: Path, language: str) -> Exports | None:
        relative = path.relative_to(self.root).as_posix()
        try:
            stat = stat_key(path.stat())
            cached = self.cache.exports(relative, stat) if self.cache is not None else None
            if cached is not None:
                return cached
            read_at = time.time_ns()
            data = path.read_bytes()
            if language == "python":
                from polldetox.scan import python

                text = data.decode(python_encoding(data))
                (constants, reads), reexports = python.module_exports(text, relative), {}
            else:
                from polldetox.scan import typescript

                # the real suffix decides the grammar: a .ts file may hold `<T>x` casts that TSX rejects
                text = data.decode("utf-8")
                constants = typescript.exported_constants(text, relative)
                reexports = typescript.reexported_names(text, relative)
                reads = typescript.function_reads(text, relative)
        except (OSError, UnicodeDecodeError, ParseFailure, RecursionError):
            return None
        exports = Exports.of(stat, read_at, constants, reexports, reads)
        if self.cache is not None:
            self.cache.put_exports(relative, exports)
        return exports


def _folders_holding(root: Path, depth: int) -> dict[str, list[Path]]:
    """For each folder name, the folders 1 to `depth` levels below `root` that hold a folder of that
    name: shallowest first, in path order within a level. The shallow folders are listed once per
    scan, not once per imported package."""
    holding: dict[str, list[Path]] = defaultdict(list)
    names = {root: _subfolder_names(root)}
    level = [root]
    for _ in range(depth):
        level = sorted(folder / name for folder in level for name in names[folder])
        for folder in level:
            names[folder] = _subfolder_names(folder)
            for name in names[folder]:
                holding[name].append(folder)
    return holding


def _subfolder_names(folder: Path) -> list[str]:
    """The names of a folder's sub-folders, symbolic links to folders included."""
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries if entry.is_dir()]
    except OSError:
        return []


def _resolve_intervals(file_facts: FileFacts, modules: _Modules) -> FileFacts:
    if not any(site.interval_ref and site.interval_seconds is None for site in file_facts.sites):
        return file_facts
    sites = []
    for site in file_facts.sites:
        if site.interval_ref and site.interval_seconds is None:
            module, name = site.interval_ref
            language = "python" if site.language == "python" else "typescript"
            value = modules.constants(language, module).get(name)
            if value is not None:
                # Python intervals are written in seconds, JavaScript timers count milliseconds.
                site = replace(site, interval_seconds=value if language == "python" else value / 1000)
        sites.append(site)
    return replace(file_facts, sites=tuple(sites))


def _resolve_reads(file_facts: FileFacts, modules: _Modules) -> FileFacts:
    if not any(site.reads_through or site.models for site in file_facts.sites):
        return file_facts
    sites = []
    for site in file_facts.sites:
        if site.reads_through or site.models:
            tables, kinds = _reads_of(site, modules)
            polls = site.polls
            if polls not in _POLLS_ORDER[:1]:
                polls = next((kind for kind in _POLLS_ORDER if kind in kinds or kind == polls), polls)
            own = set(site.tables) - {guess for _, _, guess in site.models}
            site = replace(site, tables=tuple(sorted(own | tables)), polls=polls)
        sites.append(site)
    return replace(file_facts, sites=tuple(sites))


def _reads_of(site: PollingSite, modules: _Modules) -> tuple[set[str], set[Polls]]:
    """Tables and kinds of data read through calls and models, following calls a few hops deep.
    A model's guessed table gives way to the one its module declares."""

    def model_tables(models: tuple[tuple[str, str, str], ...]) -> set[str]:
        found = set()
        for module, name, guess in models:
            declared = modules.reads(module, name)
            found.update(declared.tables if declared is not None and declared.tables else (guess,))
        return found

    language = "python" if site.language == "python" else "typescript"
    return _follow_calls(site.reads_through, modules, language, model_tables(site.models), model_tables)


def _follow_calls(
    calls: tuple[tuple[str, str], ...],
    modules: _Modules,
    language: str,
    tables: set[str],
    model_tables: Callable[[tuple[tuple[str, str, str], ...]], set[str]],
) -> tuple[set[str], set[Polls]]:
    kinds: set[Polls] = set()
    seen: set[tuple[str, str]] = set()
    frontier = list(calls)
    for _ in range(_READS_DEPTH):
        following: list[tuple[str, str]] = []
        for module, name in frontier:
            if (module, name) in seen:
                continue
            seen.add((module, name))
            summary = modules.reads(module, name, language)
            if summary is not None:
                guesses = {guess for _, _, guess in summary.models}
                tables.update(set(summary.tables) - guesses)
                tables.update(model_tables(summary.models))
                kinds.add(summary.polls)
                following.extend(summary.calls)
        frontier = following
    return tables, kinds


def _resolve_imported_reads(file_facts: FileFacts, modules: _Modules) -> FileFacts:
    """Scheduled jobs that call project functions of other modules: polling when one of those reads."""
    if not any(pending.imports for pending in file_facts.pending_sites):
        return file_facts
    promoted = []
    for pending in file_facts.pending_sites:
        if not pending.imports:
            continue
        tables, kinds = _follow_calls(pending.imports, modules, "typescript", set(), lambda _: set())
        polls = next((kind for kind in _POLLS_ORDER if kind in kinds), None)
        if polls is None:
            continue
        module, name = pending.imports[0]
        calls = f"calls {name}() from {module}"
        detail = f"{pending.site.detail}; {calls}" if pending.site.detail else calls
        promoted.append(replace(pending.site, polls=polls, tables=tuple(sorted(tables)), detail=detail))
    if not promoted:
        return file_facts
    sites = sorted((*file_facts.sites, *promoted), key=lambda s: (s.location.line, s.location.column, s.kind))
    return replace(file_facts, sites=tuple(sites))


def _resolve_script_globals(facts: list[FileFacts]) -> list[FileFacts]:
    """Timers in classic browser scripts that call a global helper another script defines and that
    helper fetches: the page's scripts share one global scope, so the timer polls."""
    defined_in: dict[str, str] = {}
    for file_facts in facts:
        for name in file_facts.fetching_globals:
            defined_in.setdefault(name, file_facts.path)
    resolved: list[FileFacts] = []
    for file_facts in facts:
        promoted = []
        for pending in file_facts.pending_sites:
            name = next((n for n in pending.globals if defined_in.get(n, file_facts.path) != file_facts.path), None)
            if name is not None:
                calls = f"calls {name}() from {defined_in[name]}"
                detail = f"{pending.site.detail}; {calls}" if pending.site.detail else calls
                promoted.append(replace(pending.site, polls=Polls.HTTP, detail=detail))
        if promoted:
            sites = sorted((*file_facts.sites, *promoted), key=lambda s: (s.location.line, s.location.column, s.kind))
            file_facts = replace(file_facts, sites=tuple(sites))
        resolved.append(file_facts)
    return resolved
