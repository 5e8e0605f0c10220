"""Loading a year's holiday calendar (provincial operators only, audited); notifications addressed by
role and region."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from sqlalchemy import delete, func, select

from activities.reference import load_calendar
from infra.models import AuditEntry, CalendarDay, CalendarYear, Notification
from tests.e2e.support import Sessions, login

# An excerpt of a plausible 2027 announcement: 元旦 off, a make-up working Saturday.
DAYS_2027 = [
    {"day": "2027-01-01", "is_working_day": False, "name": "元旦"},
    {"day": "2027-02-06", "is_working_day": False, "name": "春节"},
    {"day": "2027-02-20", "is_working_day": True, "name": "春节调休上班"},
]


async def test_provincial_operator_loads_a_year_and_the_deadline_calendar_uses_it(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    operator = await login(api, "operator_province")
    response = await api.put(
        "/api/v1/admin/calendar/2027", json={"days": DAYS_2027, "complete": True}, headers=operator
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["year"] == 2027 and body["complete"] is True and body["loaded_by"] == "operator_province"
    assert body["days"] == DAYS_2027

    # Replacing the year: the old rows go, and a partial load makes the year provisional again.
    partial = {"days": DAYS_2027[:1], "complete": False}
    response = await api.put("/api/v1/admin/calendar/2027", json=partial, headers=operator)
    assert response.status_code == 200
    got = (await api.get("/api/v1/admin/calendar/2027", headers=await login(api, "clerk_chigang"))).json()
    assert got["complete"] is False and got["loaded_by"] is None and got["days"] == DAYS_2027[:1]

    await api.put("/api/v1/admin/calendar/2027", json={"days": DAYS_2027, "complete": True}, headers=operator)
    calendar = await load_calendar(sessions)  # what the deadline activity reads
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday, made a working day
    assert calendar.covers(2027) and not calendar.status(date(2027, 3, 1)).provisional
    async with sessions() as session:
        assert await session.get(CalendarYear, 2027) is not None
    async with sessions.begin() as session:  # leave the shared database as other tests expect it
        await session.execute(delete(CalendarDay).where(CalendarDay.year == 2027))
        await session.execute(delete(CalendarYear).where(CalendarYear.year == 2027))


async def test_calendar_validation_and_roles(api: httpx.AsyncClient, sessions: Sessions) -> None:
    operator = await login(api, "operator_province")
    wrong_year = {"days": [{"day": "2028-01-01", "is_working_day": False, "name": "元旦"}], "complete": True}
    response = await api.put("/api/v1/admin/calendar/2027", json=wrong_year, headers=operator)
    assert response.status_code == 422 and response.json()["code"] == "invalid_calendar"
    assert response.json()["errors"][0] == {
        "field": "days.0.day",
        "type": "wrong_year",
        "message": "2028-01-01 不在 2027 年内",
    }
    duplicate = {"days": [DAYS_2027[0], {**DAYS_2027[0], "name": "元旦假期"}], "complete": True}
    response = await api.put("/api/v1/admin/calendar/2027", json=duplicate, headers=operator)
    assert response.status_code == 422 and "重复" in response.json()["errors"][0]["message"]
    bad_date = {"days": [{"day": "2027-02-30", "is_working_day": False}], "complete": True}
    response = await api.put("/api/v1/admin/calendar/2027", json=bad_date, headers=operator)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "days.0.day"

    # The calendar is national: an operator of one county must not move every county's deadlines.
    for username in ("operator_haizhu", "supervisor_haizhu", "approver_haizhu", "clerk_chigang"):
        response = await api.put(
            "/api/v1/admin/calendar/2027",
            json={"days": DAYS_2027, "complete": True},
            headers=await login(api, username),
        )
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert "省级运维监控人员" in response.json()["message"]
    async with sessions() as session:
        assert list(await session.scalars(select(CalendarDay).where(CalendarDay.year == 2027))) == []
        assert await session.get(CalendarYear, 2027) is None


async def test_a_calendar_load_and_a_refused_one_are_audited_with_the_days_that_changed(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    async with sessions() as session:  # entries of this test only: the database is the session's
        since = await session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
    year = 2033  # no other test uses it
    days = [{"day": f"{year}-01-01", "is_working_day": False, "name": "元旦"}]
    province = await login(api, "operator_province")
    assert (await api.put(f"/api/v1/admin/calendar/{year}", json={"days": days, "complete": False},
                          headers=province)).status_code == 200  # fmt: skip
    moved = [{"day": f"{year}-01-01", "is_working_day": False, "name": "元旦"},
             {"day": f"{year}-01-04", "is_working_day": True, "name": "元旦调休上班"}]  # fmt: skip
    response = await api.put(
        f"/api/v1/admin/calendar/{year}", json={"days": moved, "complete": True}, headers=province
    )
    assert response.status_code == 200, response.text
    county = await login(api, "operator_haizhu")
    refused = await api.put(
        f"/api/v1/admin/calendar/{year}", json={"days": [], "complete": True}, headers=county
    )
    assert refused.status_code == 403

    async with sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "calendar.replace",
                    AuditEntry.target_id == str(year),
                    AuditEntry.id > since,
                )
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.actor_username, e.actor_role, e.outcome, e.status_code) for e in entries] == [
        ("operator_province", "provincial_operator", "ok", 200),
        ("operator_province", "provincial_operator", "ok", 200),
        ("operator_haizhu", "operator", "refused", 403),
    ]
    assert entries[1].detail["changed_days"] == [f"{year}-01-04"] and entries[1].detail["changed_count"] == 1
    assert entries[1].detail["complete"] is True and entries[1].detail["was_complete"] is False
    async with sessions() as session:  # the refused load changed nothing
        assert len(list(await session.scalars(select(CalendarDay).where(CalendarDay.year == year)))) == 2
    async with sessions.begin() as session:
        await session.execute(delete(CalendarDay).where(CalendarDay.year == year))
        await session.execute(delete(CalendarYear).where(CalendarYear.year == year))


async def test_notifications_reach_the_role_in_the_region_newest_first(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    number = f"440105-N{uuid.uuid4().hex[:10].upper()}"
    rows = [
        ("supervisor", "440105", "breach", "案件已超过全流程办结时限"),
        ("township_reviewer", "440105001", "reminder", "全流程办结时限将届满"),
        ("supervisor", "440106", "breach", "天河区案件超期"),
        ("supervisor", "440105", "reminder", "第二条：时限将届满"),
    ]
    async with sessions.begin() as session:
        for i, (role, region, kind, message) in enumerate(rows):
            session.add(
                Notification(
                    key=f"{number}:{i}",
                    application_number=number,
                    kind=kind,
                    recipient_role=role,
                    region_code=region,
                    message=message,
                )
            )

    async def messages(username: str) -> list[str]:
        response = await api.get(
            "/api/v1/notifications", params={"application_number": number}, headers=await login(api, username)
        )
        assert response.status_code == 200, response.text
        return [n["message"] for n in response.json()]

    assert await messages("supervisor_haizhu") == ["第二条：时限将届满", "案件已超过全流程办结时限"]
    assert await messages("reviewer_chigang") == ["全流程办结时限将届满"]
    assert await messages("reviewer_wushan") == []
    assert await messages("approver_haizhu") == []
