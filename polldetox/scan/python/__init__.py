"""The Python detector: source -> FileFacts (polling sites, routes, suppressions). Facts only.

CPython's `ast` parses the file; one pass (`index`) records imports, constants, classes,
functions, loops and the calls that can start a site; then each candidate loop (`loops`) or
scheduler (`schedulers`) is examined, and what it reads each tick (`reads`) is looked up in its
body and in the same-file functions it calls. Its surroundings (`context`) decide the standard's
exceptions; `routes` lists the endpoints frontends poll.
"""

from __future__ import annotations

import ast
import re

from polldetox.findings import FileFacts, Polls, ReadSummary
from polldetox.scan.python.context import documents_dev_tool, documents_webhook_reason
from polldetox.scan.python.index import Index
from polldetox.scan.python.loops import loop_site
from polldetox.scan.python.parse import comments, parse, suppressions
from polldetox.scan.python.routes import routes
from polldetox.scan.python.schedulers import Schedulers
from polldetox.scan.python.sites import LANGUAGE, Analysis
from polldetox.scan.python.values import UNKNOWN, Values

__all__ = ["LANGUAGE", "TRIGGER_TOKENS", "detect", "exported_constants", "module_exports"]

# A file containing none of these cannot hold a site or a route, and is never parsed.
TRIGGER_TOKENS: tuple[bytes, ...] = (
    b"sleep",  # time/asyncio/trio/anyio/gevent.sleep, also under any alias (`from time import sleep as x`)
    b"wait(",  # event.wait(timeout), asyncio.wait_for(event.wait(), n)
    b"wait_for(",  # asyncio.wait_for(stop_future, n)
    b"Timer",
    b"monotonic(",  # `if monotonic() - last_rescan >= n:` gating a re-read inside an event loop
    b"perf_counter(",
    b"call_later",
    b"add_job",
    b"scheduled_job",
    b"every(",
    b"repeat_every",
    b"beat_schedule",
    b"BEAT_SCHEDULE",
    b"add_periodic_task",
    b"PeriodicTask",  # django-celery-beat: PeriodicTask.objects.create(interval=..., task=...)
    b"crontab",
    b"minutely",  # registry.register_minutely(job), registry.add_hourly(job)
    b"hourly",  # beat entries built by a helper whose result another module names
    b".cron(",  # rq-scheduler
    b".schedule(",  # rq-scheduler: scheduler.schedule(..., interval=60)
    b"@app.",
    b"router.",  # @router.get, @api_router.post
    b"route(",
    b"FastAPI",
    b"APIRouter",
    b"Flask(",
    b"Blueprint",
    # Django's path() / re_path() / url() come from these modules; the bare word `path(` is in
    # every file that calls `file_path(...)`.
    b"django.urls",
    b"django.conf.urls",
    b"polldetox",
)
_COMMENT_WORDS = re.compile(r"polldetox|webhook", re.IGNORECASE)


def detect(source: str, path: str) -> FileFacts:
    """Polling sites, routes, suppressions and documentation facts of one Python file."""
    module = parse(source)
    analysis = Analysis.of(module, source, path)
    schedulers = Schedulers(analysis)
    index = analysis.index
    sites = [loop_site(analysis, loop, where) for loop, where in index.loops]
    sites += [schedulers.call_site(call, where) for call, where in index.calls]
    sites += [schedulers.decorator_site(decorator, function) for decorator, function in index.decorated]
    sites += schedulers.job_definition_sites()
    for schedule, where, owner in index.beat_schedules:
        sites.extend(schedulers.beat_sites(schedule, where, owner))
    found = sorted((site for site in sites if site is not None), key=lambda s: (s.location.line, s.location.column))
    # Comments matter only as suppressions or webhook reasons; without either word, tokenizing is waste.
    notes = comments(source) if _COMMENT_WORDS.search(source) else []
    docstring = ast.get_docstring(module) or ""
    return FileFacts(
        path=path,
        language=LANGUAGE,
        sites=tuple(found),
        routes=tuple(routes(analysis)),
        suppressions=tuple(suppressions(notes)),
        documents_dev_tool=documents_dev_tool(docstring, analysis.source),
        documents_webhook_reason=documents_webhook_reason(docstring, notes),
    )


def exported_constants(source: str, path: str) -> dict[str, float]:
    """Module-level numeric constants, in seconds as written: what `interval_ref` points at."""
    index = Index()
    index.walk(parse(source))
    return _constants(index, path)


def module_exports(source: str, path: str) -> tuple[dict[str, float], dict[str, ReadSummary]]:
    """What a module offers the files that import it, from one parse: its numeric constants
    (`exported_constants`) and what each function and method reads ("get_history",
    "HistoryRepository.list"), also under the module-level instances of its classes
    (`history_service = HistoryService()`)."""
    analysis = Analysis.of(parse(source), source, path)
    return _constants(analysis.index, path), _function_reads(analysis)


def _constants(index: Index, path: str) -> dict[str, float]:
    values = Values(index, path)
    constants: dict[str, float] = {}
    for name, bindings in index.constants.items():
        number = values.number(bindings[0], None) if len(bindings) == 1 else UNKNOWN
        if number.value is not None:
            constants[name] = number.value
    return constants


def _function_reads(analysis: Analysis) -> dict[str, ReadSummary]:
    summaries: dict[str, ReadSummary] = {}
    for key, function in analysis.index.functions.items():
        if key != function.qualname:
            continue  # the plain name of a method or nested function: the qualified one is enough
        facts = analysis.reads.facts(function.node, function)
        summary = ReadSummary(tuple(sorted(facts.tables)), facts.polls, tuple(facts.project_calls), tuple(facts.models))
        summaries[key] = summary
    for name, klass in analysis.index.classes.items():
        if klass.table:  # a model declaring its table: what reading it from another module reads
            summaries.setdefault(name, ReadSummary((klass.table,), Polls.DATABASE))
    for name, bindings in analysis.index.constants.items():
        made = bindings[0] if len(bindings) == 1 else None
        if isinstance(made, ast.Call) and isinstance(made.func, ast.Name) and made.func.id in analysis.index.classes:
            prefix = made.func.id + "."
            for key, summary in list(summaries.items()):
                if key.startswith(prefix):
                    summaries[name + "." + key.removeprefix(prefix)] = summary
    return summaries
