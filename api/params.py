"""Query parameter types shared by the list routes, bounded so that no value reaches the database
or the clock arithmetic in a form they cannot handle (found by the schema fuzzer, issue 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

# SQLite and PostgreSQL take 64-bit integers; an offset beyond any real list is refused at the edge
# (422) instead of overflowing in the driver (500).
MAX_OFFSET = 10_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数")]


def representable(value: datetime) -> datetime:
    """A time the filters can compare in UTC: 0001-01-01T00:00+14:00 is a valid ISO 8601 time,
    but it lies before year 1 in UTC, which Python cannot represent."""
    try:
        value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError("时间超出可处理的范围（公元1年至9999年）") from None
    return value


Instant = Annotated[datetime, AfterValidator(representable)]
