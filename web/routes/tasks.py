"""待办 — the task inbox: the filters of GET /api/v1/tasks as a GET form, sorted by due date, paged;
claim and release in place (htmx swaps the row; without script a POST answered by a 303 back to
the same inbox URL). Every query and refusal is TaskService's, exactly as api/routes/tasks.py calls
it; the actions are audited under the API's action names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import QueryParams

from activities.reference import load_calendar
from api.deps import AuditDep, SessionsDep, TaskServiceDep
from api.schemas.codes import ascii_code
from api.schemas.tasks import TaskOut
from domain.calendar import CHINA_TZ, WorkingDayCalendar
from domain.deadline_labels import deadline_label
from domain.staff import Actor
from domain.tasks import TASK_LABELS, TaskStatus, TaskType
from services.audit import AuditTrail, Target
from services.errors import ApiError
from services.tasks import PENDING, TaskFilter
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute, safe_next
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

PAGE_SIZES = (20, 50, 100)
STATUS_LABELS = {
    TaskStatus.OPEN: "待认领",
    TaskStatus.CLAIMED: "已认领",
    TaskStatus.COMPLETED: "已办结",
    TaskStatus.CANCELLED: "已取消",
}
TaskIdPath = Annotated[str, Path(min_length=1, max_length=64)]


def through_day(day: date) -> datetime:
    """`due_before` for "the last day is `day` or earlier": a limit is stored as the start of the
    day after its last day (domain.deadline_labels.due_day), so that instant itself is included."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA_TZ) + timedelta(microseconds=1)


@dataclass
class InboxQuery:
    """The inbox's filters as the URL carries them (codes and dates only: no personal data)."""

    task_type: TaskType | None = None
    statuses: tuple[TaskStatus, ...] = ()
    mine: bool = False
    overdue: bool = False
    due: str = ""  # "today": the home page's 今日到期 tile
    due_by: date | None = None
    number: str = ""
    page: int = 1
    size: int = PAGE_SIZES[0]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, params: QueryParams) -> InboxQuery:
        """Bad values are dropped and named beside their filter; the inbox still answers."""
        q = cls(mine=params.get("mine") == "1", overdue=params.get("overdue") == "1")
        if raw := params.get("task_type", ""):
            try:
                q.task_type = TaskType(raw)
            except ValueError:
                q.errors["task_type"] = "没有这种事项"
        try:
            q.statuses = tuple(TaskStatus(s) for s in params.getlist("status") if s)
        except ValueError:
            q.errors["status"] = "状态取值无效"
        q.due = "today" if params.get("due") == "today" else ""
        if raw := params.get("due_by", "").strip():
            try:
                q.due_by = date.fromisoformat(str(ascii_code(raw)))
            except ValueError:
                q.errors["due_by"] = "日期格式不正确（YYYY-MM-DD）"
        if raw := params.get("number", "").strip():
            try:
                q.number = str(ascii_code(raw))[:40]
            except ValueError as exc:
                q.errors["number"] = str(exc)
        q.page = _positive(params.get("page"), 1)
        size = _positive(params.get("size"), PAGE_SIZES[0])
        q.size = size if size in PAGE_SIZES else PAGE_SIZES[0]
        return q

    def task_filter(self, now: datetime) -> TaskFilter:
        due_before = None
        if self.due_by is not None:
            due_before = through_day(self.due_by)
        if self.due == "today":
            today = through_day(now.astimezone(CHINA_TZ).date())
            due_before = min(due_before, today) if due_before else today
        return TaskFilter(
            statuses=self.statuses or PENDING,
            mine=self.mine,
            task_type=self.task_type,
            overdue=self.overdue,
            due_before=due_before,
            application_number=self.number or None,
            limit=self.size,
            offset=(self.page - 1) * self.size,
        )

    def url(self, **changes: Any) -> str:
        """This inbox with some filters changed (the paging links keep every filter)."""
        q = replace(self, **changes)
        params: list[tuple[str, str]] = []
        if q.task_type:
            params.append(("task_type", q.task_type.value))
        params += [("status", s.value) for s in q.statuses]
        params += [(k, "1") for k in ("mine", "overdue") if getattr(q, k)]
        if q.due:
            params.append(("due", q.due))
        if q.due_by:
            params.append(("due_by", q.due_by.isoformat()))
        if q.number:
            params.append(("number", q.number))
        if q.size != PAGE_SIZES[0]:
            params.append(("size", str(q.size)))
        if q.page > 1:
            params.append(("page", str(q.page)))
        return "/staff/tasks" + (f"?{urlencode(params)}" if params else "")


def _positive(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if 0 < value <= 100_000 else default


@dataclass(frozen=True)
class Row:
    """A task as its inbox row shows it, with the buttons the caller is offered (offering is not
    permission: the service checks again)."""

    task: TaskOut
    label: Any
    can_claim: bool
    can_release: bool
    form_key: str


def row_of(task: TaskOut, actor: Actor, calendar: WorkingDayCalendar, now: datetime) -> Row:
    own_role = task.candidate_role == actor.role
    return Row(
        task=task,
        label=deadline_label(calendar, task.due_at, now) if task.due_at else None,
        can_claim=own_role and task.status is TaskStatus.OPEN,
        can_release=task.status is TaskStatus.CLAIMED and task.assignee == actor.username,
        form_key=str(uuid.uuid4()),
    )


@router.get("/tasks", response_class=HTMLResponse, include_in_schema=False)
async def inbox(
    request: Request, actor: PageActor, tasks: TaskServiceDep, sessions: SessionsDep
) -> HTMLResponse:
    query = InboxQuery.read(request.query_params)
    now = datetime.now(CHINA_TZ)
    page = await tasks.inbox(actor, query.task_filter(now))
    calendar = await load_calendar(sessions)
    last_page = max(1, -(-page.total // query.size))
    return render(
        request,
        "tasks/inbox.html",
        {
            "title": "待办",
            "query": query,
            "rows": [row_of(t, actor, calendar, now) for t in page.items],
            "total": page.total,
            "first": page.offset + 1 if page.items else 0,
            "last": page.offset + len(page.items),
            "prev_url": query.url(page=query.page - 1) if query.page > 1 else None,
            "next_url": query.url(page=query.page + 1) if query.page < last_page else None,
            "last_page": last_page,
            "here": query.url(),
            "task_types": list(TASK_LABELS.items()),
            "status_labels": STATUS_LABELS,
            "page_sizes": PAGE_SIZES,
        },
    )


def form_key_of(raw: str) -> str | None:
    """The page's own uuid4 (a hand-made value that is not one gets no idempotency, not a 500)."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


async def audited_action(
    trail: AuditTrail, actor: Actor, action: str, task_id: str, run: Any, **detail: Any
) -> TaskOut:
    """Run a task action and record it (or its refusal) as the API's audit scope does."""
    try:
        task: TaskOut = await run
    except ApiError as refusal:
        await trail.record(
            actor, action, Target.task(task_id), status_code=refusal.status_code,
            detail={**detail, "code": refusal.code},
        )  # fmt: skip
        raise
    await trail.record(
        actor, action, Target.task(task_id),
        detail={**detail, "task_type": task.task_type.value, "status": task.status.value},
    )  # fmt: skip
    return task


async def _claim_or_release(
    request: Request, action: str, task_id: str, actor: Actor, tasks: Any, trail: AuditTrail,
    sessions: Any, form_key: str, back: str,
) -> Response:  # fmt: skip
    key = form_key_of(form_key)
    run = tasks.claim(task_id, actor, key) if action == "claim" else tasks.release(task_id, actor, key)
    htmx = "hx-request" in request.headers
    target = safe_next(back)
    try:
        task = await audited_action(trail, actor, f"task.{action}", task_id, run)
        error = None
    except ApiError as refusal:
        if not htmx:
            return render(
                request,
                "tasks/refused.html",
                {"title": "操作未完成", "refusal": refusal, "back": target},
                status_code=refusal.status_code,
            )
        # In place: the row as it is now, with the reason (someone else claimed it first).
        task, error = await tasks.get(task_id, actor), refusal.message
    if not htmx:
        return RedirectResponse(target, status_code=303)
    now = datetime.now(CHINA_TZ)
    row = row_of(task, actor, await load_calendar(sessions), now)
    return render(request, "tasks/_row.html", {"row": row, "error": error, "here": target})


@router.post("/tasks/{task_id}/claim", include_in_schema=False)
async def claim(
    request: Request, task_id: TaskIdPath, actor: PageActor, tasks: TaskServiceDep,
    trail: AuditDep, sessions: SessionsDep,
    form_key: Annotated[str, Form(max_length=64)] = "", back: Annotated[str, Form(max_length=600)] = "",
) -> Response:  # fmt: skip
    return await _claim_or_release(request, "claim", task_id, actor, tasks, trail, sessions, form_key, back)


@router.post("/tasks/{task_id}/release", include_in_schema=False)
async def release(
    request: Request, task_id: TaskIdPath, actor: PageActor, tasks: TaskServiceDep,
    trail: AuditDep, sessions: SessionsDep,
    form_key: Annotated[str, Form(max_length=64)] = "", back: Annotated[str, Form(max_length=600)] = "",
) -> Response:  # fmt: skip
    return await _claim_or_release(request, "release", task_id, actor, tasks, trail, sessions, form_key, back)
