"""One TypeScript/JavaScript polling site as a detector finds it, before it becomes a PollingSite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from polldetox.findings import SiteKind
from polldetox.scan.ts_reads import Reads
from polldetox.scan.ts_values import Value


@dataclass(frozen=True, slots=True)
class Found:
    """A site's syntax node and facts; `pending` names classic-script globals it needs to fetch."""

    kind: SiteKind
    mechanism: str
    node: Node
    interval: Value | None
    reads: Reads | None
    query_key: str | None = None
    in_background: bool = False
    fallback: bool = False
    context_node: Node | None = None  # where the site's function is looked up when the node has none
    detail: str | None = None
    pending: tuple[str, ...] = ()
    pending_imports: tuple[tuple[str, str], ...] = ()  # project functions whose reads decide (crossfile)
    reads_through: tuple[tuple[str, str], ...] = ()  # project functions whose reads it takes (crossfile)


class SiteCollector:
    """Collects the sites one detector finds, in the order it finds them."""

    def __init__(self) -> None:
        self.found: list[Found] = []

    def _add(
        self,
        kind: SiteKind,
        mechanism: str,
        node: Node,
        interval: Value | None,
        reads: Reads | None,
        **facts: Any,
    ) -> None:
        self.found.append(Found(kind, mechanism, node, interval, reads, **facts))
