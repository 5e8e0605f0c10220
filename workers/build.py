"""The ONE place that lists workflows and activities. `main()` and the tests both call it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.case_records import CaseRecordActivities
from activities.data_check import AdapterFactory, DataCheckActivities
from activities.quarterly import QuarterlyActivities
from activities.reference import ReferenceActivities
from activities.warnings import WarningActivities
from domain.policy import PolicyBook
from workflows.application import ApplicationWorkflow
from workflows.quarterly_recheck import QuarterlyRecheckWorkflow


@dataclass
class WorkerResources:
    """Long-lived resources the worker owns and hands to activity classes."""

    session_factory: async_sessionmaker[AsyncSession]
    policies: PolicyBook
    # county code → the departments' adapters (real services or the simulator, same interface)
    department_adapters: AdapterFactory
    # The spot-check draw; tests inject a seeded generator to make draws repeatable.
    rng: random.Random = field(default_factory=random.SystemRandom)


def build_worker(client: Client, task_queue: str, resources: WorkerResources) -> Worker:
    reference = ReferenceActivities(resources.session_factory, resources.policies)
    records = CaseRecordActivities(resources.session_factory, resources.rng)
    data_check = DataCheckActivities(resources.session_factory, resources.department_adapters)
    warnings = WarningActivities(resources.session_factory)
    quarterly = QuarterlyActivities(
        resources.session_factory, resources.department_adapters, resources.policies
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ApplicationWorkflow, QuarterlyRecheckWorkflow],
        activities=[
            reference.resolve_policy,
            reference.compute_deadline,
            records.record_stage,
            records.save_task,
            records.record_event,
            records.notify,
            records.record_breach,
            records.hand_over,
            records.create_payment_order,
            records.draw_spot_check,
            data_check.query_department,
            warnings.record_warnings,
            quarterly.list_beneficiaries,
            quarterly.recheck_batch,
        ],
    )
