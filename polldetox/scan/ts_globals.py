"""Classic browser scripts: files without modules, whose top-level functions are page globals.

A page's `<script>` tags share one global scope: `function refreshStatus() { $.getJSON(...) }`
in one script is called by name from a timer in another. The detector records which top-level
functions of a classic script fetch, and which timers call names the file does not define; the
engine pairs them across files (crossfile.py).
"""

from __future__ import annotations

from tree_sitter import Node

from polldetox.scan.ts_parse import FUNCTION_TYPES, Tree, callee_name, descendants, text, unwrap
from polldetox.scan.ts_reads import CallbackReader
from polldetox.scan.ts_values import Values

_MODULE_STATEMENTS = frozenset({"import_statement", "export_statement"})


def is_classic_script(tree: Tree, values: Values) -> bool:
    """A plain `.js` file with no import, export or require: its top-level names are globals."""
    if not tree.path.endswith(".js") or values.modules:
        return False
    return not any(node.type in _MODULE_STATEMENTS for node in tree.root.named_children)


def fetching_globals(tree: Tree, reader: CallbackReader) -> tuple[str, ...]:
    """The top-level functions of a classic script that fetch or query data."""
    names = []
    for name, function in reader.functions.items():
        declaration = function if function.type == "function_declaration" else _declaration_of(function)
        if declaration is not None and declaration.parent == tree.root and reader.function(function).reads:
            names.append(name)
    return tuple(names)


def undefined_calls(callback: Node | None, reader: CallbackReader, values: Values) -> tuple[str, ...]:
    """Plain names a timer's callback calls (or is) that this file does not define."""
    callback = unwrap(callback)
    if callback is None:
        return ()
    if callback.type == "identifier":
        called = [text(callback)]
    elif callback.type in FUNCTION_TYPES:
        called = [callee_name(n) for n in descendants(callback) if n.type == "call_expression"]
    else:
        return ()
    defined = reader.functions.keys() | values.constants.keys()
    return tuple(dict.fromkeys(n for n in called if n.isidentifier() and n not in defined))


def _declaration_of(function: Node) -> Node | None:
    """The `var name = function () {...}` statement a function value is bound in."""
    declarator = function.parent
    while declarator is not None and declarator.type != "variable_declarator":
        declarator = declarator.parent if declarator.type in ("call_expression", "arguments") else None
    return declarator.parent if declarator is not None else None
