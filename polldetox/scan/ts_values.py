"""What a TypeScript/JavaScript expression is worth without running it: intervals in milliseconds.

Resolves number literals, arithmetic (`5 * 60 * 1000`), constants of the same file, environment
defaults (`Number(process.env.POLL_MS ?? 5000)`), and names imported from another module of the
project, which are handed on as a reference for the engine to resolve once every file is known.
"""

from __future__ import annotations

import operator
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    arguments,
    callee_name,
    descendants,
    pair_key,
    parse,
    string_value,
    text,
    unwrap,
)

_MAX_DEPTH = 8
_SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "**": operator.pow,
}
_NUMBER_CASTS = ("Number", "parseInt", "parseFloat", "Number.parseInt", "Number.parseFloat")
_ENV_OBJECTS = ("process.env", "import.meta.env")
# The option or parameter of a polling helper that holds its interval (`intervalMs`, `delay`, `pollMs`).
_INTERVAL_NAME = re.compile(r"interval|delay|period|every|poll|^ms$|Ms$|_ms$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")
_DURATION_UNITS = (
    (("ms", "msec", "msecs", "millisecond", "milliseconds"), 1.0),
    (("s", "sec", "secs", "second", "seconds"), 1000.0),
    (("m", "min", "mins", "minute", "minutes"), 60_000.0),
    (("h", "hr", "hrs", "hour", "hours"), 3_600_000.0),
    (("d", "day", "days"), 86_400_000.0),
)


@dataclass(frozen=True, slots=True)
class Value:
    """A duration in milliseconds, or where it comes from when the number is not known here."""

    ms: float | None = None
    ref: tuple[str, str] | None = None  # (root-relative module without suffix, exported name)
    env: str | None = None  # environment variable that overrides it


def module_path(importer: str, specifier: str) -> str | None:
    """What `specifier` imports from the root-relative file `importer`: a relative import, or one through
    the conventional source aliases (SvelteKit's `$lib/...`, the `@/...` that Vite, Next.js and Vue
    templates map to `src/`), as a root-relative module path without suffix; None for packages."""
    folders = importer.split("/")[:-1]
    source = folders[: folders.index("src") + 1] if "src" in folders else None
    if specifier.startswith("$lib/") and source is not None:
        joined = posixpath.join(*source, "lib", specifier.removeprefix("$lib/"))
    elif specifier.startswith("@/") and source is not None:
        joined = posixpath.join(*source, specifier.removeprefix("@/"))
    elif specifier.startswith("."):
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    else:
        return None
    for suffix in _SOURCE_SUFFIXES:
        if joined.endswith(suffix):
            return joined[: -len(suffix)]
    return joined


class Values:
    """The constants and imports of one file, and the evaluation of expressions against them."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module specifier, imported name)
        self.modules: set[str] = set()  # every module imported or required
        self.constants: dict[str, Node] = {}  # const name -> initialiser
        self._read_imports()
        for declarator in tree.of("variable_declarator"):
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            declaration = declarator.parent
            if (
                name is not None
                and value is not None
                and name.type == "identifier"
                and declaration is not None
                and text(declaration.child(0)) == "const"
            ):
                self.constants.setdefault(text(name), value)

    def _read_imports(self) -> None:
        for statement in self.tree.of("import_statement"):
            module = string_value(statement.child_by_field_name("source"))
            if module is None:
                continue
            self.modules.add(module)
            for node in statement.named_children:
                if node.type != "import_clause":
                    continue
                for part in node.named_children:
                    if part.type == "identifier":
                        self.imports[text(part)] = (module, "default")
                    elif part.type == "named_imports":
                        for specifier in part.named_children:
                            imported = text(specifier.child_by_field_name("name"))
                            alias = specifier.child_by_field_name("alias")
                            self.imports[text(alias) if alias is not None else imported] = (module, imported)
        for call in self.tree.of("call_expression"):
            if callee_name(call) == "require":
                args = arguments(call)
                module = string_value(args[0]) if args else None
                if module is not None:
                    self.modules.add(module)

    def module_path(self, specifier: str) -> str | None:
        return module_path(self.tree.path, specifier)

    def evaluate(self, node: Node | None, depth: int = 0) -> Value | None:
        """The value of an expression in milliseconds as far as it is known; None if not a duration."""
        node = unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        kind = node.type
        if kind == "number":
            return _number(text(node))
        if kind == "string":
            literal = string_value(node) or ""
            return _number(literal.strip())
        if kind == "unary_expression" and text(node.child_by_field_name("operator")) in ("-", "+"):
            inner = self.evaluate(node.child_by_field_name("argument"), depth + 1)
            if inner is None or inner.ms is None:
                return inner
            sign = -1 if text(node.child_by_field_name("operator")) == "-" else 1
            return Value(ms=sign * inner.ms, env=inner.env)
        if kind == "binary_expression":
            return self._binary(node, depth)
        if kind == "ternary_expression":
            # `fast ? 1000 : 5000`: the shorter delay is how often it can poll.
            branches = (node.child_by_field_name("consequence"), node.child_by_field_name("alternative"))
            known = [v for b in branches if (v := self.evaluate(b, depth + 1)) is not None and v.ms is not None]
            return min(known, key=lambda v: v.ms or 0.0) if known else None
        if kind == "identifier":
            found = self.lookup(text(node), depth)
            default = local_default(node, text(node)) if found is None else None
            if default is not None:
                return self.evaluate(default, depth + 1)
            return found if found is not None else self._assigned(node, depth)
        if kind == "member_expression":
            return self._environment(node) or self._setting(node, depth)
        if kind == "call_expression" and self.imports.get(callee_name(node), ("",))[0] == "ms":
            args = arguments(node)  # the `ms` package: ms('30 seconds'), ms('5m')
            return _human_duration(string_value(args[0]) or "") if args else None
        if kind == "call_expression" and callee_name(node) in ("Math.max", "Math.min"):
            # `Math.max(1000, refreshInterval)`: a floor or cap around a setting, known when its default is
            args = arguments(node)
            known = [v for a in args if (v := self.evaluate(a, depth + 1)) is not None and v.ms is not None]
            if not args or len(known) != len(args):
                return None
            pick = max if callee_name(node) == "Math.max" else min
            return pick(known, key=lambda v: v.ms or 0.0)
        if kind == "call_expression" and callee_name(node) in _NUMBER_CASTS:
            args = arguments(node)
            return self.evaluate(args[0], depth + 1) if args else None
        return None

    def _assigned(self, node: Node, depth: int) -> Value | None:
        """`let wait; if (tries < 10) wait = 500; else wait = 3000;`: the shortest delay a local variable
        of the enclosing function is given, as for a ternary, is how often it can run."""
        function = next((a for a in ancestors(node) if a.type in FUNCTION_TYPES), None)
        if function is None:
            return None
        known = [
            value
            for assignment in descendants(function)
            if assignment.type == "assignment_expression"
            and text(assignment.child_by_field_name("left")) == text(node)
            and (value := self.evaluate(assignment.child_by_field_name("right"), depth + 1)) is not None
            and value.ms is not None
        ]
        return min(known, key=lambda v: v.ms or 0.0) if known else None

    def _binary(self, node: Node, depth: int) -> Value | None:
        op = text(node.child_by_field_name("operator"))
        left = self.evaluate(node.child_by_field_name("left"), depth + 1)
        right = self.evaluate(node.child_by_field_name("right"), depth + 1)
        if op in ("??", "||"):
            # `process.env.X ?? 5000`: the default is what the code polls with unless configured.
            if left is not None and left.env is not None and left.ms is None:
                return Value(ms=right.ms if right else None, ref=right.ref if right else None, env=left.env)
            return left if left is not None and left.ms is not None else right
        if op in ("+", "-") and left is not None and left.ms is not None and _jitter(node.child_by_field_name("right")):
            return left  # `5 * 60 * 1000 + (Math.random() - 0.5) * 30 * 1000`: the main term, without its jitter
        if op not in _ARITHMETIC or left is None or right is None or left.ms is None or right.ms is None:
            return None
        try:
            result = _ARITHMETIC[op](left.ms, right.ms)
        except (ZeroDivisionError, OverflowError):
            return None
        return Value(ms=float(result), env=left.env or right.env)

    def helper_default(self, name: str) -> Value | None:
        """The default interval of a polling helper imported from the project, resolved once every file is
        known (`useAutoRefresh({ key })` runs on the `intervalMs = 60000` the helper's module defaults to)."""
        specifier, imported = self.imports.get(name, ("", ""))
        module = self.module_path(specifier) if specifier else None
        return Value(ref=(module, f"{imported}()")) if module is not None else None

    def lookup(self, name: str, depth: int = 0) -> Value | None:
        if name in self.constants:
            return self.evaluate(self.constants[name], depth + 1)
        if name in self.imports:
            specifier, imported = self.imports[name]
            module = self.module_path(specifier)
            if module is not None and imported != "default":
                return Value(ref=(module, imported))
        return None

    def _setting(self, node: Node, depth: int) -> Value | None:
        """`settings.sync.everyMs`: a key of a constant object literal of this file, its static default."""
        path = text(node).split(".")
        value = unwrap(self.constants.get(path[0]))
        for key in path[1:]:
            if value is None or value.type != "object":
                return None
            pair = next((p for p in value.named_children if p.type == "pair" and pair_key(p) == key), None)
            value = unwrap(pair.child_by_field_name("value")) if pair is not None else None
        return self.evaluate(value, depth + 1) if value is not None and len(path) > 1 else None

    def _environment(self, node: Node) -> Value | None:
        owner = text(node.child_by_field_name("object"))
        if owner in _ENV_OBJECTS:
            return Value(env=text(node.child_by_field_name("property")))
        return None


def local_default(node: Node, name: str) -> Node | None:
    """The default `name` has in the functions around `node`: a parameter's (`name = 5000`,
    `{ name = 5000 } = {}`) or a destructuring declaration's in the body (`const { name = 5000 } = options`)."""
    for function in ancestors(node):
        if function.type not in FUNCTION_TYPES:
            continue
        for holder in _default_holders(function):
            for pattern in descendants(holder):
                if pattern.type == "object_assignment_pattern" and text(pattern.child_by_field_name("left")) == name:
                    return pattern.child_by_field_name("right")
                if (
                    pattern.type in ("required_parameter", "optional_parameter")
                    and text(pattern.child_by_field_name("pattern")) == name
                ):
                    return pattern.child_by_field_name("value")
    return None


def _default_holders(function: Node) -> list[Node]:
    """A function's parameters and the patterns its body's own declarations destructure."""
    holders = [p for p in (function.child_by_field_name("parameters"),) if p is not None]
    body = function.child_by_field_name("body")
    for statement in body.named_children if body is not None and body.type == "statement_block" else ():
        if statement.type in ("lexical_declaration", "variable_declaration"):
            holders += [
                pattern
                for declarator in statement.named_children
                if declarator.type == "variable_declarator"
                and (pattern := declarator.child_by_field_name("name")) is not None
                and pattern.type == "object_pattern"
            ]
    return holders


def helper_interval(function: Node, values: Values) -> float | None:
    """The default of a helper's interval option or parameter, in milliseconds."""
    for holder in _default_holders(function):
        for pattern in descendants(holder):
            if pattern.type == "object_assignment_pattern":
                name, default = pattern.child_by_field_name("left"), pattern.child_by_field_name("right")
            elif pattern.type in ("required_parameter", "optional_parameter"):
                name, default = pattern.child_by_field_name("pattern"), pattern.child_by_field_name("value")
            else:
                continue
            if name is not None and default is not None and _INTERVAL_NAME.search(text(name)):
                value = values.evaluate(default)
                if value is not None and value.ms is not None:
                    return value.ms
    return None


def _human_duration(literal: str) -> Value | None:
    """`30 seconds`, `5m`, `1.5h`, `500` (ms) as the `ms` package reads them."""
    match = _DURATION.match(literal.strip().lower())
    if match is None:
        return None
    unit = next((size for names, size in _DURATION_UNITS if (match.group(2) or "ms") in names), None)
    return Value(ms=float(match.group(1)) * unit) if unit is not None else None


def _number(literal: str) -> Value | None:
    cleaned = literal.replace("_", "")
    try:
        number = float(int(cleaned, 0)) if cleaned[:2].lower() in ("0x", "0o", "0b") else float(cleaned)
    except ValueError:
        return None
    return Value(ms=number)


def exported_constants(source: str, path: str) -> dict[str, float]:
    """Numeric `export const NAME = ...` of a module, in the module's own units (milliseconds)."""
    tree = parse(source, path)
    values = Values(tree)
    constants: dict[str, float] = {}
    for statement in tree.root.named_children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration") or statement.child_by_field_name("value")
        if declaration is not None and declaration.type in FUNCTION_TYPES:
            # `export function useAutoRefresh({ intervalMs = 60000 } = {})`: the helper's default interval
            default = helper_interval(declaration, values)
            exported = "default" if statement.child(1) is not None and text(statement.child(1)) == "default" else None
            name = exported or text(declaration.child_by_field_name("name"))
            if default is not None and name:
                constants[f"{name}()"] = default
            continue
        if declaration is None or declaration.type != "lexical_declaration" or text(declaration.child(0)) != "const":
            continue
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            name = declarator.child_by_field_name("name")
            function = unwrap(declarator.child_by_field_name("value"))
            if function is not None and function.type in FUNCTION_TYPES and name is not None:
                default = helper_interval(function, values)
                if default is not None:
                    constants[f"{text(name)}()"] = default
                continue
            value = values.evaluate(declarator.child_by_field_name("value"))
            if name is not None and name.type == "identifier" and value is not None and value.ms is not None:
                constants[text(name)] = value.ms
    return constants


def reexported_names(source: str, path: str) -> dict[str, tuple[str, str]]:
    """`export { NAME } from './x'` of a module: exported name -> (root-relative module, name there)."""
    tree = parse(source, path)
    values = Values(tree)
    forwarded: dict[str, tuple[str, str]] = {}
    for statement in tree.root.named_children:
        specifier = string_value(statement.child_by_field_name("source"))
        module = values.module_path(specifier) if statement.type == "export_statement" and specifier else None
        if module is None:
            continue
        for clause in statement.named_children:
            for exported in clause.named_children if clause.type == "export_clause" else ():
                name, alias = exported.child_by_field_name("name"), exported.child_by_field_name("alias")
                forwarded[text(alias if alias is not None else name)] = (module, text(name))
    return forwarded


def imported_calls(function: Node, values: Values) -> tuple[tuple[str, str], ...]:
    """The project functions a function calls through its file's imports: `Minuter(x)` -> (module,
    `Minuter`), `queue.push(x)` with `queue` a default import -> (module, `default.push`)."""
    found: list[tuple[str, str]] = []
    for call in descendants(function):
        if call.type != "call_expression":
            continue
        parts = callee_name(call).split(".")
        if parts[0] not in values.imports or len(parts) > 2:
            continue
        specifier, imported = values.imports[parts[0]]
        module = values.module_path(specifier)
        if module is None:
            continue
        name = imported if len(parts) == 1 else f"{imported}.{parts[1]}" if imported == "default" else None
        if name is not None and (module, name) not in found:
            found.append((module, name))
    return tuple(found)


def _jitter(node: Node | None) -> bool:
    """A random term spread around an interval: `(Math.random() - 0.5) * 30000`, `Math.random() * 1000`."""
    return node is not None and "Math.random()" in text(node)
