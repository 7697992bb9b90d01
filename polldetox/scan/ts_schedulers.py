"""Node schedulers: jobs registered to re-run on a clock, and how often they run.

node-schedule `scheduleJob`, node-cron `cron.schedule`, cron `new CronJob`/`CronJob.from`,
croner `new Cron`, agenda `every`, Bull/BullMQ repeatable jobs (`add(name, data, { repeat })`,
`upsertJobScheduler`), toad-scheduler `SimpleIntervalJob` and NestJS `@Cron`/`@Interval`. As for
the Python schedulers, a schedule that repeats within the day re-reads its source; one that runs
at a time of day (`0 6 * * *`) is not polling. A job that reads nothing visible is judged by its
name: housekeeping (cleanup, expiry, backups, digests, reminders) is not polling for users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tree_sitter import Node

from polldetox.scan.cron import expression_period
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    arguments,
    callee_name,
    descendants,
    member_property,
    pair_key,
    property_name,
    string_value,
    text,
    unwrap,
)
from polldetox.scan.ts_reads import CallbackReader, Reads
from polldetox.scan.ts_values import Value, Values, imported_calls

_SUBSTITUTION = re.compile(r"\$\{[^}]*\}")
_NEST_EXPRESSION = re.compile(r"^EVERY_(?:(\d+)_)?(SECOND|MINUTE|HOUR)S?$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_HUMAN_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?|one|an?)?\s*(second|minute|hour|day|week)s?\s*$", re.IGNORECASE)
# What a job does, when nothing it reads is visible: syncing and checking poll, housekeeping does not.
_POLLING_JOB = re.compile(r"sync|refresh|fetch|poll|check|update|watch|import|pull|load|scan|status", re.IGNORECASE)
_HOUSEKEEPING_JOB = re.compile(
    r"clean|purge|prune|vacuum|expire|expiry|backup|rotate|digest|report|email|mail|notify|remind|archive|delete"
    r"|heartbeat|metric|telemetry|health",
    re.IGNORECASE,
)
_SCHEDULER_MODULES = {
    "node-schedule": "node-schedule",
    "node-cron": "node-cron",
    "cron": "cron",
    "agenda": "agenda",
    "@hokify/agenda": "agenda",
    "bull": "bull",
    "bullmq": "bullmq",
    "toad-scheduler": "toad-scheduler",
    "croner": "croner",
    "@nestjs/schedule": "@nestjs/schedule",
}


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    node: Node  # the registration
    mechanism: str
    interval: Value | None
    reads: Reads
    job: str | None  # the job's name, when it has one
    calls: str = ""  # what an inline job calls, to judge it by when it reads nothing visible
    imported: tuple[tuple[str, str], ...] = ()  # project functions it calls when its own reads are not visible
    pending: bool = False  # polls only if one of `imported` reads (scan/crossfile.py decides)


class NodeSchedules:
    """The repeating jobs one file registers with a Node scheduler."""

    def __init__(self, tree: Tree, values: Values, reader: CallbackReader) -> None:
        self.tree = tree
        self.values = values
        self.reader = reader
        self.libraries = {_SCHEDULER_MODULES[m] for m in values.modules if m in _SCHEDULER_MODULES}
        self.libraries |= {_SCHEDULER_MODULES[m] for m in self._required() if m in _SCHEDULER_MODULES}

    def _required(self) -> set[str]:
        found = set()
        for call in self.tree.of("call_expression"):
            if callee_name(call) == "require" and (args := arguments(call)):
                module = string_value(args[0])
                if module is not None:
                    found.add(module)
        return found

    def jobs(self) -> list[ScheduledJob]:
        if not self.libraries:
            return []
        found = []
        registered = [self._registration(call) for call in self.tree.of("call_expression")]
        registered += [self._constructed(node) for node in self.tree.of("new_expression")]
        for job in registered:
            if job is None:
                continue
            if _polls(job):
                found.append(replace(job, imported=()) if job.reads.reads else job)
            elif job.imported:
                found.append(replace(job, pending=True))
        return found

    # --- calls ------------------------------------------------------------------------------------

    def _registration(self, call: Node) -> ScheduledJob | None:
        name, prop, args = callee_name(call), property_name(call), arguments(call)
        if call.parent is not None and call.parent.type == "decorator":
            return self._decorated(call, name, args)
        if prop == "scheduleJob" and "node-schedule" in self.libraries and args:
            named = len(args) >= 3  # scheduleJob(name, spec, fn)
            spec, callback = args[int(named)], args[int(named) + 1] if len(args) > int(named) + 1 else None
            name = string_value(args[0]) if named else None
            return self._cron_job(call, "node-schedule scheduleJob", spec, callback, name)
        if prop == "schedule" and "node-cron" in self.libraries and len(args) >= 2:
            return self._cron_job(call, "node-cron schedule", args[0], args[1])
        if name == "CronJob.from" and "cron" in self.libraries and args:
            options = _object(args[0])
            return self._cron_job(call, "cron CronJob", _value(options, "cronTime"), _value(options, "onTick"))
        if prop == "every" and "agenda" in self.libraries and len(args) >= 2:
            return self._agenda(call, args)
        if prop == "add" and self.libraries & {"bull", "bullmq"} and args:
            options = _object(args[-1])
            repeat = _object(_value(options, "repeat"))
            if repeat is None:
                return None
            job = string_value(args[0]) if len(args) >= 3 else None
            return self._repeat(call, "Bull repeatable job", repeat, job)
        if prop == "upsertJobScheduler" and "bullmq" in self.libraries and len(args) >= 2:
            template = _object(args[2]) if len(args) > 2 else None
            job = string_value(_value(template, "name")) or string_value(args[0])
            return self._repeat(call, "BullMQ job scheduler", _object(args[1]), job)
        return None

    def _decorated(self, call: Node, name: str, args: list[Node]) -> ScheduledJob | None:
        """NestJS `@Cron(expression)` / `@Interval(ms)` / `@Interval('name', ms)` on a method."""
        if "@nestjs/schedule" not in self.libraries or name not in ("Cron", "Interval") or not args:
            return None
        method = _decorated_method(call.parent)
        if method is None:
            return None
        job = text(method.child_by_field_name("name"))
        reads = self.reader.function(method)
        if name == "Interval":
            return ScheduledJob(call, "NestJS @Interval", self.values.evaluate(args[-1]), reads, job)
        period = self._period(args[0])
        return None if period is None else ScheduledJob(call, "NestJS @Cron", period, reads, job)

    def _cron_job(
        self, call: Node, mechanism: str, spec: Node | None, callback: Node | None, name: str | None = None
    ) -> ScheduledJob | None:
        period = self._period(spec)
        if period is None:
            return None
        reads = self._reads(callback)
        return ScheduledJob(call, mechanism, period, reads, name or _job_name(callback), _calls(callback))

    def _agenda(self, call: Node, args: list[Node]) -> ScheduledJob | None:
        """`agenda.every('5 minutes', 'sync orders')`; the job is what `agenda.define('sync orders', fn)` runs."""
        period = self._period(args[0])
        job = string_value(args[1])
        if period is None or job is None:
            return None
        reads = Reads()
        for define in self.tree.of("call_expression"):
            defined = arguments(define)
            if property_name(define) == "define" and len(defined) >= 2 and string_value(defined[0]) == job:
                reads = self._reads(defined[-1])
                return ScheduledJob(call, "agenda every", period, reads, job, _calls(defined[-1]))
        return ScheduledJob(call, "agenda every", period, reads, job)

    def _repeat(self, call: Node, mechanism: str, repeat: Node | None, job: str | None) -> ScheduledJob | None:
        """`{ every: ms }` repeats every ms; `{ pattern | cron: '...' }` as the expression says. What the
        job does is what the file's queue worker runs on each job."""
        every = _value(repeat, "every")
        pattern = _value(repeat, "pattern") or _value(repeat, "cron")
        period = self.values.evaluate(every) if every is not None else self._period(pattern)
        if period is None and not self._read_at_runtime(pattern):
            return None
        processor = self.processor()
        imported = imported_calls(processor, self.values) if processor is not None else ()
        return ScheduledJob(call, mechanism, period, self._reads(processor), job, _calls(processor), imported)

    def _read_at_runtime(self, spec: Node | None) -> bool:
        """`pattern: monitor.cron`: a schedule each record sets, whose interval no reading of the code gives."""
        spec = unwrap(spec)
        return (
            spec is not None
            and spec.type in ("member_expression", "subscript_expression", "identifier")
            and text(spec) not in self.values.constants
            and not text(spec).startswith("CronExpression.")
        )

    def processor(self) -> Node | None:
        """The function the file's one queue worker runs on each job: `new Worker(queue, fn)`,
        `createWorker(queue, fn)` or Bull's `queue.process(fn)`; None when there is none or several."""
        found = []
        for node in (*self.tree.of("new_expression"), *self.tree.of("call_expression")):
            made = node.child_by_field_name("constructor") if node.type == "new_expression" else None
            name = text(made) if made is not None else property_name(node)
            if name == "Worker" or name.endswith("createWorker") or (name == "process" and "bull" in self.libraries):
                found += [a for a in arguments(node) if unwrap(a) is not None and unwrap(a).type in FUNCTION_TYPES]
        return found[0] if len(found) == 1 else None

    # --- constructors -----------------------------------------------------------------------------

    def _constructed(self, node: Node) -> ScheduledJob | None:
        made = text(node.child_by_field_name("constructor"))
        args = arguments(node)
        if made.endswith("CronJob") and "cron" in self.libraries and args:
            options = _object(args[0])
            if options is not None:
                return self._cron_job(node, "cron CronJob", _value(options, "cronTime"), _value(options, "onTick"))
            return self._cron_job(node, "cron CronJob", args[0], args[1] if len(args) > 1 else None)
        if made in ("Cron", "croner.Cron") and "croner" in self.libraries and len(args) >= 2:
            return self._cron_job(node, "croner Cron", args[0], args[-1])  # new Cron(pattern, [options], fn)
        if made.endswith("SimpleIntervalJob") and "toad-scheduler" in self.libraries and len(args) >= 2:
            interval = _object(args[0])
            total, known = 0.0, False
            for unit in ("days", "hours", "minutes", "seconds", "milliseconds"):
                part = _value(interval, unit)
                value = self.values.evaluate(part) if part is not None else None
                if value is not None and value.ms is not None:
                    total += value.ms * (0.001 if unit == "milliseconds" else _UNIT_SECONDS[unit.rstrip("s")])
                    known = True
            task = unwrap(args[1])
            made_task = arguments(task) if task is not None and task.type == "new_expression" else []
            callback = made_task[-1] if made_task else task  # `new AsyncTask('id', fn)`
            name = (string_value(made_task[0]) if made_task else None) or _job_name(callback)
            interval = Value(ms=total * 1000) if known else None
            reads = self._reads(callback)
            return ScheduledJob(node, "toad-scheduler SimpleIntervalJob", interval, reads, name, _calls(callback))
        return None

    # --- periods ----------------------------------------------------------------------------------

    def _period(self, spec: Node | None) -> Value | None:
        """Milliseconds between runs of a cron string, a NestJS `CronExpression`, a human interval or a
        `{ minute, hour, ... }` rule; None for a time of day, a date or what is not known."""
        spec = unwrap(spec)
        if spec is None:
            return None
        if spec.type == "identifier" and text(spec) in self.values.constants:
            spec = unwrap(self.values.constants[text(spec)])
            if spec is None:
                return None
        if spec.type == "member_expression" and text(spec.child_by_field_name("object")) == "CronExpression":
            return _nest_expression(text(spec.child_by_field_name("property")))
        if spec.type == "member_expression" and (field := self.reader.fields.get(member_property(spec))) is not None:
            spec = unwrap(field)  # `@Cron(CronService.EVERY_HOUR_AT_RANDOM_MINUTE)`, a static field of the class
            if spec is None:
                return None
        if spec.type == "object":
            values = {key: string_value(field) or text(field)
                      for key in ("second", "minute", "hour") if (field := _value(spec, key)) is not None}  # fmt: skip
            if not values:
                return None
            fields = (values.get(key, "0" if key == "second" else "*") for key in ("second", "minute", "hour"))
            seconds = expression_period(" ".join(fields) + " * * *")
            return Value(ms=seconds * 1000) if seconds is not None else None
        literal = string_value(spec)
        if literal is None:
            value = self.values.evaluate(spec)  # agenda also takes milliseconds
            return value if value is not None and value.ms is not None and spec.type != "new_expression" else None
        if (human := _HUMAN_INTERVAL.match(literal)) is not None:
            count = human.group(1) or "1"
            amount = 1.0 if count.lower() in ("one", "a", "an") else float(count)
            return Value(ms=amount * _UNIT_SECONDS[human.group(2).lower()] * 1000)
        seconds = expression_period(_SUBSTITUTION.sub("0", literal))  # `${minute} * * * *`: a fixed minute
        return Value(ms=seconds * 1000) if seconds is not None else None

    def _reads(self, callback: Node | None) -> Reads:
        return self.reader.callback(callback) if callback is not None else Reads()


def _polls(job: ScheduledJob) -> bool:
    """Reads data it can be seen to read, or is named for polling work and not for housekeeping."""
    if job.reads.reads:
        return True
    name = f"{job.job or ''} {job.calls}"
    return bool(_POLLING_JOB.search(name)) and not _HOUSEKEEPING_JOB.search(name)


def _nest_expression(name: str) -> Value | None:
    """`EVERY_5_MINUTES`: 300 s; `EVERY_DAY_AT_1AM`, `EVERY_WEEK`: a time of day, not polling."""
    match = _NEST_EXPRESSION.match(name)
    if match is None:
        return None
    return Value(ms=int(match.group(1) or 1) * _UNIT_SECONDS[match.group(2).lower()] * 1000)


def _object(node: Node | None) -> Node | None:
    node = unwrap(node)
    return node if node is not None and node.type == "object" else None


def _value(options: Node | None, key: str) -> Node | None:
    if options is None:
        return None
    for pair in options.named_children:
        if pair.type == "pair" and pair_key(pair) == key:
            return pair.child_by_field_name("value")
        if pair.type == "shorthand_property_identifier" and text(pair) == key:
            return pair
    return None


def _job_name(callback: Node | None) -> str | None:
    """`syncOrders` for `syncOrders` or `service.syncOrders`; None for an inline function."""
    callback = unwrap(callback)
    if callback is None or callback.type in FUNCTION_TYPES:
        return None
    return text(callback).split(".")[-1] or None


def _calls(callback: Node | None) -> str:
    """The functions an inline job calls: `() => syncOrders()` is named by what it runs."""
    callback = unwrap(callback)
    if callback is None or callback.type not in FUNCTION_TYPES:
        return ""
    return " ".join(property_name(n) for n in descendants(callback) if n.type == "call_expression")


def _decorated_method(decorator: Node) -> Node | None:
    sibling = decorator.next_named_sibling
    while sibling is not None and sibling.type == "decorator":
        sibling = sibling.next_named_sibling
    return sibling if sibling is not None and sibling.type == "method_definition" else None
