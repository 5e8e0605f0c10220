"""Workflow tests run their worker against the department simulator (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from activities.data_check import AdapterFactory
from tests.workflows import harness


@pytest.fixture(autouse=True)
def _departments(department_adapters: AdapterFactory) -> None:
    harness.DEPARTMENTS.adapters = department_adapters
