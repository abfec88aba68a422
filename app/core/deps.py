"""The request owns the transaction: one session per request, committed before the response.

Work done in phases (a login: read, verify the password, write) takes `Transactions` instead and
opens short transactions of its own; so does authentication, so that on SQLite a write request
takes the database's write lock only at its handler's first statement.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Transactions as TransactionsProtocol
from app.core.db import get_database

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commits when the handler succeeds and rolls back when it raises."""
    async with get_database().session(write=request.method not in _READ_METHODS) as session:
        yield session


def get_transactions() -> TransactionsProtocol:
    """The database, for work that opens its own short transactions."""
    return get_database()


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Transactions = Annotated[TransactionsProtocol, Depends(get_transactions)]
