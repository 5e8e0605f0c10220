"""Encryption of everything Temporal stores for us: workflow inputs, results, activity arguments,
update and query payloads (search attributes are not payloads: they never hold personal data).

AES-256-GCM with a random 96-bit nonce per payload. Every encrypted payload names its key id, so
keys rotate without re-encrypting history: new payloads use the active key, old ones are read with
whichever key they name — as long as that key is still configured.

Every payload the SDK encodes for a workflow (its input and result, its activities', updates',
queries') also names that workflow's id, in the clear, so that the codec endpoint can decrypt for
an operator only the workflows of the operator's jurisdiction (issue 16: the Temporal UI's codec
requests carry no workflow id, only the namespace). The SDK hands the codec the workflow through
its serialization context. The id is authenticated with the key id: relabelled to a workflow of
another county, or stripped, the payload no longer decrypts. Payloads sealed before this carry no
workflow id; only a provincial operator's view opens them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from typing import Self

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
WORKFLOW_ID = "encryption-workflow-id"
_NONCE_BYTES = 12


class UnknownKey(ValueError):
    pass


def parse_keys(encoded: Mapping[str, str]) -> dict[str, bytes]:
    """key id → 32-byte key, from base64 (as in PAYLOAD_KEYS)."""
    keys = {}
    for key_id, value in encoded.items():
        raw = base64.b64decode(value)
        if len(raw) != 32:
            raise ValueError(f"payload key {key_id!r} must be 32 bytes (base64 of 32 random bytes)")
        keys[key_id] = raw
    return keys


def workflow_id_of(payload: Payload) -> str | None:
    """The workflow an encrypted payload belongs to (None: sealed without one, or not encrypted)."""
    raw = payload.metadata.get(WORKFLOW_ID)
    return raw.decode(errors="replace") if raw else None


def _associated_data(key_id: str, workflow_id: str | None) -> bytes:
    # The key id alone for payloads without a workflow (as before, so old history still opens).
    return key_id.encode() if workflow_id is None else key_id.encode() + b"\x00" + workflow_id.encode()


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, keys: Mapping[str, bytes], active_key_id: str, workflow_id: str | None = None) -> None:
        if active_key_id not in keys:
            raise ValueError(f"the active payload key {active_key_id!r} is not among the configured keys")
        self._keys = dict(keys)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> Self:
        """The same keys, labelling new payloads with the workflow they belong to."""
        workflow_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id or None
        if workflow_id == self._workflow_id:
            return self
        return type(self)(self._keys, self._active, workflow_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        metadata = {"encoding": ENCODING, KEY_ID: self._active.encode()}
        if self._workflow_id is not None:
            metadata[WORKFLOW_ID] = self._workflow_id.encode()
        # Key id and workflow id are authenticated too: a payload cannot be re-labelled.
        associated = _associated_data(self._active, self._workflow_id)
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), associated)
            encoded.append(Payload(metadata=metadata, data=nonce + sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # written before encryption was turned on
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnknownKey(f"payload encrypted with key {key_id!r}, which is not configured")
            nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
            associated = _associated_data(key_id, workflow_id_of(payload))
            decoded.append(Payload.FromString(cipher.decrypt(nonce, sealed, associated)))
        return decoded
