"""Python codemods (libcst): a job's interval schedule removed, so the NOTIFY listener runs it instead.

Two registrations are recognised: APScheduler's `scheduler.add_job(job, "interval", ...)` statement
and a Celery beat schedule entry whose `task` is the job. The job itself stays as it is: it already
fetches and broadcasts once per call. The listener that now calls it is started in the app's
start-up hook that ran the schedule (`wire_schedule`); where there is none the plan prints the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, PositionProvider

from polldetox.migrate.python_edits import (
    Registration,
    Unsafe,
    before_shutdown,
    drop_unused,
    install_listener,
    startup_hooks,
)

_CODE = cst.Module(body=[])


@dataclass(frozen=True)
class RemovedSchedule:
    source: str
    job: str
    arguments: tuple[str, ...]  # the job's args as written where it was scheduled
    celery: bool
    is_async: bool
    # What ran the schedule: the function holding add_job (its parameters may be the job's args), or
    # for a module-level add_job the scheduler variable. None for a beat entry.
    holder: str | None
    parameters: tuple[str, ...]

    def call(self, arguments: Sequence[str] | None = None) -> str:
        """The expression the listener's callback awaits: `refresh(pool, manager)`, `asyncio.to_thread(...)`."""
        given = list(self.arguments if arguments is None else arguments)
        if self.is_async and not self.celery:
            return f"{self.job}({', '.join(given)})"
        target = f"{self.job}.delay" if self.celery else self.job  # a Celery task is queued, as beat did
        return f"asyncio.to_thread({', '.join([target, *given])})"


def remove_schedule(source: str, line: int, job: str, *, channel: str) -> RemovedSchedule:
    """The module without the job's schedule on `line`; Unsafe names any other schedule shape found there."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    finder = _FindSchedule(line, job)
    wrapper.visit(finder)
    if finder.found is None:
        shape = _OtherSchedule(line)
        wrapper.visit(shape)
        raise Unsafe(shape.reason(channel))
    node, arguments, celery = finder.found
    module = wrapper.module.visit(_Remove(node))
    module = drop_unused(module, _names(node) - {job.split(".")[0], *(_names_of_code(a) for a in arguments)})
    holder, parameters = finder.holder if not celery else (None, ())
    return RemovedSchedule(
        module.code, job, tuple(arguments), celery, job in _async_functions(module), holder, parameters
    )


@dataclass(frozen=True)
class ScheduleWiring:
    removed: RemovedSchedule
    job_module: str  # the module that defines the job
    channel: str
    listener_module: str  # the module that defines PgListener


def wire_schedule(source: str, wiring: ScheduleWiring, same_module: bool) -> str | None:
    """The module with a listener that runs the job on each change, started in its start-up hook; None: no hook here.

    An APScheduler job is wired into the hook that ran its schedule: one that calls the function
    holding add_job (whose arguments there become the job's) or uses the module-level scheduler. Celery
    beat runs in a process of its own with no start-up hook, so a beat task is wired into a hook whose
    module already imports the task's module: that process can already queue its tasks, as beat did.
    Raises Unsafe when such a hook is found but the job's arguments cannot be written in it.
    """
    module = cst.parse_module(source)
    removed = wiring.removed
    for hook in startup_hooks(module):
        if removed.celery:
            found = _beat_place(module, hook, wiring, same_module)
        else:
            found = _scheduler_place(hook, removed, same_module)
        if found is None:
            continue
        after, arguments = found
        call = removed.call(arguments)
        registration = Registration(f"lambda event: {call}", f"lambda: {call}", (wiring.channel,))
        imports: list[tuple[str, str | None]] = [("asyncio", None)] if call.startswith("asyncio.") else []
        if not same_module:
            imports.append((wiring.job_module, removed.job))
        return install_listener(module, hook, registration, after, wiring.listener_module, imports).code
    return None


def _scheduler_place(
    hook: cst.FunctionDef, removed: RemovedSchedule, same_module: bool
) -> tuple[int, list[str]] | None:
    """After the hook's last statement that runs the schedule, and the job's arguments as the hook names them."""
    holder = removed.holder or ""
    started = {holder}
    uses: list[int] = []
    passed: dict[str, str] = {}
    for index, statement in enumerate(before_shutdown(hook)):
        if not started & _names(statement):
            continue
        uses.append(index)
        if m.matches(statement, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])):
            started.add(statement.body[0].targets[0].target.value)  # type: ignore[attr-defined]
        for call in m.findall(statement, m.Call(func=m.Name(holder) | m.Attribute(attr=m.Name(holder)))):
            assert isinstance(call, cst.Call)
            positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
            passed.update(zip(removed.parameters, (_CODE.code_for_node(arg.value) for arg in positional), strict=False))
            passed.update({arg.keyword.value: _CODE.code_for_node(arg.value) for arg in call.args if arg.keyword})
    if not uses:
        return None
    arguments = []
    for argument in removed.arguments:
        if argument in passed:
            arguments.append(passed[argument])
        elif argument in removed.parameters:
            raise Unsafe(f"the start-up hook does not pass {holder} the job's argument {argument}")
        elif same_module or not _names(cst.parse_expression(argument)):
            arguments.append(argument)
        else:
            raise Unsafe(f"the job's argument {argument} is a name the start-up hook does not have")
    return uses[-1], arguments


def _beat_place(
    module: cst.Module, hook: cst.FunctionDef, wiring: ScheduleWiring, same_module: bool
) -> tuple[int, list[str]] | None:
    """At the end of the hook's start-up, when its module imports the task's module (so it can queue the task)."""
    if not same_module and not _imports(module, wiring.job_module):
        return None
    arguments = list(wiring.removed.arguments)
    named = [argument for argument in arguments if _names(cst.parse_expression(argument))]
    if named and not same_module:
        raise Unsafe(f"the beat entry's argument {named[0]} is a name the start-up hook does not have")
    return len(before_shutdown(hook)) - 1, arguments


def _imports(module: cst.Module, name: str) -> bool:
    """Whether the module imports `name` or something from it (`from name import x`, `from parent import leaf`)."""
    parent, _, leaf = name.rpartition(".")
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else []:
            if isinstance(small, cst.Import) and any(_CODE.code_for_node(a.name) == name for a in small.names):
                return True
            if isinstance(small, cst.ImportFrom) and small.module is not None:
                source = _CODE.code_for_node(small.module)
                if source == name or (
                    source == parent
                    and not isinstance(small.names, cst.ImportStar)
                    and any(_CODE.code_for_node(a.name) == leaf for a in small.names)
                ):
                    return True
    return False


class _FindSchedule(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, job: str) -> None:
        self.line, self.job = line, job
        self.found: tuple[cst.CSTNode, list[str], bool] | None = None
        self.holder: tuple[str, tuple[str, ...]] = ("", ())
        self.functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, original: cst.FunctionDef) -> None:
        self.functions.pop()

    def _starts_here(self, node: cst.CSTNode) -> bool:
        return self.get_metadata(PositionProvider, node).start.line == self.line

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self.found is not None or len(node.body) != 1 or not isinstance(node.body[0], cst.Expr):
            return
        call = node.body[0].value
        if not (
            isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_job"
        ):
            return
        span = self.get_metadata(PositionProvider, node)
        if not span.start.line <= self.line <= span.end.line:
            return
        positional = [arg for arg in call.args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
        function = positional[0].value if positional else keywords.get("func")
        if function is None or _CODE.code_for_node(function).split(".")[-1] != self.job.split(".")[-1]:
            return
        trigger = positional[1].value if len(positional) > 1 else keywords.get("trigger")
        trigger_text = _CODE.code_for_node(trigger) if trigger is not None else "none"
        if trigger_text.strip("'\"") != "interval" and not trigger_text.startswith("IntervalTrigger("):
            raise Unsafe(f"a {trigger_text} job of {self.job} runs at set times, not to poll: it is left as it is")
        if "kwargs" in keywords:
            raise Unsafe(f"the job {self.job} is given kwargs: register it with the listener by hand")
        self.found = (node, _elements(keywords.get("args")), False)
        if self.functions:
            holder = self.functions[-1]
            parameters = [*holder.params.posonly_params, *holder.params.params, *holder.params.kwonly_params]
            self.holder = (holder.name.value, tuple(parameter.name.value for parameter in parameters))
        else:
            self.holder = (_names_of_code(_CODE.code_for_node(call.func.value)), ())

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self.found is not None or not self._starts_here(node) or not isinstance(node.value, cst.Dict):
            return
        entry = _string_keyed(node.value)
        task = entry.get("task")
        name = task.evaluated_value if isinstance(task, cst.SimpleString) else None
        if not isinstance(name, str) or name.split(".")[-1] != self.job.split(".")[-1]:
            return
        if "kwargs" in entry:
            raise Unsafe(f"the beat entry of {self.job} passes kwargs: register the task with the listener by hand")
        self.found = (node, _elements(entry.get("args")), True)


class _OtherSchedule(cst.CSTVisitor):
    """A schedule on the line in a shape that is not rewritten, and the job it runs as written there.

    The scan's site names the enclosing function, which is not the job when the job is imported,
    so the job is read from the shape: an rq-scheduler entry's `func`, a PeriodicTask's `task`.
    """

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int) -> None:
        self.line = line
        self.entry: dict[str, cst.BaseExpression] | None = None
        self.call: cst.Call | None = None

    def visit_Dict(self, node: cst.Dict) -> None:
        span = self.get_metadata(PositionProvider, node)
        entry = _string_keyed(node)
        if span.start.line <= self.line <= span.end.line and "func" in entry:
            self.entry = entry  # the innermost: visited after the dicts around it

    def visit_Call(self, node: cst.Call) -> None:
        if self.call is None and self.get_metadata(PositionProvider, node).start.line == self.line:
            self.call = node

    def reason(self, channel: str) -> str:
        job: str | None = None
        if self.entry is not None:
            job = _CODE.code_for_node(self.entry["func"]).split(".")[-1]
            shape, removal = f"an rq-scheduler job entry ({job})", "the entry"
        elif self.call is not None and "PeriodicTask" in (callee := _CODE.code_for_node(self.call.func)):
            task = next((arg.value for arg in self.call.args if arg.keyword and arg.keyword.value == "task"), None)
            if isinstance(task, cst.SimpleString) and isinstance(task.evaluated_value, str):
                job = task.evaluated_value.split(".")[-1]
            shape = f"a django-celery-beat PeriodicTask{f' ({job})' if job else ''}, a schedule kept in the database"
            removal = "the code that creates it, delete the periodic task,"
        elif self.call is not None:
            function = next(
                (arg.value for arg in self.call.args if not arg.keyword or arg.keyword.value == "func"), None
            )
            job = _CODE.code_for_node(function).split(".")[-1] if function is not None else None
            shape, removal = f"a {callee}(...) call{f' ({job})' if job else ''}", "the call"
        else:
            shape, removal = "no schedule call or entry on this line", "its schedule"
        return (
            f"{shape}: only APScheduler add_job statements and Celery beat schedule entries are rewritten; "
            f"remove {removal} and register {job or 'the job it runs'} on {channel} by hand"
        )


def _string_keyed(node: cst.Dict) -> dict[str, cst.BaseExpression]:
    return {
        key.evaluated_value: element.value
        for element in node.elements
        if isinstance(element, cst.DictElement)
        and isinstance(key := element.key, cst.SimpleString)
        and isinstance(key.evaluated_value, str)
    }


def _elements(value: cst.BaseExpression | None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, cst.Tuple | cst.List):
        raise Unsafe(f"the job's args {_CODE.code_for_node(value)} are not written out: register it by hand")
    return [_CODE.code_for_node(element.value) for element in value.elements]


class _Remove(cst.CSTTransformer):
    """The schedule statement or entry goes; a block it leaves empty keeps a `pass`."""

    def __init__(self, target: cst.CSTNode) -> None:
        self.target = target

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode | cst.RemovalSentinel:
        if original is self.target:
            return cst.RemoveFromParent()
        if isinstance(updated, cst.IndentedBlock) and not updated.body:
            return updated.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
        return updated


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(_Collect())
    return found


def _names_of_code(code: str) -> str:
    return code.split(".")[0].split("(")[0].strip()


def _async_functions(module: cst.Module) -> set[str]:
    return {
        statement.name.value
        for statement in module.body
        if isinstance(statement, cst.FunctionDef) and statement.asynchronous is not None
    }
