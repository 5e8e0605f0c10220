"""信息核对 through the API: the workflow asks the departments itself. A household the departments
know better than its declaration — a member declares no income while 税务 reports his wage — is
assessed on the departments' figures, gets an income-change warning, and goes to democratic review
with a proposed amount that counts the wage.

The household is planted in the department simulator through its admin API, with incomes dated
relative to today (the workflow's 信息核对 date). Expected figures are computed here from what is
planted and sent, and from config/policies.toml, not with the product's own functions.
"""

from __future__ import annotations

import asyncio
import tomllib
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import REPO, DepartmentSimulator
from tests.e2e.support import DIBAO_MATERIALS, eventually, login
from tests.factories import id_number

BEIJING = ZoneInfo("Asia/Shanghai")

# Numbers used by no other test: a planted person replaces anyone with the same number for the
# rest of the session.
MEMBERS: list[dict[str, Any]] = [
    {"name": "王建军", "id_number": id_number(birth="19790713", seq=771), "relation": "self",
     "monthly_income_fen": 0},
    {"name": "刘桂芳", "id_number": id_number(birth="19810922", seq=782), "relation": "spouse",
     "monthly_income_fen": 0},
    {"name": "王小雨", "id_number": id_number(birth="20110405", seq=794), "relation": "child",
     "monthly_income_fen": 0},
]  # fmt: skip
WAGE_BEFORE_FEN = 250_000  # 2500 元/月 reported by 税务 for six months …
WAGE_RECENT_FEN = 310_000  # … then 3100 元/月 for the last three: +24 %
VISIT_FOUND_FEN = 60_000  # the visit hears of odd jobs only: below the department figure

HOME_VISIT_FORM: dict[str, Any] = {
    "investigators": ["inv_chigang_1", "inv_chigang_2"],
    "visited_on": "2026-11-23",
    "findings": {
        "housing": "租住城中村单间，约二十平方米",
        "property": "无车辆，存款约五百元",
        "income_expenses": "申请人称偶尔打零工，月入约六百元，配偶无业，子女在读",
        "neighbours": "邻居称男主人白天常外出上班",
    },
    "found_monthly_income_fen": VISIT_FOUND_FEN,
    "signed_form_ref": "RHDC-2026-0771",
}
REVIEW_FORM: dict[str, Any] = {
    "held_on": "2026-11-25",
    "attendees": [
        {"name": "陈主任", "capacity": "committee"},
        {"name": "林委员", "capacity": "committee"},
        {"name": "党员周", "capacity": "party_member"},
        {"name": "居民吴", "capacity": "resident"},
        {"name": "居民郑", "capacity": "resident"},
    ],
    "votes_for": 4,
    "votes_against": 0,
    "abstentions": 1,
    "minutes": "评议认为申请人有工资收入，按部门核对的收入认定",
    "recording_ref": "LX-2026-0771",
}
OPINION_FORM: dict[str, Any] = {"opinion": "按部门核对的工资收入核算，建议纳入低保", "category": "C"}


def month_text(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def income_months(as_of: date) -> tuple[list[str], list[str]]:
    """(the 6 months before the last 3, the last 3): whole calendar months before as_of's month."""
    last = as_of.year * 12 + as_of.month - 1 - 1
    return [month_text(i) for i in range(last - 8, last - 2)], [
        month_text(i) for i in range(last - 2, last + 1)
    ]


def half_up(part: int, whole: int) -> int:
    return int((Decimal(part) / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


async def clear_of_month_end() -> date:
    """Today in Beijing, the day the workflow checks on: not within two minutes of a month's end,
    so that the planted months are the months the workflow asks for."""
    now = datetime.now(BEIJING)
    tomorrow = (now + timedelta(days=1)).date()
    if tomorrow.day == 1 and now.hour == 23 and now.minute >= 58:
        midnight = datetime.combine(tomorrow, datetime.min.time(), tzinfo=BEIJING)
        await asyncio.sleep((midnight - now).total_seconds() + 1)
    return datetime.now(BEIJING).date()


async def test_hidden_wage_income_is_found_by_the_data_check_and_counts_in_the_amount(
    api: httpx.AsyncClient,
    department_simulator: DepartmentSimulator,
    clerk: dict[str, str],
    application_number: str,
) -> None:
    as_of = await clear_of_month_end()
    before, recent = income_months(as_of)

    # 税务 knows the head of household's wage; the spouse and the child have no records.
    wages = [
        {"month": m, "source": "salary", "amount_fen": WAGE_BEFORE_FEN, "payer": "广州市海珠区某物流公司"}
        for m in before
    ] + [
        {"month": m, "source": "salary", "amount_fen": WAGE_RECENT_FEN, "payer": "广州市海珠区某物流公司"}
        for m in recent
    ]
    plant = {
        "county_code": "440105",
        "community_code": "440105001001",
        "members": [
            {"id_number": m["id_number"], "name": m["name"], "relation": m["relation"], **extra}
            for m, extra in zip(MEMBERS, [{"incomes": wages}, {}, {}], strict=True)
        ],
    }
    async with httpx.AsyncClient(base_url=department_simulator.url) as simulator:
        planted = await simulator.post("/admin/households", json=plant)
        assert planted.status_code == 201, planted.text
        records = (await simulator.get(f"/admin/people/{MEMBERS[0]['id_number']}")).json()
    assert len(records["incomes"]) == 9

    # Expected figures, by hand. Member 1: declared 0; department average of the last 6 months.
    eligibility_months = (before + recent)[-6:]
    department_avg = half_up(
        sum(WAGE_RECENT_FEN if m in recent else WAGE_BEFORE_FEN for m in eligibility_months), 6
    )
    assert department_avg == 280_000  # (3 × 2500 + 3 × 3100) ÷ 6 = 2800 元
    documented = sum(
        max(m["monthly_income_fen"], department_avg if i == 0 else 0) for i, m in enumerate(MEMBERS)
    )
    income = max(documented, VISIT_FOUND_FEN)  # the visit finds nothing beyond the documented income
    per_capita = half_up(income, len(MEMBERS))
    policies = tomllib.loads((REPO / "config" / "policies.toml").read_text(encoding="utf-8"))
    assert "440105" not in policies.get("regions", {})
    standard = policies["defaults"]["standards"]["dibao_standard_fen"]
    floor = policies["defaults"]["standards"]["dibao_floor_fen"]
    assert standard - per_capita > floor
    amount = (standard - per_capita) * len(MEMBERS)
    declared_only = (standard - half_up(VISIT_FOUND_FEN, len(MEMBERS))) * len(MEMBERS)
    assert (income, per_capita, amount, declared_only) == (280_000, 93_333, 71_001, 291_000)
    change_bp = half_up((WAGE_RECENT_FEN - WAGE_BEFORE_FEN) * 10_000, WAGE_BEFORE_FEN)
    assert change_bp == 2400 > 2000

    # 受理: every member declares no income.
    payload = {
        "application_number": application_number,
        "assistance_type": "dibao",
        "channel": "walk_in",
        "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
        "applicant": {
            "name": MEMBERS[0]["name"],
            "id_number": MEMBERS[0]["id_number"],
            "phone": "13912345678",
        },
        "members": MEMBERS,
        "materials": DIBAO_MATERIALS,
        "reason": "申请人称失业，仅偶尔打零工",
    }
    filed = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert filed.status_code == 201, filed.text

    investigator, reviewer = await login(api, "inv_chigang_1"), await login(api, "reviewer_chigang")
    case_url = f"/api/v1/applications/{application_number}"

    async def events() -> list[dict[str, Any]]:
        response = await api.get(f"{case_url}/timeline", headers=reviewer)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["events"]
        return found

    async def open_tasks(headers: dict[str, str], task_type: str) -> list[dict[str, Any]]:
        response = await api.get(
            "/api/v1/tasks", params={"application_number": application_number}, headers=headers
        )
        return [t for t in response.json()["items"] if t["task_type"] == task_type]

    async def recorded(kind: str) -> list[dict[str, Any]] | None:
        return [e for e in await events() if e["kind"] == kind] or None

    # 核查: only the home visit is a person's task; the departments are asked by the workflow.
    [visit] = await eventually(lambda: open_tasks(investigator, "home_visit"))
    [started] = await eventually(lambda: recorded("data_check_started"))
    checked_on = datetime.fromisoformat(started["at"]).astimezone(BEIJING).date()
    assert (checked_on.year, checked_on.month) == (as_of.year, as_of.month)  # the planted months
    assert [t["task_type"] for t in (await api.get(case_url, headers=investigator)).json()["open_tasks"]] == [
        "home_visit"
    ]
    done = await api.post(
        f"/api/v1/tasks/{visit['task_id']}/complete",
        json={"outcome": "completed", "form": HOME_VISIT_FORM},
        headers=investigator,
    )
    assert done.status_code == 200, done.text

    # 精准识别: the wage counts (the higher of declaration and department data), and its rise is
    # a warning for closer review.
    [assessed] = await eventually(lambda: recorded("assessed"))
    assert assessed["actor"] is None
    assert assessed["data"]["monthly_income_fen"] == income
    assert assessed["data"]["per_capita_income_fen"] == per_capita
    assert (
        f"家庭月收入{yuan(income)}" in assessed["summary"]
        and f"人均{yuan(per_capita)}" in assessed["summary"]
    )
    assert "预警1条" in assessed["summary"]

    # The warning comes right after the assessment (both recorded before the stage moves on).
    await eventually(lambda: recorded("verified"))
    timeline = await events()
    kinds = [e["kind"] for e in timeline]
    warnings = [e for e in timeline if e["kind"] == "warning"]
    assert [w["data"]["rule"] for w in warnings] == ["income_change"], warnings
    [warning] = warnings
    # … and it is on the region's 预警清单 with the same figures, for the supervisor to see.
    supervisor = await login(api, "supervisor_haizhu")
    listed = (
        await api.get(
            "/api/v1/warnings", params={"application_number": application_number}, headers=supervisor
        )
    ).json()
    assert [(w["rule"], w["member"], w["origin"], w["status"]) for w in listed] == [
        ("income_change", 0, "application", "open")
    ]
    assert listed[0]["figures"]["change_bp"] == change_bp and listed[0]["sources"] == ["tax"]
    assert warning["data"]["figures"] == {
        "before_fen": WAGE_BEFORE_FEN,
        "after_fen": WAGE_RECENT_FEN,
        "change_bp": change_bp,
        "threshold_bp": 2000,
    }
    text = warning["summary"]
    for figure in (
        yuan(WAGE_RECENT_FEN),
        yuan(WAGE_BEFORE_FEN),
        "24.0%",
        "20%",
        f"{recent[0]}至{recent[-1]}",
        f"{before[0]}至{before[-1]}",
        "成员1",
        "税务",
    ):
        assert figure in text, (figure, text)
    assert kinds.index("data_check_started") < kinds.index("assessed") < kinds.index("warning")
    assert kinds.index("warning") < kinds.index("verified")
    assert "department_bad_data" not in kinds and "waiting_for_department" not in kinds
    assert "王建军" not in str(timeline)
    verified = timeline[kinds.index("verified")]
    assert verified["data"]["household_monthly_income_fen"] == income

    # 民主评议, then the opinion: the proposed amount counts the wage the departments reported.
    [review] = await eventually(lambda: open_tasks(reviewer, "democratic_review"))
    assert (await api.get(case_url, headers=reviewer)).json()["stage"] == "democratic_review"
    assert await open_tasks(investigator, "data_check") == []
    response = await api.post(
        f"/api/v1/tasks/{review['task_id']}/complete",
        json={"outcome": "completed", "form": REVIEW_FORM},
        headers=reviewer,
    )
    assert response.status_code == 200, response.text
    [opinion] = await eventually(lambda: open_tasks(reviewer, "township_opinion"))
    response = await api.post(
        f"/api/v1/tasks/{opinion['task_id']}/complete",
        json={"outcome": "recommend_approve", "form": OPINION_FORM},
        headers=reviewer,
    )
    assert response.status_code == 200, response.text

    [summary] = await eventually(lambda: recorded("opinion"))
    assert f"拟救助{yuan(amount)}" in summary["summary"], summary

    async def proposed() -> dict[str, Any] | None:
        case: dict[str, Any] = (await api.get(case_url, headers=reviewer)).json()
        return case if case["proposed_amount_fen"] is not None else None

    case = await eventually(proposed)
    assert case["proposed_amount_fen"] == amount != declared_only
    assert case["category"] == "C"
