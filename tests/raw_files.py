"""Reading a SQLite file's raw bytes without breaking the connections this process holds on it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def raw_bytes(path: Path) -> bytes:
    """The file's bytes, read by another process.

    SQLite's locks are POSIX record locks, which belong to the process: closing *any* descriptor
    of the file drops every lock this process holds on it, including those of its open SQLite
    connections. A worker elsewhere then believes it closes the last connection, checkpoints and
    deletes the -wal and -shm files, and this process's next connection fails with "disk I/O
    error" (SQLITE_IOERR_SHORT_READ). A plain ``Path.read_bytes()`` of the shared test database
    did exactly that late in full runs; `cat` holds no SQLite lock, so its close costs nothing.
    """
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout
