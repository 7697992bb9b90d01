"""Work re-run on an interval without a loop of its own: self-re-arming timers, APScheduler jobs,
`schedule.every(...)`, `@repeat_every`, Celery `add_periodic_task` and beat schedules.

A cron schedule whose time fields are all fixed runs at a time of day: that is not polling.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from polldetox.findings import PollingSite, SiteKind
from polldetox.scan import cron
from polldetox.scan.python import waits
from polldetox.scan.python.index import CADENCE_REGISTRATION, DJANGO_PATHS, FunctionInfo, Where
from polldetox.scan.python.sites import Analysis
from polldetox.scan.python.syntax import collect, dotted, final_name, keyword, positional, text_of
from polldetox.scan.python.values import Number

_SCHEDULE_UNITS = {
    "second": 1,
    "seconds": 1,
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
    "week": 604800,
    "weeks": 604800,
}
_PERIOD_UNITS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
# Cron fields that repeat within a day, finest first; a schedule whose fields are all fixed runs at a time of day.
_CRON_FIELDS = (("second", 1), ("minute", 60), ("hour", 3600))
# Upkeep of stored data rather than a refresh of what users see.
_HOUSEKEEPING = re.compile(
    r"clean|vacuum|purge|expir|prune|delete|rotate|archive|backup|digest|compact|garbage|trash|empty|remove|aggregat|reset"
    r"|housekeep|version_check|check_for_update|check-for-update",
    re.IGNORECASE,
)
_PERIODIC_TASK_CALLS = frozenset({"PeriodicTask", "create", "get_or_create", "update_or_create"})
_CRON_FIELD = re.compile(r"^[\d*/,\-?]+$|^[a-z]{3}(-[a-z]{3})?$", re.IGNORECASE)  # "*/10", "0-5", "sun"
_CRON_STEP = re.compile(r"^\*(?:/(\d+))?$|^\d+-\d+/(\d+)$")  # "*", "*/5", "0-59/10"


class Schedulers:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.index = analysis.index
        self.values = analysis.values
        self.source = analysis.source
        # entries reached both from the schedule they join and by their shape are reported once
        self._entries_seen: set[int] = set()

    def call_site(self, call: ast.Call, where: Where) -> PollingSite | None:
        name = final_name(call.func)
        qualified = self.index.qualify(call.func) or ""
        if qualified in DJANGO_PATHS:
            return None
        if name in {"Timer", "call_later"}:
            return self._rescheduling_site(call, where, name)
        if name == "add_job":
            return self._apscheduler_site(call, where)
        if name == "do":
            return self._schedule_site(call, where)
        if name in {"schedule", "cron"}:
            return self._rq_scheduler_site(call, where, name)
        if name in _PERIODIC_TASK_CALLS and (
            name == "PeriodicTask" or (dotted(call.func) or "").endswith("PeriodicTask.objects." + name)
        ):
            return self._periodic_task_site(call, where)
        if CADENCE_REGISTRATION.match(name or ""):
            return self._cadence_registration_site(call, where, name or "")
        if name == "add_periodic_task":
            interval = self._beat_interval(positional(call, 0, "schedule"), where.function)
            if interval is None:
                return None
            signature = positional(call, 1, "sig")
            reference = signature.func if isinstance(signature, ast.Call) else signature
            job = self._job(reference, where)
            through = self._through(reference, "", where)
            return self._job_site(call, where, "Celery add_periodic_task", interval, job, through=through)
        return None

    def _cadence_registration_site(self, call: ast.Call, where: Where, name: str) -> PollingSite | None:
        """`SchedulerRegistry.register_minutely(post_webhooks)`: each callback runs at the named cadence;
        the registration is a site unless every callback is housekeeping."""
        cadence = cron.cadence_in(name) or ""
        callbacks = [arg for arg in call.args if not _HOUSEKEEPING.search(final_name(arg) or dotted(arg) or "")]
        if not callbacks:
            return None
        interval = Number(cron.CADENCES[cadence])
        mechanism = f"{name} {cron.REGISTRATION}"
        job, through = self._job(callbacks[0], where), self._through(callbacks[0], "", where)
        return self._job_site(call, where, mechanism, interval, job, through=through)

    def _periodic_task_site(self, call: ast.Call, where: Where) -> PollingSite | None:
        """django-celery-beat: a `PeriodicTask` row made in code, on an `IntervalSchedule` (every N periods).
        A crontab or one-off row runs at a time; a housekeeping task or version check is not polling."""
        schedule = keyword(call, "interval")
        if schedule is None:
            return None
        task = self.values.string(keyword(call, "task"), where.function) or ""
        title = self.values.string(keyword(call, "name"), where.function) or ""
        if _HOUSEKEEPING.search(task) or _HOUSEKEEPING.search(title):
            return None
        interval = self._interval_schedule(schedule, where.function)
        job = self.index.functions.get(task.rsplit(".", 1)[-1]) if task else None
        through = self._through(None, task, where)
        return self._job_site(call, where, "django-celery-beat PeriodicTask", interval, job, through=through)

    def _interval_schedule(self, schedule: ast.expr, function: FunctionInfo | None) -> Number:
        """`IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.SECONDS)`: seconds;
        unknown when the row comes from a form."""
        if isinstance(schedule, ast.Name):
            schedule = self.values.lookup(schedule.id, function)[0] or schedule
        if not isinstance(schedule, ast.Call):
            return Number()
        every = self.values.number(keyword(schedule, "every"), function)
        period = keyword(schedule, "period")
        unit = (final_name(period) or self.values.string(period, function) or "").lower() if period else ""
        if every.value is None or unit not in _PERIOD_UNITS:
            return Number(env_var=every.env_var)
        return Number(every.value * _PERIOD_UNITS[unit], every.env_var)

    def _rq_scheduler_site(self, call: ast.Call, where: Where, name: str) -> PollingSite | None:
        """rq-scheduler: `scheduler.schedule(scheduled_time=..., func=sync, interval=60, repeat=None)`,
        `scheduler.cron("*/5 * * * *", func=sync)`."""
        if name == "schedule":
            written = keyword(call, "interval")
            if written is None:
                return None  # runs once at `scheduled_time`
            interval = self.values.number(written, where.function)
            reference, mechanism = positional(call, 1, "func"), "rq-scheduler interval job"
        else:
            text = self.values.string(positional(call, 0, "cron_string"), where.function)
            fields = text.split() if text is not None else []
            if len(fields) < 5:
                return None
            cron_period = _period_of_fields(list(zip(fields[:2], (60, 3600), strict=True)))
            if cron_period is None:
                return None  # a time of day
            interval, reference, mechanism = cron_period, positional(call, 1, "func"), "rq-scheduler cron job"
        job = self._job(reference, where)
        task = final_name(reference) or ""
        if _HOUSEKEEPING.search(task):
            return None
        return self._job_site(call, where, mechanism, interval, job, through=self._through(reference, "", where))

    def job_definition_sites(self) -> Iterator[PollingSite]:
        """rq-scheduler job lists: `{"func": refresh_queries, "interval": timedelta(minutes=1)}`, the keyword
        arguments each handed to `scheduler.schedule(**job)`, wherever the list is built."""
        if not self.index.has_job_definition:
            return  # no dict in the module has both keys: no scope needs searching
        scopes: list[tuple[ast.AST, FunctionInfo | None]] = [(self.analysis.module, None)]
        scopes += [(function.node, function) for function in self.index.functions.values()]
        for scope, function in scopes:
            for found in collect(scope, ast.Dict):
                assert isinstance(found, ast.Dict)
                fields = {text: node for name, node in zip(found.keys, found.values, strict=True) if name is not None
                          and (text := text_of(name)) is not None}  # fmt: skip
                if "func" not in fields or "interval" not in fields or id(found) in self._entries_seen:
                    continue  # not a job definition, or one in a function indexed under two names
                self._entries_seen.add(id(found))
                if _HOUSEKEEPING.search(final_name(fields["func"]) or ""):
                    continue
                where = Where(function, (), False)
                interval = self.values.number(fields["interval"], function)
                reference = fields["func"]
                job, through = self._job(reference, where), self._through(reference, "", where)
                yield self._job_site(found, where, "rq-scheduler job definition", interval, job, through=through)

    def _rescheduling_site(self, call: ast.Call, where: Where, name: str) -> PollingSite | None:
        if name == "Timer" and self.index.qualify(call.func) != "threading.Timer":
            return None
        target = positional(call, 1, "function")
        function = where.function
        job = self.index.resolve(target, function) if function is not None and target is not None else None
        if function is None or job is None or not self._rearms(job, function):
            return None  # a one-shot timer, not a function re-arming itself
        job_facts = self.analysis.reads.facts(job.node, job)
        if job_facts.keepalive_only:
            return None  # a heartbeat that pings its connection reads no data
        if waits.flushes_own_buffer(job, job_facts):
            return None  # writes out what this process buffered, on a timer re-armed each time
        label = "threading.Timer" if name == "Timer" else "loop.call_later"
        return self.analysis.site(
            kind=SiteKind.SCHEDULER,
            mechanism=f"self-rescheduling {label}",
            node=call,
            snippet=self.source.code(call),
            where=where,
            function=job,
            body=job.node,
            interval=self.values.number(positional(call, 0, "interval"), function),
            detail="reschedules itself",
        )

    def _rearms(self, job: FunctionInfo, arming: FunctionInfo) -> bool:
        """The timer's job is the function that arms it, or calls it: `_tick` ends with `self.start()`."""
        if job is arming:
            return True
        functions = self.index.functions
        return any(edge.caller is job and functions.get(edge.callee) is arming for edge in self.index.edges)

    def _apscheduler_site(self, call: ast.Call, where: Where) -> PollingSite | None:
        trigger = positional(call, 1, "trigger")
        kind = text_of(trigger)
        trigger_class = final_name(trigger.func) if isinstance(trigger, ast.Call) else None
        if kind == "interval" or trigger_class == "IntervalTrigger":
            interval = self._period(trigger if isinstance(trigger, ast.Call) else call, where.function)
            mechanism = "APScheduler interval job"
        elif kind == "cron" or trigger_class == "CronTrigger":
            cron_period = self._cron_period(trigger if isinstance(trigger, ast.Call) else call, _CRON_FIELDS)
            if cron_period is None:
                return None  # runs at a time of day, it does not poll
            interval, mechanism = cron_period, "APScheduler cron job"
        else:
            return None  # a date trigger runs once
        job = self._job(positional(call, 0, "func"), where)
        return self._job_site(call, where, mechanism, interval, job)

    def _cron_period(
        self, call: ast.Call, fields: Sequence[tuple[str, int]], names: Sequence[str] = ()
    ) -> Number | None:
        """Seconds between runs of a cron schedule that repeats within the day (`minute="*/5"`: 300);
        None when every time field is fixed (`hour=6, minute=0`): a time of day, not polling.
        An unset field runs on every value when it is coarser than every set one, else only at 0."""
        values = {
            name: positional(call, names.index(name), name) if name in names else keyword(call, name)
            for name, _ in fields
        }
        texts = [(self._text(values[name]), unit) for name, unit in fields]
        return _period_of_fields(texts)

    def _text(self, value: ast.expr | None) -> str | None:
        """A cron field as written; `""` for a field given but not static."""
        if value is None:
            return None
        return self.values.string(value, None) or ""

    def _period(self, call: ast.Call, function: FunctionInfo | None) -> Number:
        total, env_var, known = 0.0, None, False
        for unit, seconds in _PERIOD_UNITS.items():
            written = keyword(call, unit)
            part = self.values.number(written, function)
            env_var = env_var or part.env_var
            if written is not None:
                if part.value is None:
                    return Number(env_var=env_var, ref=part.ref)
                total += part.value * seconds
                known = True
        return Number(total if known else None, env_var)

    def _schedule_site(self, call: ast.Call, where: Where) -> PollingSite | None:
        """`schedule.every(5).minutes.do(job)`; `.at("10:30")` makes it a time-of-day job, not polling."""
        unit_node = call.func.value if isinstance(call.func, ast.Attribute) else None
        if not isinstance(unit_node, ast.Attribute) or unit_node.attr not in _SCHEDULE_UNITS:
            return None
        every = unit_node.value
        if isinstance(every, ast.Call) and final_name(every.func) == "to" and isinstance(every.func, ast.Attribute):
            every = every.func.value  # every(5).to(10): a random period of at least 5 units
        if not isinstance(every, ast.Call) or final_name(every.func) != "every":
            return None
        count = positional(every, 0, "interval")
        amount = self.values.number(count, where.function) if count is not None else Number(1.0)
        unit = _SCHEDULE_UNITS[unit_node.attr]
        interval = Number(None if amount.value is None else amount.value * unit, amount.env_var)
        job = self._job(positional(call, 0, "job_func"), where)
        detail = "driven by schedule.run_pending()" if self.index.has_run_pending else None
        return self._job_site(call, where, "schedule.every", interval, job, detail)

    def _job(self, reference: ast.expr | None, where: Where) -> FunctionInfo | None:
        if isinstance(reference, ast.Attribute) and final_name(reference) in {"s", "si", "delay"}:
            reference = reference.value  # celery signature: sync_queue.s()
        return self.index.resolve(reference, where.function) if reference is not None else None

    def _through(self, reference: ast.expr | None, task: str, where: Where) -> tuple[tuple[str, str], ...]:
        """Where a job defined in another module of the project lives: an imported function
        (`refresh_queries`, `tasks.sync_feeds.s()`) or a dotted task path (`documents.tasks.train`)."""
        if isinstance(reference, ast.Attribute) and final_name(reference) in {"s", "si", "delay"}:
            reference = reference.value
        if reference is not None:
            return tuple(self.analysis.reads.imported_callee(reference, where.function))
        if "." not in task:
            return ()
        module, name = task.rsplit(".", 1)
        return ((module.replace(".", "/"), name),)

    def _job_site(
        self,
        call: ast.AST,
        where: Where,
        mechanism: str,
        interval: Number,
        job: FunctionInfo | None,
        detail: str | None = None,
        through: tuple[tuple[str, str], ...] = (),
    ) -> PollingSite:
        return self.analysis.site(
            kind=SiteKind.SCHEDULER,
            mechanism=mechanism,
            node=call,
            snippet=self.source.code(call),
            where=where,
            function=job,
            body=job.node if job else None,
            interval=interval,
            detail=detail,
            through=through,
        )

    def decorator_site(self, decorator: ast.expr, function: FunctionInfo) -> PollingSite | None:
        if not isinstance(decorator, ast.Call):
            return None
        name = final_name(decorator.func)
        if name == "repeat_every":
            # fastapi-utils takes `seconds`; the same decorator copied into apps often takes `minutes=`
            seconds = positional(decorator, 0, "seconds")
            interval = self.values.number(seconds, None) if seconds is not None else self._period(decorator, None)
            mechanism = "@repeat_every"
        elif name == "scheduled_job":
            kind = text_of(positional(decorator, 0, "trigger"))
            if kind == "interval":
                interval = self._period(decorator, None)
            elif kind == "cron" and (cron_period := self._cron_period(decorator, _CRON_FIELDS)) is not None:
                interval = cron_period
            else:
                return None
            mechanism = f"APScheduler @scheduled_job {kind}"
        else:
            return None
        if _runs_registered_callbacks(function.node):
            mechanism = f"{mechanism} {cron.REGISTRY_RUNNER}"
        return self.analysis.site(
            kind=SiteKind.SCHEDULER,
            mechanism=mechanism,
            node=decorator,
            snippet=f"@{self.source.code(decorator)} def {function.name}",
            where=Where(function, (), False),
            function=function,
            body=function.node,
            interval=interval,
        )

    def _beat_interval(self, schedule: ast.expr | None, function: FunctionInfo | None) -> Number | None:
        """Seconds of a beat entry's schedule; None for crontab/solar entries, which are not polling."""
        if schedule is None:
            return None
        if isinstance(schedule, ast.Call):
            name = final_name(schedule.func)
            if name == "schedule":
                return self.values.number(positional(schedule, 0, "run_every"), function)
            if name == "crontab":
                return self._cron_period(schedule, _CRON_FIELDS[1:], ("minute", "hour"))  # crontab(minute, hour, ...)
            if name != "timedelta":
                return None
        return self.values.number(schedule, function)

    def beat_sites(self, schedule: ast.expr | None, where: Where, owner: str | None) -> Iterator[PollingSite]:
        for key, value, entry_where in self._beat_entries(schedule, where, owner):
            entry = self._beat_entry(value, entry_where)
            if entry is None or id(value) in self._entries_seen:
                continue
            self._entries_seen.add(id(value))
            records = self._task_records(value, entry_where)
            if records is not None:
                yield from self._record_sites(key, value, entry, entry_where, records)
                continue
            interval = self._beat_interval(entry.get("schedule"), entry_where.function)
            if interval is None:
                continue
            task = self.values.string(entry.get("task"), entry_where.function) or ""
            if _HOUSEKEEPING.search(task.rsplit(".", 1)[-1]) or _HOUSEKEEPING.search(self.source.code(key)):
                continue  # cleanup, expiry, vacuum, digests: upkeep of stored data, not polling for users
            snippet = f"{self.source.code(key)}: schedule={self.source.code(entry['schedule'])}"
            yield self._beat_site(key, value, entry_where, "Celery beat schedule", snippet, interval, task)

    def _beat_site(
        self, node: ast.AST, last: ast.AST, where: Where, mechanism: str, snippet: str, interval: Number, task: str
    ) -> PollingSite:
        job = self.index.functions.get(task.rsplit(".", 1)[-1]) if task else None
        return self.analysis.site(
            kind=SiteKind.SCHEDULER,
            mechanism=mechanism,
            node=node,
            last=last,
            snippet=snippet,
            where=where,
            function=job,
            body=job.node if job else None,
            interval=interval,
            through=self._through(None, task, where),
        )

    def _task_records(self, entry: ast.expr, where: Where) -> tuple[str, list[ast.Dict]] | None:
        """`for task in tasks: schedule[task["name"]] = {"task": task["task"], ...}` over a list of dict
        literals: the loop variable and the records, one beat entry each."""
        scope: ast.AST = where.function.node if where.function is not None else self.analysis.module
        for loop in collect(scope, ast.For):
            assert isinstance(loop, ast.For)
            if not isinstance(loop.target, ast.Name) or not isinstance(loop.iter, ast.Name):
                continue
            if not any(found is entry for found in ast.walk(loop)):
                continue
            listed = self.values.lookup(loop.iter.id, where.function)[0]
            if isinstance(listed, ast.List | ast.Tuple) and all(isinstance(item, ast.Dict) for item in listed.elts):
                return loop.target.id, [item for item in listed.elts if isinstance(item, ast.Dict)]
        return None

    def _record_sites(
        self,
        key: ast.expr,
        value: ast.expr,
        entry: dict[str, ast.expr],
        where: Where,
        records: tuple[str, list[ast.Dict]],
    ) -> Iterator[PollingSite]:
        """Each record whose schedule repeats within the day and whose task is not housekeeping is an
        entry; the loop that registers them is reported once, at its shortest period."""
        variable, items = records
        function = where.function

        def field(record: dict[str, ast.expr], read: ast.expr | None) -> ast.expr | None:
            if isinstance(read, ast.Subscript) and isinstance(read.value, ast.Name) and read.value.id == variable:
                return record.get(text_of(read.slice) or "")
            return None

        shortest: float | None = None
        for item in items:
            record = {text: node for name, node in zip(item.keys, item.values, strict=True) if name is not None
                      and (text := text_of(name)) is not None}  # fmt: skip
            task = self.values.string(field(record, entry.get("task")), function) or ""
            title = self.values.string(field(record, key), function) or ""
            if _HOUSEKEEPING.search(task.rsplit(".", 1)[-1]) or _HOUSEKEEPING.search(title):
                continue  # upkeep of stored data, not polling for users
            written = field(record, entry.get("schedule"))
            if written is not None:
                interval = self._beat_interval(written, function)
                shown = self.source.code(written)
            else:  # `crontab(*value.split())` of the record's cron default
                shown = next((text for node in record.values() if (text := _cron_text(node)) is not None), "")
                period = cron.expression_period(shown) if shown else None
                interval = Number(period) if period is not None else None
            if interval is None or interval.value is None:
                continue
            shortest = interval.value if shortest is None else min(shortest, interval.value)
            yield self._beat_site(
                item, item, where, "Celery beat schedule", f"{title or task}: schedule={shown}", interval, task
            )
        if shortest is not None:
            snippet = f"{self.source.code(key)}: schedule={self.source.code(entry['schedule'])}"
            yield self._beat_site(
                key, value, where, "Celery beat schedule built from a task list", snippet, Number(shortest), ""
            )

    def _beat_entries(
        self, schedule: ast.expr | None, where: Where, owner: str | None, depth: int = 0
    ) -> list[tuple[ast.expr, ast.expr, Where]]:
        """(name, entry, where) of each entry: from a dict literal, the name or helper that builds it
        (`return {...}`, `schedule[name] = {...}` in a loop), and items added to it one by one."""
        entries: list[tuple[ast.expr, ast.expr, Where]] = []
        if depth > 3:
            return entries
        if isinstance(schedule, ast.Dict):
            entries += [(key, value, where) for key, value in zip(schedule.keys, schedule.values, strict=True) if key]
        elif isinstance(schedule, ast.Name):
            bound, scope = self.values.lookup(schedule.id, where.function)
            inner = Where(scope, (), where.main_guard) if scope is not where.function else where
            entries += self._beat_entries(bound, inner, schedule.id, depth + 1)
            owner = None  # the name's own items are read there, in the scope it is bound in
        elif isinstance(schedule, ast.Call) and (helper := self.index.resolve(schedule.func, where.function)):
            for returned in collect(helper.node, ast.Return):
                assert isinstance(returned, ast.Return)
                entries += self._beat_entries(returned.value, Where(helper, (), False), None, depth + 1)
        if owner is not None:
            for key, value, item_where in self.index.item_assignments.get(owner, []):
                if item_where.function is where.function:
                    entries.append((key, value, item_where))
        return entries

    def _beat_entry(self, value: ast.expr, where: Where) -> dict[str, ast.expr] | None:
        if isinstance(value, ast.Name):
            value = self.values.lookup(value.id, where.function)[0] or value
        if isinstance(value, ast.Dict):
            pairs = zip(value.keys, value.values, strict=True)
            return {text: item for name, item in pairs if (text := text_of(name)) is not None}
        if isinstance(value, ast.Call) and final_name(value.func) == "dict":
            return {item.arg: item.value for item in value.keywords if item.arg is not None}
        return None


def _runs_registered_callbacks(function: ast.AST) -> bool:
    """`for func in SchedulerRegistry._hourly: wrapper(func)`: the job only calls what was registered
    with it, so it reads what those callbacks read."""
    for loop in collect(function, ast.For):
        assert isinstance(loop, ast.For)
        if not isinstance(loop.target, ast.Name) or not isinstance(loop.iter, ast.Attribute):
            continue
        callback = loop.target.id
        for call in collect(loop.body, ast.Call):
            assert isinstance(call, ast.Call)
            handed = [call.func, *call.args]
            if any(isinstance(arg, ast.Name) and arg.id == callback for arg in handed):
                return True
    return False


def _cron_text(node: ast.expr) -> str | None:
    """A string literal written as a cron expression: five or six fields of digits, `*`, `/`, `,` and `-`."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return None
    fields = node.value.split()
    return node.value if len(fields) in (5, 6) and all(_CRON_FIELD.match(field) for field in fields) else None


def _period_of_fields(fields: Sequence[tuple[str | None, int]]) -> Number | None:
    """Seconds between runs from cron fields, finest first, each (text or None when unset, seconds per unit)."""
    coarsest_set = max((position for position, (text, _) in enumerate(fields) if text is not None), default=-1)
    for position, (text, unit) in enumerate(fields):
        if text is None:
            if position < coarsest_set:
                continue  # APScheduler and Celery run an unset finer field at its first value
            return Number(float(unit))
        match = _CRON_STEP.match(text.strip())
        if match is not None:
            return Number(float(unit * int(match.group(1) or match.group(2) or 1)))
    return None
