"""A query site's polling option removed and the data's WebSocket hook called, as byte-range edits.

A TanStack query that reads the key the hook writes needs only the hook call: every pushed list
lands in the same cache entry. Any other cache (SWR, Apollo, RTK Query, an infinite query, another
key) is refreshed from the hook's `onChange` callback; how, per library, is `ts_caches`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_caches import Library, QuerySite, library_of, refresh_on_push
from polldetox.migrate.ts_ranges import (
    Range,
    apply,
    drop_unused_imports,
    import_range,
    imports,
    indent,
    line_span,
    uses,
)
from polldetox.scan.ts_parse import (
    FUNCTION_TYPES,
    Tree,
    ancestors,
    callee_name,
    descendants,
    identifier_names,
    outermost_function,
    pair_key,
    parse,
    text,
)

# The polling options of TanStack Query, SWR, Apollo and RTK Query, and their companions.
POLLING_OPTIONS = frozenset({"refetchInterval", "refreshInterval", "pollInterval", "pollingInterval"})
_COMPANIONS = frozenset({"refetchIntervalInBackground", "refreshWhenHidden", "skipPollingIfUnfocused"})


@dataclass(frozen=True)
class HookUse:
    name: str  # useQueueWebSocket
    module: str  # the import specifier from the edited file: '../hooks/useQueueWebSocket'
    query_key: str | None  # the key the hook writes pushed data to, as written: ['queue']; None: it writes none
    on_change: bool = False  # it takes `{ onChange }`, called after each change


@dataclass(frozen=True)
class QuerySiteEdit:
    source: str
    removed_names: tuple[tuple[str, str], ...]  # (import specifier, name) no longer used by the file
    push: str  # how pushed data reaches the query, for the plan


def _key_text(code: str) -> str:
    return re.sub(r"\s+", "", code).replace('"', "'").rstrip(",").removesuffix("asconst")


def hook_query_key(source: str, path: str) -> str | None:
    """The query key the hook's setQueryData writes, as written."""
    tree = parse(source, path)
    for call in tree.of("call_expression"):
        if callee_name(call).endswith("setQueryData"):
            args = call.child_by_field_name("arguments")
            if args is not None and args.named_children:
                return _constant_value(tree, args.named_children[0])
    return None


def hook_takes_on_change(source: str, path: str, name: str) -> bool:
    """Whether the hook function `name` has a parameter and calls an `onChange` from it."""
    function = hook_function(parse(source, path), name)
    parameters = function.child_by_field_name("parameters") if function is not None else None
    if function is None or parameters is None or not parameters.named_children:
        return False
    return bool(re.search(r"\bonChange\b", text(function.child_by_field_name("body"))))


def hook_function(tree: Tree, name: str) -> Node | None:
    """`function name() {...}`, or the arrow or function expression `const name = ...` holds."""
    for function in (node for kind in FUNCTION_TYPES for node in tree.of(kind)):
        if text(function.child_by_field_name("name")) == name:
            return function
    for declarator in tree.of("variable_declarator"):  # arrows are not indexed: found by the name that holds them
        value = declarator.child_by_field_name("value")
        if text(declarator.child_by_field_name("name")) == name and value is not None and value.type in FUNCTION_TYPES:
            return value
    return None


def hook_returns_last_updated(source: str, path: str, name: str) -> bool:
    """Whether the hook function `name` returns an object with `lastUpdated`."""
    function = hook_function(parse(source, path), name)
    returned = [node for node in descendants(function) if node.type == "return_statement"] if function else []
    return any(re.search(r"\blastUpdated\b", text(node)) for node in returned)


def _constant_value(tree: Tree, node: Node) -> str:
    """A key passed by name (`ordersQueryKey`) is the value the module declares it with."""
    if node.type == "identifier":
        for declarator in tree.of("variable_declarator"):
            value = declarator.child_by_field_name("value")
            if text(declarator.child_by_field_name("name")) == text(node) and value is not None:
                return text(value)
    return text(node)


def migrate_query_site(source: str, path: str, line: int, hook: HookUse) -> QuerySiteEdit:
    site = _query_site(parse(source, path), line)
    data = site.tree.data
    removed = [
        pair
        for pair in site.options.named_children
        if pair.type == "pair" and pair_key(pair) in POLLING_OPTIONS | _COMPANIONS
    ]
    if site.library == Library.TANSTACK and _reads_hook_key(site, hook):
        ranges = [_hook_call_at_top(site, hook)] if f"{hook.name}(" not in text(site.body) else []
        push = f"{hook.name}() pushes"
    else:
        ranges = refresh_on_push(site, hook.name, cannot_push(site, hook))
        push = f"{hook.name}'s onChange revalidates {site.library}'s cache"
    kept = [node for node in site.options.named_children if node.type != "comment" and node not in removed]
    if not kept and site.library != Library.TANSTACK:
        ranges.append(_argument_span(site))  # nothing but polling was passed: the argument goes
    else:
        ranges += [Range(*_pair_span(data, pair)) for pair in removed]
    if not imports(site.tree, hook.name):
        ranges.append(import_range(site.tree, f"import {{ {hook.name} }} from '{hook.module}';\n"))
    edited = apply(data, ranges).decode("utf-8")
    used = identifier_names(*(pair.child_by_field_name("value") for pair in removed))
    source_after, gone = drop_unused_imports(edited, path, used)
    return QuerySiteEdit(source_after, gone, push)


def _pair_span(data: bytes, pair: Node) -> tuple[int, int]:
    """An option's own line(s), or on a shared line the option, its comma and the space after it."""
    start, end = line_span(data, pair)
    if start > 0 and data[start - 1 : start] != b"\n":
        end += len(data[end:]) - len(data[end:].lstrip(b" "))
    return start, end


def _query_site(tree: Tree, line: int) -> QuerySite:
    option = next(
        (pair for pair in tree.of("pair") if pair.start_point[0] + 1 == line and pair_key(pair) in POLLING_OPTIONS),
        None,
    )
    if option is None or option.parent is None:
        raise Unsafe("the polling option is not a plain `key: value` property here")
    options = option.parent
    call = next((node for node in ancestors(options) if node.type == "call_expression"), None)
    if call is None or options.parent is None or options.parent.parent != call:
        raise Unsafe("the polling option is in an object built apart from the query call: migrate it by hand")
    return query_site(tree, call, options, library_of(tree, call, pair_key(option)))


def query_site(tree: Tree, call: Node, options: Node | None, library: Library) -> QuerySite:
    """The query call as a statement of its component's or hook's body."""
    component = outermost_function(call)
    body = component.child_by_field_name("body") if component is not None else None
    if body is None or body.type != "statement_block":
        raise Unsafe("the query is not inside a component or hook body")
    statement = call
    for ancestor in ancestors(call):
        if ancestor == body:
            break
        if ancestor.type in FUNCTION_TYPES:
            raise Unsafe(f"{callee_name(call)} is called inside a nested function, where no hook may be called")
        statement = ancestor
    if statement.type not in ("lexical_declaration", "variable_declaration", "expression_statement"):
        raise Unsafe(f"{callee_name(call)} is called inside a {statement.type.replace('_', ' ')}, not as a statement")
    return QuerySite(tree, options, call, library, body, statement)


def _reads_hook_key(site: QuerySite, hook: HookUse) -> bool:
    key = _query_key(site)
    return (
        callee_name(site.call) != "useInfiniteQuery"
        and key is not None
        and hook.query_key is not None
        and _key_text(text(key)) == _key_text(hook.query_key)
    )


def _query_key(site: QuerySite) -> Node | None:
    pair = next(
        (pair for pair in site.options.named_children if pair.type == "pair" and pair_key(pair) == "queryKey"), None
    )
    return pair.child_by_field_name("value") if pair is not None else None


def cannot_push(site: QuerySite, hook: HookUse) -> str | None:
    """Why the hook cannot refresh this query's cache, or None when its onChange can."""
    if hook.on_change:
        return None
    name = callee_name(site.call)
    if site.library == Library.TANSTACK and name != "useInfiniteQuery":
        key = _query_key(site)
        return (
            f"its query key {text(key) if key is not None else 'none'} is not the one {hook.name} writes pushed data "
            f"to ({hook.query_key or 'none'}), and {hook.name} takes no onChange callback: call the hook and "
            "invalidate this key on each push by hand"
        )
    if name == "useInfiniteQuery":
        return (
            f"useInfiniteQuery keeps pages in its cache, which a pushed list cannot replace, and {hook.name} takes "
            "no onChange callback to invalidate them: call the hook and invalidate this key on each push by hand"
        )
    return (
        f"{name} keeps its own cache and {hook.name} takes no onChange callback to refresh it: call the hook "
        "and refresh this query on each push by hand"
    )


def _hook_call_at_top(site: QuerySite, hook: HookUse) -> Range:
    data = site.tree.data
    first = site.body.named_children[0] if site.body.named_children else None
    at = data.rfind(b"\n", 0, first.start_byte) + 1 if first is not None else site.body.start_byte + 1
    return Range(at, at, (indent(data, first) if first is not None else b"  ") + f"{hook.name}();\n".encode())


def _argument_span(site: QuerySite) -> Range:
    """The options argument with the comma before it: `useSWR(key, fetcher, {...})` -> `useSWR(key, fetcher)`."""
    args = [node for node in site.call.child_by_field_name("arguments").named_children if node.type != "comment"]
    position = next(i for i, node in enumerate(args) if node == site.options)
    if position == 0:
        raise Unsafe(f"{callee_name(site.call)} takes its options first: remove them by hand")
    return Range(args[position - 1].end_byte, site.options.end_byte)


def drop_unused_export(source: str, path: str, name: str) -> str | None:
    """The module without `export const NAME = ...;` when the module itself does not use NAME, else None."""
    tree = parse(source, path)
    for statement in tree.root.named_children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is None or declaration.type != "lexical_declaration":
            continue
        declarators = [node for node in declaration.named_children if node.type == "variable_declarator"]
        if len(declarators) == 1 and text(declarators[0].child_by_field_name("name")) == name:
            if uses(tree, statement, name):
                return None
            start, end = line_span(tree.data, statement)
            return apply(tree.data, [Range(start, end)]).decode("utf-8")
    return None
