"""An HTTP client for the app on a database of the test's own whose transactions really commit: for
races, locks and outages, which a rolled-back test transaction cannot show."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.core.deps import get_session, get_transactions

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@asynccontextmanager
async def live_client(
    app: FastAPI, database: Database, *, client: tuple[str, int] = ("127.0.0.1", 40000)
) -> AsyncIterator[httpx.AsyncClient]:
    """Requests served as in production, each in transactions of its own on `database`."""

    async def session(request: Request) -> AsyncIterator[AsyncSession]:
        async with database.session(write=request.method not in _READ_METHODS) as opened:
            yield opened

    app.dependency_overrides[get_session] = session
    app.dependency_overrides[get_transactions] = lambda: database
    try:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        app.dependency_overrides.pop(get_session, None)
        app.dependency_overrides.pop(get_transactions, None)
