"""Facts about a site's surroundings that decide the standard's exceptions: a script or a backend,
an opt-in flag, a WARNING when polling starts, a bound on its duration, a fallback that runs only
while the event-driven path is down, and what the module's documentation says about itself."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from polldetox.findings import Context
from polldetox.scan.python.index import FunctionInfo, Index, Where
from polldetox.scan.python.parse import Source, comment_blocks
from polldetox.scan.python.reads import is_warning
from polldetox.scan.python.syntax import DEFINITIONS, children, collect, dotted, final_name, identifiers
from polldetox.scan.python.values import Values

_CLOCKS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "datetime.datetime.now"})
_DURATION_NAME = re.compile(r"elapsed|duration|since|started|start_time|running_for", re.IGNORECASE)
_FALLBACK_TEXT = re.compile(r"fallback|degraded|emergency", re.IGNORECASE)
_DISCONNECTED_NAME = re.compile(r"disconnected|connection_lost|offline")
_CONNECTED_WORDS = frozenset({"connected", "alive", "listening", "healthy", "online"})
_OPTION_HOLDERS = frozenset({"args", "options", "opts", "ns", "namespace", "cli_args", "flags", "self.args"})
_FLAG_NAME = re.compile(r"^(watch|follow|live|poll|polling|continuous|loop|tail|monitor|refresh|forever)")
_DEV_TOOL_TEXT = re.compile(
    r"development tool|dev tool|developer tool|development utility|debugging (tool|utility|script|aid)"
    r"|monitoring tool|not part of (the )?main app|for development only|internal tool",
    re.IGNORECASE,
)
_WEBHOOK_REASON = re.compile(r"\b(why|instead|because|not|requires?|cannot|can't|without|no public)\b", re.I)


class Surroundings:
    def __init__(self, module: ast.Module, index: Index, values: Values, source: Source) -> None:
        self.module = module
        self.index = index
        self.values = values
        self.source = source
        self._script_functions = self._reachable_from_main()

    def _reachable_from_main(self) -> set[str]:
        if not self.index.has_main_guard:
            return set()
        reached = {edge.callee for edge in self.index.edges if edge.where.main_guard}
        reached.add("main")
        frontier = list(reached)
        while frontier:
            caller = self.index.functions.get(frontier.pop())
            for edge in self.index.edges:
                if edge.caller is caller and caller is not None and edge.callee not in reached:
                    reached.add(edge.callee)
                    frontier.append(edge.callee)
        return {self.index.functions[key].qualname for key in reached if key in self.index.functions}

    def context(self, where: Where) -> Context:
        if where.main_guard or (where.function and where.function.qualname in self._script_functions):
            return Context.SCRIPT
        return Context.BACKEND

    def opt_in_flag(self, where: Where, extra: Sequence[ast.expr] = ()) -> str | None:
        for condition in (*extra, *reversed(where.conditions)):
            flag = self._flag(condition, where.function)
            if flag:
                return flag
        if where.function is None:
            return None
        for edge in self.index.edges:  # the function is only called under `if args.watch:`
            if self.index.functions.get(edge.callee) is where.function:
                for condition in reversed(edge.where.conditions):
                    flag = self._flag(condition, edge.caller)
                    if flag:
                        return flag
        return None

    def _flag(self, condition: ast.expr, function: FunctionInfo | None) -> str | None:
        if isinstance(condition, ast.BoolOp) and isinstance(condition.op, ast.And):
            return next((flag for value in condition.values if (flag := self._flag(value, function))), None)
        if not isinstance(condition, ast.Name | ast.Attribute):
            return None
        name = final_name(condition) or ""
        if name in self.index.cli_options:
            return self.index.cli_options[name]
        command_parameter = isinstance(condition, ast.Name) and function is not None and name in function.defaults
        if command_parameter and function is not None and self._is_cli_command(function):
            return "--" + name.replace("_", "-")  # click/typer: parameter `watch` is option --watch
        if not _FLAG_NAME.match(name.lstrip("_")):
            return None
        # Undeclared, it must still look like an option: `args.watch`, `options.follow`, a parameter.
        owner = dotted(condition.value) if isinstance(condition, ast.Attribute) else None
        if owner in _OPTION_HOLDERS or (owner is None and function is not None and name in function.parameters):
            return self.source.code(condition)
        return None

    @staticmethod
    def _is_cli_command(function: FunctionInfo) -> bool:
        return any(
            final_name(decorator.func if isinstance(decorator, ast.Call) else decorator) == "command"
            for decorator in function.node.decorator_list
        )

    def logs_warning(self, node: ast.AST, where: Where) -> bool:
        """A WARNING logged when polling starts: in the enclosing code, before the site begins."""
        scope: ast.AST = where.function.node if where.function else self.module
        return any(is_warning(self.index, call) for call in _calls_before(scope, node))

    def max_duration(self, node: ast.AST, where: Where) -> float | None:
        """A bound on polling time: `deadline = time.monotonic() + 300`, `if elapsed > MAX: break`."""
        scope: ast.AST = where.function.node if where.function else node
        function = where.function
        for found in collect(scope, ast.BinOp, ast.Compare):
            if isinstance(found, ast.BinOp) and isinstance(found.op, ast.Add):
                for clock, amount in ((found.left, found.right), (found.right, found.left)):
                    if self.is_clock(clock):
                        value = self.values.number(amount, function).value
                        if value:
                            return value
            elif isinstance(found, ast.Compare) and len(found.ops) == 1:
                if not isinstance(found.ops[0], ast.Gt | ast.GtE | ast.Lt | ast.LtE):
                    continue
                comparator = found.comparators[0]
                for measured, bound in ((found.left, comparator), (comparator, found.left)):
                    if self._measures_time(measured):
                        value = self.values.number(bound, function).value
                        if value:
                            return value
        return None

    def is_clock(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        qualified = self.index.qualify(node.func) or ""
        return (
            qualified in _CLOCKS
            or qualified.endswith((".now", ".utcnow"))
            or (final_name(node.func) == "time" and "loop" in qualified)
        )

    def _measures_time(self, node: ast.AST) -> bool:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            return self.is_clock(node.left)
        name = final_name(node) if isinstance(node, ast.Name | ast.Attribute) else None
        return bool(name and _DURATION_NAME.search(name))

    def fallback_only(self, where: Where, loop_test: ast.expr | None) -> bool:
        """Runs only while the event-driven connection is down: `if self.fallback_mode:`,
        `while not listener.is_connected():`, a function named `*fallback*`."""
        names = [word for condition in where.conditions for word in identifiers(condition)]
        if where.function is not None:
            names.append(where.function.qualname.lower())
        if loop_test is not None:
            names.extend(identifiers(loop_test))
        if any(_FALLBACK_TEXT.search(name) or _DISCONNECTED_NAME.search(name) for name in names):
            return True
        return (
            loop_test is not None
            and any(  # `while not listener.is_connected():`, also `... and time.monotonic() < deadline`
                isinstance(node, ast.UnaryOp)
                and isinstance(node.op, ast.Not)
                and bool(identifiers(node) & _CONNECTED_WORDS)
                for node in collect(loop_test, ast.UnaryOp)
            )
        )


def _calls_before(scope: ast.AST, stop: ast.AST) -> list[ast.Call]:
    """Calls in `scope` that come before `stop` in source order (outside nested definitions)."""
    calls: list[ast.Call] = []
    stack: list[ast.AST] = [scope]
    while stack:
        node = stack.pop()
        if node is stop:
            break  # a pre-order walk has met everything that comes before `stop`
        if node is not scope and isinstance(node, DEFINITIONS):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        stack.extend(reversed(children(node)))
    return calls


def documents_dev_tool(docstring: str, source: Source) -> bool:
    """The module docstring or the comment block the file opens with says it is a development tool."""
    header = " ".join(source.header_comments())
    return any(_DEV_TOOL_TEXT.search(text) for text in (docstring, header))


def documents_webhook_reason(docstring: str, comments: list[tuple[int, str]]) -> bool:
    for text in (docstring, *comment_blocks(comments)):
        lowered = text.lower()
        if "webhook" in lowered and _WEBHOOK_REASON.search(lowered):
            return True
    return False
