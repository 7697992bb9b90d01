"""Orchestration of a scan: discovery, byte prefilter, cache, parallel parse, cross-file facts, policy.

Most files of a real tree contain none of the tokens any polling needs, so they are read and
dropped without parsing. Files that remain are parsed in a process pool when there is enough
of them to pay for it; an unchanged file is served from the cache by its metadata, unread.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from polldetox.config import Config
from polldetox.findings import FileFacts, ScanError, ScanResult
from polldetox.scan import ParseFailure, crossfile, policy
from polldetox.scan.cache import Entry, FactsCache, content_digest
from polldetox.scan.encoding import python_encoding
from polldetox.scan.files import Discovery, SourceFile, StatKey, discover, selection, stat_key

# Below this much source, starting worker processes costs more than it saves.
_POOL_THRESHOLD_BYTES = 256 * 1024

ProgressCallback = Callable[[int, int], None]  # (files done, files to parse)


@dataclass(frozen=True, slots=True)
class _Job:
    """A file to parse. The parser reads it again: the scanning process keeps no file's text, so neither
    its memory nor that of the parser processes forked from it holds the whole tree's source at once."""

    relative: str
    language: str
    filename: str
    size: int


def scan(paths: Sequence[Path], config: Config, progress: ProgressCallback | None = None) -> ScanResult:
    """Scan files and folders and judge every polling site found. Never raises for a bad file."""
    started = time.perf_counter()
    cache = FactsCache.load(config.root) if config.cache else None
    discovery = _discover(paths, config, cache)
    with _rare_collections():
        reading, facts = _facts(discovery, config, cache, progress)
    errors = reading.errors
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
    """Every file's facts, unjudged: for commands that act on the sites themselves."""
    cache = FactsCache.load(config.root) if config.cache else None
    with _rare_collections():
        _, facts = _facts(_discover(paths, config, cache), config, cache, None)
    return facts


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Parsers make millions of short-lived objects and almost no cycles; refcounting frees them.
    The collector's default pace (a pass per 700 allocations) spent a tenth of a cold scan walking
    live syntax trees. A pass per 200,000 (mypy's setting, for the same reason) finds the same garbage."""
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _discover(paths: Sequence[Path], config: Config, cache: FactsCache | None) -> Discovery:
    return discover(paths, config, cache.folder_listings(selection(config)) if cache is not None else None)


def _facts(
    discovery: Discovery, config: Config, cache: FactsCache | None, progress: ProgressCallback | None
) -> tuple[_Reading, list[FileFacts]]:
    """Read, parse (or take from the cache) and resolve across files; parse errors join reading.errors."""
    reading = _read_all(discovery, cache)
    facts = reading.facts
    outcomes = _parse_all([job for job, _ in reading.jobs], config.jobs, progress)
    for (job, pending), (outcome, digest) in zip(reading.jobs, outcomes, strict=True):
        if cache is not None:  # the digest of what was parsed, should the file have changed since it was read
            cache.put(job.relative, Entry.of(pending.stat, pending.read_at, digest, pending.lines, outcome))
        if isinstance(outcome, ScanError):
            reading.errors.append(outcome)
        else:
            facts.append(outcome)
    facts = crossfile.resolve(facts, config.root, cache)
    if cache is not None:
        cache.save()
    return reading, facts


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
    jobs: list[tuple[_Job, _Pending]]  # files still to parse
    candidates: int = 0  # files that passed the prefilter
    lines: int = 0


@dataclass(frozen=True, slots=True)
class _Pending:
    """What the cache needs to remember of a file once it is parsed."""

    stat: StatKey
    read_at: int
    lines: int


def _read_all(discovery: Discovery, cache: FactsCache | None) -> _Reading:
    """Read every changed file once: drop those without trigger tokens, serve cached ones, queue the rest."""
    reading = _Reading(facts=[], errors=list(discovery.errors), jobs=[])
    for source in discovery.files:
        try:
            stat = stat_key(os.stat(source.filename))
        except OSError as error:
            reading.errors.append(ScanError(path=source.relative, message=f"cannot read: {error.strerror or error}"))
            continue
        entry = cache.unchanged(source.relative, stat) if cache is not None else None
        if entry is None:
            _read_one(source, stat, cache, reading)
        else:
            _take(reading, entry)
    return reading


def _read_one(source: SourceFile, stat: StatKey, cache: FactsCache | None, reading: _Reading) -> None:
    read_at = time.time_ns()
    try:
        data = source.path.read_bytes()
    except OSError as error:
        reading.errors.append(ScanError(path=source.relative, message=f"cannot read: {error.strerror or error}"))
        return
    lines = data.count(b"\n")
    if not any(token in data for token in _trigger_tokens(source.language)):
        entry = Entry.of(stat, read_at, None, lines, None)
    else:
        digest = content_digest(data)
        cached = cache.same_content(source.relative, digest) if cache is not None else None
        if cached is None:
            reading.candidates += 1
            reading.lines += lines
            job = _Job(source.relative, source.language, source.filename, len(data))
            reading.jobs.append((job, _Pending(stat, read_at, lines)))
            return
        else:
            entry = Entry.of(stat, read_at, digest, lines, cached.outcome)
    if cache is not None:
        cache.put(source.relative, entry)
    _take(reading, entry)


def _take(reading: _Reading, entry: Entry) -> None:
    reading.lines += entry.lines
    if entry.outcome is None:
        return
    reading.candidates += 1
    if isinstance(entry.outcome, ScanError):
        reading.errors.append(entry.outcome)
    else:
        reading.facts.append(entry.outcome)


def _trigger_tokens(language: str) -> tuple[bytes, ...]:
    # Imported on first need: a warm scan of an unchanged tree never loads a parser.
    return _detector(language).TRIGGER_TOKENS


def _decode(data: bytes, job: _Job) -> str | ScanError:
    try:
        return data.decode(python_encoding(data) if job.language == "python" else "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return ScanError(path=job.relative, message=f"not valid UTF-8 (byte {error.start})", line=line)


def _parse_one(job: _Job) -> tuple[FileFacts | ScanError, str | None]:
    """The file's facts, or why it has none, and the digest of the content they come from."""
    try:
        data = Path(job.filename).read_bytes()
    except OSError as error:
        return ScanError(path=job.relative, message=f"cannot read: {error.strerror or error}"), None
    return _parse_text(job, data), content_digest(data)


def _parse_text(job: _Job, data: bytes) -> FileFacts | ScanError:
    text = _decode(data, job)
    if isinstance(text, ScanError):
        return text
    # Python trigger tokens are common words: the compiler rules out most files before `ast` runs.
    # Imported here, as the detectors are: a scan that parses nothing does not load it.
    from polldetox.scan.python_gate import may_hold_sites

    if job.language == "python" and not may_hold_sites(text, job.relative):
        return FileFacts(path=job.relative, language=job.language)
    try:
        return _detector(job.language).detect(text, job.relative)
    except ParseFailure as failure:
        return ScanError(path=job.relative, message=f"cannot parse: {failure.message}", line=failure.line or 1)
    except RecursionError:
        return ScanError(path=job.relative, message="cannot parse: nesting too deep", line=1)


Parsed = tuple[FileFacts | ScanError, str | None]  # the outcome, the digest of the content parsed


def _parse_all(jobs: list[_Job], workers: int | None, progress: ProgressCallback | None) -> list[Parsed]:
    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    size = sum(job.size for job in jobs)
    results: list[Parsed] = []
    if workers == 1 or total < 2 or size < _POOL_THRESHOLD_BYTES:
        for done, job in enumerate(jobs, 1):
            results.append(_parse_one(job))
            if progress:
                progress(done, total)
        return results
    # Only a scan with enough to parse pays for importing the process pool.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the already-imported parsers with the workers; elsewhere fall back to spawn.
    method = "fork" if sys.platform == "linux" else "spawn"
    chunk = max(1, min(32, total // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        for done, outcome in enumerate(pool.map(_parse_one, jobs, chunksize=chunk), 1):
            results.append(outcome)
            if progress:
                progress(done, total)
    return results
