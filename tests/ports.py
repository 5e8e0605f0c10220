"""Ports for the servers a test starts as processes.

Drawn below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 here): a port from
`bind(0)` is an ephemeral one, and between the test releasing it and its server binding it, any
process's outgoing connection may be given the same number — "port in use" under a loaded machine.
Ports below the range are never handed out by the kernel on its own."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_start() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int) -> list[int]:
    """`count` distinct ports, free now, outside the ephemeral range; all sockets stay bound until
    every port is drawn, so no two are the same."""
    low, high = 20000, _ephemeral_start() - 1
    sockets: list[socket.socket] = []
    try:
        while len(sockets) < count:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", random.randint(low, high)))
            except OSError:
                s.close()
                continue
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]
