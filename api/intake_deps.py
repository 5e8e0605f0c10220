"""The intake window's service (services/intake.py) for the API and the pages, with the policy
book it reads: loaded once per configuration file, the file the workers resolve policies from."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from api.deps import CaseServiceDep, PiiDep, SessionsDep, SettingsDep
from domain.policy import PolicyBook
from infra.policy_config import load_policy_book
from services.intake import IntakeService


@cache
def _policy_book(path: Path) -> PolicyBook:
    return load_policy_book(path)


def intake_service(
    settings: SettingsDep, sessions: SessionsDep, cases: CaseServiceDep, pii: PiiDep
) -> IntakeService:
    return IntakeService(sessions, _policy_book(settings.policy_file), cases, pii)


IntakeServiceDep = Annotated[IntakeService, Depends(intake_service)]
