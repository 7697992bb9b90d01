"""Commit-to-client latency of the stack `polldetox scaffold` generates, on a local PostgreSQL.

Scaffolds `planned_features` (db pattern) into a temporary project, starts PostgreSQL with
pgserver, serves the generated endpoint with uvicorn in a separate process, connects 1, 10, 100
and 500 WebSocket clients over loopback and, for a bounded number of rounds, UPDATEs one row and
times each client's receipt of the update carrying it. Prints p50/p95/p99 next to the standard's
Performance Standards latency targets. Stops by itself; everything it starts is stopped.

    python bench/scaffold_latency.py [--rounds 20] [--clients 1,10,100,500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import pgserver
import websockets
from typer.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from polldetox.scaffold.command import scaffold_command  # noqa: E402

SCHEMA = REPO_ROOT / "tests" / "scaffold_fixtures" / "migrations"
# Database Change row of the standard's Latency Targets table, in milliseconds.
TARGET_MS, ACCEPTABLE_MS, FAILING_MS = 50, 100, 500

SERVER_MODULE = """
import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from routes.planned_features_websocket import planned_features_websocket_router
from services.planned_features_events import PlannedFeaturesEvents
from services.planned_features_listener import create_planned_features_listener
from services.realtime_connections import ConnectionManager

DSN = os.environ["BENCH_DATABASE_URL"]


@asynccontextmanager
async def lifespan(app):
    pool = await asyncpg.create_pool(DSN, min_size=1, max_size=4)
    manager = ConnectionManager("planned_features")
    events = PlannedFeaturesEvents(pool, manager)
    listener = create_planned_features_listener(DSN, events)
    app.include_router(planned_features_websocket_router(events))
    await listener.start()
    await listener.wait_connected(timeout=10)
    yield
    await listener.stop()
    await manager.close()
    await pool.close()


app = FastAPI(lifespan=lifespan)
"""


def scaffold(project: Path) -> None:
    import typer

    app = typer.Typer()
    app.command()(scaffold_command)
    result = CliRunner().invoke(app, ["planned_features", "--schema", str(SCHEMA), "--out", str(project)])
    if result.exit_code != 0:
        raise SystemExit(f"scaffold failed:\n{result.output}")
    (project / "app/server/bench_server.py").write_text(SERVER_MODULE)


async def prepare_database(uri: str, project: Path) -> None:
    connection = await asyncpg.connect(uri)
    try:
        for file in sorted(SCHEMA.glob("*.sql")):
            await connection.execute(file.read_text())
        await connection.execute((project / "app/server/migrations/planned_features_notify.up.sql").read_text())
        await connection.execute("INSERT INTO planned_features (title) VALUES ('round--1')")
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for_server(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("the server exited; run it by hand to see why")
        try:
            async with websockets.connect(url) as probe:
                await asyncio.wait_for(probe.recv(), timeout=5)
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start within 20 s")


async def measure(url: str, writer: asyncpg.Connection, clients: int, rounds: int) -> list[float]:
    """Latency samples (ms) of every client for every round."""
    sockets = [await websockets.connect(url, max_size=None) for _ in range(clients)]
    for client in sockets:
        await asyncio.wait_for(client.recv(), timeout=10)  # the initial data
    samples: list[float] = []
    try:
        for round_number in range(rounds):
            title = f"round-{clients}-{round_number}"

            async def receive(client: websockets.ClientConnection, title: str = title) -> float:
                while True:
                    message = json.loads(await client.recv())
                    if message["data"] and message["data"][0]["title"] == title:
                        return time.perf_counter()

            waiters = [asyncio.create_task(receive(client)) for client in sockets]
            started = time.perf_counter()
            await writer.execute("UPDATE planned_features SET title = $1", title)  # autocommit
            arrivals = await asyncio.wait_for(asyncio.gather(*waiters), timeout=30)
            samples.extend((arrival - started) * 1000 for arrival in arrivals)
            await asyncio.sleep(0.05)  # let the server settle between rounds
    finally:
        await asyncio.gather(*(client.close() for client in sockets))
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def verdict(p95: float) -> str:
    if p95 < TARGET_MS:
        return "meets target"
    if p95 < ACCEPTABLE_MS:
        return "acceptable"
    return "failing" if p95 > FAILING_MS else "above acceptable"


def scalability_limit(clients: int) -> int:
    """Max latency (ms) for this many concurrent users: the standard's Scalability Targets table."""
    return 50 if clients <= 10 else 100 if clients <= 50 else 200 if clients <= 100 else 500


async def main(client_counts: list[int], rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="polldetox-bench-"))
    server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
    process: subprocess.Popen[bytes] | None = None
    try:
        uri = server.get_uri()
        project = workdir / "project"
        scaffold(project)
        await prepare_database(uri, project)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench_server:app", "--app-dir", str(project / "app/server"),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, "BENCH_DATABASE_URL": uri},
        )  # fmt: skip
        url = f"ws://127.0.0.1:{port}/ws/planned-features"
        await wait_for_server(url, process)
        writer = await asyncpg.connect(uri)
        print(f"PostgreSQL (pgserver) + generated listener/endpoint under uvicorn, loopback, {rounds} rounds each")
        print("latency: from just before the autocommit UPDATE to each client's receipt of the update\n")
        header = f"{'clients':>8} {'samples':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}"
        print(f"{header}  {'p95 vs latency target':<21}  p95 vs scalability max")
        try:
            for clients in client_counts:
                samples = await measure(url, writer, clients, rounds)
                p50, p95, p99 = (percentile(samples, f) for f in (0.50, 0.95, 0.99))
                limit = scalability_limit(clients)
                print(
                    f"{clients:>8} {len(samples):>8} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
                    f"{statistics.fmean(samples):>8.1f}  {verdict(p95):<21}  "
                    f"{'within' if p95 < limit else 'over'} <{limit} ms"
                )
        finally:
            await writer.close()
        print(
            "\nStandard, Performance Standards > Latency Targets, Database Change: "
            f"target <{TARGET_MS} ms, acceptable <{ACCEPTABLE_MS} ms, failing >{FAILING_MS} ms"
        )
        print("Scalability Targets, max latency: 1-10 users <50 ms, 10-50 <100 ms, 50-100 <200 ms, 100+ <500 ms")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="UPDATEs per client count (default 20)")
    parser.add_argument("--clients", default="1,10,100,500", help="comma-separated client counts")
    arguments = parser.parse_args()
    asyncio.run(main([int(n) for n in arguments.clients.split(",")], arguments.rounds))
