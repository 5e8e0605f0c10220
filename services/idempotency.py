"""Workflow Update ids for retried requests (pure: the API's Idempotency-Key and the pages' form keys)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from domain.staff import Actor


def update_id(key: str | None, action: str, target: str, actor: Actor, body: Any = None) -> str | None:
    """The workflow Update id for a keyed request, or None (Temporal then picks a fresh one).

    The id is a digest, so the client's key never reaches the workflow history as such, and a key
    reused by another user, on another case or task, or with another body is another action."""
    if key is None:
        return None
    scope = json.dumps(
        [action, target, actor.username, key, body], sort_keys=True, ensure_ascii=False, default=str
    )
    return f"{action}-{hashlib.sha256(scope.encode()).hexdigest()[:40]}"
