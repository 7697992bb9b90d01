"""What is left to do by hand after a scaffold: the standard's Migration Checklist, made concrete."""

from __future__ import annotations

from polldetox.findings import Finding
from polldetox.scaffold.render import Action, PlannedFile, Request


def manual_steps(request: Request, planned: list[PlannedFile], replaces: list[Finding]) -> list[str]:
    names, pattern = request.names, request.pattern.value
    by_kind = {item.kind: item for item in planned}
    events = "".join(word.capitalize() for word in names.snake.split("_")) + "Events"
    steps: list[str] = []
    if pattern == "db":
        steps.append(
            f"Run the migration {by_kind['migration_up'].path} (undo: {by_kind['migration_down'].path}); "
            "PostgreSQL 11 or later."
        )
        steps.append(
            f"In EventBroadcastManager.start() (or your app's startup): create `{events}(pool, "
            f'ConnectionManager("{names.snake}"))`, then `create_{names.snake}_listener(DIRECT_DATABASE_URL, '
            f"events)` from {by_kind['listener'].path} (or `register_{names.snake}(listener, events)` on the "
            "PgListener your other tables use) and `await listener.start()`; `await listener.stop()` on "
            "shutdown. The listener needs a direct connection (not through PgBouncer in transaction mode)."
        )
    elif pattern == "file":
        steps.append(
            f'At startup: create `{events}(directory, ConnectionManager("{names.snake}"))` and start '
            f"`watch_{names.snake}(directory, events)` from {by_kind['file_watcher'].path}; stop it on shutdown."
        )
    else:
        steps.append(
            f'At startup: create `{events}(fetch, ConnectionManager("{names.snake}"))` with your data fetcher '
            f"and include `{names.snake}_action_router(events)` from {by_kind['action_route'].path}; call "
            f"`await events.broadcast_{names.snake}()` after every other action that changes this data."
        )
    steps.append(
        f"In init_websocket_routes() (server.py): `app.include_router({names.snake}_websocket_router(events))` "
        f"from {by_kind['endpoint'].path}: serves /ws/{names.kebab}. Install `pip install 'uvicorn[standard]'`: "
        "uvicorn then runs on its C HTTP parser and event loop (httptools, uvloop), which take a third off "
        "each connect's server CPU and keep connected clients served through a connect storm. "
        "Run uvicorn with --ws-max-size 65536 "
        "(clients send only small frames; the default lets each one buffer 16 MiB) and keep its WebSocket "
        "keepalive on (--ws-ping-interval/--ws-ping-timeout) for idle clients that vanish; clients that stop "
        "reading are closed by the connection manager."
        + (
            " Several workers (--workers N) need nothing more: each runs its own listener for its own clients."
            if pattern == "db"
            else ""
        )
    )
    api = by_kind["api_config"]
    if api.action == Action.skip and f"{names.camel}:" not in (api.existing or ""):
        steps.append(
            f"Add to apiConfig.websocket in {api.path}: `{names.camel}: () => websocketUrl('/ws/{names.kebab}')` "
            "(your api.ts was left alone)."
        )
    steps.append(
        f"Render {by_kind['component'].path} (or call use{names.pascal}WebSocket() from "
        f"{by_kind['hook'].path}) inside a QueryClientProvider; remove the component's refetchInterval polling."
    )
    for finding in replaces:
        steps.append(
            f"Remove the old polling code: replaces: {finding.location.path}:{finding.location.line} "
            f"({finding.rule}: {finding.message})"
        )
    database = "TEST_DATABASE_URL=... " if pattern == "db" else ""
    steps.append(
        f"Run the generated tests: {database}pytest {by_kind['test_python'].path}; "
        f"npx vitest run {by_kind['test_ts'].path}."
    )
    return steps
