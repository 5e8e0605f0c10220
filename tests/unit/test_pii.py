"""The personal-data vault: sealing, key rotation by key id, keyed digests, and the settings that
refuse unusable keys at start-up."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from infra.pii import PiiVault, SealedValueError, make_pii_vault
from infra.settings import Settings, load_settings
from tests.factories import id_number

OLD, NEW, HASH = os.urandom(32), os.urandom(32), os.urandom(32)
ID_NUMBER = id_number(seq=123)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_sealed_value_opens_to_the_original_and_shows_nothing_of_it() -> None:
    vault = PiiVault({"2026-11": NEW}, "2026-11", HASH)
    sealed = vault.seal(ID_NUMBER)
    assert sealed.startswith("v1:2026-11:")
    assert ID_NUMBER not in sealed
    assert vault.open(sealed) == ID_NUMBER
    # A random nonce per value: equal ID numbers do not give equal ciphertexts.
    assert vault.seal(ID_NUMBER) != sealed
    assert vault.open(vault.seal("张小明·13812345678")) == "张小明·13812345678"


def test_new_data_uses_the_active_key_and_old_keys_still_open() -> None:
    before = PiiVault({"old": OLD}, "old", HASH)
    sealed_before = before.seal(ID_NUMBER)
    after = PiiVault({"old": OLD, "new": NEW}, "new", HASH)
    assert after.open(sealed_before) == ID_NUMBER
    sealed_after = after.seal(ID_NUMBER)
    assert PiiVault.key_id_of(sealed_after) == "new" and PiiVault.key_id_of(sealed_before) == "old"
    # Once the old key is retired, only values re-sealed with the new one can be read.
    retired = PiiVault({"new": NEW}, "new", HASH)
    assert retired.open(sealed_after) == ID_NUMBER
    with pytest.raises(SealedValueError, match="'old', which is not configured"):
        retired.open(sealed_before)


def test_tampered_or_relabelled_values_are_refused() -> None:
    vault = PiiVault({"a": OLD, "b": NEW}, "a", HASH)
    sealed = vault.seal(ID_NUMBER)
    blob = bytearray(base64.b64decode(sealed.split(":", 2)[2]))
    blob[-1] ^= 1
    with pytest.raises(SealedValueError):
        vault.open(f"v1:a:{base64.b64encode(bytes(blob)).decode()}")
    # The key id is authenticated: the same data labelled with another configured key fails.
    with pytest.raises(SealedValueError):
        vault.open(sealed.replace("v1:a:", "v1:b:"))
    for not_sealed in (ID_NUMBER, "v2:a:xyz", "v1::abc", ""):
        with pytest.raises(SealedValueError) as caught:
            vault.open(not_sealed)
        assert ID_NUMBER not in str(caught.value)  # a clear value stored by mistake is not echoed


def test_digest_is_a_keyed_hash_for_equality_lookups() -> None:
    vault = PiiVault({"a": OLD}, "a", HASH)
    digest = vault.digest(ID_NUMBER)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert vault.digest(ID_NUMBER) == digest != vault.digest(id_number(seq=124))
    # Independent of the sealing key, dependent on the hash key: nobody without it can recompute it.
    assert PiiVault({"b": NEW}, "b", HASH).digest(ID_NUMBER) == digest
    assert PiiVault({"a": OLD}, "a", os.urandom(32)).digest(ID_NUMBER) != digest


def test_json_documents_round_trip() -> None:
    vault = PiiVault({"a": OLD}, "a", HASH)
    document = {"applicant": {"name": "张小明", "id_number": ID_NUMBER}, "members": [1, 2]}
    sealed = vault.seal_json(document)
    assert "张小明" not in sealed and vault.open_json(sealed) == document


def test_settings_build_a_working_vault() -> None:
    settings = load_settings(
        pii_keys={"k1": b64(OLD), "k2": b64(NEW)}, pii_active_key="k2", pii_hash_key=b64(HASH)
    )
    vault = make_pii_vault(settings)
    assert vault.active_key_id == "k2"
    assert PiiVault({"k2": NEW}, "k2", HASH).open(vault.seal("x")) == "x"
    assert vault.digest(ID_NUMBER) == PiiVault({"k1": OLD}, "k1", HASH).digest(ID_NUMBER)
    # The development defaults are usable as they are.
    make_pii_vault(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pii_active_key": "missing"}, "PII_ACTIVE_KEY 'missing' 不在 PII_KEYS"),
        ({"pii_keys": {"k": b64(os.urandom(16))}, "pii_active_key": "k"}, "须为 32 字节"),
        ({"pii_keys": {"k": "not base64!"}, "pii_active_key": "k"}, "须为 32 字节"),
        ({"pii_keys": {"a:b": b64(OLD)}, "pii_active_key": "a:b"}, "密钥编号"),
        ({"pii_hash_key": b64(os.urandom(8))}, "PII_HASH_KEY 须为 32 字节"),
    ],
)
def test_settings_refuse_unusable_keys_with_a_chinese_message(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(**overrides)
    assert message in str(caught.value)
    keys = [v for o in overrides.values() if isinstance(o, dict) for v in o.values()]
    assert not any(str(k) in str(caught.value) for k in keys)  # key material is never echoed


def test_every_sealed_column_of_the_schema_is_rotated() -> None:
    from infra.models import Base
    from infra.pii_rotation import EPHEMERAL_DIGESTS, SEALED_TABLES

    listed = {(spec.table.name, c) for spec in SEALED_TABLES for c in (*spec.sealed, *spec.derived)}
    listed |= EPHEMERAL_DIGESTS  # SMS codes: minutes-lived, their plain values never stored
    in_schema = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith(("_sealed", "_digest"))
    }
    # A sealed column missing here would keep its old key forever (and block retiring it).
    assert in_schema <= listed, in_schema - listed
