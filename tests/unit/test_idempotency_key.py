"""The Update id derived from an Idempotency-Key (api/idempotency.py): the same request is one id,
anything else that differs — action, target, caller, body — is another."""

from __future__ import annotations

from domain.staff import Actor, Role
from services.idempotency import update_id

ONE = Actor("inv_chigang_1", "调查员李强", Role.INVESTIGATOR, "440105001")
TWO = Actor("inv_chigang_2", "调查员王五", Role.INVESTIGATOR, "440105001")


def test_no_key_no_id() -> None:
    assert update_id(None, "claim", "T01", ONE) is None


def test_same_request_same_id_and_every_scope_separates() -> None:
    base = update_id("k-1", "claim", "T01", ONE)
    assert base is not None and base == update_id("k-1", "claim", "T01", ONE)
    assert base.startswith("claim-") and "k-1" not in base  # a digest, not the client's key
    others = {
        update_id("k-1", "claim", "T01", TWO),
        update_id("k-1", "release", "T01", ONE),
        update_id("k-1", "claim", "T02", ONE),
        update_id("k-2", "claim", "T01", ONE),
        update_id("k-1", "claim", "T01", ONE, {"summary": "另一条异议"}),
    }
    assert base not in others and len(others) == 5
