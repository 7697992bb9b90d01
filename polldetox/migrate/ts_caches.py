"""How each query library's cache is refreshed when the WebSocket hook reports a change.

SWR revalidates through the bound `mutate` of its `useSWR` or `useSWRInfinite` result (every
loaded page), Apollo and RTK Query through the `refetch` of theirs, and a TanStack query (an
infinite query, or a key the hook does not write) through `queryClient.invalidateQueries({ queryKey })`.
The hook call goes right after the query's statement, so everything it names is declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node

from polldetox.migrate.python_edits import Unsafe
from polldetox.migrate.ts_ranges import Range, add_named_import, after_line, import_source, indent
from polldetox.scan.ts_parse import Tree, callee_name, pair_key, text


class Library(StrEnum):
    TANSTACK = "TanStack Query"
    SWR = "SWR"
    APOLLO = "Apollo"
    RTK = "RTK Query"


# Which library a polling option belongs to, and the result member that refetches its query.
_BY_OPTION = {
    "refetchInterval": Library.TANSTACK,
    "refreshInterval": Library.SWR,
    "pollInterval": Library.APOLLO,
    "pollingInterval": Library.RTK,
}
_REFETCH = {Library.SWR: "mutate", Library.APOLLO: "refetch", Library.RTK: "refetch"}
_TANSTACK_QUERIES = frozenset({"useQuery", "useSuspenseQuery", "useInfiniteQuery"})
_RTK_HOOK = re.compile(r"(?:\w+\.)*use(?:[A-Z]\w*)?Query")  # useGetOrdersQuery, api.endpoints.getOrders.useQuery


@dataclass(frozen=True)
class QuerySite:
    tree: Tree
    options: Node | None  # the object literal holding the polling option; None: polling is started by a call
    call: Node  # the query hook call
    library: Library
    body: Node  # the component's or hook's statement block
    statement: Node  # the statement of `body` that makes the call


def library_of(tree: Tree, call: Node, option: str) -> Library:
    """The library by its polling option, checked against the hook that is called and where it comes from."""
    library, name = _BY_OPTION[option], callee_name(call)
    name = re.sub(r"<.*", "", name)
    source = import_source(tree, name.split(".")[0]) or ""
    known = {
        Library.TANSTACK: name in _TANSTACK_QUERIES and not source.startswith("@apollo/"),
        Library.SWR: name in ("useSWR", "useSWRInfinite"),
        Library.APOLLO: name == "useQuery" and source.startswith("@apollo/client"),
        Library.RTK: bool(_RTK_HOOK.fullmatch(name)) and name not in _TANSTACK_QUERIES,
    }
    if not name:
        raise Unsafe("the polling option is not passed to a query hook call")
    if not known[library]:
        raise Unsafe(f"{option} is passed to {name}, which is not one of the {library} hooks this migration knows")
    return library


def refresh_on_push(site: QuerySite, hook: str, cannot: str | None) -> list[Range]:
    """The edits that call `hook` with an onChange refreshing the site's cache."""
    if cannot is not None:
        raise Unsafe(cannot)
    if f"{hook}(" in text(site.body):
        raise Unsafe(f"the component already calls {hook}: pass it an onChange that refreshes this query by hand")
    if site.library == Library.TANSTACK:
        refresh, ranges, declare = _invalidation(site)
    else:
        refresh, ranges = _bound_refetch(site)
        declare = ""
    data = site.tree.data
    at = after_line(data, site.statement)
    margin = indent(data, site.statement).decode()
    call = f"{margin}{hook}({{ onChange: () => void {refresh} }});\n"
    return [*ranges, Range(at, at, (declare and margin + declare + "\n").encode() + call.encode())]


def _bound_refetch(site: QuerySite) -> tuple[str, list[Range]]:
    """`mutate()`/`refetch()` of the query's result, added to its destructuring when it is not there yet."""
    member, name = _REFETCH[site.library], callee_name(site.call)
    passed = site.options.named_children if site.options is not None else []
    if site.library == Library.RTK and any(pair_key(pair) == "skip" for pair in passed):
        raise Unsafe(f"{name} passes `skip`, and RTK Query's refetch() throws while a query is skipped")
    declarator = site.call.parent
    if declarator is None or declarator.type != "variable_declarator":
        raise Unsafe(f"the result of {name} is not kept in a variable, so its {member}() cannot be reached")
    bound = declarator.child_by_field_name("name")
    if bound is not None and bound.type == "identifier":
        return f"{text(bound)}.{member}()", []
    if bound is None or bound.type != "object_pattern":
        raise Unsafe(f"the result of {name} is destructured as an array: its {member}() cannot be reached")
    properties = bound.named_children
    for node in properties:
        if node.type == "shorthand_property_identifier_pattern" and text(node) == member:
            return f"{member}()", []
        if node.type == "pair_pattern" and pair_key(node) == member:
            return f"{text(node.child_by_field_name('value'))}()", []
    if any(node.type == "rest_pattern" for node in properties):
        raise Unsafe(f"the result of {name} is destructured with a rest element: add {member} to it by hand")
    if re.search(rf"(?<![\w$.]){member}(?![\w$])", text(site.body)):
        raise Unsafe(f"`{member}` already names something else in the component: add {name}'s {member} by hand")
    last = properties[-1]
    return f"{member}()", [Range(last.end_byte, last.end_byte, f", {member}".encode())]


def _invalidation(site: QuerySite) -> tuple[str, list[Range], str]:
    """`queryClient.invalidateQueries({ queryKey })`, with the client the component has or a new one."""
    key = next(
        (pair for pair in site.options.named_children if pair.type == "pair" and pair_key(pair) == "queryKey"), None
    ) if site.options is not None else None  # fmt: skip
    if key is None:
        raise Unsafe(f"{callee_name(site.call)} has no inline queryKey to invalidate on push: migrate it by hand")
    key_text = " ".join(text(key.child_by_field_name("value")).split())
    for declarator in site.tree.within("variable_declarator", site.body):
        value = declarator.child_by_field_name("value")
        name = declarator.child_by_field_name("name")
        client = value is not None and value.type == "call_expression" and callee_name(value) == "useQueryClient"
        if client and name is not None and name.type == "identifier":
            return f"{text(name)}.invalidateQueries({{ queryKey: {key_text} }})", [], ""
    if re.search(r"(?<![\w$.])queryClient(?![\w$])", text(site.body)):
        raise Unsafe("`queryClient` already names something else in the component: invalidate on push by hand")
    ranges = []
    if import_source(site.tree, "useQueryClient") is None:
        module = import_source(site.tree, callee_name(site.call)) or "@tanstack/react-query"
        ranges.append(add_named_import(site.tree, module, "useQueryClient"))
    refresh = f"queryClient.invalidateQueries({{ queryKey: {key_text} }})"
    return refresh, ranges, "const queryClient = useQueryClient();"
