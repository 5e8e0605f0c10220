"""The one place that builds Temporal clients: address, namespace and data converter."""

from __future__ import annotations

import dataclasses

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import RPCError, RPCStatusCode

from infra.codec import EncryptionCodec, parse_keys
from infra.settings import Settings
from workflows.search_attributes import DEFINITIONS

_INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
}


def make_data_converter(settings: Settings) -> DataConverter:
    """Pydantic's converter (dataclasses, enums, datetimes, Decimals) with every payload encrypted.

    Failures too: an error's message and stack trace otherwise go to the server in clear, and they
    carry other systems' words (a department's or the bank's error text, SQLAlchemy's SQL
    parameters) that can quote the personal data we sent. Encoded, they travel as one encrypted
    payload; our clients, workers and the codec endpoint (Temporal UI) decode them as before."""
    codec = EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_active_key)
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_client(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=make_data_converter(settings),
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the project's custom search attributes that the server does not know yet.

    Idempotent; returns the names it added. The worker calls it at start, so a production
    cluster needs no manual `temporal operator search-attribute create`.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes)
    except RPCError as exc:
        # The Java time-skipping test server can add search attributes but not list them.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {name: _INDEXED_TYPES[kind] for name, kind in DEFINITIONS.items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
