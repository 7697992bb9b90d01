"""Small readers of CPython `ast` nodes shared by every part of the Python detector."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef

# Fields of a node that hold no code (expression contexts, operators) are never walked.
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment", "kind"})
# Fields in source order where `ast` declares them otherwise: a walk meets nodes as they are written.
_SOURCE_ORDER: dict[type[ast.AST], tuple[str, ...]] = {
    ast.FunctionDef: ("decorator_list", "args", "returns", "body"),
    ast.AsyncFunctionDef: ("decorator_list", "args", "returns", "body"),
    ast.ClassDef: ("decorator_list", "bases", "keywords", "body"),
    ast.IfExp: ("body", "test", "orelse"),
}
# How each child field is read, from the grammar `ast` documents on every node class
# (`arguments(arg* posonlyargs, ..., expr* kw_defaults, ...)`): a node or None, a list of nodes, or
# anything else (checked item by item). Fields of names and numbers (`identifier`, `int`) hold no node.
_NODE, _NODES, _ANY = 0, 1, 2
_SCALARS = frozenset({"identifier", "int", "string", "constant"})
_MAY_HOLD_NONE = frozenset({(ast.arguments, "kw_defaults")})  # `def f(*, a, b=1)`: a has no default
_DECLARED = re.compile(r"(\w+)([*?]?) (\w+)")
_PLANS: dict[type[ast.AST], tuple[tuple[str, int], ...]] = {}


def _plan(kind: type[ast.AST]) -> tuple[tuple[str, int], ...]:
    names = _SOURCE_ORDER.get(kind) or tuple(name for name in kind._fields if name not in _NOT_CHILDREN)
    signature = (kind.__doc__ or "").split("\n", 1)[0]
    declared = {field: (base, mark) for base, mark, field in _DECLARED.findall(signature)}
    plan: list[tuple[str, int]] = []
    for name in names:
        base, mark = declared.get(name, ("", "?"))
        if base in _SCALARS:
            continue
        if not base or (kind, name) in _MAY_HOLD_NONE:
            plan.append((name, _ANY))
        else:
            plan.append((name, _NODES if mark == "*" else _NODE))
    _PLANS[kind] = result = tuple(plan)
    return result


def children(node: ast.AST) -> list[ast.AST]:
    """The node's child nodes in source order."""
    kind = type(node)
    if kind is ast.Dict:
        assert isinstance(node, ast.Dict)
        pairs: list[ast.AST] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                pairs.append(key)
            pairs.append(value)
        return pairs
    plan = _PLANS.get(kind)
    if plan is None:  # an empty plan (a leaf like `Name`) is known too
        plan = _plan(kind)
    found: list[ast.AST] = []
    for name, how in plan:
        value = getattr(node, name, None)
        if how == _NODES:
            if value:
                found += value
        elif how == _NODE:
            if value is not None:
                found.append(value)
        elif isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found


_Handler = Callable[[object, ast.AST], bool | None]
# Node types that never have child nodes.
_LEAF_CANDIDATES = (ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.alias, ast.Global, ast.Nonlocal)


class Walker:
    """A read-only visitor dispatched by node type: `enter_<Node>` (False skips the children), `leave_<Node>`."""

    _handlers: dict[type[ast.AST], tuple[_Handler | None, _Handler | None]]
    # Leaves nobody handles (`Name`, `Constant`, ...) are about half of a tree's nodes: never pushed.
    _inert: frozenset[type[ast.AST]]

    def __init_subclass__(cls) -> None:
        cls._handlers = {}
        cls._inert = frozenset(
            kind
            for kind in _LEAF_CANDIDATES
            if not hasattr(cls, f"enter_{kind.__name__}") and not hasattr(cls, f"leave_{kind.__name__}")
        )

    def walk(self, root: ast.AST | Iterable[ast.AST]) -> None:
        # An explicit stack: expressions nest as deep as the code is long (`a + b + ... + z`).
        roots = [root] if isinstance(root, ast.AST) else list(root)
        stack: list[ast.AST | tuple[ast.AST, _Handler]] = list(reversed(roots))
        while stack:
            node = stack.pop()
            if type(node) is tuple:  # all of the node's children are done
                done, leave = node
                leave(self, done)
                continue
            enter, leave = self._handlers.get(type(node)) or self._handlers_of(type(node))
            if enter is not None and enter(self, node) is False:
                continue
            if leave is not None:
                stack.append((node, leave))
            inert = self._inert
            stack.extend(child for child in reversed(children(node)) if type(child) not in inert)

    def _handlers_of(self, kind: type[ast.AST]) -> tuple[_Handler | None, _Handler | None]:
        handlers = self._handlers.get(kind)
        if handlers is None:
            handlers = (
                getattr(type(self), f"enter_{kind.__name__}", None),
                getattr(type(self), f"leave_{kind.__name__}", None),
            )
            self._handlers[kind] = handlers
        return handlers


def collect(root: ast.AST | list[ast.stmt], *types: type[ast.AST]) -> list[ast.AST]:
    """Nodes of the given types below a root in source order, not inside nested definitions."""
    start: list[ast.AST] = (
        list(root.body) if isinstance(root, FUNCTIONS) else [root] if isinstance(root, ast.AST) else list(root)
    )
    found: list[ast.AST] = []
    stack = list(reversed(start))
    while stack:
        node = stack.pop()
        if isinstance(node, types):
            found.append(node)
        if not isinstance(node, DEFINITIONS) or node is root:
            stack.extend(reversed(children(node)))
    return found


def dotted(node: ast.AST | None) -> str | None:
    """`a.b.c` as written, or None when the expression is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def final_name(func: ast.AST | None) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def target_names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from target_names(element.value if isinstance(element, ast.Starred) else element)


def text_of(node: ast.AST | None) -> str | None:
    """The value of a string literal (implicitly concatenated parts are one literal in `ast`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def number_of(node: ast.AST | None) -> float | None:
    """The value of an int or float literal (True and False are not numbers here)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    return None


def positional(call: ast.Call, position: int, name: str | None = None) -> ast.expr | None:
    args = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if position < len(args):
        return args[position]
    return keyword(call, name) if name else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((item.value for item in call.keywords if item.arg == name), None)


def argument_values(call: ast.Call) -> list[ast.expr]:
    """Every argument's expression, positional ones first: `f(a, *b, c=d, **e)` -> a, b, d, e."""
    values = [arg.value if isinstance(arg, ast.Starred) else arg for arg in call.args]
    return values + [item.value for item in call.keywords]


def first_argument(call: ast.Call) -> ast.expr | None:
    values = argument_values(call)
    return values[0] if values else None


def identifiers(node: ast.AST) -> set[str]:
    """Every name, attribute and keyword name in an expression, split on underscores too."""
    words: set[str] = set()
    for found in collect(node, ast.Name, ast.Attribute, ast.keyword, ast.arg, ast.Constant):
        if isinstance(found, ast.Name):
            word = found.id
        elif isinstance(found, ast.Attribute):
            word = found.attr
        elif isinstance(found, ast.keyword):
            word = found.arg or ""
        elif isinstance(found, ast.arg):
            word = found.arg
        elif isinstance(found, ast.Constant) and (found.value is None or isinstance(found.value, bool)):
            word = str(found.value)
        else:
            continue
        if word:
            words.add(word.lower())
            words.update(word.lower().split("_"))
    return words


def is_class_name(name: str) -> bool:
    """`OrderItem` names a model class; `STATUS_URL` is a constant."""
    return name[:1].isupper() and not name.isupper()


def is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis and not isinstance(node.value, complex)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return not node.elts
    return isinstance(node, ast.Dict) and not node.keys


def is_constant_true(test: ast.AST) -> bool:
    return isinstance(test, ast.Constant) and (test.value is True or (type(test.value) is int and test.value == 1))


def is_main_guard(test: ast.AST) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = (test.left, test.comparators[0])
    names = {side.id for side in sides if isinstance(side, ast.Name)}
    strings = {side.value for side in sides if isinstance(side, ast.Constant) and isinstance(side.value, str)}
    return names == {"__name__"} and strings == {"__main__"}


def normalise(code: str) -> str:
    """Source on one line, spaced the same however it was wrapped: `f( a, b, )` -> `f(a, b)`."""
    flat = " ".join(code.split())
    flat = re.sub(r"([(\[{]) ", r"\1", flat)
    return re.sub(r",? ([)\]}])", r"\1", flat)
