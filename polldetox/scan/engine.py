"""Orchestration of a scan: discovery, cache, parallel read and parse, cross-file facts, policy.

An unchanged file is served from the cache by its metadata, unread. The others are read, and
parsed only when they hold a token some polling needs (most files of a real tree hold none), in
a process pool when there are enough of them to pay for it: reading and parsing both run there.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from polldetox.config import Config
from polldetox.findings import FileFacts, ScanError, ScanResult
from polldetox.scan import ParseFailure, crossfile, policy
from polldetox.scan.cache import Entry, FactsCache, content_digest
from polldetox.scan.encoding import python_encoding
from polldetox.scan.files import Discovery, StatKey, discover, selection, stat_key
from polldetox.scan.tokens import token_search

# Below this much source to read, starting worker processes costs more than it saves.
_POOL_THRESHOLD_BYTES = 256 * 1024

ProgressCallback = Callable[[int, int], None]  # (files done, files to parse)


@dataclass(frozen=True, slots=True)
class _Job:
    """A file to read, and to parse if it holds a trigger token. Reading and parsing happen in the
    same process, once: the scanning process keeps no file's text, and with a pool the whole tree
    is read in parallel."""

    relative: str
    language: str
    filename: str
    stat: StatKey
    cached_digest: str | None  # the content the cache has facts for: a file only touched is not parsed


class _Examined(NamedTuple):
    """What reading one file found; `outcome` is a ScanError when it could not even be read."""

    read_at: int
    lines: int
    digest: str | None  # None: no trigger token, never parsed
    outcome: FileFacts | ScanError | None  # None: nothing parsed (no trigger token, or the cached content)


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
    reading, jobs = _changed(discovery, cache)
    parsed: list[FileFacts] = []
    for job, examined in zip(jobs, _examine_all(jobs, config.jobs, progress), strict=True):
        outcome = examined.outcome
        if examined.digest is None and isinstance(outcome, ScanError):  # could not be read
            reading.errors.append(outcome)
            continue
        if outcome is None and examined.digest is not None and cache is not None:  # only touched
            cached = cache.same_content(job.relative, examined.digest)
            outcome = cached[1] if cached is not None else None
        entry = Entry.of(job.stat, examined.read_at, examined.digest, examined.lines, outcome)
        if cache is not None:
            cache.put(job.relative, entry)
        if examined.outcome is None:  # nothing parsed now: counted as the cache would count it
            _take(reading, entry.lines, outcome)
            continue
        reading.candidates += 1
        reading.lines += examined.lines
        if isinstance(outcome, ScanError):
            reading.errors.append(outcome)
        else:
            parsed.append(outcome)
    facts = crossfile.resolve(reading.facts + parsed, config.root, cache)
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
    candidates: int = 0  # files that passed the prefilter
    lines: int = 0


def _changed(discovery: Discovery, cache: FactsCache | None) -> tuple[_Reading, list[_Job]]:
    """Serve every file whose metadata proves it unchanged from the cache; the others are to be read."""
    reading = _Reading(facts=[], errors=list(discovery.errors))
    jobs: list[_Job] = []
    for source in discovery.files:
        try:
            stat = stat_key(os.stat(source.filename))
        except OSError as error:
            reading.errors.append(ScanError(path=source.relative, message=f"cannot read: {error.strerror or error}"))
            continue
        known = cache.unchanged(source.relative, stat) if cache is not None else None
        if known is not None:
            _take(reading, *known)
            continue
        cached_digest = cache.digest(source.relative) if cache is not None else None
        jobs.append(_Job(source.relative, source.language, source.filename, stat, cached_digest))
    return reading, jobs


def _take(reading: _Reading, lines: int, outcome: FileFacts | ScanError | None) -> None:
    reading.lines += lines
    if outcome is None:
        return
    reading.candidates += 1
    if isinstance(outcome, ScanError):
        reading.errors.append(outcome)
    else:
        reading.facts.append(outcome)


@functools.cache
def _trigger_search(language: str) -> Callable[[bytes], object | None]:
    # Imported on first need: a warm scan of an unchanged tree never loads a parser.
    return token_search(_detector(language).TRIGGER_TOKENS)


def _decode(data: bytes, job: _Job) -> str | ScanError:
    try:
        return data.decode(python_encoding(data) if job.language == "python" else "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return ScanError(path=job.relative, message=f"not valid UTF-8 (byte {error.start})", line=line)


def _examine(job: _Job) -> _Examined:
    """Read one file; parse it when it holds a trigger token and is not the content the cache knows."""
    read_at = time.time_ns()
    try:
        data = Path(job.filename).read_bytes()
    except OSError as error:
        return _Examined(
            read_at, 0, None, ScanError(path=job.relative, message=f"cannot read: {error.strerror or error}")
        )
    lines = data.count(b"\n")
    if _trigger_search(job.language)(data) is None:
        return _Examined(read_at, lines, None, None)
    digest = content_digest(data)
    if digest == job.cached_digest:
        return _Examined(read_at, lines, digest, None)
    return _Examined(read_at, lines, digest, _parse_text(job, data))


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


def _examine_all(jobs: list[_Job], workers: int | None, progress: ProgressCallback | None) -> list[_Examined]:
    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    size = sum(job.stat[0] for job in jobs)
    results: list[_Examined] = []
    if workers == 1 or total < 2 or size < _POOL_THRESHOLD_BYTES:
        for done, job in enumerate(jobs, 1):
            results.append(_examine(job))
            if progress:
                progress(done, total)
        return results
    # Only a scan with enough to read pays for importing the process pool.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the already-imported parsers with the workers; elsewhere fall back to spawn.
    method = "fork" if sys.platform == "linux" else "spawn"
    chunk = max(1, min(64, total // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        for done, outcome in enumerate(pool.map(_examine, jobs, chunksize=chunk), 1):
            results.append(outcome)
            if progress:
                progress(done, total)
    return results
