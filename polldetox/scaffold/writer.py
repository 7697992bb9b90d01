"""Write a plan to disk: atomically (temp file + os.replace), never touching a `skip`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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


def write_atomically(path: Path, content: str) -> None:
    """Readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
