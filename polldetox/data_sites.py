"""The polling sites of one table's data, by every link the scan knows: what `migrate` rewrites and
what `status` still counts as polling.

- A backend site reads the table, or broadcasts `<table>_update` (a loop whose reads go through a
  service still names its data in the message it broadcasts).
- The data's message types are those broadcast by its backend sites that are about it (their primary
  table) and those sent by its HTTP routes.
- A route serves the data when it reads the table or sends one of its message types.
- A frontend site is tied as the Anti-pattern 3 pairing ties it: by the URL it fetches, through the
  route index, to a route serving the data; else by a file that handles one of its message types;
  and by the table's name in its query key or URLs, among the words of its query key (an Apollo
  document `OPEN_ORDERS`), or, when it shows neither URL nor key (an RTK Query hook), of its
  component's name.
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
from polldetox.scan.policy import Judgement, RouteIndex, is_backend, judge, names_in, primary_table, rule_for


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
    serving = {id(route) for route in routes}

    def tied(site: PollingSite, file: FileFacts) -> bool:
        if names.snake in names_in(site) or _names(names.snake, site.query_key):
            return True
        if not site.urls and not _words(site.query_key) and _names(names.snake, site.function):
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
