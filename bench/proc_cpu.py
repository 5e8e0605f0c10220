"""CPU seconds of the topology's processes, read from /proc (Linux): where a bench's time went
when several processes share the cores — the workers, the bank, the Temporal server, PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, …


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of the process; with `children`, also of its children it has waited for."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / _TICKS


def tree_cpu_seconds(parent: int) -> float:
    """A server that forks a process per connection (the postmaster): its own CPU, its exited
    children's, and its living children's."""
    total = cpu_seconds(parent, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def postmaster_pid(pg_dir: Path) -> int | None:
    try:
        return int((pg_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
