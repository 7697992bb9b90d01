"""The rich consoles every command prints its text output through.

Paths, table names and messages come from the user's project, and rich would read `[id]` (a
Next.js route folder) as a style tag and `:100:` (a path and a line number) as an emoji code.
So emoji codes are off here, and markup is for polldetox's own words only: every string taken
from the project is passed through `escape` or printed as a `Text`.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console


def new_console(*, stderr: bool = False, file: IO[str] | None = None, **options: object) -> Console:
    return Console(stderr=stderr, file=file, highlight=False, emoji=False, **options)  # type: ignore[arg-type]
