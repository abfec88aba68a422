"""create_app(): the only module that knows every domain."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.apidocs.router import router as apidocs_router
from app.approvals import queue
from app.approvals.router import router as approvals_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.conflicts import screening
from app.conflicts.router import router as conflicts_router
from app.core import openapi
from app.core.compression import Compression
from app.core.db import get_database
from app.core.errors import install_error_handlers
from app.core.middleware import LoopbackOnly, RequestGuard, SecurityHeaders
from app.core.settings import Settings, get_settings
from app.declarations.router import router as declarations_router
from app.gifts import service as gifts_service
from app.gifts.router import router as gifts_router
from app.health.router import router as health_router
from app.hospitality import service as hospitality_service
from app.hospitality.router import router as hospitality_router
from app.interests import service as interests_service
from app.interests.router import router as interests_router
from app.notifications.router import router as notifications_router
from app.notifications.worker import Worker
from app.paid_work import service as paid_work_service
from app.paid_work.router import router as paid_work_router
from app.people.router import router as people_router
from app.register.router import router as register_router
from app.trust_settings.router import router as trust_settings_router
from app.web.forms import FormRejected
from app.web.router import router as web_router

from app.approvals import pages as approvals_pages  # isort: skip
from app.conflicts import pages as conflicts_pages  # isort: skip
from app.declarations import cycle_pages, pages as declarations_pages  # isort: skip
from app.gifts import pages as gifts_pages  # isort: skip
from app.hospitality import pages as hospitality_pages  # isort: skip
from app.interests import pages as interests_pages  # isort: skip
from app.paid_work import pages as paid_work_pages  # isort: skip
from app.people import pages as people_pages  # isort: skip
from app.trust_settings import pages as trust_settings_pages  # isort: skip

API_VERSION = "0.1.0"
# How long shutting down waits for the sender's message in flight (an SMTP conversation) to finish.
SENDER_STOP_SECONDS = 10
logger = logging.getLogger("probity")
ROUTERS = (
    health_router,
    auth_router,
    people_router,
    interests_router,
    declarations_router,
    register_router,
    gifts_router,
    hospitality_router,
    paid_work_router,
    conflicts_router,
    trust_settings_router,
    approvals_router,
    notifications_router,
    audit_router,
    apidocs_router,
    web_router,
    interests_pages.router,
    declarations_pages.router,
    gifts_pages.router,
    hospitality_pages.router,
    paid_work_pages.router,
    approvals_pages.router,
    conflicts_pages.router,
    people_pages.router,
    cycle_pages.router,
    trust_settings_pages.router,
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await get_database().dispose()


@asynccontextmanager
async def lifespan_with_sender(_app: FastAPI) -> AsyncIterator[None]:
    """The service and the notification sender in one process (`probity serve` without --no-worker)."""
    stop = asyncio.Event()
    sending = asyncio.create_task(Worker().run(stop), name="probity-notifications")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(sending, timeout=SENDER_STOP_SECONDS)
        except TimeoutError:
            # Cancelled mid-message: what was sent is recorded (shielded), the rest released at once.
            logger.warning("the notification sender did not stop in time: its message in flight may go again")
        await get_database().dispose()


def wire_domains() -> None:
    """Plug the record domains into the ones that never import them (idempotent): the approver's
    queue reads gifts, hospitality and paid work; conflict screening screens hospitality requests
    (and so gives the approval policy its conflict rule) and hears of every interest declared or ended."""
    for source in (gifts_service.QUEUE, hospitality_service.QUEUE, paid_work_service.QUEUE):
        queue.register(source)
    screening.register(hospitality_service.SCREENED)
    if screening.on_interest_declared not in interests_service.declared_hooks:
        interests_service.declared_hooks.append(screening.on_interest_declared)
    if screening.on_interest_ended not in interests_service.ended_hooks:
        interests_service.ended_hooks.append(screening.on_interest_ended)


def create_served_app() -> FastAPI:
    """The app `probity serve` runs: the API, and the notification sender beside it."""
    return create_app(sender=True)


def create_app(settings: Settings | None = None, *, sender: bool = False) -> FastAPI:
    """The Probity API with its guards, error handlers and every domain's routes (and, with `sender`,
    the notification sender running while it serves)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Probity",
        version=API_VERSION,
        description="Register of interests, gifts, hospitality and additional paid work.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan_with_sender if sender else lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    for router in ROUTERS:
        app.include_router(router)
    wire_domains()
    install_error_handlers(app)
    app.add_exception_handler(FormRejected, _form_rejected)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if settings.development_key_variables:
        app.add_middleware(LoopbackOnly, unset=settings.development_key_variables)
    app.add_middleware(SecurityHeaders, hsts=settings.is_production)
    app.add_middleware(Compression)
    if settings.trusted_proxies:
        # Outermost, so the throttle, the loopback guard and the logs all see the real client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.openapi = lambda: _spec(app)  # type: ignore[method-assign]
    return app


async def _form_rejected(_request: Request, exc: Exception) -> Response:
    """A page's refused form, shown again (raised so that the request's transaction rolled back)."""
    assert isinstance(exc, FormRejected)
    return exc.response


def _spec(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = openapi.build(app)
    return app.openapi_schema
