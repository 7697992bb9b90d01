"""The stack `polldetox scaffold` generates under load, on a local PostgreSQL: latency, storms, writes, memory.

Scaffolds `planned_features` (db pattern) into a temporary project, starts PostgreSQL with
pgserver and serves the generated endpoint with uvicorn (`--ws-max-size 65536`) in a separate
process, then measures, each phase bounded in time:

1. fan-out latency: for each client count (default 1,000 and 2,000), clients spread over
   `--processes` client processes; each round UPDATEs one row and every client times its receipt
   of the change. p50/p95/p99; missed: clients that never got the last round; coalesced: rounds a
   newer snapshot replaced before a client took them. The client processes run on uvloop with
   their long-lived objects frozen out of the collector (`gc.freeze`), so that what is timed is
   the server's delivery, not the harness's own message handling or collections;
2. connect storms: `--processes` processes offer each of `--storm-rates` connects/s between them (an open
   loop on raw sockets: handshake, snapshot, then a close frame or a reset) while 20 normal clients
   time 5 updates a second; connects/s offered and accepted, the normal clients' p50/p99, and the
   server's CPU time per accepted connect;
3. the app's own write rate on a 10,000-row table with no client, then with 5 clients connected
   (rows sent as deltas);
4. 100 clients that stop reading, each connecting to a 2 MB snapshot: the server's resident memory
   and open descriptors before, at the peak and once they are closed.

Phases 1 and 2 also run against a peer (`--no-peer` skips it): a broadcast server written by hand
from FastAPI's WebSocket documentation, on the same trigger, measured right after the generated
stack, so both face the same load on a shared machine; every row prints the load average.

    python bench/scaffold_latency.py [--clients 1000,2000] [--rounds 20] [--processes 4] [--storm-rates 100,1000]
        [--phases 1,2,3,4]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import importlib.util
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pgserver
import uvloop
import websockets
from typer.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from polldetox.scaffold.command import scaffold_command  # noqa: E402

SCHEMA = REPO_ROOT / "tests" / "scaffold_fixtures" / "migrations"
MISSED_AFTER_S = 10.0
STORM_CONNECT_TIMEOUT_S = 10.0

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

# The peer: the broadcast server one writes by hand from FastAPI's WebSocket documentation, on the
# same trigger and channel. One LISTEN connection; each notification reads the changed row and sends
# it to every client in turn through the ASGI send.
PEER_MODULE = """
import json
import os
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from services.planned_features_listener import CHANNEL

DSN = os.environ["BENCH_DATABASE_URL"]
clients: set[WebSocket] = set()


@asynccontextmanager
async def lifespan(app):
    pool = await asyncpg.create_pool(DSN, min_size=1, max_size=4)

    async def changed(connection, pid, channel, payload):
        key = json.loads(payload)["key"]
        row = await pool.fetchrow("SELECT id, title FROM planned_features WHERE id = $1", key["id"])
        text = json.dumps({"type": "planned_features_update", "op": "upsert", "rows": [dict(row)]})
        for client in list(clients):
            try:
                await client.send_text(text)
            except Exception:
                clients.discard(client)

    listener = await asyncpg.connect(DSN)
    await listener.add_listener(CHANNEL, changed)
    app.state.pool = pool
    yield
    await listener.close()
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.websocket("/ws/planned-features")
async def endpoint(websocket: WebSocket):
    await websocket.accept()
    rows = await app.state.pool.fetch("SELECT id, title FROM planned_features ORDER BY id")
    await websocket.send_text(json.dumps({"type": "planned_features_update", "op": "snapshot",
                                          "rows": [dict(row) for row in rows]}))
    clients.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        clients.discard(websocket)
"""


def scaffold(project: Path) -> None:
    import typer

    app = typer.Typer()
    app.command()(scaffold_command)
    result = CliRunner().invoke(app, ["planned_features", "--schema", str(SCHEMA), "--out", str(project)])
    if result.exit_code != 0:
        raise SystemExit(f"scaffold failed:\n{result.output}")
    (project / "app/server/bench_server.py").write_text(SERVER_MODULE)
    (project / "app/server/bench_peer.py").write_text(PEER_MODULE)


async def prepare_database(uri: str, project: Path) -> None:
    connection = await asyncpg.connect(uri)
    try:
        for file in sorted(SCHEMA.glob("*.sql")):
            await connection.execute(file.read_text())
        await connection.execute((project / "app/server/migrations/planned_features_notify.up.sql").read_text())
        await connection.execute("INSERT INTO planned_features (title) VALUES ('start')")
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for_server(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("the server exited; run it by hand to see why")
        try:
            async with websockets.connect(url, max_size=None) as probe:
                await asyncio.wait_for(probe.recv(), timeout=5)
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start within 30 s")


def titled(message: dict[str, object]) -> list[str]:
    """Titles of the rows a message carries (snapshot or upsert)."""
    rows = message.get("rows")
    return [row["title"] for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


# ---- client processes ---------------------------------------------------------------------------


async def client_worker(url: str, clients: int) -> None:
    """Hold `clients` connections; time each 'r<round>@<start>' title; report on stdin's end."""
    samples: list[tuple[int, float]] = []

    async def follow(client: websockets.ClientConnection) -> None:
        seen: set[int] = set()
        async for text in client:
            now = time.time()
            for title in titled(json.loads(text)):
                if title.startswith("r") and "@" in title:
                    number, started = title[1:].split("@")
                    if int(number) not in seen:
                        seen.add(int(number))
                        samples.append((int(number), (now - float(started)) * 1000))

    connections = []
    for start in range(0, clients, 50):  # in batches, as real users arrive
        batch = [
            websockets.connect(url, max_size=None, open_timeout=60) for _ in range(start, min(clients, start + 50))
        ]
        connections.extend(await asyncio.gather(*batch))
    for client in connections:
        await asyncio.wait_for(client.recv(), timeout=60)  # the snapshot
    followers = [asyncio.create_task(follow(client)) for client in connections]
    # The connections and their snapshots are long-lived: moved out of the collector's reach, a
    # full collection in a client process no longer stalls its 250-500 clients mid-round, which
    # put a 100 ms tail on one round in every run and was measured as the server's latency.
    gc.collect()
    gc.freeze()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the coordinator closes it
    for follower in followers:
        follower.cancel()
    await asyncio.gather(*(client.close() for client in connections), return_exceptions=True)
    print(json.dumps(samples), flush=True)


def storm_request(host: str, port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


# A client's close frame, code 1000, masked with a zero key (RFC 6455 5.3: any key will do).
CLOSE_FRAME = b"\x88\x82\x00\x00\x00\x00\x03\xe8"


async def storm_connect(host: str, port: int, path: str, *, reset: bool) -> None:
    """One storm connect on a raw socket: handshake, read the first message (the snapshot), then leave with a
    close frame (waiting for the server's close) or with a reset. Raw, so the client's own cost stays small."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(storm_request(host, port, path))
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
        while True:  # the frames of the first message, up to the one with FIN
            first, second = await reader.readexactly(2)
            length = second & 0x7F
            if length >= 126:
                length = int.from_bytes(await reader.readexactly(2 if length == 126 else 8), "big")
            await reader.readexactly(length)
            if first & 0x80:
                break
        if reset:
            writer.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            writer.transport.abort()
        else:
            writer.write(CLOSE_FRAME)
            while await reader.read(65536):  # the server's close frame, then its end of the connection
                pass
    finally:
        writer.close()


async def storm_worker(url: str, rate: float, seconds: float) -> None:
    """Offer `rate` connects a second for `seconds` whatever the server does (an open loop, as arriving users
    are), half leaving with a close frame and half with a reset; report offered, accepted and failed.
    Starts when a line arrives on stdin, so that every storm process has finished starting."""
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    address = urlsplit(url)
    host, port, path = address.hostname, address.port, address.path
    loop = asyncio.get_running_loop()
    outcomes = {"accepted": 0, "failed": 0}
    failures: dict[str, int] = {}
    attempts: set[asyncio.Task[None]] = set()

    async def attempt(number: int) -> None:
        try:
            await asyncio.wait_for(storm_connect(host, port, path, reset=bool(number % 2)), STORM_CONNECT_TIMEOUT_S)
            outcomes["accepted"] += 1
        except (OSError, EOFError, asyncio.IncompleteReadError, TimeoutError, ConnectionError) as error:
            outcomes["failed"] += 1
            failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1

    started = loop.time()
    offered = 0
    while (elapsed := loop.time() - started) < seconds:
        while offered < elapsed * rate:
            task = asyncio.create_task(attempt(offered))
            attempts.add(task)
            task.add_done_callback(attempts.discard)
            offered += 1
        await asyncio.sleep(0.005)
    window = loop.time() - started
    if attempts:
        await asyncio.wait(attempts, timeout=STORM_CONNECT_TIMEOUT_S + 5)
    print(json.dumps({"offered": offered, "seconds": window, **outcomes, "failures": failures}), flush=True)


# ---- phases -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


async def fan_out(url: str, writer: asyncpg.Connection, clients: int, processes: int, rounds: int) -> str:
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    command = [sys.executable, __file__, "--worker", url]
    workers = [
        subprocess.Popen([*command, str(share)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for share in shares
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = await asyncio.to_thread(worker.stdout.readline)
            if line.strip() != "ready":
                raise SystemExit("a client process failed to connect its clients")
        for number in range(rounds):
            await writer.execute("UPDATE planned_features SET title = $1 WHERE id = 1", f"r{number}@{time.time()!r}")
            await asyncio.sleep(1.0)
        await asyncio.sleep(MISSED_AFTER_S)
        received: list[tuple[int, float]] = []
        for worker in workers:
            output, _ = await asyncio.to_thread(worker.communicate, "", 120)
            received.extend(json.loads(output.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            worker.kill()
    samples = [latency for _, latency in received]
    # Missed: clients without the last round's data. Coalesced: earlier rounds a newer snapshot replaced.
    missed = clients - sum(1 for number, _ in received if number == rounds - 1)
    coalesced = clients * rounds - len(received) - missed
    p50, p95, p99 = (percentile(samples, f) for f in (0.50, 0.95, 0.99))
    return (
        f"{clients:>8} {processes:>9} {rounds:>7} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(samples):>8.1f} "
        f"{missed:>7} {coalesced:>10}"
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def connect_storm(
    url: str, pid: int, writer: asyncpg.Connection, rate: float, processes: int, seconds: float
) -> str:
    command = [sys.executable, __file__, "--storm", url, str(rate / processes), str(seconds)]
    clients = [await websockets.connect(url, max_size=None) for _ in range(20)]
    for client in clients:
        await client.recv()
    storms = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)
    ]
    for storm in storms:  # started and imported: from here on only the storm itself costs CPU
        assert storm.stdout is not None and await asyncio.to_thread(storm.stdout.readline) == "ready\n"
    cpu_before = cpu_seconds(pid)
    for storm in storms:
        assert storm.stdin is not None
        storm.stdin.write("go\n")
        storm.stdin.flush()
    samples: list[float] = []
    missed = 0
    try:
        number = 0
        while any(storm.poll() is None for storm in storms):
            title = f"s{number}@{time.time()!r}"
            started = time.perf_counter()
            await writer.execute("UPDATE planned_features SET title = $1 WHERE id = 1", title)

            async def receive(
                client: websockets.ClientConnection, title: str = title, started: float = started
            ) -> float:
                while True:
                    if title in titled(json.loads(await client.recv())):
                        return (time.perf_counter() - started) * 1000

            results = await asyncio.gather(
                *(asyncio.wait_for(receive(client), MISSED_AFTER_S) for client in clients), return_exceptions=True
            )
            samples.extend(result for result in results if isinstance(result, float))
            missed += sum(1 for result in results if not isinstance(result, float))
            number += 1
            await asyncio.sleep(0.2)
        results = [json.loads(storm.communicate(timeout=60)[0].strip().splitlines()[-1]) for storm in storms]
        cpu = cpu_seconds(pid) - cpu_before
    finally:
        for storm in storms:
            storm.kill()
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
    window = max(result["seconds"] for result in results)
    offered, accepted = (sum(result[field] for result in results) for field in ("offered", "accepted"))
    failures: dict[str, int] = {}
    for result in results:
        for name, count in result["failures"].items():
            failures[name] = failures.get(name, 0) + count
    failed_as = ", ".join(f"{count} {name}" for name, count in sorted(failures.items())) or "none failed"
    return (
        f"offered {offered / window:.0f} connects/s, accepted {accepted / window:.0f}/s ({accepted} of {offered}; "
        f"failed: {failed_as}; timeout {STORM_CONNECT_TIMEOUT_S:.0f} s); 20 normal clients, {len(samples)} receipts: "
        f"p50 {percentile(samples, 0.5):.1f} ms, p99 {percentile(samples, 0.99):.1f} ms, "
        f"max {max(samples, default=float('nan')):.1f} ms, missed {missed}; server CPU {cpu:.1f} s, "
        f"{cpu * 1000 / max(accepted, 1):.2f} ms per accepted connect"
    )


async def write_rate(uri: str, seconds: float) -> float:
    writer = await asyncpg.connect(uri)
    try:
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await writer.execute(
                "UPDATE planned_features SET priority = priority + 1 WHERE id = $1", 2 + count % 10_000
            )
            count += 1
        return count / seconds
    finally:
        await writer.close()


async def writes_with_clients(url: str, uri: str, seconds: float) -> str:
    alone = await write_rate(uri, seconds)
    clients = [await websockets.connect(url, max_size=None) for _ in range(5)]
    try:
        for client in clients:
            await client.recv()
        drains = [asyncio.create_task(_drain(client)) for client in clients]
        watched = await write_rate(uri, seconds)
        for drain in drains:
            drain.cancel()
    finally:
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
    return (
        f"writes on a 10,000-row table: {alone:.0f} UPDATE/s with no client, {watched:.0f}/s with 5 clients "
        f"({watched / alone:.0%} of it)"
    )


async def _drain(client: websockets.ClientConnection) -> None:
    async for _ in client:
        pass


def process_memory(pid: int) -> tuple[float, int]:
    """Resident memory (MB) and open descriptors of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def stalled_client(port: int) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.sendall(storm_request("127.0.0.1", port, "/ws/planned-features"))
    return raw


async def stalled_clients(port: int, pid: int) -> str:
    before = process_memory(pid)
    stalled = [stalled_client(port) for _ in range(100)]
    peak = before
    for _ in range(30):  # 15 s: the send timeout (5 s) and close timeout (2 s) with room to spare
        await asyncio.sleep(0.5)
        now = process_memory(pid)
        peak = (max(peak[0], now[0]), max(peak[1], now[1]))
    after = process_memory(pid)
    for raw in stalled:
        raw.close()
    return (
        f"100 clients that stop reading (2 MB snapshot each): server RSS {before[0]:.0f} MB before, "
        f"{peak[0]:.0f} MB at the peak, {after[0]:.0f} MB after 15 s; descriptors {before[1]}, {peak[1]}, {after[1]}"
    )


def start_server(
    module: str, project: Path, uri: str, log: Path, backlog: int | None, pure_python: bool
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(project / "app/server"),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--ws-max-size", "65536",
         *(["--backlog", str(backlog)] if backlog else []),
         *(["--loop", "asyncio", "--http", "h11"] if pure_python else [])],
        env={**os.environ, "BENCH_DATABASE_URL": uri}, stderr=log.open("w"),
    )  # fmt: skip
    return process, port


# What `uvicorn[standard]` adds, and what uvicorn runs without it.
STANDARD_PARTS = (("uvloop", "asyncio"), ("httptools", "h11"))


def uvicorn_stack(pure_python: bool) -> str:
    """What uvicorn runs on: with loop and http on "auto" it takes uvloop and httptools when installed."""
    if pure_python:
        return "asyncio + h11 (--pure-python)"
    return " + ".join(found if importlib.util.find_spec(found) else fallback for found, fallback in STANDARD_PARTS)


def load() -> str:
    return "load average " + ", ".join(f"{value:.1f}" for value in os.getloadavg())


async def main(
    client_counts: list[int],
    rounds: int,
    processes: int,
    storm: tuple[list[float], float],
    *,
    peer: bool,
    phases: set[int],
    backlog: int | None,
    pure_python: bool,
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="polldetox-bench-"))
    server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        uri = server.get_uri()
        project = workdir / "project"
        scaffold(project)
        await prepare_database(uri, project)
        server_log = workdir / "server.log"
        process, port = start_server("bench_server", project, uri, server_log, backlog, pure_python)
        servers.append(process)
        url = f"ws://127.0.0.1:{port}/ws/planned-features"
        await wait_for_server(url, process)
        urls = {"generated": url}
        pids = {"generated": process.pid}
        if peer:
            peer_process, peer_port = start_server(
                "bench_peer", project, uri, workdir / "peer.log", backlog, pure_python
            )
            servers.append(peer_process)
            urls["peer"] = f"ws://127.0.0.1:{peer_port}/ws/planned-features"
            pids["peer"] = peer_process.pid
            await wait_for_server(urls["peer"], peer_process)
        writer = await asyncpg.connect(uri)
        try:
            print(
                f"PostgreSQL (pgserver), generated stack under uvicorn on {uvicorn_stack(pure_python)}, "
                f"{os.cpu_count()} cores, {load()}\n"
            )
            if 1 in phases:
                print("1. fan-out: latency from just before the autocommit UPDATE to each client's receipt")
                print(f"{'server':>9} {'clients':>8} {'processes':>9} {'rounds':>7} {'p50 ms':>8} {'p95 ms':>8} "
                      f"{'p99 ms':>8} {'max ms':>8} {'missed':>7} {'coalesced':>10}  load")  # fmt: skip
            for clients in client_counts if 1 in phases else ():
                for name, address in urls.items():  # the peer right after, under the same load
                    row = await fan_out(address, writer, clients, processes, rounds)
                    print(f"{name:>9} {row}  {load()}", flush=True)
            if 2 in phases:
                rates, seconds = storm
                print(f"\n2. connect storms: {processes} processes offer each rate for {seconds:.0f} s")
                for rate in rates:
                    for name, address in urls.items():
                        row = await connect_storm(address, pids[name], writer, rate, processes, seconds)
                        print(f"{name:>9} {rate:>5.0f}/s {row}; {load()}", flush=True)
            if not phases & {3, 4}:
                return
            await writer.execute(
                "INSERT INTO planned_features (title, details) "
                "SELECT 'row ' || n, repeat('d', 150) FROM generate_series(1, 9999) n"
            )
            if 3 in phases:
                print("\n3. " + await writes_with_clients(url, uri, 5.0), flush=True)
            if 4 in phases:
                print("\n4. " + await stalled_clients(port, process.pid), flush=True)
                closed = server_log.read_text().count("Closing slow client")
                print(f"   the server closed {closed} clients as slow (send timeout 5 s), each logged once", flush=True)
            print(f"\n{load()}", flush=True)
        finally:
            await writer.close()
    finally:
        for process in servers:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still busy with a storm's connects
                process.kill()
                process.wait()
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        # Clients on uvloop: four client processes share the 2 cores with the server, and on
        # asyncio their own cost per message was most of the latency measured.
        uvloop.install()
        asyncio.run(client_worker(sys.argv[2], int(sys.argv[3])))
    elif sys.argv[1:2] == ["--storm"]:
        asyncio.run(storm_worker(sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
        parser.add_argument("--clients", default="1000,2000", help="comma-separated client counts (default 1000,2000)")
        parser.add_argument("--rounds", type=int, default=20, help="UPDATEs per client count (default 20)")
        parser.add_argument("--processes", type=int, default=4, help="client processes (default 4)")
        parser.add_argument("--storm-rates", default="100,1000", help="connects/s the storms offer (default 100,1000)")
        parser.add_argument("--storm-seconds", type=float, default=10.0, help="length of the connect storm")
        parser.add_argument("--no-peer", action="store_true", help="skip the hand-written FastAPI peer server")
        parser.add_argument("--backlog", type=int, help="uvicorn's listen backlog for both servers (its default: 2048)")
        parser.add_argument("--phases", default="1,2,3,4", help="comma-separated phases to run (default all)")
        parser.add_argument(
            "--pure-python", action="store_true", help="both servers on asyncio + h11 even where uvloop + httptools are"
        )
        arguments = parser.parse_args()
        asyncio.run(
            main(
                [int(n) for n in arguments.clients.split(",")],
                arguments.rounds,
                arguments.processes,
                ([float(rate) for rate in arguments.storm_rates.split(",")], arguments.storm_seconds),
                peer=not arguments.no_peer,
                backlog=arguments.backlog,
                pure_python=arguments.pure_python,
                phases={int(n) for n in arguments.phases.split(",")},
            )
        )
