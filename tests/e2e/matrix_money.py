"""Money on both sides of the jurisdiction boundary, for the authorization matrix: an enrolled
household per jurisdiction (through the real beneficiary lifecycle workflow, as approval enrols
one) and two payment orders per jurisdiction (one failed, one in kind), written as the payroll and
the decision stage write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.client import Client

from domain.beneficiary import EnrolInput, LifecycleInput, lifecycle_workflow_id
from domain.enums import AssistanceType
from infra.models import Beneficiary, PaymentOrder
from tests.e2e.support import Sessions, eventually
from tests.factories import store_application
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

# Far from any month another test pays: the matrix's own payroll runs cannot meet their orders.
MATRIX_MONTH = "2099-12"


@dataclass(frozen=True)
class Money:
    beneficiary: str  # application number of the enrolled household
    failed_order: str  # order key: a failed bank payment (no account registered)
    in_kind_order: str  # order key: goods to hand over


async def enrol(
    client: Client, sessions: Sessions, task_queue: str, number: str, region: tuple[str, str, str],
    name: str, id_number: str,
) -> None:  # fmt: skip
    county, township, community = region
    await store_application(sessions, number, datetime.now(UTC), applicant_name=name, applicant_id_number=id_number,
                            stage="approved", county_code=county, township_code=township,
                            community_code=community)  # fmt: skip
    enrolment = EnrolInput(number, AssistanceType.DIBAO, county, township, community, "C", 80_000, "2026-12")
    await client.start_workflow(
        BeneficiaryWorkflow.run,
        LifecycleInput(enrolment),
        id=lifecycle_workflow_id(number),
        task_queue=task_queue,
    )

    async def active() -> bool:
        async with sessions() as session:
            row = await session.scalar(select(Beneficiary).where(Beneficiary.application_number == number))
        return row is not None and row.status == "active"

    await eventually(active, within=30)


async def add_orders(
    sessions: Sessions, number: str, county: str, township: str, masked_name: str
) -> tuple[str, str]:
    """A failed and an in-kind order of the household, under its own masked name (each side's name
    is among the secrets the other side must never see, so the two sides must not share one)."""
    failed, in_kind = f"mx-{number}-failed", f"mx-{number}-in-kind"
    common = dict(application_number=number, month=MATRIX_MONTH, county_code=county, township_code=township,
                  assistance_type="dibao", amount_fen=80_000, masked_name=masked_name,
                  masked_id_number="4401**********1234", ordered_at=datetime.now(UTC))  # fmt: skip
    async with sessions.begin() as session:
        session.add(PaymentOrder(order_key=failed, kind="mx_monthly", form_of_aid="cash", status="failed",
                                 failure_reason="no_account", attempts=1, **common))  # fmt: skip
        session.add(PaymentOrder(order_key=in_kind, kind="mx_in_kind", form_of_aid="in_kind", status="ordered",
                                 item_description="米、面、油", **common))  # fmt: skip
    return failed, in_kind
