"""/api/v1/intake: the intake window's options (the policy's types and materials, the clerk's own
villages) and a case's one-time notice — the service the 受理登记 pages call, on its API edge."""

from __future__ import annotations

import httpx

from tests.e2e.support import login
from tests.factories import application_payload


async def test_the_options_are_the_policys_types_and_the_clerks_own_villages(api: httpx.AsyncClient) -> None:
    chigang = await login(api, "clerk_chigang")
    body = (await api.get("/api/v1/intake/options", headers=chigang)).json()
    types = {t["code"]: t for t in body["types"]}
    # Every type of config/policies.toml, with its own materials (tekun: 无劳动能力证明, …).
    assert set(types) == {
        "dibao", "dibao_edge", "dibao_expenditure", "tekun", "temp_emergency", "temp_expenditure",
        "disability_subsidy",
    }  # fmt: skip
    assert types["tekun"]["required_materials"] == [
        "身份证明",
        "户口簿",
        "无劳动能力证明",
        "生活自理能力评估表",
    ]
    assert types["tekun"]["fetchable_materials"] == ["户口簿"]
    assert types["temp_emergency"]["emergency"] is True
    assert [(t["code"], [c["code"] for c in t["communities"]]) for t in body["townships"]] == [
        ("440105001", ["440105001001", "440105001002", "440105001003"])
    ]
    wushan = await login(api, "clerk_wushan")
    other = (await api.get("/api/v1/intake/options", headers=wushan)).json()
    assert [c["name"] for t in other["townships"] for c in t["communities"]] == ["华农社区", "岑村村委会"]
    approver = await login(api, "approver_haizhu")
    refused = await api.get("/api/v1/intake/options", headers=approver)
    assert refused.status_code == 403


async def test_the_notice_lists_every_missing_material_masked(
    api: httpx.AsyncClient, clerk: dict[str, str], application_number: str
) -> None:
    payload = application_payload(application_number, materials=["身份证明"], commitment_signed=True)
    assert (await api.post("/api/v1/applications", json=payload, headers=clerk)).status_code == 201
    notice = (
        await api.get(f"/api/v1/applications/{application_number}/materials-notice", headers=clerk)
    ).json()
    # 低保 defaults: 户口簿 and 家庭财产情况说明 are fetched under the commitment, not asked for.
    assert notice["missing"] == ["家庭收入情况说明"]
    assert notice["waived"] == ["户口簿", "家庭财产情况说明"]
    assert notice["applicant_name_masked"] == "张*明" and "张小明" not in str(notice)
    assert notice["office"] == "赤岗街道" and notice["whole_process_days"] == 30
    wushan = await login(api, "clerk_wushan")
    other = await api.get(f"/api/v1/applications/{application_number}/materials-notice", headers=wushan)
    assert other.status_code == 403 and "张" not in other.text
