"""Making a Worker Deployment version current: the step of a deploy after the new build's workers
poll (the same as `temporal worker deployment set-current-version`). Until then the server gives
that build's workers no task (README, "Deploying a new version")."""

from __future__ import annotations

import asyncio

from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.service import RPCError


async def make_current(client: Client, deployment: str, build_id: str, within: float = 60.0) -> None:
    """The version exists only once one of its workers has polled: retry until then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace, deployment_name=deployment, build_id=build_id
                )
            )
            return
        except RPCError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)
