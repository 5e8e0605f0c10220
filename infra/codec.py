"""Encryption of everything Temporal stores for us: workflow inputs, results, activity arguments,
update and query payloads (search attributes are not payloads: they never hold personal data).

AES-256-GCM with a random 96-bit nonce per payload. Every encrypted payload names its key id, so
keys rotate without re-encrypting history: new payloads use the active key, old ones are read with
whichever key they name — as long as that key is still configured.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
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


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"the active payload key {active_key_id!r} is not among the configured keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            # The key id is authenticated too: a payload cannot be re-labelled to another key.
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), self._active.encode())
            encoded.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID: self._active.encode()}, data=nonce + sealed)
            )
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
            decoded.append(Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode())))
        return decoded
