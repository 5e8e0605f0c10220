"""The ONE place that lists workflows and activities. `main()` and the tests both call it.

A worker polls two task queues: the main one (workflows, the short database writes, the bank) and
the departments' one (`workflows.queues.department_queue`), whose slow calls have their own limit.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.assessment import AssessmentActivities
from activities.beneficiaries import BeneficiaryActivities
from activities.case_records import CaseRecordActivities
from activities.data_check import AdapterFactory, DataCheckActivities
from activities.notices import NoticeActivities
from activities.payroll import PayrollActivities
from activities.payroll_alerts import PayrollAlertActivities
from activities.quarterly import QuarterlyActivities
from activities.reference import ReferenceActivities
from activities.warnings import WarningActivities
from domain.bank import BatchResult, DisbursementFile
from domain.policy import PolicyBook
from infra.bank.base import BankGateway, BankUnavailable
from infra.pii import PiiVault
from infra.sms.base import SmsGateway
from workflows.application import ApplicationWorkflow
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow
from workflows.payroll import DisclosureWorkflow, PayrollWorkflow
from workflows.quarterly_recheck import QuarterlyRecheckWorkflow
from workflows.queues import department_queue


@dataclass
class WorkerResources:
    """Long-lived resources the worker owns and hands to activity classes."""

    session_factory: async_sessionmaker[AsyncSession]
    policies: PolicyBook
    # county code → the departments' adapters (real services or the simulator, same interface)
    department_adapters: AdapterFactory
    # The spot-check draw; tests inject a seeded generator to make draws repeatable.
    rng: random.Random = field(default_factory=random.SystemRandom)
    # The bank (代发) for the payroll; None where a test runs no payroll (a payroll then fails loudly).
    bank: BankGateway | None = None
    payer_account: str = ""
    # The SMS provider for the notices to applicants; None: no SMS is sent (tests of other things).
    sms: SmsGateway | None = None
    # Opens the sealed personal data (members' ID numbers for the data check). Required, by name:
    # a worker with other keys than the API's could not read what the API stored.
    pii: PiiVault = field(kw_only=True)
    # On shutdown, running activities get this long to finish before they are cancelled (0 would
    # cancel a bank submission or a department query half-way, for a retry to redo it).
    graceful_shutdown: timedelta = field(default=timedelta(seconds=30), kw_only=True)
    # Department calls in flight at once on this worker (their own queue and slots).
    department_slots: int = field(default=20, kw_only=True)
    # The Worker Deployment version this worker polls as (None: unversioned, see versioning()).
    version: WorkerDeploymentVersion | None = field(default=None, kw_only=True)


# Every workflow type the product runs; the replay tests (tests/histories) replay against this list.
WORKFLOWS = (
    ApplicationWorkflow,
    QuarterlyRecheckWorkflow,
    BeneficiaryWorkflow,
    PayrollWorkflow,
    DisclosureWorkflow,
)


class Workers:
    """The worker's pollers, run together: `async with build_worker(...)` starts both and stops
    both at once (each giving its running activities `graceful_shutdown`, in parallel, so a
    shutdown takes that long at most, not twice that)."""

    def __init__(self, main: Worker, departments: Worker) -> None:
        self.main = main
        self.departments = departments

    async def __aenter__(self) -> Workers:
        await self.main.__aenter__()
        try:
            await self.departments.__aenter__()
        except BaseException as exc:
            await self.main.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        outcomes = await asyncio.gather(
            self.main.__aexit__(exc_type, exc, tb),
            self.departments.__aexit__(exc_type, exc, tb),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome


def build_worker(client: Client, task_queue: str, resources: WorkerResources) -> Workers:
    reference = ReferenceActivities(resources.session_factory, resources.policies)
    records = CaseRecordActivities(resources.session_factory, resources.rng, resources.pii)
    lifecycle = BeneficiaryActivities(resources.session_factory, resources.pii)
    payroll = PayrollActivities(
        resources.session_factory, resources.bank or _NoBank(), resources.pii, resources.payer_account
    )
    data_check = DataCheckActivities(resources.session_factory, resources.department_adapters, resources.pii)
    warnings = WarningActivities(resources.session_factory)
    notices = NoticeActivities(resources.session_factory, resources.sms, resources.pii)
    assessment = AssessmentActivities()
    payroll_alerts = PayrollAlertActivities(resources.session_factory)
    quarterly = QuarterlyActivities(
        resources.session_factory, resources.department_adapters, resources.policies, resources.pii
    )
    main = Worker(
        client,
        task_queue=task_queue,
        graceful_shutdown_timeout=resources.graceful_shutdown,
        deployment_config=_deployment(resources.version),
        workflows=list(WORKFLOWS),
        activities=[
            reference.resolve_policy,
            reference.compute_deadline,
            records.record_stage,
            records.save_task,
            records.save_task_with_event,
            records.record_event,
            records.notify,
            records.record_breach,
            records.hand_over,
            records.create_payment_order,
            records.draw_spot_check,
            # Also here for executions started before the departments' queue (see
            # workflows/queues.py): they schedule these on the main queue.
            data_check.query_department,
            assessment.assess_household,
            warnings.record_warnings,
            quarterly.list_beneficiaries,
            quarterly.recheck_batch,
            lifecycle.enrol,
            lifecycle.update_beneficiary,
            lifecycle.record_beneficiary_event,
            lifecycle.issue_exit_notice,
            lifecycle.stop_for_fraud,
            lifecycle.record_credit,
            payroll.freeze_snapshot,
            payroll.plan_batches,
            payroll.submit_batch,
            payroll.reconcile_batch,
            payroll.close_run,
            payroll.publish_disclosure,
            payroll_alerts.report_missed_months,
            payroll_alerts.report_late_start,
            notices.send_notice,
            notices.check_delivery,
            notices.send_payroll_notices,
        ],
    )
    departments = Worker(
        client,
        task_queue=department_queue(task_queue),
        graceful_shutdown_timeout=resources.graceful_shutdown,
        max_concurrent_activities=resources.department_slots,
        deployment_config=_deployment(resources.version),
        activities=[data_check.query_department, quarterly.recheck_batch],
    )
    return Workers(main, departments)


def versioning(build_id: str, deployment_name: str) -> WorkerDeploymentVersion | None:
    """The version a worker with this build id polls as; None (unversioned) without one."""
    return WorkerDeploymentVersion(deployment_name, build_id) if build_id else None


def _deployment(version: WorkerDeploymentVersion | None) -> WorkerDeploymentConfig | None:
    # AUTO_UPGRADE, not PINNED: a beneficiary's lifecycle runs for years and a case for months, so
    # no build could be kept until its executions drain. The server gives every task to the current
    # version's workers only (never to old and new code in turn); the switch to a new version is one
    # step after its workers poll, and what the new code meets of old histories is proven by the
    # replay tests (tests/histories) and guarded by workflow.patched.
    if version is None:
        return None
    return WorkerDeploymentConfig(
        version=version,
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )


class _NoBank:
    """Stands in where no bank is configured: every payroll step fails with the reason."""

    async def submit(self, file: DisbursementFile) -> str:
        raise BankUnavailable("未配置银行代发接口（BANK_BASE_URL）")

    async def result(self, batch_id: str) -> BatchResult:
        raise BankUnavailable("未配置银行代发接口（BANK_BASE_URL）")
