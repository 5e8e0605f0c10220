"""install_web(app): the staff pages (and their static files) in the API's application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from web.portal import routes as portal_routes
from web.routes import (
    admin,
    audit,
    auth,
    beneficiaries,
    cases,
    home,
    intake,
    not_found,
    objections,
    online_applications,
    payments,
    public_publicity,
    publicity,
    statistics,
    task_page,
    tasks,
    warnings,
)
from web.templating import STATIC, STATIC_PREFIX


def install_web(app: FastAPI) -> None:
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="static")
    modules = (
        auth,
        home,
        tasks,
        task_page,
        intake,
        online_applications,
        cases,
        publicity,
        objections,
        beneficiaries,
        payments,
        warnings,
        audit,
        statistics,
        admin,
        public_publicity,
    )
    for module in modules:
        app.include_router(module.router)
    app.include_router(portal_routes.router)  # the applicant portal: /portal/…, its own session
    app.include_router(not_found.router)  # last: any other /staff path is the 404 page

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/staff/", status_code=307)
