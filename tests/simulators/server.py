"""Serve an ASGI app for real — uvicorn on a free loopback port, in a thread — so that timeouts
and dropped connections happen on a socket, as they do in production."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI, keep_alive_seconds: float = 5) -> Iterator[str]:
    """`keep_alive_seconds`: how long the server keeps an idle connection (uvicorn's default 5 s
    is also httpx's pool expiry, so under load a reused connection can be closed under a request;
    a benchmark sets more)."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="critical", lifespan="off", timeout_graceful_shutdown=1,
        timeout_keep_alive=int(keep_alive_seconds),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="department-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
