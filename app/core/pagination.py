"""One page of a list, and how many there are in all: the one place list endpoints count and cut."""

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.schemas import PageParams

T = TypeVar("T")


async def paginate(
    session: AsyncSession, statement: Select[T], page: PageParams, *order_by: Any
) -> tuple[list[T], int]:
    """The page of `statement` in `order_by` order (ending with a unique column, so pages never
    overlap), and the total count of its rows."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = await session.scalars(statement.order_by(*order_by).limit(page.limit).offset(page.offset))
    return list(rows), int(total or 0)
