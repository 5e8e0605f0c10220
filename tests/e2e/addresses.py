"""Client addresses for tests that count login failures per address in the session's shared
database (its failure counts and audit entries outlive each test).

Drawn from a few hundred values, addresses collided with those of earlier tests, and a test that
expects a fresh address to be under its limit failed (issue 12). These cannot collide: each is in
the IPv6 documentation prefix 2001:db8::/32 (RFC 3849), then a network unique to this run (from a
uuid), then a counter — no two calls in one run return the same address, and another run (or a
database kept from one) uses another network.
"""

from __future__ import annotations

import ipaddress
import itertools
import uuid

_RUN_NETWORK = (0x20010DB8 << 96) | ((uuid.uuid4().int & 0xFFFF_FFFF) << 64)
_CLIENTS = _RUN_NETWORK | (1 << 63)  # the upper half of the run's /64: never inside unique_network()
_counter = itertools.count(1)


def unique_network() -> ipaddress.IPv6Network:
    """A /96 of its own, e.g. one test's trusted proxies."""
    return ipaddress.IPv6Network((_RUN_NETWORK | (next(_counter) << 32), 96))


def unique_ip(network: ipaddress.IPv6Network | None = None) -> str:
    """An address no other call returns: inside `network` when given, else among the run's clients."""
    base = int(network.network_address) if network is not None else _CLIENTS
    return str(ipaddress.IPv6Address(base | next(_counter)))
