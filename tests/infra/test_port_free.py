"""A stack restarted within a minute of Ctrl-C finds its ports free: the connections its servers
closed linger in TIME_WAIT, which does not keep a server from listening (seen: `make run`'s test
restarting the stack was refused "SMS_SIM_PORT … is in use")."""

from __future__ import annotations

import socket

from infra.devstack import port_free


def _server_closed_connection_first() -> int:
    """A port whose server side closed an accepted connection first: that socket is in TIME_WAIT."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server closes first, as a stopped server does
    client.recv(1)  # the client sees the close…
    client.close()  # …and answers it: the server's side waits in TIME_WAIT
    listener.close()
    return port


def test_a_port_in_time_wait_is_free_for_the_next_start() -> None:
    assert port_free("127.0.0.1", _server_closed_connection_first())


def test_a_port_someone_listens_on_is_not_free() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not port_free("127.0.0.1", int(listener.getsockname()[1]))
