"""Which polling sites a migration of one table touches: those `data_sites` ties to the table, the
same selection `status` counts as polling still to remove, and the data's existing WebSocket hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polldetox.config import Config
from polldetox.data_sites import data_sites, unqualified
from polldetox.findings import FileFacts, PollingSite
from polldetox.naming import Names
from polldetox.scan import engine
from polldetox.status_frontend import Frontend


@dataclass(frozen=True)
class Hook:
    """An existing WebSocket hook of the data."""

    path: str  # relative to the project root
    name: str  # the exported hook function


@dataclass(frozen=True)
class Selection:
    backend: tuple[PollingSite, ...]
    frontend: tuple[PollingSite, ...]
    message_types: tuple[str, ...]  # what carries the data to clients
    joined: tuple[str, ...]  # other tables the backend sites read (joins): their changes matter too
    hook: Hook | None
    facts: tuple[FileFacts, ...]


class SiteNotFound(ValueError):
    """`--site PATH:LINE` names no polling site of the table."""


def select(root: Path, config: Config, names: Names, site: tuple[str, int] | None = None) -> Selection:
    facts = engine.read_facts([root], config)
    tied = data_sites(facts, names, config)
    backend, frontend = list(tied.backend), list(tied.frontend)
    if site is not None:
        backend, frontend = _at(backend, site), _at(frontend, site)
        if not backend and not frontend:
            raise SiteNotFound(f"{site[0]}:{site[1]} is not a polling site of {names.table.name}")
    types = tied.message_types
    table = names.table.name.lower()
    joined = tuple(sorted({name for item in backend for name in read_tables(item)} - {table}))
    return Selection(tuple(backend), tuple(frontend), types, joined, _hook(root, facts, names, types), tuple(facts))


def read_tables(site: PollingSite) -> set[str]:
    """The tables a site reads, without schema or quotes."""
    return unqualified(site.tables)


def _at(sites: list[PollingSite], place: tuple[str, int]) -> list[PollingSite]:
    path, line = place
    return [s for s in sites if s.location.path == path and s.location.line <= line <= s.location.end_line]


def _hook(root: Path, facts: list[FileFacts], names: Names, types: tuple[str, ...]) -> Hook | None:
    """The data's WebSocket hook, found as `status` finds it: it opens the data's socket or handles its
    message types (`<table>_update` or what the data's backend sites and routes send)."""
    sources = []
    for file in facts:
        if file.language != "python":
            try:
                sources.append((file.path, (root / file.path).read_bytes()))
            except OSError:
                continue  # the scan reports unreadable files
    found = Frontend(sources).hook(names, (), {f"{names.snake}_update", *types})
    return Hook(found.path, found.name) if found else None
