"""One pass over a module: imports and their aliases, constants, classes, functions, candidate
loops and scheduler calls, schedules declared as data, routes' owners, and the call graph.

Import aliases are resolved here (`from time import sleep as pause`), so every later step can ask
`qualify(node)` for the dotted name an expression refers to.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from polldetox.scan.python.syntax import (
    Function,
    Walker,
    argument_values,
    dotted,
    final_name,
    first_argument,
    is_main_guard,
    target_names,
    text_of,
)

HTTP_CONSTRUCTORS = frozenset(
    {
        "httpx.Client",
        "httpx.AsyncClient",
        "requests.Session",
        "requests.session",
        "aiohttp.ClientSession",
        "urllib3.PoolManager",
    }
)
ROUTE_OWNERS = frozenset({"fastapi.FastAPI", "fastapi.APIRouter", "flask.Flask", "flask.Blueprint", "sanic.Sanic"})
DJANGO_PATHS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
_DJANGO_PATH_NAMES = frozenset(path.rsplit(".", 1)[1] for path in DJANGO_PATHS)
_SCHEDULER_CALLS = frozenset(
    {
        "Timer", "call_later", "add_job", "do", "add_periodic_task", "schedule", "cron",
        "PeriodicTask", "create", "get_or_create", "update_or_create",  # django-celery-beat rows made in code
    }
)  # fmt: skip
# `registry.register_minutely(sync_feeds)`: a callback handed to a runner named by its cadence.
CADENCE_REGISTRATION = re.compile(r"^(register|add|schedule)_(every_)?(secondly|minutely|hourly|daily|weekly)$")
# Celery's setting, under its current and its old names: `app.conf.beat_schedule`, `CELERYBEAT_SCHEDULE`.
_BEAT_NAMES = frozenset({"beat_schedule", "celery_beat_schedule", "celerybeat_schedule"})


def _is_beat_entry(value: ast.expr) -> bool:
    """`{"task": "tasks.sync", "schedule": crontab(...)}`: a Celery beat entry by its shape."""
    if not isinstance(value, ast.Dict):
        return False
    keys = {key.value for key in value.keys if isinstance(key, ast.Constant)}
    return {"task", "schedule"} <= keys


@dataclass(eq=False)
class FunctionInfo:
    node: Function
    name: str
    qualname: str  # "Class.method", "function", "outer.inner"
    class_name: str | None
    parameters: set[str] = field(default_factory=set)
    positional: list[str] = field(default_factory=list)  # in order, `self` included
    defaults: dict[str, ast.expr] = field(default_factory=dict)
    assignments: dict[str, list[ast.expr]] = field(default_factory=dict)


@dataclass(eq=False)
class ClassInfo:
    name: str
    attributes: dict[str, list[tuple[ast.expr, FunctionInfo | None]]] = field(default_factory=dict)
    table: str | None = None


@dataclass(frozen=True, eq=False)
class Where:
    """Where a node sits: its enclosing function, the `if` tests it is under, the main guard."""

    function: FunctionInfo | None
    conditions: tuple[ast.expr, ...]
    main_guard: bool


@dataclass(frozen=True, eq=False)
class CallEdge:
    caller: FunctionInfo | None
    callee: str  # key into Index.functions
    where: Where


class Index(Walker):
    """Imports, constants, classes, functions, candidate loops and calls, and the call graph."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> qualified name
        self.imported_from: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        self.constants: dict[str, list[ast.expr]] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}  # "f", "Class.method", plain names of nested defs
        self.loops: list[tuple[ast.While | ast.For, Where]] = []
        self.calls: list[tuple[ast.Call, Where]] = []
        self.edges: list[CallEdge] = []
        self.call_sites: dict[str, list[tuple[ast.Call, Where]]] = {}  # callee key -> the calls
        self.http_clients: set[str] = set()  # "client", "self._http": names bound to an HTTP client
        self.table_objects: dict[str, str] = {}  # name bound to sqlalchemy Table("name", ...)
        self.route_owners: dict[str, ast.Call] = {}  # "router" -> APIRouter(...) call
        # router -> (what it is mounted on, the call): app.include_router(api, prefix="/api/v2")
        self.mounts: dict[str, tuple[str, ast.Call]] = {}
        self.cli_options: dict[str, str] = {}  # dest "watch" -> "--watch"
        # a beat schedule: the dict (or what builds it), where, and the name it is bound to
        self.beat_schedules: list[tuple[ast.expr | None, Where, str | None]] = []
        # `schedule["sync"] = {...}`: entries added one by one, by the name of what they are added to
        self.item_assignments: dict[str, list[tuple[ast.expr, ast.expr, Where]]] = {}
        self.has_run_pending = False
        self.has_job_definition = False  # a dict with "func" and "interval" keys: an rq-scheduler job, maybe
        self.has_main_guard = False
        self.decorated: list[tuple[ast.expr, FunctionInfo]] = []
        self._scopes: list[FunctionInfo | ClassInfo] = []
        self._conditions: list[ast.expr] = []
        self._main_guard = 0
        self._where: Where | None = None  # built once per scope or condition change, not per call

    # -- scopes -----------------------------------------------------------------------------
    def where(self) -> Where:
        if self._where is None:
            function = next((s for s in reversed(self._scopes) if isinstance(s, FunctionInfo)), None)
            self._where = Where(function, tuple(self._conditions), self._main_guard > 0)
        return self._where

    def enter_ClassDef(self, node: ast.ClassDef) -> None:
        klass = ClassInfo(node.name)
        self.classes.setdefault(klass.name, klass)
        self._scopes.append(klass)
        self._where = None

    def leave_ClassDef(self, node: ast.ClassDef) -> None:
        self._scopes.pop()
        self._where = None

    def enter_FunctionDef(self, node: Function) -> None:
        owner = self._scopes[-1] if self._scopes else None
        name = node.name
        if isinstance(owner, ClassInfo):
            function = FunctionInfo(node, name, f"{owner.name}.{name}", owner.name)
        elif isinstance(owner, FunctionInfo):
            function = FunctionInfo(node, name, f"{owner.qualname}.{name}", owner.class_name)
        else:
            function = FunctionInfo(node, name, name, None)
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(
            zip([param.arg for param in positional[len(positional) - len(args.defaults) :]], args.defaults, strict=True)
        )
        for param, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if default is not None:
                defaults[param.arg] = default
        function.positional = [param.arg for param in positional]
        for param in (*positional, *args.kwonlyargs):
            function.parameters.add(param.arg)
            if param.arg in defaults:
                function.defaults[param.arg] = defaults[param.arg]
            if param.annotation is not None:
                self._annotated(param.arg, param.annotation)
        self.functions.setdefault(function.qualname, function)
        self.functions.setdefault(name, function)
        self.decorated.extend((decorator, function) for decorator in node.decorator_list)
        self._scopes.append(function)
        self._where = None

    enter_AsyncFunctionDef = enter_FunctionDef

    def leave_FunctionDef(self, node: Function) -> None:
        self._scopes.pop()
        self._where = None

    leave_AsyncFunctionDef = leave_FunctionDef

    def enter_If(self, node: ast.If) -> bool:
        self.walk(node.test)
        guard = is_main_guard(node.test)
        self.has_main_guard |= guard
        self._main_guard += guard
        self._conditions.append(node.test)  # only the body runs under the test; `else` does not
        self._where = None
        self.walk(node.body)
        self._conditions.pop()
        self._main_guard -= guard
        self._where = None
        self.walk(node.orelse)
        return False

    # -- names ------------------------------------------------------------------------------
    def enter_Dict(self, node: ast.Dict) -> None:
        if not self.has_job_definition:
            keys = {key.value for key in node.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)}
            self.has_job_definition = {"func", "interval"} <= keys

    def enter_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.aliases[root] = root

    def enter_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                return
            local = alias.asname or alias.name
            self.aliases[local] = f"{module}.{alias.name}" if not module.endswith(".") else f"{module}{alias.name}"
            self.imported_from[local] = (module, alias.name)

    def qualify(self, node: ast.AST | None) -> str | None:
        """The dotted name of an expression with its first segment resolved through imports."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        resolved = self.aliases.get(head, head)
        return f"{resolved}.{rest}" if rest else resolved

    def resolve(self, func: ast.AST | None, function: FunctionInfo | None) -> FunctionInfo | None:
        """The same-file function a call (or a function reference) names, if any."""
        if isinstance(func, ast.Name):
            return self.functions.get(func.id) if func.id not in self.aliases else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner in {"self", "cls"} and function is not None and function.class_name:
                return self.functions.get(f"{function.class_name}.{func.attr}")
            if owner in self.classes:
                return self.functions.get(f"{owner}.{func.attr}")
        return None

    # -- assignments ------------------------------------------------------------------------
    def enter_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.value)

    def enter_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = dotted(node.target)
        if name:
            self._annotated(name, node.annotation)
        if node.value is not None:
            self._assigned(node.target, node.value)

    def _annotated(self, target_name: str, annotation: ast.expr) -> None:
        """`client: httpx.AsyncClient`, `session: requests.Session | None`: a name typed as an HTTP client."""
        types = [annotation]
        while types:
            kind = types.pop()
            if isinstance(kind, ast.BinOp):  # X | None
                types.extend((kind.left, kind.right))
            elif isinstance(kind, ast.Subscript):  # Optional[X], Union[X, None]
                types.extend(kind.slice.elts if isinstance(kind.slice, ast.Tuple) else [kind.slice])
            elif self.qualify(kind) in HTTP_CONSTRUCTORS:
                self.http_clients.add(target_name)

    def enter_AugAssign(self, node: ast.AugAssign) -> None:
        # A name changed in place (`delay *= 2`) has no single static value: a second binding says so.
        scope = self._scopes[-1] if self._scopes else None
        if isinstance(node.target, ast.Name) and isinstance(scope, FunctionInfo):
            scope.assignments.setdefault(node.target.id, []).append(node.value)

    def enter_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None and isinstance(node.context_expr, ast.Call):
            target = dotted(node.optional_vars)
            if target and self.qualify(node.context_expr.func) in HTTP_CONSTRUCTORS:
                self.http_clients.add(target)

    def _assigned(self, target: ast.expr, value: ast.expr) -> None:
        scope = self._scopes[-1] if self._scopes else None
        if isinstance(value, ast.Call):
            self._assigned_call(target, value)
        elif isinstance(value, ast.Name) and value.id in self.http_clients and (name := dotted(target)):
            self.http_clients.add(name)  # `self.http = client`, a client handed in
        if isinstance(target, ast.Subscript):
            owner_name = dotted(target.value)
            if owner_name is not None:
                self.item_assignments.setdefault(owner_name, []).append((target.slice, value, self.where()))
                known = {owner for _, _, owner in self.beat_schedules}
                named = owner_name.rsplit(".", 1)[-1].lower() in _BEAT_NAMES
                if (named or _is_beat_entry(value)) and owner_name not in known:
                    # conf.beat_schedule["x"] = {...}; schedule[name] = {"task": ..., "schedule": ...} in a
                    # helper whose result becomes the beat schedule in another module
                    self.beat_schedules.append((None, self.where(), owner_name))
            return
        if isinstance(target, ast.Attribute):
            owner = target.value.id if isinstance(target.value, ast.Name) else None
            if owner == "self" and isinstance(scope, FunctionInfo) and scope.class_name:
                klass = self.classes.get(scope.class_name)
                if klass is not None:
                    klass.attributes.setdefault(target.attr, []).append((value, scope))
            if target.attr.lower() in _BEAT_NAMES:
                self.beat_schedules.append((value, self.where(), dotted(target)))  # app.conf.beat_schedule = {...}
            return
        for name in target_names(target):
            # A tuple target keeps the whole value: `rows, changed = fetch_with_cache()`.
            if isinstance(scope, FunctionInfo):
                scope.assignments.setdefault(name, []).append(value)
            elif isinstance(scope, ClassInfo):
                self._class_attribute(scope, name, value)
            else:
                self.constants.setdefault(name, []).append(value)
            if name.lower() in _BEAT_NAMES:
                self.beat_schedules.append((value, self.where(), name))

    def _class_attribute(self, klass: ClassInfo, name: str, value: ast.expr) -> None:
        klass.attributes.setdefault(name, []).append((value, None))
        table = text_of(value)
        if name == "__tablename__" and table is not None:
            klass.table = table
        elif name == "db_table" and klass.name == "Meta" and table is not None:
            owners = [scope for scope in self._scopes if isinstance(scope, ClassInfo)]
            if len(owners) >= 2:
                owners[-2].table = table

    def _assigned_call(self, target: ast.expr, value: ast.Call) -> None:
        qualified = self.qualify(value.func) or ""
        target_name = dotted(target)
        if target_name is None:
            return
        if qualified in HTTP_CONSTRUCTORS:
            self.http_clients.add(target_name)
        elif qualified in ROUTE_OWNERS:
            self.route_owners[target_name] = value
        elif qualified.endswith("Table") and (table := text_of(first_argument(value))) is not None:
            self.table_objects[target_name] = table

    # -- loops and calls --------------------------------------------------------------------
    def enter_While(self, node: ast.While) -> None:
        self.loops.append((node, self.where()))

    def enter_For(self, node: ast.For) -> None:
        self.loops.append((node, self.where()))

    def enter_Call(self, node: ast.Call) -> None:
        where = self.where()
        name = final_name(node.func)
        if (
            name in _SCHEDULER_CALLS
            or CADENCE_REGISTRATION.match(name or "")
            or (name in _DJANGO_PATH_NAMES and self.qualify(node.func) in DJANGO_PATHS)
        ):
            self.calls.append((node, where))
        elif name == "run_pending":
            self.has_run_pending = True
        elif name in {"add_argument", "option", "Option"}:
            self._cli_option(node)
        elif name in {"include_router", "register_blueprint"} and isinstance(node.func, ast.Attribute):
            mounted, parent = dotted(first_argument(node)), dotted(node.func.value)
            if mounted and parent:
                self.mounts[mounted] = (parent, node)
        for item in node.keywords:  # app.conf.update(beat_schedule={...})
            if item.arg is not None and item.arg.lower() in _BEAT_NAMES:
                self.beat_schedules.append((item.value, where, None))
        callee = self._edge(node.func, where)
        if callee is not None:
            self.call_sites.setdefault(callee, []).append((node, where))
        for value in argument_values(node):  # functions handed over: Thread(target=self._run), to_thread(fetch)
            if isinstance(value, ast.Name | ast.Attribute):
                self._edge(value, where)

    def _edge(self, func: ast.expr, where: Where) -> str | None:
        """Record that `where` calls (or hands over) `func`; the callee's key into `functions`."""
        function = where.function
        callee = None
        if isinstance(func, ast.Name):
            callee = func.id
        elif not isinstance(func, ast.Attribute):
            return None
        elif isinstance(func.value, ast.Name) and func.value.id in {"self", "cls"}:
            if function is not None and function.class_name:
                callee = f"{function.class_name}.{func.attr}"
        elif isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name):
            # Monitor().loop(): a method of a class of this file, if there is one by that name
            callee = f"{func.value.func.id}.{func.attr}"
        if callee is not None:
            self.edges.append(CallEdge(function, callee, where))
        return callee

    def _cli_option(self, node: ast.Call) -> None:
        flags = [text for arg in node.args if (text := text_of(arg)) is not None and text.startswith("--")]
        dest = text_of(next((item.value for item in node.keywords if item.arg == "dest"), None))
        for flag in flags:
            self.cli_options[dest or flag.lstrip("-").replace("-", "_")] = flag
