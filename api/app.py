"""create_app(): the FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.audit_scope import install_audit_hooks
from api.body_limit import CODEC_BODY_LIMIT_BYTES, PUBLIC_UPLOAD_BODY_LIMIT_BYTES, BodyLimit
from api.codec_cors import CodecCORS
from api.deps import current_staff
from api.errors import COMMON_ERRORS, install_error_handlers
from api.input_guard import reject_nul_characters
from api.routes import (
    admin,
    applications,
    audit,
    auth,
    beneficiaries,
    codec,
    health,
    intake,
    notifications,
    ops,
    payments,
    staff_admin,
    statistics,
    tasks,
    warnings,
)
from infra.db import make_engine, make_session_factory
from infra.pii import make_pii_vault
from infra.settings import API_SECRETS, Settings, refuse_development_secrets
from infra.temporal_client import connect_client
from services.uploads import PORTAL_FORM_LIMIT_BYTES
from web.app import install_web


def create_app(
    settings: Settings,
    *,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    temporal_client: Client | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Resources passed in (tests) are used as they are; missing ones are built and owned here.
    `clock` (aware UTC) times login throttling and the audit log: tests move it instead of sleeping.
    Under APP_ENV=production a development secret raises UnsafeProductionSettings here."""
    refuse_development_secrets(settings, API_SECRETS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        app.state.settings = settings
        app.state.clock = clock or (lambda: datetime.now(UTC))
        app.state.pii = make_pii_vault(settings)  # seals and opens personal data at rest
        if session_factory is None:
            engine = make_engine(settings.database_url, settings.database_echo, settings.database_pool_size)
            app.state.session_factory = make_session_factory(engine)
        else:
            app.state.session_factory = session_factory
        app.state.temporal_client = temporal_client or await connect_client(settings)
        try:
            yield
        finally:
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="社会救助审核审批系统 API",
        version="0.1.0",
        description="一窗受理、家庭经济状况核查、民主评议、公示、审批与发放的流程接口。",
        lifespan=lifespan,
        dependencies=[Depends(reject_nul_characters)],  # before every route's own checks
    )
    install_error_handlers(app)
    install_audit_hooks(app)  # refusals of audited routes are recorded, then answered as before
    app.include_router(health.router)
    app.include_router(auth.router)  # the token endpoint is public; /me asks for the token itself
    # Belt and braces: every business router requires a valid token even if a route forgets to
    # ask for the caller (FastAPI resolves the shared dependency once per request).
    signed_in = [Depends(current_staff)]
    for module in (
        applications,
        tasks,
        notifications,
        admin,
        staff_admin,
        warnings,
        audit,
        payments,
        beneficiaries,
        statistics,
    ):
        app.include_router(module.router, dependencies=signed_in, responses=COMMON_ERRORS)
    app.include_router(intake.router, dependencies=signed_in, responses=COMMON_ERRORS)
    # The codec takes a bearer token or the operator's /ops/login cookie (for the Temporal Web UI),
    # checked by its own dependency on every route; CORS is opened for the UI's origins there only.
    app.include_router(codec.router, responses=COMMON_ERRORS)
    app.include_router(ops.router)
    install_web(app)  # the staff pages (web/): cookie session, the same services as the routes above
    # Bodies are bounded before any route reads one (FastAPI parses the body before it checks the token);
    # inside the codec's CORS, so a refusal the Temporal UI gets still carries its CORS headers.
    codec_limit = max(settings.body_limit_bytes, CODEC_BODY_LIMIT_BYTES)
    # The portal's application form carries photos: room for a few of them (each file is checked
    # against its own limit, with the message beside its field; services/uploads.py).
    portal_limit = max(settings.body_limit_bytes, PORTAL_FORM_LIMIT_BYTES)
    app.add_middleware(
        BodyLimit,
        limit=settings.body_limit_bytes,
        larger={
            codec.PREFIX: codec_limit,
            "/portal/apply": portal_limit,
            "/public/publicity": PUBLIC_UPLOAD_BODY_LIMIT_BYTES,
        },
    )
    app.add_middleware(CodecCORS, prefix=codec.PREFIX, origins=settings.temporal_ui_origins)
    return app
