"""Whose Temporal payloads an operator may see decrypted (issue 16, item 4).

The codec endpoint gets payloads only: the Temporal UI's request names the namespace (X-Namespace)
but neither the workflow nor the page. Each payload therefore names its workflow itself
(infra/codec.py, authenticated), and this module maps workflow ids to counties:
  application-<number>, beneficiary-<number>  → the case's county (applications table);
  payroll-<county>-…, disclosure-<county>-…   → the county in the id;
  anything else (quarterly-recheck: every county), and payloads sealed before workflow ids were
  recorded                                    → no county: the provincial view only.
An operator decrypts only workflows of counties inside the operator's region; a provincial
operator (Role.PROVINCIAL_OPERATOR) decrypts every one. Both are audited by the route.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.staff import Actor, Role, covers
from infra.models import Application

_COUNTY_IN_ID = re.compile(r"^(?:payroll|disclosure)-([0-9]{6})(?:-|$)", re.ASCII)
_CASE_ID = re.compile(r"^(?:application|beneficiary)-(.{1,40})$", re.ASCII | re.DOTALL)
UNLABELLED = ""  # stands for payloads without a workflow id in the maps below


@dataclass(frozen=True)
class CodecScope:
    counties: dict[str, str | None]  # workflow id (or UNLABELLED) → its county, None if unknown
    outside: list[str]  # the workflow ids the actor may not see decrypted (sorted)
    provincial: bool  # decrypted through the provincial view


async def counties_of(
    sessions: async_sessionmaker[AsyncSession], workflow_ids: Iterable[str]
) -> dict[str, str | None]:
    counties: dict[str, str | None] = {}
    numbers: dict[str, list[str]] = {}
    for workflow_id in workflow_ids:
        counties[workflow_id] = None
        if match := _COUNTY_IN_ID.match(workflow_id):
            counties[workflow_id] = match[1]
        elif match := _CASE_ID.match(workflow_id):
            numbers.setdefault(match[1], []).append(workflow_id)
    if numbers:
        async with sessions() as session:
            rows = await session.execute(
                select(Application.application_number, Application.county_code).where(
                    Application.application_number.in_(list(numbers))
                )
            )
            for number, county in rows:
                for workflow_id in numbers[number]:
                    counties[workflow_id] = county
    return counties


async def codec_scope(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, workflow_ids: Iterable[str | None]
) -> CodecScope:
    labelled = {w if w is not None else UNLABELLED for w in workflow_ids}
    counties = await counties_of(sessions, labelled - {UNLABELLED})
    if UNLABELLED in labelled:
        counties[UNLABELLED] = None
    if actor.role is Role.PROVINCIAL_OPERATOR:
        return CodecScope(counties, [], provincial=True)
    outside = sorted(
        w for w, county in counties.items() if county is None or not covers(actor.region_code, county)
    )
    return CodecScope(counties, outside, provincial=False)
