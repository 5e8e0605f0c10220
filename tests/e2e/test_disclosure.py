"""按月公开: a real payroll (bank simulator) of households enrolled from applications holding real
names and ID numbers; the JSON and CSV disclosures show only masked forms (张*明, 4401**********1234)."""

from __future__ import annotations

import csv
import io
import random
import uuid

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.masking import mask_id_number, mask_name
from domain.payroll import DisclosureInput
from tests.e2e.money_support import enrol_household, money_api, register_account
from tests.e2e.support import Sessions, login, refused
from tests.factories import id_number
from tests.payroll.households import account_number
from workflows.payroll import DisclosureWorkflow

__all__ = ["money_api"]
MONTH = "2027-04"


async def test_disclosure_shows_only_masked_names_and_id_numbers(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, task_queue: str
) -> None:
    api, client = money_api, dev_env.client
    people = {"张小明": id_number(birth="19650312", seq=123), "欧阳建国": id_number(birth="19581105", seq=456),
              "李娜": id_number(birth="19900720", seq=789)}  # fmt: skip
    seq = random.randint(10**6, 10**9)
    for i, (name, idn) in enumerate(people.items()):
        n = f"DSC-{i}-{uuid.uuid4().hex[:8]}"
        await enrol_household(
            client, sessions, task_queue, n, name=name, id_number=idn, start_month="2027-01"
        )
        await register_account(api, n, account_number(seq + i), name)
    finance = await login(api, "finance_haizhu")
    started = await api.post(
        "/api/v1/payroll/runs", json={"county_code": "440105", "month": MONTH}, headers=finance
    )
    assert started.status_code == 202, started.text
    await client.get_workflow_handle(started.json()["workflow_id"], run_id=started.json()["run_id"]).result()
    await client.execute_workflow(
        DisclosureWorkflow.run,
        DisclosureInput("440105", MONTH),
        id=f"disclosure-{uuid.uuid4().hex}",
        task_queue=task_queue,
    )

    reader = await login(api, "clerk_chigang")  # any role of the county may read it
    as_json = await api.get(f"/api/v1/disclosures/440105/{MONTH}", headers=reader)
    as_csv = await api.get(f"/api/v1/disclosures/440105/{MONTH}.csv", headers=reader)
    assert as_json.status_code == 200 and as_csv.status_code == 200, (as_json.text, as_csv.text)
    assert as_csv.text.startswith("\ufeff")
    body = as_json.json()
    assert body["published"] is True
    rows = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["姓名", "身份证号", "救助类别", "金额（元）"]
    for name, idn in people.items():
        for export in (as_json.text, as_csv.text):
            assert name not in export and idn not in export, (name, idn)
        expected = [mask_name(name), mask_id_number(idn), "城乡低保", "800.00", "440105001", "赤岗街道"]
        assert expected in rows, (expected, rows)
        assert any(
            r["masked_name"] == mask_name(name) and r["masked_id_number"] == mask_id_number(idn)
            for r in body["rows"]
        )
    assert mask_name("张小明") == "张*明" and mask_id_number(people["张小明"]).startswith("4401")
    assert "**********" in mask_id_number(people["张小明"])
    refused(await api.get(f"/api/v1/disclosures/440106/{MONTH}", headers=reader), 403, "forbidden")
    refused(await api.get("/api/v1/disclosures/440105/2027-4", headers=reader), 422, "validation_error")
