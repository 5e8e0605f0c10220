"""ORM models of the application database. Schema changes go through Alembic migrations."""

from infra.models.audit import AuditEntry, AuditHead
from infra.models.calendar import CalendarDay, CalendarYear
from infra.models.case import CaseEvent, CaseProjection, DeadlineBreach, Notification, SpotCheck, Task
from infra.models.core import Application, Base, Region
from infra.models.lifecycle import BeneficiaryEvent, CreditRecord, ExitNoticeRow, Recovery, RecoveryPayment
from infra.models.login import LoginIpFailure, LoginState
from infra.models.money import Beneficiary, Disclosure, PayeeAccount, PaymentBatch, PaymentOrder, PayrollRun
from infra.models.objections import PublicObjection, PublicObjectionEvidence
from infra.models.phone_codes import PhoneCode, PhoneCodeGate
from infra.models.portal import OnlineApplication, PortalUpload
from infra.models.sms import SmsRecord
from infra.models.staff import Staff
from infra.models.statistics import CaseLimit
from infra.models.warnings import QuarterlyCheck, RecheckFailure, RiskWarningRow

__all__ = [
    "Application",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Beneficiary",
    "BeneficiaryEvent",
    "CalendarDay",
    "CalendarYear",
    "CaseEvent",
    "CaseLimit",
    "CaseProjection",
    "CreditRecord",
    "DeadlineBreach",
    "Disclosure",
    "ExitNoticeRow",
    "LoginIpFailure",
    "LoginState",
    "Notification",
    "OnlineApplication",
    "PayeeAccount",
    "PaymentBatch",
    "PaymentOrder",
    "PayrollRun",
    "PhoneCode",
    "PhoneCodeGate",
    "PortalUpload",
    "PublicObjection",
    "PublicObjectionEvidence",
    "QuarterlyCheck",
    "RecheckFailure",
    "Recovery",
    "RecoveryPayment",
    "Region",
    "RiskWarningRow",
    "SmsRecord",
    "SpotCheck",
    "Staff",
    "Task",
]
