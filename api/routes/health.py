"""Liveness endpoint for the process supervisor and the compose health check."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["运维"])


@router.get("/healthz", summary="存活检查")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
