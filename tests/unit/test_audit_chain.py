"""Pure parts of the audit trail: the client address behind proxies, and the hash of an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.audit import clean, client_ip, outcome_of
from services.audit_chain import entry_hash

TRUSTED = ["10.0.0.0/8", "fd00::/8"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.7", None, "198.51.100.7"),  # no proxy
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # an untrusted peer's header is ignored
        ("10.1.2.3", "203.0.113.9", "203.0.113.9"),  # behind our proxy
        ("10.1.2.3", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote the left part
        ("10.1.2.3", "203.0.113.9, 10.4.5.6", "203.0.113.9"),  # two of our proxies in a row
        ("10.1.2.3", "not-an-address", "10.1.2.3"),  # garbled: keep what we can vouch for
        ("10.1.2.3", "", "10.1.2.3"),
        ("fd00::1", "2001:db8::5", "2001:db8::5"),
        (None, "203.0.113.9", None),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, expected: str | None) -> None:
    assert client_ip(peer, forwarded, TRUSTED) == expected


def test_text_from_requests_is_cut_and_freed_of_control_characters() -> None:
    assert clean("curl/8.0\x00\n", 200) == "curl/8.0"
    assert clean("x" * 300, 200) == "x" * 200
    assert clean("\x00", 10) is None and clean(None, 10) is None


def test_outcome_follows_the_status() -> None:
    assert [outcome_of(s) for s in (200, 201, 403, 409, 422, 423, 503)] == [
        "ok", "ok", "refused", "refused", "refused", "refused", "error",
    ]  # fmt: skip


def _entry(**changes: Any) -> dict[str, Any]:
    entry = {
        "id": 7,
        "at": datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=UTC),
        "action": "task.complete",
        "actor_username": "approver_haizhu",
        "status_code": 200,
        "detail": {"outcome": "approve", "stage": "enrolled"},
    }
    return {**entry, **changes}


def test_the_hash_covers_every_field_and_the_previous_hash_but_not_the_time_zone() -> None:
    base = entry_hash("0" * 64, _entry())
    assert len(base) == 64
    assert entry_hash("1" * 64, _entry()) != base
    for change in (
        {"action": "task.claim"},
        {"status_code": 403},
        {"detail": {"outcome": "reject"}},
        {"id": 8},
    ):
        assert entry_hash("0" * 64, _entry(**change)) != base, change
    same_instant = _entry()["at"].astimezone(timezone(timedelta(hours=8)))
    assert entry_hash("0" * 64, _entry(at=same_instant)) == base
    assert entry_hash("0" * 64, _entry(detail={"stage": "enrolled", "outcome": "approve"})) == base
