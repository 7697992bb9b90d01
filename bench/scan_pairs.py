"""How scan time grows with the size of a tree, and how much of it the policy (with the Anti-pattern 3 pairing) takes.

    python bench/scan_pairs.py [--copies 10 20 40] [--modules 100 300 600] [--timeout SECONDS]

Two families of trees, generated in a temporary folder and measured in one session:
- N copies of the demo app (fixtures/demo), each in its own folder;
- the stress tree of bench/report_size.py with N data types (a backend watcher and a polling panel each).

For each tree: the whole in-process scan (without the facts cache), and inside it the time spent
in `policy.judge`, against the rest of the scan (discovery and parsing) as its peer. A policy that
grows linearly with the tree keeps the ratio flat; a quadratic one makes it grow with N.
A scan that passes --timeout is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEMO = BENCH.parent / "fixtures" / "demo"
sys.path.insert(0, str(BENCH))

from report_size import stress_tree  # noqa: E402

from polldetox.config import load_config  # noqa: E402
from polldetox.scan import engine, policy  # noqa: E402


def demo_copies(folder: Path, copies: int) -> Path:
    for index in range(copies):
        shutil.copytree(DEMO, folder / f"copy_{index:03d}")
    return folder


def _measure(root: Path, answer: multiprocessing.Queue) -> None:
    judge = policy.judge
    spent = []

    def timed_judge(facts, config):
        start = time.perf_counter()
        try:
            return judge(facts, config)
        finally:
            spent.append(time.perf_counter() - start)

    engine.policy.judge = timed_judge
    config = replace(load_config(root), cache=False)
    start = time.perf_counter()
    result = engine.scan([root], config)
    total = time.perf_counter() - start
    pairs = sum(1 for finding in result.findings if finding.rule == "PD301")
    answer.put((total, spent[0], len(result.findings), pairs, result.files_scanned))


def measure(root: Path, timeout: float) -> tuple[float, float, int, int, int] | None:
    """(scan s, policy s, findings, PD301 pairs, files) in a fresh process, or None past the timeout."""
    answer: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_measure, args=(root, answer))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join()
        return None
    return answer.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="*", default=[10, 20, 40], help="copies of fixtures/demo")
    parser.add_argument("--modules", type=int, nargs="*", default=[100, 300, 600], help="data types in stress trees")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a scan is given up")
    options = parser.parse_args()
    trees = [(f"demo x {n}", demo_copies, n) for n in options.copies]
    trees += [(f"{n} data types", stress_tree, n) for n in options.modules]
    print(
        f"{'tree':18}{'files':>7}{'findings':>10}{'PD301':>7}{'scan':>10}{'policy':>10}{'rest':>9}{'policy/rest':>13}"
    )
    for label, build, size in trees:
        with tempfile.TemporaryDirectory(prefix="polldetox-pairs-bench-") as temporary:
            root = build(Path(temporary) / "tree", size)
            measured = measure(root, options.timeout)
        if measured is None:
            print(f"{label:18}{'':>24}{'> ' + format(options.timeout, 'g') + ' s':>10}  (stopped)", flush=True)
            continue
        total, judged, findings, pairs, files = measured
        rest = total - judged
        row = f"{label:18}{files:>7,}{findings:>10,}{pairs:>7,}{total:>9.1f}s{judged:>9.2f}s{rest:>8.1f}s"
        print(f"{row}{judged / rest:>13.2f}", flush=True)


if __name__ == "__main__":
    main()
