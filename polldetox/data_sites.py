"""The polling sites of one table's data, by every link the scan knows: what `migrate` rewrites and
what `status` still counts as polling.

- A backend site reads the table, or broadcasts `<table>_update` (a loop whose reads go through a
  service still names its data in the message it broadcasts).
- The data's message types are those broadcast by its backend sites that are about it (their primary
  table) and those sent by its HTTP routes.
- A route serves the data when it reads the table or sends one of its message types.
- A frontend site is tied as the Anti-pattern 3 pairing ties it: by the URL it fetches, through the
  route index, to a route serving the data; else by a file that handles one of its message types;
  and by a segment of its query key or URL that names the table, or, when it shows neither URL nor
  key (an RTK Query hook), by its component's name.
- A segment names the table when its last words are the table's words, singular or plural, in any
  case: the last word of a compound names the thing (`OPEN_ORDERS` and `open-orders` are orders,
  `workflow-run` is a run, not a workflow). Segments are a key's string literals split at `:`, `/`
  and `.` (`'workflow:list'`), a URL's path segments other than its parameters, and the constants and
  member paths a key refers to (`OPEN_ORDERS`, `queries.workflows.list(...)`); a key's variables and
  object members (`runId`, `{ websiteId }`) are its parameters and name no data.
- A frontend site that makes the same request as a tied one (the same query key, URL or API method
  such as `queueClient.getAll`) polls the same data.

Only what the scan judges takes part, by the scan's own judgement (`policy.judge`): test code, batch
jobs that run daily or less often and idle runners are not polling, so they neither link nor are
returned. Sites the scan allows (its exception cases, or a suppression comment) link like any other:
a hook's fallback poller shows which API method reads the data. They are never returned, since they
are not polling to remove; an exception that misses one of its requirements still is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from polldetox.config import Config
from polldetox.findings import FileFacts, Location, PollingSite, Route, SiteKind
from polldetox.naming import Names
from polldetox.scan.policy import (
    Judgement,
    RouteIndex,
    is_backend,
    judge,
    primary_table,
    rule_for,
    url_segments,
)


@dataclass(frozen=True, slots=True)
class DataSites:
    backend: tuple[PollingSite, ...]  # polling sites still to remove, in file and line order
    frontend: tuple[PollingSite, ...]
    message_types: tuple[str, ...]  # the message types that carry the data to clients
    routes: tuple[Route, ...]  # the routes that serve it


def data_sites(
    facts: Sequence[FileFacts], names: Names, config: Config, judgement: Judgement | None = None
) -> DataSites:
    """`judgement`: the scan's judgement of `facts`, when the caller has it already."""
    table = names.table.name.lower()
    message = f"{names.snake}_update"
    verdicts = _verdicts(judgement if judgement is not None else judge(facts, config))
    judged = [(site, file) for file in facts for site in file.sites if _key(site) in verdicts]
    backend = [
        (site, file)
        for site, file in judged
        if is_backend(site) and (table in unqualified(site.tables) or message in site.message_types)
    ]
    every_route = [route for file in facts for route in file.routes]
    http_reading = [r for r in every_route if r.method != "WEBSOCKET" and table in unqualified(r.tables)]
    # A loop joining the table to its own data (its primary table) broadcasts that data, not this one.
    types = {kind for site, _ in backend if _about(site, table, message) for kind in site.message_types}
    types |= {kind for route in http_reading for kind in route.message_types}
    routes = [r for r in every_route if table in unqualified(r.tables) or types & set(r.message_types)]
    route_index = RouteIndex(every_route)
    table_words = _singular(names.snake.split("_"))
    serving = {id(route) for route in routes}

    def tied(site: PollingSite, file: FileFacts) -> bool:
        segments = [*_key_segments(site.query_key), *(part for url in site.urls for part in url_segments(url))]
        if any(_names_table(table_words, segment) for segment in segments):
            return True
        if not site.urls and not _key_segments(site.query_key) and _names(names.snake, site.function):
            return True
        served = [route for url in site.urls for route in route_index.serving(url)]
        if served:  # the routes it fetches decide, as in the pairing: a socket handler is no link then
            return any(id(route) in serving for route in served)
        return bool(types & set(file.handled_message_types))

    frontend_sites = [
        (site, file) for site, file in judged if not is_backend(site) and site.kind != SiteKind.POLLING_ENGINE
    ]
    chosen = {index for index, (site, file) in enumerate(frontend_sites) if tied(site, file)}
    requests = {request for index in chosen for request in _requests(frontend_sites[index][0])}
    while added := {
        index for index, (site, _) in enumerate(frontend_sites) if index not in chosen and requests & _requests(site)
    }:
        chosen |= added
        requests |= {request for index in added for request in _requests(frontend_sites[index][0])}
    frontend = [frontend_sites[index] for index in sorted(chosen)]
    return DataSites(
        backend=_polling(backend, verdicts),
        frontend=_polling(frontend, verdicts),
        message_types=tuple(sorted(types)),
        routes=tuple(routes),
    )


def _about(site: PollingSite, table: str, message: str) -> bool:
    primary = primary_table(site)
    return message in site.message_types or (primary is not None and primary.strip('"').lower() == table)


def unqualified(tables: Sequence[str]) -> set[str]:
    return {name.rsplit(".", 1)[-1].strip('"').lower() for name in tables}


def _words(code: str | None) -> list[str]:
    """`['open-orders']`, `OPEN_ORDERS`, `OpenOrdersCount` -> open, orders(, count); `undefined` names nothing."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"\bundefined\b|\bnull\b", " ", code or ""))
    return [word.lower() for word in re.findall(r"[A-Z]{2,}(?![a-z])|[A-Za-z][a-z0-9]*", spaced.replace("_", " "))]


def _names(snake: str, code: str | None) -> bool:
    """Whether the words of `code` contain the table's words in a row."""
    return f" {snake.replace('_', ' ')} " in f" {' '.join(_words(code))} "


_STRING = re.compile(r"""(['"`])((?:\\.|(?!\1).)*)\1""", re.S)
_GROUP = re.compile(r"\([^()]*\)|\{[^{}]*\}")  # call arguments, object literals: a key's parameters
_REFERENCE = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*")
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")


def _key_segments(key: str | None) -> list[str]:
    """The parts of a query key that can name its data: its string literals split at `:`, `/` and `.`, and
    the constants and member paths it refers to, outside call arguments and object literals."""
    if not key:
        return []
    texts = [re.sub(r"\$\{[^}]*\}", " ", match.group(2)) for match in _STRING.finditer(key)]
    rest = _STRING.sub(" ", key)
    while (ungrouped := _GROUP.sub(" ", rest)) != rest:
        rest = ungrouped
    for reference in _REFERENCE.findall(rest):
        parts = re.split(r"\s*\??\.\s*", reference)
        if len(parts) > 1 or _CONSTANT.fullmatch(reference):  # a bare variable is a parameter
            texts += parts
    return [segment for text in texts for segment in re.split(r"[\s:/.]+", text) if segment]


def _singular(words: list[str]) -> list[str]:
    """`categories` -> category, `orders` -> order; case and spelling aside, one word."""
    return [word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s") for word in words]


def _names_table(table_words: list[str], segment: str) -> bool:
    """Whether a segment's last words are the table's: the last word of a compound names the thing."""
    words = _singular(_words(segment))
    return len(words) >= len(table_words) and words[len(words) - len(table_words) :] == table_words


def _requests(site: PollingSite) -> set[str]:
    """What a frontend site asks the server for: its URLs or API methods, and its query key."""
    key = "".join((site.query_key or "").split())
    return {*site.urls, *((f"key:{key}",) if key else ())}


def _verdicts(judgement: Judgement) -> dict[tuple[Location, str], bool]:
    """Each site the scan judged, by place and rule: whether it reports it as polling to remove (a
    violation, or an exception missing one of its requirements) rather than allowed or suppressed."""
    verdicts = {(finding.location, finding.rule): False for finding in judgement.suppressed}
    for finding in judgement.findings:
        verdicts[finding.location, finding.rule] = finding.exception is None or bool(finding.missing)
    return verdicts


def _key(site: PollingSite) -> tuple[Location, str]:
    return site.location, rule_for(site)


def _polling(
    sites: list[tuple[PollingSite, FileFacts]], verdicts: dict[tuple[Location, str], bool]
) -> tuple[PollingSite, ...]:
    """The sites the scan reports as polling to remove, in file and line order."""
    kept = [site for site, _ in sites if verdicts[_key(site)]]
    return tuple(sorted(kept, key=lambda site: (site.location.path, site.location.line)))
