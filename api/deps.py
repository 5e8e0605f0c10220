"""Dependency aliases for routes. Resources live on app.state, set by create_app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.services.applications import ApplicationService


def application_service(request: Request) -> ApplicationService:
    state = request.app.state
    return ApplicationService(
        state.session_factory, state.temporal_client, state.settings.temporal_task_queue
    )


ApplicationServiceDep = Annotated[ApplicationService, Depends(application_service)]
