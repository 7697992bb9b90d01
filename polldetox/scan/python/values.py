"""Static values: intervals (numbers, timedeltas, environment variables, imported constants) and strings."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from polldetox.scan.python.index import FunctionInfo, Index
from polldetox.scan.python.syntax import final_name, first_argument, keyword, number_of, text_of

_TIMEDELTA_UNITS = {
    "weeks": 604800,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
    "milliseconds": 0.001,
    "microseconds": 0.000001,
}
_TIMEDELTA_POSITIONAL = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_SQL_WRAPPERS = frozenset({"text", "SQL"})  # sqlalchemy.text("..."), psycopg.sql.SQL("...")


@dataclass(frozen=True)
class Number:
    value: float | None = None
    env_var: str | None = None
    ref: tuple[str, str] | None = None  # (module path, name) of an imported constant


UNKNOWN = Number()


def module_path(importer: str, module: str) -> str:
    """`from .config import X` in app/server/services/x.py -> "app/server/services/config"."""
    dots = len(module) - len(module.lstrip("."))
    if dots == 0:
        return module.replace(".", "/")
    parts = importer.split("/")[:-1]
    parts = parts[: len(parts) - (dots - 1)] if dots > 1 else parts
    rest = module[dots:]
    return "/".join([*parts, *rest.split(".")]) if rest else "/".join(parts)


Binding = tuple[ast.expr | None, "FunctionInfo | None"]


def _single(values: Sequence[ast.expr], scope: FunctionInfo | None) -> Binding:
    """A name bound exactly once has a static value; bound twice or more, it has none."""
    return (values[0], scope) if len(values) == 1 else (None, None)


class Values:
    """Resolves expressions to numbers and strings from literals, constants, defaults and env vars."""

    def __init__(self, index: Index, path: str) -> None:
        self._index = index
        self._path = path

    def lookup(self, name: str, function: FunctionInfo | None) -> Binding:
        """The one expression a name is bound to, and the function to resolve it in (None: module)."""
        scope = function
        while scope is not None:
            if name in scope.assignments:
                return _single(scope.assignments[name], scope)
            if name in scope.parameters:
                passed = self._passed(scope, name)
                if passed is not None:
                    return passed
                # without callers in this file: the default, or known only at run time
                return (scope.defaults[name], None) if name in scope.defaults else (None, None)
            scope = self._enclosing(scope)
        return _single(self._index.constants.get(name, []), None)

    def _passed(self, function: FunctionInfo, name: str) -> Binding | None:
        """What this file's callers pass for a parameter: the one value they all agree on (a default
        counts for the callers that leave it out), or nothing static when they differ. None: no callers."""
        keys = [function.qualname]
        if function.class_name is None and function.qualname == function.name:
            keys.append(function.name)
        elif function.name == "__init__" and function.class_name in self._index.classes:
            keys.append(function.class_name)  # `Watcher(client, interval=5)` constructs and calls __init__
        calls = [call for key in dict.fromkeys(keys) for call in self._index.call_sites.get(key, [])]
        if not calls:
            return None
        skip = 1 if function.class_name is not None and function.positional[:1] in (["self"], ["cls"]) else 0
        position = function.positional.index(name) - skip if name in function.positional else -1
        bindings: dict[str, Binding] = {}
        for call, where in calls:
            given = keyword(call, name)
            positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
            if given is None and 0 <= position < len(positional) and len(positional) == len(call.args):
                given = positional[position]
            if given is None and any(isinstance(arg, ast.Starred) for arg in call.args):
                return None, None  # `watch(*args)`: what it passes is known only at run time
            binding = (given, where.function) if given is not None else (function.defaults.get(name), None)
            if binding[0] is None:
                return None, None
            bindings.setdefault(ast.dump(binding[0]), binding)
        return next(iter(bindings.values())) if len(bindings) == 1 else (None, None)

    def _enclosing(self, function: FunctionInfo) -> FunctionInfo | None:
        outer, _, _ = function.qualname.rpartition(".")
        candidate = self._index.functions.get(outer) if outer else None
        return candidate if candidate is not None and candidate.node is not function.node else None

    def attribute(self, function: FunctionInfo | None, name: str) -> Binding:
        """`self.name` in a method: bound in the class body or in `__init__`."""
        klass = self._index.classes.get(function.class_name or "") if function else None
        bindings = klass.attributes.get(name, []) if klass else []
        preferred = [b for b in bindings if b[1] is None or b[1].name == "__init__"] or bindings
        return preferred[0] if len(preferred) == 1 else (None, None)

    def number(self, expr: ast.expr | None, function: FunctionInfo | None, depth: int = 0) -> Number:
        if expr is None or depth > 10:
            return UNKNOWN
        if isinstance(expr, ast.Constant):
            literal = number_of(expr)
            if literal is not None:
                return Number(literal)
            try:
                return Number(float(expr.value)) if isinstance(expr.value, str) else UNKNOWN
            except ValueError:
                return UNKNOWN
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
            inner = self.number(expr.operand, function, depth + 1)
            sign = -1 if isinstance(expr.op, ast.USub) else 1
            return Number(None if inner.value is None else sign * inner.value, inner.env_var, inner.ref)
        if isinstance(expr, ast.BinOp):
            return self._arithmetic(expr, function, depth)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
            # `os.environ.get("POLL_SECONDS") or 12`: the variable when set, else the fallback
            numbers = [self.number(value, function, depth + 1) for value in expr.values]
            value = next((number.value for number in numbers if number.value), numbers[-1].value)
            env_var = next((number.env_var for number in numbers if number.env_var), None)
            return Number(value, env_var)
        if isinstance(expr, ast.Name):
            bound, scope = self.lookup(expr.id, function)
            if bound is not None:
                return self.number(bound, scope, depth + 1)
            if expr.id in self._index.imported_from:
                module, name = self._index.imported_from[expr.id]
                return Number(ref=(module_path(self._path, module), name))
            return UNKNOWN
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            if expr.value.id in {"self", "cls"}:
                bound, scope = self.attribute(function, expr.attr)
                return self.number(bound, scope, depth + 1)
            return UNKNOWN
        if isinstance(expr, ast.Call):
            return self._call(expr, function, depth)
        if isinstance(expr, ast.Subscript):
            return Number(env_var=self._environ_subscript(expr))
        return UNKNOWN

    def _arithmetic(self, expr: ast.BinOp, function: FunctionInfo | None, depth: int) -> Number:
        left = self.number(expr.left, function, depth + 1)
        right = self.number(expr.right, function, depth + 1)
        env_var = left.env_var or right.env_var
        if left.value is None or right.value is None:
            return Number(env_var=env_var)
        operator = expr.op
        try:
            if isinstance(operator, ast.Add):
                value = left.value + right.value
            elif isinstance(operator, ast.Sub):
                value = left.value - right.value
            elif isinstance(operator, ast.Mult):
                value = left.value * right.value
            elif isinstance(operator, ast.Div):
                value = left.value / right.value
            elif isinstance(operator, ast.FloorDiv):
                value = float(left.value // right.value)
            elif isinstance(operator, ast.Pow):
                value = float(left.value**right.value)
            else:
                return Number(env_var=env_var)
        except (ZeroDivisionError, OverflowError):
            return Number(env_var=env_var)
        return Number(value, env_var)

    def _call(self, expr: ast.Call, function: FunctionInfo | None, depth: int) -> Number:
        qualified = self._index.qualify(expr.func) or ""
        args = [arg.value if isinstance(arg, ast.Starred) else arg for arg in expr.args]
        if qualified in {"int", "float", "round", "abs"} and args:
            return self.number(args[0], function, depth + 1)
        if qualified in {"os.environ.get", "os.getenv", "os.environ.setdefault"} and args:
            variable = self.string(args[0], function)
            default = args[1] if len(args) > 1 else keyword(expr, "default")
            found = self.number(default, function, depth + 1)
            return Number(found.value, variable or found.env_var)
        if qualified in {"datetime.timedelta", "timedelta"}:
            return self._timedelta(expr, function, depth)
        if isinstance(expr.func, ast.Attribute) and expr.func.attr == "total_seconds":
            return self.number(expr.func.value, function, depth + 1)  # POLL_EVERY.total_seconds()
        if qualified in {"max", "min"} and len(args) >= 2:
            numbers = [self.number(arg, function, depth + 1) for arg in args]
            env_var = next((n.env_var for n in numbers if n.env_var), None)
            values = [n.value for n in numbers]
            if any(v is None for v in values):
                return Number(env_var=env_var)
            pick = max if qualified == "max" else min
            return Number(pick(v for v in values if v is not None), env_var)
        return UNKNOWN

    def _timedelta(self, expr: ast.Call, function: FunctionInfo | None, depth: int) -> Number:
        total = 0.0
        env_var = None
        parts = [
            (_TIMEDELTA_POSITIONAL[position] if position < 7 else None, arg) for position, arg in enumerate(expr.args)
        ]
        parts += [(item.arg, item.value) for item in expr.keywords]
        for unit, value in parts:
            part = self.number(value, function, depth + 1)
            env_var = env_var or part.env_var
            if part.value is None or unit not in _TIMEDELTA_UNITS:
                return Number(env_var=env_var)
            total += part.value * _TIMEDELTA_UNITS[unit]
        return Number(total, env_var)

    def _environ_subscript(self, expr: ast.Subscript) -> str | None:
        if self._index.qualify(expr.value) != "os.environ":
            return None
        return text_of(expr.slice)

    def string(
        self, expr: ast.expr | None, function: FunctionInfo | None, hole: str | None = None, depth: int = 0
    ) -> str | None:
        """A string's static text. An f-string's holes become `hole` (SQL passes an identifier so that the
        statement around them still parses), or stay as written (`{GITHUB_REPO}`) when hole is None."""
        if expr is None or depth > 10:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            return "".join(
                part.value if isinstance(part, ast.Constant) else (hole if hole is not None else _placeholder(part))
                for part in expr.values
            )
        if isinstance(expr, ast.Name):
            bound, scope = self.lookup(expr.id, function)
            return self.string(bound, scope, hole, depth + 1)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            bound, scope = self.attribute(function, expr.attr)
            return self.string(bound, scope, hole, depth + 1)
        if isinstance(expr, ast.Call) and final_name(expr.func) in _SQL_WRAPPERS and expr.args + expr.keywords:
            return self.string(first_argument(expr), function, hole, depth + 1)
        return None


def _placeholder(part: ast.expr) -> str:
    """An f-string hole as written: `{GITHUB_REPO}`, `{user.id!r}`, `{count:>5}`."""
    if not isinstance(part, ast.FormattedValue):
        return ""
    conversion = f"!{chr(part.conversion)}" if part.conversion != -1 else ""
    spec = ""
    if isinstance(part.format_spec, ast.JoinedStr):
        spec = ":" + "".join(
            value.value if isinstance(value, ast.Constant) else _placeholder(value) for value in part.format_spec.values
        )
    return "{" + ast.unparse(part.value) + conversion + spec + "}"
