"""Shared schema pieces: named constrained types, input/output bases, and the list envelope."""

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

NAME_MAX = 200
TEXT_MAX = 5000
EMAIL_MAX = 254

# Deliberately lenient: one @, no spaces, a dot in the domain. email-validator refuses reserved
# domains such as .test and .local, which trusts use for test and internal accounts.
# The pattern is in the spec too, so clients (and the fuzzer) know what an address looks like.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$"


def _valid_email(value: str) -> str:
    # The lower-cased copy carries the uniqueness constraint, and lower-casing can lengthen a
    # string ("İ" becomes two characters): both must fit the column.
    if len(value.lower()) > EMAIL_MAX:
        raise ValueError(f"the address is longer than {EMAIL_MAX} characters once lower-cased")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_MAX)]
FreeText = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN),
    AfterValidator(_valid_email),
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=1024)]


class InputModel(BaseModel):
    """A request body: unknown fields and server-owned fields are refused (422)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ReadModel(BaseModel):
    """A response body built from an ORM object."""

    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: the items and how many there are in all."""

    items: list[T]
    total: int


MAX_OFFSET = 2**31 - 1


class PageParams(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page (1..200)")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    """limit and offset out of range are a 422, never clamped."""
    return PageParams(limit=limit, offset=offset)
