"""Who has an interest in an organisation: the conflict-check matcher, used by conflict checks,
meeting checks and the hospitality rule alike.

Candidates come from indexed equality lookups only (app.interests.normalise explains the keys):
the company number, the normalised name and the name without each of its words, and the name's
one-edit lookup keys. rapidfuzz scores the candidates; a similar name counts from the trust's
`conflict_similarity_threshold`.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.interests import normalise
from app.interests.models import Interest, InterestNameToken, interest_open_on
from app.people.models import Person


class Reason(StrEnum):
    COMPANY_NUMBER = "company_number"
    EXACT_NAME = "exact_name"
    SIMILAR_NAME = "similar_name"


_REASON_ORDER = {Reason.COMPANY_NUMBER: 0, Reason.EXACT_NAME: 1, Reason.SIMILAR_NAME: 2}


def strength(found: "Found") -> tuple[int, float]:
    """Smaller is stronger: a company number, then an exact name, then the higher score."""
    return _REASON_ORDER[found.reason], -found.score


@dataclass(frozen=True)
class Query:
    """What is searched for: a normalised name key (may be empty) and a normalised company number."""

    key: str
    company_number: str | None = None

    @classmethod
    def of(cls, name: str | None, company_number: str | None = None) -> "Query":
        return cls(normalise.organisation_key(name) if name else "", company_number)


@dataclass(frozen=True)
class Holding:
    """What the matcher reads of an interest (the columns, not the whole row)."""

    id: uuid.UUID
    person_id: uuid.UUID
    organisation_name: str | None
    organisation_key: str | None
    company_number: str | None
    category: str
    holder: str

    @classmethod
    def of(cls, interest: Interest) -> "Holding":
        return cls(*(getattr(interest, column.key) for column in COLUMNS))


COLUMNS = (
    Interest.id, Interest.person_id, Interest.organisation_name, Interest.organisation_key,
    Interest.company_number, Interest.category, Interest.holder,
)  # fmt: skip


@dataclass(frozen=True)
class Found:
    interest: Holding
    person_name: str
    score: float
    reason: Reason


def candidates(query: Query) -> Select[uuid.UUID]:
    """The ids of every interest the lookups reach (open or not, of anyone): one UNION of index
    probes, each on an equality the databases serve from a btree."""
    probes: list[Select[uuid.UUID]] = []
    if query.company_number:
        probes.append(select(Interest.id).where(Interest.company_number == query.company_number))
    if query.key:
        probes.append(
            select(Interest.id).where(Interest.organisation_key.in_(normalise.query_keys(query.key)))
        )
        tokens = normalise.query_tokens(query.key)
        if tokens:
            probes.append(select(InterestNameToken.interest_id).where(InterestNameToken.token.in_(tokens)))
    if not probes:
        return select(Interest.id).where(Interest.id.is_(None))
    return select(union(*probes).subquery().c[0])


def statement(
    query: Query, as_of: date | None, people: Collection[uuid.UUID] | None = None
) -> Select[*tuple[Any, ...]]:
    """The candidate interests open on `as_of` (any, when None), of `people` only when given, with
    whose they are."""
    found: Select[*tuple[Any, ...]] = (
        select(*COLUMNS, Person.full_name)
        .join(Person, Person.id == Interest.person_id)
        .where(Interest.id.in_(candidates(query)))
    )
    if as_of is not None:
        found = found.where(interest_open_on(as_of))
    if people is not None:
        found = found.where(Interest.person_id.in_(list(people)))
    return found


def judge(query: Query, interest: Holding, threshold: float) -> tuple[Reason, float] | None:
    """Why an interest matches the query, and how well, or None (also for a candidate whose
    similarity is below the threshold)."""
    if query.company_number and interest.company_number == query.company_number:
        return Reason.COMPANY_NUMBER, 1.0
    key = interest.organisation_key
    if not query.key or not key:
        return None
    if key == query.key:
        return Reason.EXACT_NAME, 1.0
    score = normalise.similarity(query.key, key)
    return (Reason.SIMILAR_NAME, score) if score >= threshold else None


async def search(
    session: AsyncSession,
    query: Query,
    as_of: date | None,
    threshold: float,
    people: Collection[uuid.UUID] | None = None,
) -> list[Found]:
    """Every interest open on `as_of` (declared at all, when None) that matches, spouses' and
    families' included: company numbers and exact names first, then by score, then by person."""
    if people is not None and not people:
        return []
    found: list[Found] = []
    for *columns, person_name in (await session.execute(statement(query, as_of, people))).all():
        interest = Holding(*columns)
        judged = judge(query, interest, threshold)
        if judged is not None:
            found.append(Found(interest, person_name, judged[1], judged[0]))
    found.sort(
        key=lambda f: (
            *strength(f),
            f.person_name.casefold(),
            (f.interest.organisation_name or "").casefold(),
            str(f.interest.id),
        )
    )
    return found
