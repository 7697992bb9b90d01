"""Work re-run on an interval without a loop of its own: self-re-arming timers, APScheduler jobs,
`schedule.every(...)`, `@repeat_every`, Celery `add_periodic_task` and beat schedules.

A cron schedule whose time fields are all fixed runs at a time of day: that is not polling.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from polldetox.findings import PollingSite, SiteKind
from polldetox.scan.python import waits
from polldetox.scan.python.index import DJANGO_PATHS, FunctionInfo, Where
from polldetox.scan.python.sites import Analysis
from polldetox.scan.python.syntax import collect, final_name, keyword, positional, text_of
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
    r"clean|vacuum|purge|expire|prune|delete|remove_old|rotate|archive|backup|digest|compact|garbage",
    re.IGNORECASE,
)
_CRON_STEP = re.compile(r"^\*(?:/(\d+))?$|^\d+-\d+/(\d+)$")  # "*", "*/5", "0-59/10"


class Schedulers:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.index = analysis.index
        self.values = analysis.values
        self.source = analysis.source

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
        if name == "add_periodic_task":
            interval = self._beat_interval(positional(call, 0, "schedule"), where.function)
            if interval is None:
                return None
            signature = positional(call, 1, "sig")
            job = self._job(signature.func if isinstance(signature, ast.Call) else signature, where)
            return self._job_site(call, where, "Celery add_periodic_task", interval, job)
        return None

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
        return self._job_site(call, where, mechanism, interval, job)

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

    def _job_site(
        self,
        call: ast.Call,
        where: Where,
        mechanism: str,
        interval: Number,
        job: FunctionInfo | None,
        detail: str | None = None,
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
            if entry is None:
                continue
            interval = self._beat_interval(entry.get("schedule"), entry_where.function)
            if interval is None:
                continue
            task = self.values.string(entry.get("task"), entry_where.function) or ""
            if _HOUSEKEEPING.search(task.rsplit(".", 1)[-1]) or _HOUSEKEEPING.search(self.source.code(key)):
                continue  # cleanup, expiry, vacuum, digests: upkeep of stored data, not polling for users
            job = self.index.functions.get(task.rsplit(".", 1)[-1]) if task else None
            yield self.analysis.site(
                kind=SiteKind.SCHEDULER,
                mechanism="Celery beat schedule",
                node=key,
                last=value,
                snippet=f"{self.source.code(key)}: schedule={self.source.code(entry['schedule'])}",
                where=entry_where,
                function=job,
                body=job.node if job else None,
                interval=interval,
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
