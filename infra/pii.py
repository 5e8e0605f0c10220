"""Personal data at rest (个人信息加密存储): ID numbers, phone numbers, bank accounts and the stored
submissions never lie in the database in clear.

`seal` encrypts with AES-256-GCM under the active key and a random 96-bit nonce, and writes the
key id into the result ("v1:<key id>:<base64 of nonce + ciphertext>"), so keys rotate: new data
uses the active key, older values open with whichever configured key they name, and
`python -m infra.pii rotate` re-seals everything with the active key (then a retired key can go).
The version and key id are authenticated too: a value cannot be re-labelled to another key.

`digest` is an HMAC-SHA256 under a separate key, for equality lookups ("is this ID number on
file?") without decrypting anything. Unlike a plain hash it cannot be reversed by trying every
possible ID number (there are only about 10^11 valid ones). Callers pass normalised values (an
upper-case X in ID numbers, a phone without spaces), since equal digests need equal input.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from infra.settings import Settings

VERSION = "v1"
_NONCE_BYTES = 12


class SealedValueError(ValueError):
    """A value that is not a sealed value, names an unknown key, or fails authentication."""


class PiiVault:
    def __init__(self, keys: Mapping[str, bytes], active_key_id: str, hash_key: bytes) -> None:
        if active_key_id not in keys:
            raise ValueError(f"the active PII key {active_key_id!r} is not among the configured keys")
        for key_id, key in keys.items():
            if len(key) != 32 or ":" in key_id:
                raise ValueError(f"PII key {key_id!r}: 32 bytes and an id without ':' are required")
        if len(hash_key) < 32:
            raise ValueError("the PII hash key must have at least 32 bytes")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._hash_key = hash_key

    @property
    def active_key_id(self) -> str:
        return self._active

    def seal(self, plain: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        header = f"{VERSION}:{self._active}"
        sealed = self._ciphers[self._active].encrypt(nonce, plain.encode(), header.encode())
        return f"{header}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str) -> str:
        key_id = self.key_id_of(sealed)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealedValueError(f"sealed with PII key {key_id!r}, which is not configured")
        try:
            blob = base64.b64decode(sealed.rsplit(":", 1)[1], validate=True)
            plain = cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], f"{VERSION}:{key_id}".encode())
        except (InvalidTag, ValueError):
            # Never echo the value: it may be a clear ID number stored by mistake.
            raise SealedValueError(f"a value sealed with PII key {key_id!r} failed to open") from None
        return plain.decode()

    def seal_bytes(self, plain: bytes) -> bytes:
        """A file (the portal's uploads): the same cipher and key id as `seal`, kept binary
        ("v1:<key id>:" + nonce + ciphertext) so a 5 MB photo does not grow by base64 twice."""
        nonce = os.urandom(_NONCE_BYTES)
        header = f"{VERSION}:{self._active}"
        return (
            f"{header}:".encode() + nonce + self._ciphers[self._active].encrypt(nonce, plain, header.encode())
        )

    @staticmethod
    def key_id_of_bytes(sealed: bytes) -> str:
        parts = sealed.split(b":", 2)
        return parts[1].decode(errors="replace") if len(parts) == 3 else ""

    def open_bytes(self, sealed: bytes) -> bytes:
        try:
            version, key_id, rest = sealed.split(b":", 2)
        except ValueError:
            raise SealedValueError("not a sealed file") from None
        cipher = self._ciphers.get(key_id.decode(errors="replace"))
        if version.decode(errors="replace") != VERSION or cipher is None:
            raise SealedValueError("a sealed file of an unknown version or key")
        try:
            header = f"{VERSION}:{key_id.decode()}".encode()
            return cipher.decrypt(rest[:_NONCE_BYTES], rest[_NONCE_BYTES:], header)
        except InvalidTag:
            raise SealedValueError("a sealed file failed to open") from None

    def digest(self, plain: str) -> str:
        return hmac.new(self._hash_key, plain.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def key_id_of(sealed: str) -> str:
        parts = sealed.split(":", 2)
        if len(parts) != 3 or parts[0] != VERSION or not parts[1]:
            raise SealedValueError("not a sealed value (expected v1:<key id>:<data>)")
        return parts[1]

    # JSON documents (a stored submission) are sealed as their text.
    def seal_json(self, document: Any) -> str:
        return self.seal(json.dumps(document, ensure_ascii=False, separators=(",", ":")))

    def open_json(self, sealed: str) -> Any:
        return json.loads(self.open(sealed))


def make_pii_vault(settings: Settings) -> PiiVault:
    keys = {key_id: base64.b64decode(value) for key_id, value in settings.pii_keys.items()}
    return PiiVault(keys, settings.pii_active_key, base64.b64decode(settings.pii_hash_key))


def main(argv: list[str] | None = None) -> int:
    """`python -m infra.pii rotate [--database-url URL]`: re-seal every sealed column with the active
    key and refresh every digest (run it after changing PII_ACTIVE_KEY or PII_HASH_KEY)."""
    from infra.pii_rotation import rotate_database
    from infra.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m infra.pii", description="个人信息密钥轮换")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate", help="以当前密钥重新加密全部个人信息并重算摘要")
    rotate.add_argument("--database-url", help="默认取 DATABASE_URL")
    args = parser.parse_args(argv)
    settings = load_settings()
    url = args.database_url or settings.database_url
    report = asyncio.run(rotate_database(url, make_pii_vault(settings)))
    sys.stdout.write(report.summary() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
