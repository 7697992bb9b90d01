"""Which polling sites a migration of one table touches, from the scan's facts.

A backend site is tied to the table by the tables its loop reads, or by broadcasting
`<table>_update`, the message type the scaffolded stack uses for it. A frontend site is tied by the
URL it fetches (through the route that serves it, when that route reads the table or sends the
backend's message type), by its query key naming the table (`['orders']`, an Apollo document
`OPEN_ORDERS`), or, when it shows neither URL nor key (an RTK Query hook), by its component's name.
Sites the standard allows (its exception cases) are never selected: they are not polling to remove.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from polldetox.config import Config
from polldetox.findings import FileFacts, PollingSite, SiteKind
from polldetox.naming import Names
from polldetox.scan import engine
from polldetox.scan.policy import exception_for, is_backend, url_matches_route


@dataclass(frozen=True)
class Hook:
    """An existing `use<Type>WebSocket` hook that handles one of the backend's message types."""

    path: str  # relative to the project root
    name: str  # the exported hook function


@dataclass(frozen=True)
class Selection:
    backend: tuple[PollingSite, ...]
    frontend: tuple[PollingSite, ...]
    message_types: tuple[str, ...]  # what the backend sites broadcast
    joined: tuple[str, ...]  # other tables the backend sites read (joins): their changes matter too
    hook: Hook | None
    facts: tuple[FileFacts, ...]


class SiteNotFound(ValueError):
    """`--site PATH:LINE` names no polling site of the table."""


def select(root: Path, config: Config, names: Names, site: tuple[str, int] | None = None) -> Selection:
    facts = engine.read_facts([root], config)
    table = names.table.name.lower()
    polling = [(item, file) for file in facts for item in file.sites if not _allowed(item, file, config)]
    # A loop whose reads go through a service still names its data in the message it broadcasts.
    message = f"{names.snake}_update"
    backend = [
        item
        for item, _ in polling
        if is_backend(item) and (table in read_tables(item) or message in item.message_types)
    ]
    types = tuple(sorted({kind for item in backend for kind in item.message_types}))
    routes = [
        route
        for file in facts
        for route in file.routes
        if table in _unqualified(route.tables) or set(types) & set(route.message_types)
    ]
    frontend = [
        item
        for item, _ in polling
        if not is_backend(item)
        and item.kind != SiteKind.POLLING_ENGINE
        and (
            any(url_matches_route(url, route.path) for url in item.urls for route in routes)
            or _names(names.snake, item.query_key)
            or (not item.urls and not _words(item.query_key) and _names(names.snake, item.function))
        )
    ]
    if site is not None:
        backend, frontend = _at(backend, site), _at(frontend, site)
        if not backend and not frontend:
            raise SiteNotFound(f"{site[0]}:{site[1]} is not a polling site of {names.table.name}")
    joined = tuple(sorted({name for item in backend for name in read_tables(item)} - {table}))
    # Once the watchers are migrated, the hook is still found by the message type the stack sends.
    hook = _hook(facts, (*types, message))
    return Selection(tuple(backend), tuple(frontend), types, joined, hook, tuple(facts))


def _allowed(site: PollingSite, file: FileFacts, config: Config) -> bool:
    exception, missing = exception_for(site, file, config)
    return exception is not None and not missing


def read_tables(site: PollingSite) -> set[str]:
    """The tables a site reads, without schema or quotes."""
    return _unqualified(site.tables)


def _unqualified(tables: tuple[str, ...]) -> set[str]:
    return {name.rsplit(".", 1)[-1].strip('"').lower() for name in tables}


def _words(code: str | None) -> list[str]:
    """`['open-orders']`, `OPEN_ORDERS`, `OpenOrdersCount` -> open, orders(, count); `undefined` names nothing."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"\bundefined\b|\bnull\b", " ", code or ""))
    return [word.lower() for word in re.findall(r"[A-Z]{2,}(?![a-z])|[A-Za-z][a-z0-9]*", spaced.replace("_", " "))]


def _names(snake: str, code: str | None) -> bool:
    """Whether the words of `code` contain the table's words in a row."""
    return f" {snake.replace('_', ' ')} " in f" {' '.join(_words(code))} "


def _at(sites: list[PollingSite], place: tuple[str, int]) -> list[PollingSite]:
    path, line = place
    return [s for s in sites if s.location.path == path and s.location.line <= line <= s.location.end_line]


_HOOK_NAME = re.compile(r"use[A-Z]\w*WebSocket")


def _hook(facts: list[FileFacts], types: tuple[str, ...]) -> Hook | None:
    for file in sorted(facts, key=lambda file: file.path):
        name = Path(file.path).stem
        if _HOOK_NAME.fullmatch(name) and set(types) & set(file.handled_message_types):
            return Hook(file.path, name)
    return None
