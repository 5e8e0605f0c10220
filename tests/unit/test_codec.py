"""Payload encryption: round trip, key rotation, unknown keys and tampering."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from infra.codec import ENCODING, WORKFLOW_ID, EncryptionCodec, UnknownKey, parse_keys, workflow_id_of

OLD, NEW = os.urandom(32), os.urandom(32)


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_round_trip_hides_the_content() -> None:
    codec = EncryptionCodec({"k1": OLD}, "k1")
    [sealed] = await codec.encode([payload('{"name": "张小明", "id": "440105198001011234"}')])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata["encryption-key-id"] == b"k1"
    assert "张小明".encode() not in sealed.data and b"440105198001011234" not in sealed.data
    assert (await codec.decode([sealed]))[0] == payload('{"name": "张小明", "id": "440105198001011234"}')


async def test_rotation_reads_old_payloads_and_writes_with_the_new_key() -> None:
    before = EncryptionCodec({"k1": OLD}, "k1")
    [old] = await before.encode([payload("old")])
    after = EncryptionCodec({"k1": OLD, "k2": NEW}, "k2")
    [new] = await after.encode([payload("new")])
    assert new.metadata["encryption-key-id"] == b"k2"
    assert [p.data for p in await after.decode([old, new])] == [b"old", b"new"]
    retired = EncryptionCodec({"k2": NEW}, "k2")
    with pytest.raises(UnknownKey, match="k1"):
        await retired.decode([old])


async def test_tampered_or_relabelled_payloads_are_refused() -> None:
    codec = EncryptionCodec({"k1": OLD, "k2": NEW}, "k1")
    [sealed] = await codec.encode([payload("amount=100")])
    flipped = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        await codec.decode([flipped])
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"k2"}, data=sealed.data)
    with pytest.raises(InvalidTag):
        await codec.decode([relabelled])


def test_keys_must_be_32_bytes_and_the_active_one_configured() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        parse_keys({"short": base64.b64encode(b"x" * 16).decode()})
    with pytest.raises(ValueError, match="active"):
        EncryptionCodec({"k1": OLD}, "k9")


async def test_a_workflow_context_labels_the_payload_and_the_label_is_authenticated() -> None:
    codec = EncryptionCodec({"k1": OLD}, "k1")
    in_workflow = codec.with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="application-A")
    )
    in_activity = codec.with_context(
        ActivitySerializationContext(
            namespace="default", activity_id="1", activity_type="t", activity_task_queue="q",
            workflow_id="application-A", workflow_type="ApplicationWorkflow", is_local=False,
        )
    )  # fmt: skip
    [sealed] = await in_workflow.encode([payload("case")])
    [argument] = await in_activity.encode([payload("argument")])
    assert workflow_id_of(sealed) == workflow_id_of(argument) == "application-A"
    assert [p.data for p in await codec.decode([sealed, argument])] == [b"case", b"argument"]  # any context

    relabelled = Payload()
    relabelled.CopyFrom(sealed)
    relabelled.metadata[WORKFLOW_ID] = b"application-B"
    with pytest.raises(InvalidTag):
        await codec.decode([relabelled])
    del relabelled.metadata[WORKFLOW_ID]
    with pytest.raises(InvalidTag):
        await codec.decode([relabelled])
    [unlabelled] = await codec.encode([payload("no workflow")])  # as before: no label, still opens
    assert workflow_id_of(unlabelled) is None and (await codec.decode([unlabelled]))[0].data == b"no workflow"
