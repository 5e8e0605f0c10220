"""The one place that builds Temporal clients: address, namespace and data converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from infra.settings import Settings


def make_data_converter() -> DataConverter:
    # Pydantic's converter round-trips dataclasses, enums, datetimes and Decimals faithfully.
    return pydantic_data_converter


async def connect_client(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=make_data_converter(),
    )
