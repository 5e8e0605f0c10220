"""Loads the policy configuration (config/policies.toml by default) into a PolicyBook."""

from __future__ import annotations

import tomllib
from pathlib import Path

from domain.enums import AssistanceType
from domain.policy import PolicyBook


def load_policy_book(path: Path) -> PolicyBook:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    book = PolicyBook(
        types=data.get("types", {}),
        regions=data.get("regions", {}),
        default_limits=defaults.get("limits", {}),
        default_standards=defaults.get("standards", {}),
    )
    # Fail at start-up, not in the middle of a case: every type and override must resolve.
    for kind in AssistanceType:
        for county in ["", *book.regions]:
            book.resolve(kind, county)
    return book
