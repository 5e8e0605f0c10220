"""工作台首页: what needs the signed-in person today — their open tasks, due today, overdue, claimed
by them, and the newest reminders and breach notices of their role. All counts come from the task
service's inbox query (the API's GET /api/v1/tasks), so the figures match the inbox page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from activities.reference import load_calendar
from api.deps import SessionsDep, TaskServiceDep
from domain.calendar import CHINA_TZ
from domain.deadline_labels import deadline_label
from domain.tasks import TaskStatus
from services.notifications import NotificationService
from services.tasks import TaskFilter
from web.pages import PageActor, PageRoute
from web.routes.tasks import through_day
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute)


@router.get("", include_in_schema=False)
async def bare() -> RedirectResponse:
    return RedirectResponse("/staff/", status_code=307)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(
    request: Request, actor: PageActor, tasks: TaskServiceDep, sessions: SessionsDep
) -> HTMLResponse:
    now = datetime.now(CHINA_TZ)
    open_tasks = await tasks.inbox(actor, TaskFilter(limit=8))
    due_today = await tasks.inbox(actor, TaskFilter(due_before=through_day(now.date()), limit=0))
    overdue = await tasks.inbox(actor, TaskFilter(overdue=True, limit=0))
    mine = await tasks.inbox(actor, TaskFilter(statuses=(TaskStatus.CLAIMED,), mine=True, limit=0))
    notices = await NotificationService(sessions).newest(actor, limit=8)
    calendar = await load_calendar(sessions)
    labels = {t.task_id: deadline_label(calendar, t.due_at, now) for t in open_tasks.items if t.due_at}
    return render(
        request,
        "home.html",
        {
            "open_tasks": open_tasks,
            "labels": labels,
            "counts": {
                "open": open_tasks.total,
                "due_today": due_today.total,
                "overdue": overdue.total,
                "mine": mine.total,
            },
            "notices": notices,
        },
    )
