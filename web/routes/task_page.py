"""办理 — one page per task: the outcome forms of its type (web/task_forms.py lays out the models of
domain.tasks.OUTCOME_FORMS) beside what the decider needs from the case (masked household summary,
time limits, the assessment and warnings, a link to the timeline), all read through CaseService.

Submitting calls TaskService.complete with the page's form key as idempotency key (a double click
or a resubmitted form completes the task once); its 422 field errors are shown beside their
fields, a 409 says who did it first and offers a refresh. Claiming from here is the inbox's claim
(web/routes/tasks.py), coming back to this page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from activities.reference import load_calendar
from api.deps import AuditDep, CaseServiceDep, SessionsDep, TaskServiceDep
from api.schemas.tasks import TaskOut
from domain.calendar import CHINA_TZ
from domain.deadline_labels import deadline_label
from domain.enums import ASSISTANCE_TYPE_LABELS
from domain.staff import Actor
from domain.tasks import OUTCOME_FORMS, OUTCOME_LABELS, FormInvalid, TaskStatus, validate_completion
from services.case_view import CaseService
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.routes.tasks import audited_action, form_key_of
from web.task_forms import LAYOUTS, FormLayout, errors_by_field, outcomes_of, parse_form
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

TaskIdPath = Annotated[str, Path(min_length=1, max_length=64)]
# Timeline events a decider reads beside the form: the figures and what was found and decided.
CONTEXT_EVENTS = frozenset(
    {"assessed", "warning", "verified", "review", "opinion", "publicity", "objection", "returned",
     "county_decision", "materials_notice", "filed_for_record", "commitment", "rejected"}
)  # fmt: skip
CONFIRM_FIELD = "confirmed"


async def case_context(cases: CaseService, task: TaskOut, actor: Actor) -> dict[str, Any]:
    """The case as CaseService shows it to this actor (masked), or nothing when it cannot
    (an oversight role may see a task of a case outside its own view: then only the task shows)."""
    try:
        case = await cases.get(task.application_number, actor)
        timeline = await cases.timeline(task.application_number, actor)
    except ApiError as refusal:
        if refusal.status_code in (403, 404):
            return {"case": None, "events": []}
        raise
    events = [e for e in timeline.events if e.kind in CONTEXT_EVENTS][-8:]
    return {"case": case, "events": events, "type_label": ASSISTANCE_TYPE_LABELS[case.assistance_type]}


def can_complete(task: TaskOut, actor: Actor) -> bool:
    """Whether to offer the forms (the service decides whether they are accepted)."""
    pending = task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)
    mine_or_free = task.status is TaskStatus.OPEN or task.assignee == actor.username
    return task.candidate_role == actor.role and pending and mine_or_free


async def render_task(
    request: Request, task: TaskOut, actor: Actor, cases: CaseService, sessions: Any, *,
    values: dict[str, list[str]] | None = None, chosen: str | None = None,
    errors: dict[str, str] | None = None, general: list[str] | None = None,
    conflict: str | None = None, done: bool = False, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    now = datetime.now(CHINA_TZ)
    calendar = await load_calendar(sessions)
    return render(
        request,
        "tasks/task.html",
        {
            "title": f"办理：{task.task_label}",
            "task": task,
            "label": deadline_label(calendar, task.due_at, now) if task.due_at else None,
            "outcomes": outcomes_of(task.task_type),
            "outcome_labels": OUTCOME_LABELS,
            "form_key": str(uuid.uuid4()),
            "can_complete": can_complete(task, actor),
            "can_claim": task.candidate_role == actor.role and task.status is TaskStatus.OPEN,
            "can_release": task.status is TaskStatus.CLAIMED and task.assignee == actor.username,
            "values": values or {},
            "chosen": chosen,
            "errors": errors or {},
            "general": general or [],
            "conflict": conflict,
            "done": done,
            "here": f"/staff/tasks/{task.task_id}",
            "today_iso": now.date().isoformat(),
            **await case_context(cases, task, actor),
        },
        status_code=status_code,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse, include_in_schema=False)
async def task_page(
    request: Request, task_id: TaskIdPath, actor: PageActor, tasks: TaskServiceDep,
    cases: CaseServiceDep, sessions: SessionsDep,
    done: Annotated[str | None, Query(max_length=1)] = None,
) -> HTMLResponse:  # fmt: skip
    task = await tasks.get(task_id, actor)  # 404 / 403 page: nothing of the case shows
    return await render_task(request, task, actor, cases, sessions, done=bool(done))


def conflict_message(task: TaskOut, refusal: ApiError) -> str:
    """Who did it first, from the task as it now is."""
    if task.status is TaskStatus.COMPLETED:
        when = task.completed_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
        outcome = OUTCOME_LABELS.get(task.outcome or "", task.outcome or "")
        return f"该待办已由 {task.completed_by or '他人'} 于 {when} 办结（结果：{outcome}），您的提交未生效。"
    if task.status is TaskStatus.CLAIMED:
        return f"该待办已由 {task.assignee} 认领，您的提交未生效。"
    if task.status is TaskStatus.CANCELLED:
        return "该待办已取消（案件已变化），您的提交未生效。"
    return refusal.message


@router.post("/tasks/{task_id}/complete", include_in_schema=False)
async def complete(
    request: Request, task_id: TaskIdPath, actor: PageActor, tasks: TaskServiceDep,
    cases: CaseServiceDep, sessions: SessionsDep, trail: AuditDep,
) -> Response:  # fmt: skip
    form = await request.form()
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name != "csrf_token":
            values.setdefault(name, []).append(value)
    outcome = (values.get("outcome") or [""])[0][:32]
    task = await tasks.get(task_id, actor)
    model = OUTCOME_FORMS[task.task_type].get(outcome)
    layout = LAYOUTS[model] if model else None
    parsed = parse_form(layout, values) if layout else None
    page: dict[str, Any] = {"values": values, "chosen": outcome}

    outcome_needs_confirm = any(o.value == outcome and o.confirm for o in outcomes_of(task.task_type))
    if parsed is not None and (parsed.errors or (outcome_needs_confirm and not values.get(CONFIRM_FIELD))):
        # Not sent: an unreadable figure must not complete the task without it. The rest of the
        # form gets the same validation as the API, so every problem shows at once.
        errors, general = dict(parsed.errors), list[str]()
        try:
            validate_completion(task.task_type, outcome, parsed.form)
        except FormInvalid as exc:
            found, general = _shown(layout, exc.errors)
            errors = {**found, **errors}
        if outcome_needs_confirm and not values.get(CONFIRM_FIELD):
            errors[CONFIRM_FIELD] = "此决定提交后不能撤回，请勾选“我已核对，确认提交”"
        return await render_task(
            request, task, actor, cases, sessions, **page, errors=errors, general=general, status_code=422
        )
    run = tasks.complete(
        task_id, actor, outcome, parsed.form if parsed else {}, form_key_of(_one(values, "form_key"))
    )
    try:
        await audited_action(trail, actor, "task.complete", task_id, run, outcome=outcome)
    except ApiError as refusal:
        if refusal.status_code == 422:
            found, general = _shown(layout, refusal.extra.get("errors", []))
            if not found:  # a rule of the case (the amount ceiling …), not of one field
                general = [refusal.message, *general]
            return await render_task(
                request, task, actor, cases, sessions, **page, errors=found, general=general, status_code=422
            )
        if refusal.status_code == 409:
            now = await tasks.get(task_id, actor)
            return await render_task(
                request, now, actor, cases, sessions, **page,
                conflict=conflict_message(now, refusal), status_code=409,
            )  # fmt: skip
        raise
    return RedirectResponse(f"/staff/tasks/{task_id}?done=1", status_code=303)


def _shown(layout: FormLayout | None, errors: list[dict[str, str]]) -> tuple[dict[str, str], list[str]]:
    return errors_by_field(layout, errors) if layout else ({}, [e["message"] for e in errors])


def _one(values: dict[str, list[str]], name: str) -> str:
    found = values.get(name) or [""]
    return found[0]
