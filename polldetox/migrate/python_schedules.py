"""Python codemods (libcst): a job's interval schedule removed, so the NOTIFY listener runs it instead.

Two registrations are recognised: APScheduler's `scheduler.add_job(job, "interval", ...)` statement
and a Celery beat schedule entry whose `task` is the job. The job itself stays as it is: it already
fetches and broadcasts once per call. What the listener must call is returned for the plan to print.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from polldetox.migrate.python_edits import Unsafe, drop_unused

_CODE = cst.Module(body=[])


@dataclass(frozen=True)
class RemovedSchedule:
    source: str
    call: str  # the expression the listener's callback awaits: `refresh(pool, manager)`, `asyncio.to_thread(...)`


def remove_schedule(source: str, line: int, job: str) -> RemovedSchedule:
    wrapper = MetadataWrapper(cst.parse_module(source))
    finder = _FindSchedule(line, job)
    wrapper.visit(finder)
    if finder.found is None:
        raise Unsafe(f"no add_job(...) statement or beat schedule entry for {job} starts on this line")
    node, arguments, celery = finder.found
    module = wrapper.module.visit(_Remove(node))
    module = drop_unused(module, _names(node) - {job.split(".")[0], *(_names_of_code(a) for a in arguments)})
    if job in _async_functions(module) and not celery:
        return RemovedSchedule(module.code, f"{job}({', '.join(arguments)})")
    target = f"{job}.delay" if celery else job  # a Celery task is queued, as beat did
    return RemovedSchedule(module.code, f"asyncio.to_thread({', '.join([target, *arguments])})")


class _FindSchedule(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, job: str) -> None:
        self.line, self.job = line, job
        self.found: tuple[cst.CSTNode, list[str], bool] | None = None

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

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self.found is not None or not self._starts_here(node) or not isinstance(node.value, cst.Dict):
            return
        entry = {
            key.evaluated_value: element.value
            for element in node.value.elements
            if isinstance(element, cst.DictElement) and isinstance(key := element.key, cst.SimpleString)
        }
        task = entry.get("task")
        name = task.evaluated_value if isinstance(task, cst.SimpleString) else None
        if not isinstance(name, str) or name.split(".")[-1] != self.job.split(".")[-1]:
            return
        if "kwargs" in entry:
            raise Unsafe(f"the beat entry of {self.job} passes kwargs: register the task with the listener by hand")
        self.found = (node, _elements(entry.get("args")), True)


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
