"""Hand-made mutants of the generated listener and callback: does a test fail for each bug?

mutmut mutates Python, not the Jinja templates polldetox renders, so the mutants here are listed
by hand: each is one plausible bug in templates/shared/pg_listener.py.j2 or templates/db/events.py.j2
(a dropped timeout, a removed check, an uncapped backoff...). For each, the templates of a scratch
copy of the repository are changed and the scaffold tests run there; the mutant is killed when a
test fails. A benchmark, not a CI step: every run starts PostgreSQL and uvicorn.

    python bench/template_mutation.py            # every mutant
    python bench/template_mutation.py --only 3   # one of them, by number
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LISTENER = "templates/shared/pg_listener.py.j2"
EVENTS = "templates/db/events.py.j2"
# The tests that run the generated listener and callback against a real PostgreSQL; any listener
# fault tests (tests/test_scaffold_listener*.py) join them.
TEST_GLOBS = ("test_scaffold_postgres.py", "test_scaffold_listener*.py")


@dataclass(frozen=True)
class Mutant:
    template: str
    what: str
    old: str
    new: str


_LISTEN = '        await self._unless_lost(self._listen(connection), self.connect_timeout, "LISTEN")\n'
_ROUND_TRIP = "        await self._check_round_trip(connection)\n"
_REFETCH = "        for callback in self._on_connect:\n            await callback()\n"
_HEALTH_CHECK = 'connection.fetchval("SELECT 1"), self.probe_timeout, "the health check"'

MUTANTS = (
    Mutant(LISTENER, "health check without a timeout", _HEALTH_CHECK,
           'connection.fetchval("SELECT 1"), 3600, "the health check"'),
    Mutant(LISTENER, "connect without a timeout",
           "connection = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)",
           "connection = await asyncpg.connect(self.dsn)"),
    Mutant(LISTENER, "no LISTEN round-trip check", _ROUND_TRIP, ""),
    Mutant(LISTENER, "round trip accepts any payload",
           "            if payload == token:\n                received.set()", "            received.set()"),
    Mutant(LISTENER, "uncapped backoff",
           "delay = min(self.backoff_max, self.backoff_initial * 2 ** min(attempt - 1, 30))",
           "delay = self.backoff_initial * 2 ** min(attempt - 1, 30)"),
    Mutant(LISTENER, "backoff never resets after a good session",
           "                attempt = undelivered = 0\n", "                undelivered = 0\n"),
    Mutant(LISTENER, "no jitter", "delay = random.uniform(delay / 2, delay)", "delay = delay"),
    Mutant(LISTENER, "re-fetch before LISTEN", _LISTEN + _ROUND_TRIP + _REFETCH, _REFETCH + _LISTEN + _ROUND_TRIP),
    Mutant(LISTENER, "no re-fetch on connect", _REFETCH, ""),
    Mutant(LISTENER, "pgbouncer=true URL accepted",
           'if any(value.lower() in ("true", "1", "yes") for value in flags.get("pgbouncer", [])):',
           "if False:"),
    Mutant(LISTENER, "PgBouncer's port accepted",
           "if not allow_pooler_port and parts.port == PGBOUNCER_DEFAULT_PORT:", "if False:"),
    Mutant(LISTENER, "termination not noticed",
           "        connection.add_termination_listener(lambda _connection: lost.set())\n", ""),
    Mutant(LISTENER, "a failing re-fetch ends listening",
           "            except Exception as error:\n", "            except ZeroDivisionError as error:\n"),
    Mutant(LISTENER, "stop leaves handlers running",
           "        for handler in handlers:\n            handler.cancel()\n", ""),
    Mutant(LISTENER, "non-JSON payload crashes the dispatch",
           '        except json.JSONDecodeError:\n            event = {"payload": payload}',
           "        except ZeroDivisionError:\n            event = {}"),
    Mutant(EVENTS, "bursts not coalesced",
           "            return  # the read in progress is followed by one more",
           "            pass  # the read in progress is followed by one more"),
    Mutant(EVENTS, "no read after a burst",
           "            while self._changed or self._everything:", "            if self._changed or self._everything:"),
    Mutant(EVENTS, "unchanged rows sent again",
           "        if not upserts and not deleted:", "        if False:"),
    Mutant(EVENTS, "deleted rows kept",
           "        deleted = [key for key in changed if key not in found and key in self._rows]",
           "        deleted = []"),
    Mutant(EVENTS, "resync reads only what was noted",
           "            self._everything = True\n            was_live", "            was_live"),
    Mutant(EVENTS, "last state kept with no clients",
           "            self._rows = self._snapshot = None  # nobody holds", "            pass  # nobody holds"),
    Mutant(EVENTS, "a database error loses the changes it was reading",
           "                    self._everything = True  # the next notification",
           "                    pass  # the next notification"),
    Mutant(EVENTS, "running flag never cleared",
           "        finally:\n            self._running = False", "        finally:\n            pass"),
)  # fmt: skip


def scratch_copy(workdir: Path) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for relative in filter(None, listed):
        if (REPO_ROOT / relative).is_file():
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / relative, workdir / relative)
    (workdir / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)


def run_tests(workdir: Path) -> tuple[bool, str]:
    """Whether the template tests pass in the copy, and pytest's last line."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    found = (path for pattern in TEST_GLOBS for path in workdir.glob(f"tests/{pattern}"))
    tests = sorted(str(path.relative_to(workdir)) for path in found)
    done = subprocess.run(
        ["nice", "-n", "15", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=workdir, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else done.stderr.strip()[-200:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=int, action="append", help="mutant numbers (default: all)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/polldetox-template-mutation"))
    options = parser.parse_args()
    chosen = [(n, m) for n, m in enumerate(MUTANTS, 1) if not options.only or n in options.only]
    for number, mutant in chosen:  # before the long test runs, not after
        count = (REPO_ROOT / mutant.template).read_text(encoding="utf-8").count(mutant.old)
        assert count == 1, f"mutant {number} ({mutant.what}) no longer applies"
    scratch_copy(options.workdir)
    passed, summary = run_tests(options.workdir)
    assert passed, f"the unmutated templates fail their tests: {summary}"
    killed = 0
    for number, mutant in chosen:
        path = options.workdir / mutant.template
        original = path.read_text(encoding="utf-8")
        path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
        started = time.monotonic()
        try:
            passed, summary = run_tests(options.workdir)
        finally:
            path.write_text(original, encoding="utf-8")
        killed += not passed
        verdict = "survived" if passed else "killed"
        print(f"{number:>3} {verdict:<9}{Path(mutant.template).name:<20}{mutant.what:<44}"
              f"{time.monotonic() - started:>6.0f} s  {summary}", flush=True)  # fmt: skip
    print(f"\n{killed} of {len(chosen)} mutants killed ({killed / len(chosen):.0%})")
    shutil.rmtree(options.workdir)


if __name__ == "__main__":
    main()
