"""One 城乡低保 case driven through the HTTP API by the demo staff, from intake to publicity, on the
real dev server: each person works from their own inbox, and the case view, the timeline and the
operators' search attributes agree with what they did. Then an objection during publicity sends
the case back to verification.

Expected figures are computed here from what the test sends and from config/policies.toml, not
with the product's own amount functions. 信息核对 is automatic: the workflow asks the department
simulator, which holds no records of this household, so the departments add nothing and the
income is the higher of the declared total and the visit's figure.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import REPO, DepartmentSimulator
from tests.e2e.support import DIBAO_MATERIALS, eventually, login, refused
from tests.factories import id_number

BEIJING = ZoneInfo("Asia/Shanghai")

# The household: three members and what each declares (fen per month).
MEMBERS: list[dict[str, Any]] = [
    {"name": "张小明", "id_number": id_number(birth="19800101", seq=101), "relation": "self",
     "monthly_income_fen": 30_000},
    {"name": "李秀英", "id_number": id_number(birth="19820304", seq=202), "relation": "spouse",
     "monthly_income_fen": 15_000},
    {"name": "张小华", "id_number": id_number(birth="20120615", seq=303), "relation": "child",
     "monthly_income_fen": 0},
]  # fmt: skip
DECLARED_FEN = sum(m["monthly_income_fen"] for m in MEMBERS)  # 45 000
VISIT_FOUND_FEN = 61_000  # hidden income found on the visit: above the documented income, so it counts

HOME_VISIT_FORM: dict[str, Any] = {
    "investigators": ["inv_chigang_1", "inv_chigang_2"],
    "visited_on": "2026-11-23",
    "findings": {
        "housing": "租住单位旧宿舍一间，约三十平方米",
        "property": "无车辆，无商铺，存款约一千元",
        "income_expenses": "申请人打零工月入约四百五十元，配偶做钟点工，另有不定期帮工收入",
        "neighbours": "邻居反映家庭确实困难，男主人偶尔帮人搬货",
    },
    "found_monthly_income_fen": VISIT_FOUND_FEN,
    "rigid_expenses_fen": 20_000,
    "signed_form_ref": "RHDC-2026-1122",
}
REVIEW_FORM: dict[str, Any] = {
    "held_on": "2026-11-25",
    "attendees": [
        {"name": "陈主任", "capacity": "committee"},
        {"name": "林委员", "capacity": "committee"},
        {"name": "党员周", "capacity": "party_member"},
        {"name": "居民吴", "capacity": "resident"},
        {"name": "居民郑", "capacity": "resident"},
        {"name": "街道王", "capacity": "official"},
    ],
    "votes_for": 5,
    "votes_against": 0,
    "abstentions": 1,
    "minutes": "经民主评议，认为申请家庭收入情况属实，符合低保条件",
    "recording_ref": "LX-2026-1125",
}
OPINION_FORM: dict[str, Any] = {"opinion": "经入户调查、信息核对和民主评议，建议纳入低保", "category": "B"}


@pytest.fixture(autouse=True)
def _household_unknown_to_the_departments(department_simulator: DepartmentSimulator) -> None:
    # The figures below assume the departments hold nothing about these people.
    for member in MEMBERS:
        assert department_simulator.population.records_of(member["id_number"]) is None, member


def expected_monthly_amount_fen(members: int) -> tuple[int, int]:
    """(household income, proposed amount) by the 低保 gap rule of 海珠区 (no county override).

    Income: each member counts the higher of their declaration and their department income (none
    here), the household the higher of that sum and the income found on the visit."""
    policies = tomllib.loads((REPO / "config" / "policies.toml").read_text(encoding="utf-8"))
    assert "440105" not in policies.get("regions", {}), "the expected figures assume 海珠区 has no override"
    standard = policies["defaults"]["standards"]["dibao_standard_fen"]
    floor = policies["defaults"]["standards"]["dibao_floor_fen"]
    assert standard == 117_000  # 1170 元/人·月
    department_fen = [0 for _ in MEMBERS]  # no department records for these ID numbers
    documented = sum(max(m["monthly_income_fen"], d) for m, d in zip(MEMBERS, department_fen, strict=True))
    income = max(documented, VISIT_FOUND_FEN)
    per_capita = int((Decimal(income) / members).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    gap = standard - per_capita
    assert gap > floor  # the 保底 minimum does not come into it
    return income, gap * members


@dataclass
class Desk:
    """The staff at their screens: one token per demo account, reused across the walk."""

    api: httpx.AsyncClient
    number: str
    _tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            self._tokens[username] = await login(self.api, username)
        return self._tokens[username]

    async def get(self, username: str, path: str, **params: Any) -> Any:
        response = await self.api.get(path, params=params, headers=await self.headers(username))
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, username: str, path: str, body: Any = None) -> Any:
        response = await self.api.post(path, json=body, headers=await self.headers(username))
        assert response.status_code == 200, f"{username} POST {path}: {response.text}"
        return response.json()

    async def inbox(self, username: str, **params: Any) -> list[dict[str, Any]]:
        page = await self.get(username, "/api/v1/tasks", application_number=self.number, **params)
        items: list[dict[str, Any]] = page["items"]
        return items

    async def inbox_types(self, username: str, **params: Any) -> list[str]:
        return sorted(t["task_type"] for t in await self.inbox(username, **params))

    async def case(self, username: str = "reviewer_chigang") -> dict[str, Any]:
        body: dict[str, Any] = await self.get(username, f"/api/v1/applications/{self.number}")
        assert body["live"] is True, body
        return body

    async def events(self, username: str = "reviewer_chigang") -> list[dict[str, Any]]:
        body = await self.get(username, f"/api/v1/applications/{self.number}/timeline")
        events: list[dict[str, Any]] = body["events"]
        return events

    async def wait_for_inbox(self, username: str, task_types: set[str]) -> dict[str, dict[str, Any]]:
        """Poll the inbox until exactly these tasks are waiting, and until the workflow has put
        their opening on the timeline too (the case is then waiting on people, not busy)."""

        async def ready() -> dict[str, dict[str, Any]] | None:
            items = await self.inbox(username)
            if {t["task_type"] for t in items} != task_types:
                return None
            opened = {e["data"]["task_id"] for e in await self.events() if e["kind"] == "task_opened"}
            if not {t["task_id"] for t in items} <= opened:
                return None
            return {t["task_type"]: t for t in items}

        return await eventually(ready)

    async def wait_for_event(self, kind: str) -> dict[str, Any]:
        """Poll the timeline until the workflow has recorded an event of this kind; the first one."""

        async def recorded() -> dict[str, Any] | None:
            return next((e for e in await self.events() if e["kind"] == kind), None)

        return await eventually(recorded)

    async def assert_only_for(self, role_users: list[str], others: list[str], task_types: set[str]) -> None:
        for username in role_users:
            assert await self.inbox_types(username) == sorted(task_types), username
        for username in others:
            assert await self.inbox(username) == [], username


async def walk_to_publicity(api: httpx.AsyncClient, number: str) -> Desk:
    """clerk → investigators → reviewer, each from their own inbox; checks the inboxes on the way."""
    desk = Desk(api, number)

    # 受理: the clerk of 赤岗街道 files a complete application.
    payload = {
        "application_number": number,
        "assistance_type": "dibao",
        "channel": "walk_in",
        "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
        "applicant": {"name": "张小明", "id_number": MEMBERS[0]["id_number"], "phone": "13812345678"},
        "members": MEMBERS,
        "materials": DIBAO_MATERIALS,
        "reason": "申请人失业，配偶收入微薄，子女在读",
    }
    filed = await api.post("/api/v1/applications", json=payload, headers=await desk.headers("clerk_chigang"))
    assert filed.status_code == 201, filed.text
    assert filed.json()["household_size"] == 3 and filed.json()["created"] is True

    # 核查: the home visit reaches the investigators of the township, and only them; 信息核对 goes to
    # the departments by itself (no task for anyone) and meets its time limit at once.
    visit = (await desk.wait_for_inbox("inv_chigang_1", {"home_visit"}))["home_visit"]
    assert visit["candidate_role"] == "investigator"
    assert visit["status"] == "open" and visit["due_at"]
    await desk.wait_for_event("data_check_started")
    await desk.assert_only_for(
        ["inv_chigang_1", "inv_chigang_2", "inv_haizhu"],
        ["clerk_chigang", "reviewer_chigang", "head_chigang", "approver_haizhu", "approver_tianhe"],
        {"home_visit"},
    )
    assert await desk.inbox("inv_chigang_1", mine="true") == []
    limits = {lim["name"]: lim for lim in (await desk.case())["limits"]}
    assert limits["data_check_start"]["met"] is True and limits["verification_start"]["met"] is False

    claimed = await desk.post("inv_chigang_1", f"/api/v1/tasks/{visit['task_id']}/claim")
    assert claimed["status"] == "claimed" and claimed["assignee"] == "inv_chigang_1"
    mine = await desk.inbox("inv_chigang_1", mine="true")
    assert [t["task_id"] for t in mine] == [visit["task_id"]]
    assert all(t["assignee"] == "inv_chigang_1" and t["status"] == "claimed" for t in mine)
    assert await desk.inbox("inv_chigang_2", mine="true") == []
    refused(
        await api.post(
            f"/api/v1/tasks/{visit['task_id']}/claim", headers=await desk.headers("inv_chigang_2")
        ),
        409,
        "task_not_open",
    )

    done = await desk.post(
        "inv_chigang_1",
        f"/api/v1/tasks/{visit['task_id']}/complete",
        {"outcome": "completed", "form": HOME_VISIT_FORM},
    )
    assert done["status"] == "completed" and done["completed_by"] == "inv_chigang_1"
    # The departments' data and the visit are assessed together, by the system.
    assessed = await desk.wait_for_event("assessed")
    assert assessed["actor"] is None

    # 民主评议: 海珠区 reviews every 低保 case; the task goes to the township reviewer only.
    review = (await desk.wait_for_inbox("reviewer_chigang", {"democratic_review"}))["democratic_review"]
    assert review["candidate_role"] == "township_reviewer" and review["region_code"] == "440105001"
    await desk.assert_only_for(
        ["reviewer_chigang"],
        ["inv_chigang_1", "inv_chigang_2", "clerk_chigang", "approver_haizhu", "approver_tianhe",
         "reviewer_wushan"],
        {"democratic_review"},
    )  # fmt: skip
    assert (await desk.case())["stage"] == "democratic_review"
    await desk.post(
        "reviewer_chigang",
        f"/api/v1/tasks/{review['task_id']}/complete",
        {"outcome": "completed", "form": REVIEW_FORM},
    )

    # 初审意见: recommend approval, category B.
    opinion = (await desk.wait_for_inbox("reviewer_chigang", {"township_opinion"}))["township_opinion"]
    assert await desk.inbox("inv_chigang_1") == [] and await desk.inbox("approver_haizhu") == []
    await desk.post(
        "reviewer_chigang",
        f"/api/v1/tasks/{opinion['task_id']}/complete",
        {"outcome": "recommend_approve", "form": OPINION_FORM},
    )

    # 公示: the case is quiet once the publicity notice is on the timeline.
    async def in_publicity() -> dict[str, Any] | None:
        case = await desk.case()
        kinds = [e["kind"] for e in await desk.events()]
        return case if case["stage"] == "publicity" and "publicity" in kinds else None

    await eventually(in_publicity)
    return desk


def _actor(event: dict[str, Any]) -> str | None:
    actor = event["actor"]
    return actor["username"] if actor else None


async def test_a_dibao_case_goes_from_intake_to_publicity_through_the_staff_inboxes(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, application_number: str
) -> None:
    desk = await walk_to_publicity(api, application_number)
    income, amount = expected_monthly_amount_fen(len(MEMBERS))
    assert (income, amount) == (61_000, 290_001)  # 61 000 / 3 = 20 333.33 → 20 333; (117 000 − 20 333) × 3

    # Nobody has anything left to do on the case while it is publicised.
    for username in ("inv_chigang_1", "reviewer_chigang", "approver_haizhu", "clerk_chigang"):
        assert await desk.inbox(username) == [], username
    # Another county sees nothing of it.
    outsider = await desk.headers("approver_tianhe")
    refused(await api.get(f"/api/v1/applications/{application_number}", headers=outsider), 403, "forbidden")
    refused(
        await api.get(f"/api/v1/applications/{application_number}/timeline", headers=outsider),
        403,
        "forbidden",
    )
    assert await desk.inbox("approver_tianhe", status=["open", "claimed", "completed", "cancelled"]) == []
    # Oversight reads every finished task of the region.
    finished = await desk.inbox("supervisor_haizhu", status="completed")
    assert {t["task_type"]: t["completed_by"] for t in finished} == {
        "home_visit": "inv_chigang_1",
        "democratic_review": "reviewer_chigang",
        "township_opinion": "reviewer_chigang",
    }

    # The case view: stage, amount by the rule, limits with their due dates.
    case = await desk.case("clerk_chigang")
    assert case["stage"] == case["stored_stage"] == "publicity" and case["stage_label"] == "公示"
    assert case["household_size"] == 3 and case["applicant_name_masked"] == "张*明"
    assert case["proposed_amount_fen"] == amount and case["category"] == "B"
    assert case["approved_amount_fen"] is None
    assert case["publicity_rounds"] == 1 and case["objections"] == 0
    assert case["open_tasks"] == [] and case["missing_materials"] == [] and case["overdue"] is False
    limits = {lim["name"]: lim for lim in case["limits"]}
    assert set(limits) == {"whole_process", "verification_start", "data_check_start"}
    accepted_on = datetime.fromisoformat(case["accepted_at"]).astimezone(BEIJING).date()
    for lim in limits.values():
        due = date.fromisoformat(lim["due_date"])
        assert due > accepted_on, lim
        # The deadline is the instant the limit is breached: midnight after the last day, Beijing time.
        assert datetime.fromisoformat(lim["deadline"]) == datetime.combine(
            due + timedelta(days=1), time(0), tzinfo=BEIJING
        ), lim
        assert lim["label"] and lim["breached"] is False
    assert limits["verification_start"]["met"] and limits["data_check_start"]["met"]
    whole = limits["whole_process"]
    assert whole["active"] is True and whole["met"] is False
    assert whole["due_date"] > limits["verification_start"]["due_date"]
    assert case["deadline"] == whole["deadline"]  # the only running limit

    # The timeline: in order, each step by the person who did it.
    events = await desk.events("inv_chigang_1")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["kind"] for e in events]
    milestones = [
        "submitted", "accepted", "task_opened", "data_check_started", "task_claimed", "task_completed",
        "assessed", "verified", "review", "opinion", "publicity",
    ]  # fmt: skip
    positions = [kinds.index(k) for k in milestones]
    assert positions == sorted(positions), kinds
    assert [e["stage"] for e in events if e["kind"] == "stage"] == [
        "intake",
        "verification",
        "democratic_review",
        "publicity",
    ]
    first = events[0]
    assert first["kind"] == "submitted" and _actor(first) == "clerk_chigang"
    assert first["data"]["declared_monthly_income_fen"] == DECLARED_FEN
    for kind in (
        "accepted", "stage", "task_opened", "data_check_started", "assessed", "verified", "publicity",
        "limit_started",
    ):  # fmt: skip
        assert {_actor(e) for e in events if e["kind"] == kind} == {None}, kind  # the system's own steps
    opened = [e["data"]["task_type"] for e in events if e["kind"] == "task_opened"]
    assert opened == ["home_visit", "democratic_review", "township_opinion"]
    claims = [(e["data"]["task_id"], _actor(e)) for e in events if e["kind"] == "task_claimed"]
    assert claims == [
        (next(t["task_id"] for t in finished if t["task_type"] == "home_visit"), "inv_chigang_1")
    ]
    completions = {e["data"]["task_id"]: _actor(e) for e in events if e["kind"] == "task_completed"}
    assert completions == {t["task_id"]: t["completed_by"] for t in finished}
    assert kinds.count("data_check_started") == 1 and kinds.count("assessed") == 1
    assert "warning" not in kinds and "department_bad_data" not in kinds  # no records, no warnings
    assessed = events[kinds.index("assessed")]
    per_capita = int((Decimal(income) / len(MEMBERS)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert assessed["data"]["monthly_income_fen"] == income
    assert assessed["data"]["per_capita_income_fen"] == per_capita
    assert "无预警" in assessed["summary"]
    verified = events[kinds.index("verified")]
    assert verified["data"]["household_monthly_income_fen"] == income
    # The decision's author is the task_completed event just before each summary; the summaries
    # themselves are recorded by the workflow (currently without an actor).
    for kind, task_type in (("review", "democratic_review"), ("opinion", "township_opinion")):
        at = kinds.index(kind)
        author = next(e for e in reversed(events[:at]) if e["kind"] == "task_completed")
        assert author["data"]["task_id"] == next(
            t["task_id"] for t in finished if t["task_type"] == task_type
        )
        assert _actor(author) == "reviewer_chigang"
        assert _actor(events[at]) in (None, "reviewer_chigang"), events[at]
    assert events[kinds.index("review")]["data"]["passed"] is True
    notice = events[kinds.index("publicity")]
    assert notice["stage"] == "publicity"
    assert notice["data"]["masked_name"] == "张*明" and notice["data"]["household_size"] == 3
    assert "张小明" not in str(events)

    # Operators find it in Temporal by its search attributes (visibility is eventually consistent).
    query = (
        f"WorkflowId='application-{application_number}' AND Stage='publicity' AND CountyCode='440105' "
        "AND AssistanceType='dibao' AND Overdue=false"
    )

    async def listed() -> list[str]:
        return [wf.id async for wf in dev_env.client.list_workflows(query)]

    assert await eventually(listed) == [f"application-{application_number}"]


async def test_an_objection_during_publicity_sends_the_case_back_to_reinvestigation(
    api: httpx.AsyncClient, application_number: str
) -> None:
    desk = await walk_to_publicity(api, application_number)
    url = f"/api/v1/applications/{application_number}/objections"
    refused(
        await api.post(
            url, json={"summary": "邻居反映其有经营收入"}, headers=await desk.headers("approver_tianhe")
        ),
        403,
        "forbidden",
    )

    filed = await desk.post(
        "reviewer_chigang", url, {"summary": "邻居反映申请人在菜市场经营摊位，有固定收入"}
    )
    assert filed["objections"] == 1 and filed["publicity_rounds"] == 1

    # Publicity stops and re-investigation starts: a task for the township's investigators.
    task = (await desk.wait_for_inbox("inv_chigang_1", {"reinvestigation"}))["reinvestigation"]
    assert task["candidate_role"] == "investigator" and task["region_code"] == "440105001"
    assert task["status"] == "open"
    assert await desk.inbox("reviewer_chigang") == [] and await desk.inbox("approver_tianhe") == []
    case = await desk.case()
    assert case["stage"] == "verification" and case["objections"] == 1
    assert [t["task_type"] for t in case["open_tasks"]] == ["reinvestigation"]

    events = await desk.events()
    kinds = [e["kind"] for e in events]
    tail = kinds[kinds.index("publicity") :]
    assert [k for k in tail if k in ("objection", "publicity_stopped", "stage", "task_opened")] == [
        "objection",
        "publicity_stopped",
        "stage",
        "task_opened",
    ], tail
    objection = events[kinds.index("objection")]
    assert _actor(objection) == "reviewer_chigang" and "菜市场" in objection["summary"]
    assert events[-1]["kind"] == "task_opened" and events[-1]["data"]["task_type"] == "reinvestigation"
    assert [e["stage"] for e in events if e["kind"] == "stage"][-1] == "verification"
