"""Where each generated file goes: `[tool.polldetox.scaffold]` validated against the defaults.

```toml
[tool.polldetox.scaffold]
schema = "app/server/migrations"        # default --schema
python-root = "app/server"              # generated Python imports each other relative to this
[tool.polldetox.scaffold.layout]
hook = "web/src/realtime/use{pascal}Socket.ts"
```
Paths are relative to --out and may use {snake}, {kebab}, {pascal} and {camel}; shared files
(generated once for every data type) may not, since every data type must find the same file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

PLACEHOLDERS = ("snake", "kebab", "pascal", "camel")

# The standard's file locations (Component Responsibilities, Implementation Templates).
DEFAULT_LAYOUT: dict[str, str] = {
    "migration_up": "app/server/migrations/{snake}_notify.up.sql",
    "migration_down": "app/server/migrations/{snake}_notify.down.sql",
    "listener": "app/server/services/{snake}_listener.py",
    "callback": "app/server/services/{snake}_events.py",
    "file_watcher": "app/server/services/{snake}_watcher.py",
    "endpoint": "app/server/routes/{snake}_websocket.py",
    "action_route": "app/server/routes/{snake}_actions.py",
    "test_python": "app/server/tests/test_{snake}_realtime.py",
    "hook": "app/client/src/hooks/use{pascal}WebSocket.ts",
    "component": "app/client/src/components/{pascal}Panel.tsx",
    "test_ts": "app/client/src/hooks/use{pascal}WebSocket.test.tsx",
    # Shared: generated once, used by every data type.
    "connection_manager": "app/server/services/realtime_connections.py",
    "pg_listener": "app/server/services/pg_listener.py",
    "reconnecting_socket": "app/client/src/hooks/useReconnectingWebSocket.ts",
    "api_config": "app/client/src/config/api.ts",
}
SHARED_KINDS = frozenset({"connection_manager", "pg_listener", "reconnecting_socket", "api_config"})
DEFAULT_PYTHON_ROOT = "app/server"
DEFAULT_SCHEMA = "app/server/migrations"

_KNOWN_KEYS = ("schema", "python-root", "layout")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LayoutError(ValueError):
    """`[tool.polldetox.scaffold]` is invalid; the message says which key and why."""


@dataclass(frozen=True)
class Layout:
    paths: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LAYOUT))
    python_root: str = DEFAULT_PYTHON_ROOT
    schema: str = DEFAULT_SCHEMA

    def path(self, kind: str, placeholders: Mapping[str, str]) -> PurePosixPath:
        return PurePosixPath(self.paths[kind].format_map(placeholders))


def layout_from_config(table: Mapping[str, object], where: str = "[tool.polldetox.scaffold]") -> Layout:
    """Validate the raw table; raises LayoutError on unknown keys, bad paths or placeholders."""
    unknown = sorted(set(table) - set(_KNOWN_KEYS))
    if unknown:
        raise LayoutError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(_KNOWN_KEYS)}")
    overrides = table.get("layout", {})
    if not isinstance(overrides, Mapping):
        raise LayoutError(f"{where} layout: expected a table of file kind = path")
    unknown = sorted(set(overrides) - set(DEFAULT_LAYOUT))
    if unknown:
        raise LayoutError(
            f"{where} layout: unknown file kind(s) {', '.join(unknown)}; known: {', '.join(DEFAULT_LAYOUT)}"
        )
    paths = dict(DEFAULT_LAYOUT)
    for kind, path in overrides.items():
        paths[kind] = _relative_path(path, f"{where} layout.{kind}")
        _check_placeholders(kind, paths[kind], f"{where} layout.{kind}")
    return Layout(
        paths=paths,
        python_root=_relative_path(table.get("python-root", DEFAULT_PYTHON_ROOT), f"{where} python-root"),
        schema=_relative_path(table.get("schema", DEFAULT_SCHEMA), f"{where} schema"),
    )


def _relative_path(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LayoutError(f"{where}: expected a path, got {value!r}")
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise LayoutError(f"{where}: {value!r} must be a path inside the output folder (relative, no '..')")
    return path.as_posix()


def _check_placeholders(kind: str, path: str, where: str) -> None:
    used = _PLACEHOLDER.findall(path)
    wrong = [name for name in used if name not in PLACEHOLDERS]
    if wrong:
        raise LayoutError(
            f"{where}: unknown placeholder(s) {', '.join('{' + w + '}' for w in wrong)}; "
            f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
        )
    if kind in SHARED_KINDS and used:
        raise LayoutError(f"{where}: {kind} is shared by every data type, so its path cannot use placeholders")
    if kind not in SHARED_KINDS and not used:
        raise LayoutError(f"{where}: {kind} is written per data type, so its path needs a placeholder like {{snake}}")
