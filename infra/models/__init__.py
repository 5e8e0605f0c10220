"""ORM models of the application database. Schema changes go through Alembic migrations."""

from infra.models.calendar import CalendarDay, CalendarYear
from infra.models.case import CaseEvent, DeadlineBreach, Notification, SpotCheck, Task
from infra.models.core import Application, Base, Region
from infra.models.money import Beneficiary, PaymentOrder
from infra.models.staff import Staff
from infra.models.warnings import RiskWarningRow

__all__ = [
    "Application",
    "Base",
    "Beneficiary",
    "CalendarDay",
    "CalendarYear",
    "CaseEvent",
    "DeadlineBreach",
    "Notification",
    "PaymentOrder",
    "Region",
    "RiskWarningRow",
    "SpotCheck",
    "Staff",
    "Task",
]
