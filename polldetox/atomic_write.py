"""Writing a file so that readers see the old content or the new, never half of either.

Every file polldetox writes (reports, baselines, configuration, generated code) goes through here.
A regular file is replaced by renaming a finished temporary file over it, keeping its permissions.
Anything else named as the output is written to, never replaced: renaming over `/dev/null`, a
FIFO or `/dev/stdout` would put a regular file where the device or pipe was. A symbolic link is
followed, so the file it points at is replaced and the link stays.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: str) -> None:
    try:
        mode = path.stat().st_mode  # of what a link points at
    except (FileNotFoundError, NotADirectoryError):  # a file in the way of its folder: mkdir says so
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        # Opened by its own name: `/dev/stdout` links to `/proc/self/fd/1`, whose target (`pipe:[…]`) is
        # no path at all.
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        return
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
