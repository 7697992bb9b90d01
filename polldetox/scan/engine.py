"""Orchestration of a scan: discovery, byte prefilter, cache, parallel parse, cross-file facts, policy.

Most files of a real tree contain none of the tokens any polling needs, so they are read and
dropped without parsing. Files that remain are parsed in a process pool when there is enough
of them to pay for it; an unchanged file is served from the cache by content hash.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from polldetox import __version__
from polldetox.config import Config
from polldetox.findings import FileFacts, ScanError, ScanResult
from polldetox.scan import ParseFailure, policy
from polldetox.scan.files import Discovery, SourceFile, discover
from polldetox.scan.python_gate import may_hold_sites

# Below this much source, starting worker processes costs more than it saves.
_POOL_THRESHOLD_BYTES = 256 * 1024
_TS_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")

ProgressCallback = Callable[[int, int], None]  # (files done, files to parse)


@dataclass(frozen=True, slots=True)
class _Job:
    relative: str
    language: str
    text: str


def scan(paths: Sequence[Path], config: Config, progress: ProgressCallback | None = None) -> ScanResult:
    """Scan files and folders and judge every polling site found. Never raises for a bad file."""
    started = time.perf_counter()
    discovery = discover(paths, config)
    cache = _FactsCache.load(config.root) if config.cache else None
    reading = _read_all(discovery, cache)
    facts, errors, jobs = reading.facts, reading.errors, reading.jobs
    parsed = _parse_all(jobs, config.jobs, progress)
    for relative, outcome, digest in parsed:
        if cache is not None:
            cache.put(relative, digest, outcome)
        if isinstance(outcome, ScanError):
            errors.append(outcome)
        else:
            facts.append(outcome)
    if cache is not None:
        cache.save()
    facts = _resolve_imported_intervals(facts, config.root)
    judgement = policy.judge(facts, config)
    return ScanResult(
        findings=judgement.findings,
        errors=tuple(sorted(errors, key=lambda error: (error.path, error.line or 0))),
        suppressed=judgement.suppressed,
        files_scanned=len(discovery.files),
        files_parsed=reading.candidates,
        lines_scanned=reading.lines,
        elapsed_seconds=time.perf_counter() - started,
    )


def read_facts(paths: Sequence[Path], config: Config) -> list[FileFacts]:
    """Every file's facts, unjudged and uncached: for commands that act on the sites themselves."""
    reading = _read_all(discover(paths, config), None)
    parsed = _parse_all(reading.jobs, config.jobs, None)
    facts = reading.facts + [outcome for _, outcome, _ in parsed if not isinstance(outcome, ScanError)]
    return _resolve_imported_intervals(facts, config.root)


def _detector(language: str):
    if language == "python":
        from polldetox.scan import python

        return python
    from polldetox.scan import typescript

    return typescript


@dataclass(slots=True)
class _Reading:
    facts: list[FileFacts]
    errors: list[ScanError]
    jobs: list[tuple[_Job, str]]  # files still to parse, with their content digest
    candidates: int = 0  # files that passed the prefilter
    lines: int = 0


def _read_all(discovery: Discovery, cache: _FactsCache | None) -> _Reading:
    """Read every file once: drop those without trigger tokens, serve cached ones, queue the rest."""
    reading = _Reading(facts=[], errors=list(discovery.errors), jobs=[])
    facts, errors, jobs = reading.facts, reading.errors, reading.jobs
    tokens = {language: _detector(language).TRIGGER_TOKENS for language in {f.language for f in discovery.files}}
    for source in discovery.files:
        try:
            data = source.path.read_bytes()
        except OSError as error:
            errors.append(ScanError(path=source.relative, message=f"cannot read: {error.strerror or error}"))
            continue
        reading.lines += data.count(b"\n")
        if not any(token in data for token in tokens[source.language]):
            continue
        reading.candidates += 1
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        cached = cache.get(source.relative, digest) if cache is not None else None
        if cached is not None:
            (errors if isinstance(cached, ScanError) else facts).append(cached)  # type: ignore[arg-type]
            continue
        text = _decode(data, source)
        if isinstance(text, ScanError):
            errors.append(text)
            continue
        jobs.append((_Job(source.relative, source.language, text), digest))
    return reading


def _decode(data: bytes, source: SourceFile) -> str | ScanError:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return ScanError(path=source.relative, message=f"not valid UTF-8 (byte {error.start})", line=line)


def _parse_one(job: _Job) -> FileFacts | ScanError:
    # Python trigger tokens are common words: the compiler rules out most files before libcst runs.
    if job.language == "python" and not may_hold_sites(job.text, job.relative):
        return FileFacts(path=job.relative, language=job.language)
    try:
        return _detector(job.language).detect(job.text, job.relative)
    except ParseFailure as failure:
        return ScanError(path=job.relative, message=f"cannot parse: {failure.message}", line=failure.line or 1)
    except RecursionError:
        return ScanError(path=job.relative, message="cannot parse: nesting too deep", line=1)


def _parse_all(
    jobs: list[tuple[_Job, str]], workers: int | None, progress: ProgressCallback | None
) -> list[tuple[str, FileFacts | ScanError, str]]:
    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    size = sum(len(job.text) for job, _ in jobs)
    results: list[tuple[str, FileFacts | ScanError, str]] = []
    if workers == 1 or total < 2 or size < _POOL_THRESHOLD_BYTES:
        for done, (job, digest) in enumerate(jobs, 1):
            results.append((job.relative, _parse_one(job), digest))
            if progress:
                progress(done, total)
        return results
    # fork shares the already-imported parsers with the workers; elsewhere fall back to spawn.
    method = "fork" if sys.platform == "linux" else "spawn"
    chunk = max(1, min(32, total // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        outcomes = pool.map(_parse_one, [job for job, _ in jobs], chunksize=chunk)
        for done, ((job, digest), outcome) in enumerate(zip(jobs, outcomes, strict=True), 1):
            results.append((job.relative, outcome, digest))
            if progress:
                progress(done, total)
    return results


def _resolve_imported_intervals(facts: list[FileFacts], root: Path) -> list[FileFacts]:
    """Fill in intervals a file imports from another module of the project."""
    constants: dict[tuple[str, str], dict[str, float]] = {}
    resolved: list[FileFacts] = []
    for file_facts in facts:
        if not any(site.interval_ref and site.interval_seconds is None for site in file_facts.sites):
            resolved.append(file_facts)
            continue
        sites = []
        for site in file_facts.sites:
            if site.interval_ref and site.interval_seconds is None:
                module, name = site.interval_ref
                key = ("python" if site.language == "python" else "typescript", module)
                if key not in constants:
                    constants[key] = _module_constants(root, *key)
                value = constants[key].get(name)
                if value is not None:
                    # Python intervals are written in seconds, JavaScript timers count milliseconds.
                    site = replace(site, interval_seconds=value if key[0] == "python" else value / 1000)
            sites.append(site)
        resolved.append(replace(file_facts, sites=tuple(sites)))
    return resolved


def _module_constants(root: Path, language: str, module: str, depth: int = 0) -> dict[str, float]:
    base = root / module
    if language == "python":
        candidates = [base.with_name(base.name + ".py"), base / "__init__.py"]
    else:
        candidates = [base.with_name(base.name + suffix) for suffix in _TS_SUFFIXES]
        candidates += [base / f"index{suffix}" for suffix in _TS_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            try:
                # the real suffix decides the grammar: a .ts file may hold `<T>x` casts that TSX rejects
                text = candidate.read_text(encoding="utf-8")
                relative = candidate.relative_to(root).as_posix()
                constants = _detector(language).exported_constants(text, relative)
                if language == "typescript" and depth < 3:  # `export { X } from './x'`, a few hops at most
                    for name, (source, original) in _detector(language).reexported_names(text, relative).items():
                        value = _module_constants(root, language, source, depth + 1).get(original)
                        if value is not None:
                            constants.setdefault(name, value)
                return constants
            except (OSError, UnicodeDecodeError, ParseFailure):
                return {}
    return {}


class _FactsCache:
    """Facts of parsed files by content hash, kept outside the project tree.

    It lives in the user's cache folder (POLLDETOX_CACHE_DIR or XDG_CACHE_HOME), never in the
    repository, so a checked-out tree can never plant a pickle for the scanner to load.
    """

    def __init__(self, path: Path, entries: dict[str, tuple[str, FileFacts | ScanError]]) -> None:
        self.path = path
        self.previous = entries
        self.current: dict[str, tuple[str, FileFacts | ScanError]] = {}

    @classmethod
    def load(cls, root: Path) -> _FactsCache:
        base = Path(
            os.environ.get("POLLDETOX_CACHE_DIR")
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "polldetox"
        )
        project = hashlib.blake2b(str(root).encode(), digest_size=8).hexdigest()
        path = base / project / f"facts-{_code_fingerprint()}.pickle"
        try:
            with path.open("rb") as handle:
                entries = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, relative: str, digest: str) -> FileFacts | ScanError | None:
        entry = self.previous.get(relative)
        if entry is None or entry[0] != digest:
            return None
        self.current[relative] = entry
        return entry[1]

    def put(self, relative: str, digest: str, outcome: FileFacts | ScanError) -> None:
        self.current[relative] = (digest, outcome)

    def save(self) -> None:
        if self.current == self.previous:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, delete=False) as handle:
                pickle.dump(self.current, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.path)
        except OSError:
            pass  # a read-only home must not fail the scan; the next run just parses again


def _code_fingerprint() -> str:
    """Changes whenever the detectors or the facts they produce change, so stale facts are never used."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    package = Path(__file__).resolve().parent.parent
    for module in sorted([*package.glob("scan/*.py"), package / "findings.py", package / "suppressions.py"]):
        digest.update(module.read_bytes())
    return digest.hexdigest()
