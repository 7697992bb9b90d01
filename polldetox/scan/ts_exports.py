"""What a TypeScript/JavaScript module's exported functions read, for the timers, schedulers and queue
workers of other files that call them: `Minuter(monitor)` imported from `../cron-minute.js` runs a check
that another module's queue worker performs. Each function's own reads (fetch, HTTP clients, database
clients, followed through the module's functions) and its calls into other project modules, which
scan/crossfile.py follows a few hops deep, as it does for Python.
"""

from __future__ import annotations

from tree_sitter import Node

from polldetox.findings import ReadSummary
from polldetox.scan.ts_parse import FUNCTION_TYPES, Tree, descendants, parse, property_name, text, unwrap
from polldetox.scan.ts_reads import CallbackReader
from polldetox.scan.ts_schedulers import NodeSchedules
from polldetox.scan.ts_values import Values, imported_calls

# Adding a job to a queue: the module's own queue worker runs it.
_ENQUEUES = frozenset({"add", "addBulk"})


def function_reads(source: str, path: str) -> dict[str, ReadSummary]:
    """What each exported function of a module reads, by its exported name (`default.push` for a
    function in an exported default object)."""
    tree = parse(source, path)
    values = Values(tree)
    reader = CallbackReader(tree, values, browser=False)
    worker = NodeSchedules(tree, values, reader).processor()
    summaries: dict[str, ReadSummary] = {}
    for name, function in _exported_functions(tree, reader).items():
        reads = reader.function(function)
        calls = imported_calls(function, values)
        if worker is not None and _enqueues(function):
            reads.merge(reader.function(worker))
            calls += tuple(c for c in imported_calls(worker, values) if c not in calls)
        summaries[name] = ReadSummary(tables=tuple(reads.tables), polls=reads.polls, calls=calls)
    return summaries


def _exported_functions(tree: Tree, reader: CallbackReader) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for statement in tree.root.named_children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        value = unwrap(statement.child_by_field_name("value"))
        if declaration is not None and declaration.type in FUNCTION_TYPES:
            found[text(declaration.child_by_field_name("name"))] = declaration
        elif declaration is not None and declaration.type == "lexical_declaration":
            for declarator in declaration.named_children:
                name = text(declarator.child_by_field_name("name"))
                if name in reader.functions:
                    found[name] = reader.functions[name]
        elif value is not None and value.type == "object":  # `export default { push, shutdown }`
            for member in value.named_children:
                local = text(member) if member.type == "shorthand_property_identifier" else None
                if member.type == "pair":
                    local = text(member.child_by_field_name("value"))
                    key = text(member.child_by_field_name("key"))
                else:
                    key = local
                if local in reader.functions:
                    found[f"default.{key}"] = reader.functions[local]
        elif value is not None and text(value) in reader.functions:  # `export default check`
            found["default"] = reader.functions[text(value)]
        for clause in statement.named_children:  # `export { Minuter, check as run }`
            if clause.type != "export_clause":
                continue
            for specifier in clause.named_children:
                local = text(specifier.child_by_field_name("name"))
                alias = specifier.child_by_field_name("alias")
                if local in reader.functions:
                    found[text(alias) if alias is not None else local] = reader.functions[local]
    return found


def _enqueues(function: Node) -> bool:
    return any(n.type == "call_expression" and property_name(n) in _ENQUEUES for n in descendants(function))
