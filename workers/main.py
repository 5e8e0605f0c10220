"""Worker process entry point: `python -m workers.main` (or the `sa-worker` script)."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from infra.bank.http import make_bank_gateway
from infra.case_start import run_start_repair
from infra.db import make_engine, make_session_factory
from infra.departments.factory import department_adapter_factory, make_department_http_client
from infra.logging_setup import configure_logging
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.schedules import county_standards, ensure_schedules
from infra.settings import WORKER_SECRETS, UnsafeProductionSettings, load_settings, refuse_development_secrets
from infra.sms.http import sms_gateway_from_settings
from infra.temporal_client import connect_client, ensure_search_attributes
from workers.build import WorkerResources, build_worker, versioning

log = logging.getLogger(__name__)


async def run_worker(stop: asyncio.Event | None = None) -> None:
    """Poll until SIGINT/SIGTERM (or `stop`, for tests). Refuses to start under APP_ENV=production
    with a development key (UnsafeProductionSettings), before connecting to anything."""
    settings = load_settings()
    refuse_development_secrets(settings, WORKER_SECRETS)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(settings.database_url, settings.database_echo, settings.database_pool_size)
    http_client = make_department_http_client(settings)
    bank = make_bank_gateway(settings)
    sms = sms_gateway_from_settings(settings)
    try:
        client = await connect_client(settings)
        added = await ensure_search_attributes(client, settings.temporal_namespace)
        if added:
            log.info("registered search attributes: %s", ", ".join(added))
        sessions, policies = make_session_factory(engine), load_policy_book(settings.policy_file)
        counties = await county_standards(sessions, policies)
        if settings.manage_schedules:
            await ensure_schedules(client, settings.temporal_task_queue, counties)
        resources = WorkerResources(
            sessions,
            policies,
            department_adapter_factory(settings, http_client),
            bank=bank,
            payer_account=settings.bank_payer_account,
            sms=sms,
            pii=make_pii_vault(settings),
            graceful_shutdown=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
            department_slots=settings.department_max_concurrent_calls,
            version=versioning(settings.worker_build_id, settings.worker_deployment_name),
        )
        worker = build_worker(client, settings.temporal_task_queue, resources)
        async with worker:
            log.info(
                "worker polling %s on %s as %s", settings.temporal_task_queue, settings.temporal_address,
                resources.version or "an unversioned worker",
            )  # fmt: skip
            repair = asyncio.create_task(
                run_start_repair(
                    stop,
                    client,
                    settings.temporal_task_queue,
                    sessions,
                    resources.pii,
                    interval=timedelta(seconds=settings.start_repair_interval_seconds),
                )
            )
            await stop.wait()
            await repair
            log.info(
                "worker shutting down: in-flight activities get %.0f s to finish",
                settings.worker_graceful_shutdown_seconds,
            )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await http_client.aclose()
        await bank.aclose()
        await sms.aclose()
        await engine.dispose()


def main() -> None:
    configure_logging()  # with personal data redacted from every record
    try:
        asyncio.run(run_worker())
    except UnsafeProductionSettings as refusal:
        raise SystemExit(str(refusal)) from None  # the reason, without a traceback


if __name__ == "__main__":
    main()
