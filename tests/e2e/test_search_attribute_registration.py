"""The worker registers the custom search attributes itself, so production needs no manual step."""

from __future__ import annotations

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from infra.temporal_client import ensure_search_attributes
from tests.conftest import temporal_cli
from workflows.search_attributes import DEFINITIONS


async def test_registers_missing_attributes_once_on_a_bare_server() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
    )
    try:
        namespace = env.client.namespace
        assert await ensure_search_attributes(env.client, namespace) == sorted(DEFINITIONS)
        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        assert set(DEFINITIONS) <= set(listed.custom_attributes)
        assert await ensure_search_attributes(env.client, namespace) == []
    finally:
        await env.shutdown()
