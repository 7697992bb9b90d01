"""Python codemods (libcst): a watcher loop becomes the NOTIFY callback, and the app starts the listener.

Formatting and comments outside the changed statements are kept as written. Every function here
either returns the new module or raises Unsafe with the reason the shape is left for a person.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor


class Unsafe(ValueError):
    """The code is not in a shape the codemod rewrites safely; the message says why."""


@dataclass(frozen=True)
class Watcher:
    qualified: str  # "BackgroundTaskManager.watch_queue" or "watch_queue"
    callback: str  # the new name: on_queue_items_change


_START_CALLS = frozenset({"create_task", "ensure_future", "add_job", "start_soon", "spawn"})


def _callee(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _names_in(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            found.add(attribute.attr.value)

    node.visit(_Collect())
    return found


def _is_sleep(statement: cst.BaseStatement) -> bool:
    """`await asyncio.sleep(n)`, `time.sleep(n)`, `await anyio.sleep(n)`: the loop's wait."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expression = statement.body[0]
    if not isinstance(expression, cst.Expr):
        return False
    value = expression.value.expression if isinstance(expression.value, cst.Await) else expression.value
    return isinstance(value, cst.Call) and _callee(value.func) == "sleep"


class _DropSleeps(cst.CSTTransformer):
    """Remove the waits of one loop body; refuse `break`/`continue`/`return`, which mean something else once."""

    def __init__(self) -> None:
        self.removed: list[cst.BaseStatement] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_Break(self, node: cst.Break) -> None:
        raise Unsafe("the loop body uses `break`: a callback runs once, so it has no loop to leave")

    def visit_Continue(self, node: cst.Continue) -> None:
        raise Unsafe("the loop body uses `continue`: rewrite it as an early return by hand")

    def visit_Return(self, node: cst.Return) -> None:
        raise Unsafe("the loop body returns, which ended the watcher; a callback cannot say that")

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        kept = []
        for statement in updated.body:
            if _is_sleep(statement):
                self.removed.append(statement)
            else:
                kept.append(statement)
        if not kept:
            kept = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated.with_changes(body=kept)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))


def _reraises(handler: cst.ExceptHandler) -> bool:
    return any(m.findall(handler.body, m.Raise(exc=None)))


def _loops_in(node: cst.CSTNode) -> int:
    """The `while` loops in a statement, its nested blocks included; not those of functions it defines."""
    count = 0

    class _Count(cst.CSTVisitor):
        def visit_While(self, node: cst.While) -> None:
            nonlocal count
            count += 1

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    node.visit(_Count())
    return count


def _only_logs_cancellation(block: cst.Try) -> bool:
    """`try: ... except CancelledError: log; raise` only logs the watcher's end: the callback needs none of it."""
    return (
        block.orelse is None
        and block.finalbody is None
        and bool(block.handlers)
        and all(
            handler.type is not None and _callee(handler.type) == "CancelledError" and _reraises(handler)
            for handler in block.handlers
        )
    )


def _block_header(block: cst.With | cst.Try) -> str:
    if isinstance(block, cst.Try):
        return "try:"
    code = cst.Module(body=[]).code_for_node(block.with_changes(body=cst.IndentedBlock(body=[])))
    return code.strip().splitlines()[0]


@dataclass
class _Nesting:
    """What sits around the one loop: the statements that run before it, and the blocks it sits in."""

    setup: list[cst.BaseStatement]
    blocks: list[str]

    def where(self) -> str:
        return "".join(f" inside `{header}`" for header in self.blocks)


def _around_loop(
    statements: list[cst.BaseStatement],
    callback_body: Callable[[cst.While], list[cst.BaseStatement]],
    nesting: _Nesting,
) -> list[cst.BaseStatement]:
    """The statements with the loop replaced by `callback_body(loop)`.

    A `with` block around the loop stays around the callback's body (the callback enters it on each
    change); a `try` that only logs cancellation goes; another `try` stays, so its handlers still
    catch the tick's errors. Statements before the loop are collected as set-up; none may follow it.
    """
    index = next(position for position, statement in enumerate(statements) if _loops_in(statement))
    holder = statements[index]
    nesting.setup.extend(statements[:index])
    if statements[index + 1 :]:
        raise Unsafe(f"statements follow the loop{nesting.where()}")
    if isinstance(holder, cst.While):
        return [*statements[:index], *callback_body(holder)]
    if isinstance(holder, cst.With) or (isinstance(holder, cst.Try) and _loops_in(holder.body)):
        nesting.blocks.append(_block_header(holder))
        inner = _around_loop(list(holder.body.body), callback_body, nesting)
        if isinstance(holder, cst.Try) and _only_logs_cancellation(holder):
            inner[0] = inner[0].with_changes(leading_lines=[*holder.leading_lines, *inner[0].leading_lines])  # type: ignore[union-attr]
            return [*statements[:index], *inner]
        return [*statements[:index], holder.with_changes(body=holder.body.with_changes(body=inner))]
    header = cst.Module(body=[]).code_for_node(holder).strip().splitlines()[0]
    raise Unsafe(
        f"the loop sits in a block other than `with` or `try` (`{header}`){nesting.where()}: "
        "move it out of that block by hand"
    )


def _redone_setup(setup: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The set-up before the loop that a callback would redo on every change: all but imports, which Python caches."""
    return [
        statement
        for statement in setup
        if not (
            isinstance(statement, cst.SimpleStatementLine)
            and all(isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)
        )
    ]


def _loop_to_callback(function: cst.FunctionDef, watcher: Watcher) -> tuple[cst.FunctionDef, set[str]]:
    """The function with its `while True:` body as its body; returns it and the names the waits used."""
    if function.asynchronous is None:
        raise Unsafe("a synchronous watcher: the listener awaits its callbacks, so make it async first")
    body = list(function.body.body)  # type: ignore[union-attr]
    head = 1 if body and _is_docstring(body[0]) else 0
    loops = _loops_in(function.body)
    if loops != 1:
        raise Unsafe("the watcher does more than one loop" if loops else "the watcher has no `while` loop")
    dropper = _DropSleeps()

    def callback_body(loop: cst.While) -> list[cst.BaseStatement]:
        if not m.matches(loop.test, m.Name("True") | m.Integer("1")):
            raise Unsafe(f"the loop runs while `{cst.Module(body=[]).code_for_node(loop.test)}`, not forever")
        if loop.orelse is not None:
            raise Unsafe("the loop has an `else:` block")
        new_loop_body = loop.body.visit(dropper)
        if not dropper.removed:
            raise Unsafe("the loop waits with something other than a sleep call")
        assert isinstance(new_loop_body, cst.IndentedBlock)
        statements = list(new_loop_body.body)
        statements[0] = statements[0].with_changes(
            leading_lines=[*loop.leading_lines, *statements[0].leading_lines]  # type: ignore[union-attr]
        )
        return statements

    nesting = _Nesting(setup=[], blocks=[])
    new_body = _around_loop(body[head:], callback_body, nesting)
    if redone := _redone_setup(nesting.setup):
        if state := sorted(filter(None, map(_assigned_name, redone))):
            raise Unsafe(
                f"it sets up state before the loop{nesting.where()} ({', '.join(state[:3])}) that each tick reads; "
                "a callback would start over every time: keep it on an attribute first"
            )
        first = cst.Module(body=[]).code_for_node(redone[0]).strip().splitlines()[0]
        raise Unsafe(
            f"it runs `{first}` once before the loop{nesting.where()}; a callback would run it on every change: "
            "move it to start-up by hand"
        )
    event = cst.Param(
        name=cst.Name("event"),
        annotation=cst.Annotation(cst.parse_expression("dict[str, Any]")),
    )
    params = function.params.with_changes(params=[*function.params.params, event])
    used = set().union(*(_names_in(statement) for statement in dropper.removed))
    return (
        function.with_changes(
            name=cst.Name(watcher.callback),
            params=params,
            body=function.body.with_changes(body=[*body[:head], *new_body]),
        ),
        used,
    )


class _Rewrite(cst.CSTTransformer):
    """Replace the watcher and drop each start-up registration of it (create_task, add_job, ...)."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.old = watcher.qualified.rsplit(".", 1)[-1]
        self.scope: list[str] = []
        self.replaced = False
        self.wait_names: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scope.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.append(node.name.value)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        qualified = ".".join(self.scope)
        self.scope.pop()
        if qualified != self.watcher.qualified:
            return updated
        function, self.wait_names = _loop_to_callback(updated, self.watcher)
        self.replaced = True
        return function

    def _registers(self, node: cst.BaseExpression) -> bool:
        call = node.expression if isinstance(node, cst.Await) else node
        if not isinstance(call, cst.Call) or _callee(call.func) not in _START_CALLS:
            return False
        return any(self.old == _callee(_target(arg.value)) for arg in call.args)

    def leave_List(self, original: cst.List, updated: cst.List) -> cst.List:
        return self._without_registrations(updated)

    def leave_Tuple(self, original: cst.Tuple, updated: cst.Tuple) -> cst.Tuple:
        return self._without_registrations(updated)

    def _without_registrations(self, node: cst.List | cst.Tuple) -> cst.List | cst.Tuple:
        """Drop `create_task(self.watch())` elements; the comment lines after one stay, on the element before."""
        kept: list[cst.BaseElement] = []
        lead = node.lbracket if isinstance(node, cst.List) else (node.lpar[0] if node.lpar else None)
        for element in node.elements:
            if not self._registers(element.value):
                kept.append(element)
                continue
            comma = element.comma
            if kept and isinstance(comma, cst.Comma) and isinstance(kept[-1].comma, cst.Comma):
                previous = kept[-1].comma.with_changes(whitespace_after=comma.whitespace_after)
                kept[-1] = kept[-1].with_changes(comma=previous)
            elif not kept and isinstance(comma, cst.Comma) and lead is not None:
                lead = lead.with_changes(whitespace_after=comma.whitespace_after)
        if len(kept) == len(node.elements):
            return node
        if isinstance(node, cst.List):
            return node.with_changes(elements=kept, lbracket=lead)
        parens = [lead, *node.lpar[1:]] if node.lpar and lead is not None else node.lpar
        return node.with_changes(elements=kept, lpar=parens)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr) and self._registers(updated.body[0].value):
            return cst.RemoveFromParent()
        return updated


def _target(value: cst.BaseExpression) -> cst.BaseExpression:
    """`self.watch()` and `self.watch` both name the watcher started."""
    return value.func if isinstance(value, cst.Call) else value


def migrate_watcher(source: str, watcher: Watcher) -> str:
    """The module with the watcher turned into its callback, its registration and unused settings gone."""
    module = cst.parse_module(source)
    rewrite = _Rewrite(watcher)
    module = module.visit(rewrite)
    if not rewrite.replaced:
        raise Unsafe(f"no function {watcher.qualified} holds the loop")
    if rewrite.old in _names_in(module):
        raise Unsafe(
            f"{rewrite.old} is still used after removing its start-up registration: "
            "it is started or called in a way the codemod does not recognise"
        )
    if "Any" not in _imported_names(module):
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, "typing", "Any")
        module = _names_in_isort_order(AddImportsVisitor(context).transform_module(module), "typing")
    return drop_unused(module, rewrite.wait_names).code


def drop_unused(module: cst.Module, candidates: set[str]) -> cst.Module:
    """Module-level settings and imports among `candidates` that nothing uses any more."""
    module = _drop_unused_constants(module, candidates)
    # The import pass resolves scopes over the whole module: run it only when it has work.
    used = _names_in(module.with_changes(body=[s for s in module.body if not _is_import(s)]))
    unused = [name for name in candidates if name in _imported_names(module) and name not in used]
    if unused:
        context = CodemodContext()
        for name in unused:
            source = _imported_from(module, name)
            if source is None:
                RemoveImportsVisitor.remove_unused_import(context, name)
            else:
                RemoveImportsVisitor.remove_unused_import(context, source, name)
        module = RemoveImportsVisitor(context).transform_module(module)
    return module


def _imported_from(module: cst.Module, name: str) -> str | None:
    """The module of `from module import name`, None when `name` is bound by a plain `import`."""
    code = cst.Module(body=[]).code_for_node
    for statement in module.body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else []
        for small in smalls:
            if not isinstance(small, cst.ImportFrom) or small.module is None or isinstance(small.names, cst.ImportStar):
                continue
            if any(code(alias.name) == name for alias in small.names):
                return code(small.module)
    return None


def _names_in_isort_order(module: cst.Module, source: str) -> cst.Module:
    """`from source import ...` names as isort orders them: CONSTANTS, then Classes, then functions."""

    def key(alias: cst.ImportAlias) -> tuple[int, str]:
        name = cst.Module(body=[]).code_for_node(alias.name)
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return kind, name

    class _Sort(cst.CSTTransformer):
        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
            if updated.module is None or cst.Module(body=[]).code_for_node(updated.module) != source:
                return updated
            if isinstance(updated.names, cst.ImportStar) or updated.lpar is not None:
                return updated  # a parenthesised, multi-line import keeps its layout
            names = sorted(updated.names, key=key)
            commas = [alias.comma for alias in updated.names]
            return updated.with_changes(names=[a.with_changes(comma=c) for a, c in zip(names, commas, strict=True)])

    return module.visit(_Sort())


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _imported_names(module: cst.Module) -> set[str]:
    """Names the module's top-level imports bind."""
    names: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    names.add(cst.Module(body=[]).code_for_node(bound).split(".")[0])
    return names


def _drop_unused_constants(module: cst.Module, candidates: set[str]) -> cst.Module:
    """Module-level `NAME = value` settings the removed waits read and nothing reads any more."""
    body = list(module.body)
    for statement in list(body):
        name = _assigned_name(statement)
        if name in candidates:
            rest = [other for other in body if other is not statement]
            if name not in _names_in(module.with_changes(body=rest)):
                position = body.index(statement)
                if position + 1 < len(body):  # the blank lines above it now separate what follows
                    following = body[position + 1]
                    lines = max(statement.leading_lines, following.leading_lines, key=len)  # type: ignore[union-attr]
                    body[position + 1] = following.with_changes(leading_lines=lines)
                body.remove(statement)
    return module.with_changes(body=body)


def _assigned_name(statement: cst.BaseStatement) -> str | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return small.target.value
    return None


# --- Wiring the listener into the app's start-up -------------------------------------------------


@dataclass(frozen=True)
class Wiring:
    """Where the app builds the watcher's owner, and what the listener registers."""

    owner_class: str | None  # the watcher's class; None for a module-level callback
    callback: str
    channel: str
    listener_module: str  # the module that defines PgListener
    joined_channels: tuple[str, ...] = ()  # of the other tables the callback's query joins: it reruns on those too

    @property
    def channels(self) -> tuple[str, ...]:
        return (self.channel, *self.joined_channels)


def wire_listener(source: str, wiring: Wiring) -> str | None:
    """The module with the listener started and stopped in its lifespan, or None if it has no such hook.

    Raises Unsafe when the hook is found but its shape gives no place for the lines.
    """
    module = cst.parse_module(source)
    for hook in startup_hooks(module):
        owner = _owner_variable(hook, wiring.owner_class) or _module_owner(module, hook, wiring.owner_class)
        if owner is None and wiring.owner_class is not None:
            continue
        body = list(hook.body.body)  # type: ignore[union-attr]
        anchor = next((i for i, s in enumerate(body) if owner and _awaits_method_of(s, owner)), None)
        if anchor is None:
            anchor = next((i for i, s in enumerate(body) if owner and _assigned_name(s) == owner), None)
        target = f"{owner}.{wiring.callback}" if owner else wiring.callback
        registration = Registration(target, f'lambda: {target}({{"operation": "RESYNC"}})', wiring.channels)
        return install_listener(module, hook, registration, anchor, wiring.listener_module).code
    return None


@dataclass(frozen=True)
class Registration:
    """What the listener calls: `handler` on each of `channels`, `resync` on every (re)connect."""

    handler: str  # `feed.on_orders_change`, `lambda event: push_order_board(pool, manager)`
    resync: str  # `lambda: ...`: notifications sent while disconnected are lost, so the state is re-sent
    channels: tuple[str, ...]


def startup_hooks(module: cst.Module) -> list[cst.FunctionDef]:
    """The module's lifespan context managers and `on_event("startup")` handlers."""
    return [node for node in module.body if isinstance(node, cst.FunctionDef) and _is_startup_hook(node, module)]


def before_shutdown(hook: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The hook's start-up statements: those before its `yield` (or the `try:` around it)."""
    body = list(hook.body.body)  # type: ignore[union-attr]
    end = next((i for i, s in enumerate(body) if m.findall(s, m.Yield())), len(body))
    return body[:end]


def install_listener(
    module: cst.Module,
    hook: cst.FunctionDef,
    registration: Registration,
    after: int | None,
    listener_module: str,
    imports: Sequence[tuple[str, str | None]] = (),
) -> cst.Module:
    """The hook registering `registration` with its listener, started after statement `after` and stopped on shutdown.

    A hook that already starts a listener gets the registration just before that start. `imports`:
    (module, name) pairs the lines need besides PgListener; name None for `import module`.
    """
    body = list(hook.body.body)  # type: ignore[union-attr]
    listener = _listener_variable(body)
    name = listener or "listener"
    register = [
        *(_line(f'{name}.register_callback("{channel}", {registration.handler})') for channel in registration.channels),
        _line(f"{name}.on_connect({registration.resync})"),
    ]
    if listener is not None:
        start = _index_of(body, f"await {listener}.start()")
        if start is None:
            raise Unsafe(f"the start-up hook creates {listener} but never awaits {listener}.start()")
        body[start:start] = register
    else:
        if after is None:
            raise Unsafe("no statement in the start-up hook creates the watcher's owner")
        lines = [_line(f"listener = PgListener({_dsn(body)})"), *register, _line("await listener.start()")]
        body[after + 1 : after + 1] = lines
        body = _add_stop(body)
    new_hook = hook.with_changes(body=hook.body.with_changes(body=body))
    module = module.with_changes(body=[new_hook if node is hook else node for node in module.body])
    return add_imports(module, [(listener_module, "PgListener"), *imports], listener_module.split(".")[0])


def add_imports(module: cst.Module, imports: Sequence[tuple[str, str | None]], first_party: str) -> cst.Module:
    """`from module import name` (or `import module`) for each pair the module lacks, where isort puts it."""
    have = _imported_names(module)
    missing = [(source, name) for source, name in imports if (name or source.split(".")[0]) not in have]
    for source, name in missing:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, source, name)
        before = [s for s in module.body if _is_import(s)]
        module = AddImportsVisitor(context).transform_module(module)
        after = [s for s in module.body if _is_import(s)]
        if len(after) > len(before):  # a statement of its own, not a name merged into one there
            added = next(s for s in after if not any(s.deep_equals(b) for b in before))
            module = _sorted_into_place(module, added, first_party)
        elif name is not None:
            module = _names_in_isort_order(module, source)
    return module


def _import_key(statement: cst.BaseStatement, first_party: str) -> tuple[int, int, str]:
    """isort's order: section (future, stdlib, third party, first party), `import x` before `from x`, name."""
    small = statement.body[0]  # type: ignore[attr-defined]
    code = cst.Module(body=[]).code_for_node
    if isinstance(small, cst.ImportFrom):
        name, straight = ("." * len(small.relative) + code(small.module)) if small.module else ".", 1
    else:
        name, straight = code(small.names[0].name), 0  # type: ignore[index]
    top = name.split(".")[0]
    if top == "__future__":
        section = 0
    elif top in sys.stdlib_module_names:
        section = 1
    elif top == first_party or not top:
        section = 3
    else:
        section = 2
    return section, straight, name.lower()


def _sorted_into_place(module: cst.Module, added: cst.BaseStatement, first_party: str) -> cst.Module:
    """Move the added import statement into its isort section, in order, with a blank line before a new section."""
    body = [s for s in module.body if s is not added]
    imports = [(i, _import_key(s, first_party)) for i, s in enumerate(body) if _is_import(s)]
    key = _import_key(added, first_party)
    added = added.with_changes(leading_lines=[])
    same = [(i, k) for i, k in imports if k[0] == key[0]]
    later = next((i for i, k in same if k > key), None)
    if later is not None:  # first in its section takes over the section's blank line
        added = added.with_changes(leading_lines=body[later].leading_lines)  # type: ignore[attr-defined]
        body[later] = body[later].with_changes(leading_lines=[])
        body.insert(later, added)
    elif same:
        body.insert(same[-1][0] + 1, added)
    else:
        earlier = [i for i, k in imports if k[0] < key[0]]
        at = earlier[-1] + 1 if earlier else (imports[0][0] if imports else 0)
        added = added.with_changes(leading_lines=[cst.EmptyLine()] if earlier else [])
        if not earlier and imports:
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(at, added)
    return module.with_changes(body=body)


def _is_startup_hook(function: cst.FunctionDef, module: cst.Module) -> bool:
    decorators = {
        _callee(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) for d in function.decorators
    }
    if "asynccontextmanager" in decorators:
        return True
    for decorator in function.decorators:
        if m.matches(
            decorator.decorator, m.Call(func=m.Attribute(attr=m.Name("on_event")), args=[m.Arg(m.SimpleString())])
        ):
            return "startup" in cst.Module(body=[]).code_for_node(decorator.decorator)
    return False


def _owner_variable(function: cst.FunctionDef, owner_class: str | None) -> str | None:
    for statement in function.body.body:  # type: ignore[union-attr]
        if (
            owner_class
            and isinstance(statement, cst.SimpleStatementLine)
            and m.matches(
                statement.body[0],
                m.Assign(
                    targets=[m.AssignTarget(m.Name())],
                    value=m.Call(func=m.Name(owner_class) | m.Attribute(attr=m.Name(owner_class))),
                ),
            )
        ):
            return statement.body[0].targets[0].target.value  # type: ignore[union-attr]
    return None


def _module_owner(module: cst.Module, hook: cst.FunctionDef, owner_class: str | None) -> str | None:
    """A module-level `manager = Owner(...)` that the hook uses (starts, awaits)."""
    for statement in module.body:
        name = _assigned_name(statement)
        if (
            name
            and owner_class
            and _owner_variable(
                cst.FunctionDef(name=cst.Name("_"), params=cst.Parameters(), body=cst.IndentedBlock(body=[statement])),
                owner_class,
            )
            == name
            and name in _names_in(hook)
        ):
            return name
    return None


def _awaits_method_of(statement: cst.BaseStatement, owner: str) -> bool:
    """`await owner.start()` (or start_all(), run(), ...): where the app starts the watcher's owner."""
    return m.matches(
        statement,
        m.SimpleStatementLine(body=[m.Expr(m.Await(m.Call(func=m.Attribute(value=m.Name(owner)))))]),
    )


def _line(code: str) -> cst.SimpleStatementLine:
    statement = cst.parse_statement(code)
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


def _listener_variable(statements: Sequence[cst.BaseStatement]) -> str | None:
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine) and m.matches(
            statement.body[0], m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Call(func=m.Name("PgListener")))
        ):
            return statement.body[0].targets[0].target.value  # type: ignore[union-attr]
    return None


def _dsn(statements: Sequence[cst.BaseStatement]) -> str:
    """The database URL the hook already connects with (its create_pool / connect argument)."""
    for statement in statements:
        for call in m.findall(statement, m.Call(func=m.Attribute(attr=m.Name("create_pool") | m.Name("connect")))):
            assert isinstance(call, cst.Call)
            if call.args and call.args[0].keyword is None and isinstance(call.args[0].value, cst.Name | cst.Attribute):
                return cst.Module(body=[]).code_for_node(call.args[0].value)
    raise Unsafe("the start-up hook opens no database pool whose URL the listener could use")


def _index_of(body: Sequence[cst.BaseStatement], code: str) -> int | None:
    for index, statement in enumerate(body):
        if (
            isinstance(statement, cst.SimpleStatementLine)
            and cst.Module(body=[]).code_for_node(statement).strip() == code
        ):
            return index
    return None


def _add_stop(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """`await listener.stop()` first in the hook's shutdown: a `finally:` block, else after the `yield`."""
    stop = _line("await listener.stop()")
    for index, statement in enumerate(body):
        if isinstance(statement, cst.Try) and statement.finalbody is not None:
            final = statement.finalbody
            new_final = final.with_changes(body=final.body.with_changes(body=[stop, *final.body.body]))
            body[index] = statement.with_changes(finalbody=new_final)
            return body
    for index, statement in enumerate(body):
        if m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.Yield())])):
            body.insert(index + 1, stop)
            return body
    raise Unsafe("the start-up hook has no shutdown part (a `finally:` block or code after `yield`)")
