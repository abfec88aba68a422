"""The request owns the transaction: one session per request, committed before the response."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import get_database

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commits when the handler succeeds and rolls back when it raises."""
    async with get_database().session(write=request.method not in _READ_METHODS) as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
