"""The privacy scans read the shared database file while this process holds connections to it and
worker processes come and go: the read must leave this process's SQLite locks in place."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.raw_files import raw_bytes

_OTHER_PROCESS = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    "c.execute('insert into t values (2)'); c.commit(); c.close()"
)


def test_a_raw_read_then_another_process_closing_leaves_this_process_connections_working(
    tmp_path: Path,
) -> None:
    database = tmp_path / "app.db"
    held = sqlite3.connect(database)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE t (x INTEGER)")
    held.execute("INSERT INTO t VALUES (1)")
    held.commit()

    assert b"SQLite format 3" in raw_bytes(database)
    # A worker process opens the file, writes and closes: it must still see this process's
    # connection, so it neither checkpoints nor deletes the -wal and -shm under it.
    subprocess.run([sys.executable, "-c", _OTHER_PROCESS, str(database)], check=True)
    assert Path(f"{database}-shm").exists()

    held.execute("INSERT INTO t VALUES (3)")
    held.commit()
    fresh = sqlite3.connect(database)
    assert fresh.execute("SELECT count(*) FROM t").fetchone() == (3,)
    fresh.close()
    held.close()
