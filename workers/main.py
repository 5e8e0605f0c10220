"""Worker process entry point: `python -m workers.main` (or the `sa-worker` script)."""

from __future__ import annotations

import asyncio
import logging
import signal

from infra.db import make_engine, make_session_factory
from infra.departments.factory import department_adapter_factory, make_department_http_client
from infra.policy_config import load_policy_book
from infra.schedules import ensure_schedules
from infra.settings import load_settings
from infra.temporal_client import connect_client, ensure_search_attributes
from workers.build import WorkerResources, build_worker

log = logging.getLogger(__name__)


async def run_worker() -> None:
    settings = load_settings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(settings.database_url, settings.database_echo)
    http_client = make_department_http_client(settings)
    try:
        client = await connect_client(settings)
        added = await ensure_search_attributes(client, settings.temporal_namespace)
        if added:
            log.info("registered search attributes: %s", ", ".join(added))
        await ensure_schedules(client, settings.temporal_task_queue)
        resources = WorkerResources(
            make_session_factory(engine),
            load_policy_book(settings.policy_file),
            department_adapter_factory(settings, http_client),
        )
        worker = build_worker(client, settings.temporal_task_queue, resources)
        async with worker:
            log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
            await stop.wait()
            log.info("worker shutting down: in-flight activities finish first")
    finally:
        await http_client.aclose()
        await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
