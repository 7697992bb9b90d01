"""Write a plan to disk, each file atomically, never touching a `skip`."""

from __future__ import annotations

from pathlib import Path

from polldetox.atomic_write import write_atomically
from polldetox.scaffold.render import Action, PlannedFile


def write_plan(planned: list[PlannedFile], out: Path) -> list[PlannedFile]:
    """Write every file whose action changes it; returns those written."""
    written = []
    for item in planned:
        if item.action == Action.skip:
            continue
        write_atomically(out / item.path, item.content)
        written.append(item)
    return written
