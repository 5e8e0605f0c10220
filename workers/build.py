"""The ONE place that lists workflows and activities. `main()` and the tests both call it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.applications import ApplicationActivities
from domain.calendar import WorkingDayCalendar
from workflows.application import ApplicationWorkflow


@dataclass
class WorkerResources:
    """Long-lived resources the worker owns and hands to activity classes."""

    session_factory: async_sessionmaker[AsyncSession]
    calendar: WorkingDayCalendar


def build_worker(client: Client, task_queue: str, resources: WorkerResources) -> Worker:
    applications = ApplicationActivities(resources.session_factory, resources.calendar)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ApplicationWorkflow],
        activities=[applications.record_stage, applications.compute_deadline],
    )
