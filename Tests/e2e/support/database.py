"""The gateway's SQLite file read beside it (Python's `sqlite3` module, no CLI), and the file
systems it is put on to fill up or make read-only."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest


def rows_in_file(db: Path) -> int:
    """Events actually in the database file (read-only, beside the gateway's own connection)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("SELECT count(*) FROM session_events").fetchone()[0]
    finally:
        connection.close()


def integrity_check(db: Path) -> str:
    connection = sqlite3.connect(str(db), timeout=10)
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str = "32m"):
    """A tmpfs of `size` at `path` (needs root), unmounted afterwards; skips when it cannot be mounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the full/read-only database tests needs root")
    path.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                                capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (mount exited {result.returncode}: {result.stderr.strip()})")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> Path:
    """Writes a file in `folder` until its file system has no space left; returns the file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as error:
                assert error.errno == 28, error  # ENOSPC
    finally:
        os.close(fd)
    return filler
