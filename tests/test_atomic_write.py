"""Every file polldetox writes: all or nothing for a regular file, and never a device, pipe or
link replaced by a regular file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polldetox.atomic_write import write_atomically
from polldetox.cli import app
from tests.conftest import DEMO


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.py"
    target.write_text("old\n")

    def refuse(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new\n")
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["file.py"]
    monkeypatch.undo()
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n" and [path.name for path in tmp_path.iterdir()] == ["file.py"]


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_is_world_readable(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o750)
    write_atomically(script, "new\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    fresh = tmp_path / "deep" / "er" / "new.txt"
    write_atomically(fresh, "x\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644 and fresh.read_text() == "x\n"


def test_a_link_stays_a_link_and_the_file_it_points_at_is_written(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "scan.json"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    write_atomically(link, "new\n")
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == "new\n"


def _read_fifo(fifo: Path, into: list[str]) -> threading.Thread:
    reader = threading.Thread(target=lambda: into.append(fifo.read_text()), daemon=True)
    reader.start()
    return reader


def test_a_pipe_is_written_to_and_stays_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = _read_fifo(fifo, received)
    write_atomically(fifo, "through the pipe\n")
    reader.join(10)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [path.name for path in tmp_path.iterdir()] == ["out"], "no temporary file beside it"


def test_scan_output_to_a_pipe_reaches_the_reader_and_the_pipe_survives(tmp_path: Path) -> None:
    """What `-o /dev/null` or `-o /dev/stdout` asks for: the report goes to what is there."""
    fifo = tmp_path / "scan.json"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = _read_fifo(fifo, received)
    done = CliRunner().invoke(app, ["scan", str(DEMO), "--format", "json", "-o", str(fifo), "--no-cache"])
    reader.join(30)
    assert done.exit_code == 1, done.output
    assert json.loads(received[0])["summary"]["violations"] > 0
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_scan_output_to_dev_stdout_reaches_a_pipe_reading_it() -> None:
    """`/dev/stdout` links to `/proc/self/fd/1`, whose target is no path (`pipe:[…]`): it is opened by name."""
    done = subprocess.run(
        [sys.executable, "-m", "polldetox", "scan", str(DEMO), "--format", "json", "-o", "/dev/stdout", "--no-cache"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report, _ = json.JSONDecoder().raw_decode(done.stdout)  # the summary lines follow it
    assert report["summary"]["violations"] > 0
