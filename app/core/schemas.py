"""Shared schema pieces: named constrained types, input/output bases, and the list envelope.

Every value a person types comes in through one of these types, so a rule holds everywhere at once
(the API, the CSV import and the command line); app.core.text holds the rules themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from app.core import money, text

NAME_MAX = 200
SLUG_MAX = 80  # a school's slug: the part of its register page's address after /register/schools/
TEXT_MAX = 5000
EMAIL_MAX = text.EMAIL_MAX
PASSWORD_MIN = 12
PASSWORD_MAX = 1024


def rule(check: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    """A check that raises ValueError as a validator whose message is the check's own, unprefixed."""

    def validate(value: Any) -> Any:
        try:
            return check(value, *args)
        except ValueError as exc:
            raise PydanticCustomError("value_error", str(exc)) from None

    return validate


@dataclass(frozen=True)
class InSpec:
    """What the spec says of a type whose validator enforces it with a clearer message than a pattern.

    Patterns use only escapes that ECMA-262, Python and Rust regular expressions read alike, so a
    client, the docs and the fuzzer all see the same rule.
    """

    description: str
    pattern: str | None = None

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.pattern is not None:
            json_schema["pattern"] = self.pattern
        json_schema["description"] = self.description
        return json_schema


# What the request guard (app.core.middleware) refuses in every string before validation.
NO_NUL = r"^[^\x00]*$"
# Characters refused anywhere in a name: C0 and C1 controls and app.core.text.NOT_IN_NAMES.
_NOT_IN_NAMES = (
    r"\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
)
# Whitespace, format characters and the general-purpose combining blocks: none of these makes a
# name visible. The validator uses the full Unicode categories, which no portable pattern can name.
_INVISIBLE = (
    r"\s\u00ad\u034f\u0300-\u036f\u115f\u1160\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d"
    r"\u20d0-\u20ff\u2061-\u2064\u206a-\u206f\u2800\u3164\ufe00-\ufe0f\ufe20-\ufe2f\uffa0"
)
_VISIBLE_NAME = f"[^{_NOT_IN_NAMES}]*[^{_NOT_IN_NAMES}{_INVISIBLE}][^{_NOT_IN_NAMES}]*"
NAME_PATTERN = f"^{_VISIBLE_NAME}$"
OPTIONAL_NAME_PATTERN = rf"^(?:[^\S{_NOT_IN_NAMES}]*|{_VISIBLE_NAME})$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
# The shape an address is stored in: ASCII, a domain of dot-separated labels.
_EMAIL_LABEL = r"[\x21-\x2d\x2f-\x3f\x41-\x7e]+"
EMAIL_PATTERN = rf"^[\x21-\x3f\x41-\x7e]{{1,64}}@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+$"
DAY_PATTERN = r"^(?:19[0-9]{2}|20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"

_NAME_RULES = (
    "Normalised to NFC. Refused: control characters, the bidirectional controls (U+061C, U+200E, "
    "U+200F, U+202A-U+202E, U+2066-U+2069), U+200B, U+2060, U+FEFF, U+2028 and U+2029 anywhere; "
    f"more than {text.MAX_NONSPACING_RUN} combining marks in a row; no visible letter, digit, "
    "punctuation mark or symbol at all."
)
_refuse_in_name = BeforeValidator(rule(text.refuse_characters_in_name))


def _at_most(limit: int) -> BeforeValidator:
    """The spec's maxLength holds for the string as sent, spaces that are trimmed included."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"at most {limit} characters, as sent")
        return value

    return BeforeValidator(rule(check))


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    _refuse_in_name,
    _at_most(NAME_MAX),
    AfterValidator(rule(text.normalise_name, NAME_MAX)),
    InSpec(f"A name of at most {NAME_MAX} characters. {_NAME_RULES}", NAME_PATTERN),
]
OptionalName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=NAME_MAX),
    _refuse_in_name,
    _at_most(NAME_MAX),
    AfterValidator(rule(text.normalise_name, NAME_MAX)),
    InSpec(f"A name of at most {NAME_MAX} characters, or empty. {_NAME_RULES}", OPTIONAL_NAME_PATTERN),
]
# Company and charity numbers reach the published register beside the names: the same rules hold.
ReferenceNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
    _refuse_in_name,
    _at_most(20),
    AfterValidator(rule(text.normalise_name, 20)),
    InSpec(f"At most 20 characters. {_NAME_RULES}", NAME_PATTERN),
]
FreeText = Annotated[
    str,
    StringConstraints(max_length=TEXT_MAX),
    BeforeValidator(rule(text.refuse_characters_in_text)),
    AfterValidator(rule(text.normalise_text, TEXT_MAX)),
    InSpec(
        f"Free text of at most {TEXT_MAX} characters, normalised to NFC. Tab, line feed and carriage "
        "return are kept; other control characters and the bidirectional controls (U+061C, U+200E, "
        "U+200F, U+202A-U+202E, U+2066-U+2069) are refused.",
        TEXT_PATTERN,
    ),
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX),
    AfterValidator(rule(text.normalise_email)),
    InSpec(
        "An email address, stored and returned in ASCII and compared case-insensitively. A domain "
        "written in Unicode (an internationalised domain name) is accepted and stored in its punycode "
        "(xn--) form; one that is not a valid IDNA name is refused.",
        EMAIL_PATTERN,
    ),
]
Password = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX),
    InSpec(f"write-only; {PASSWORD_MIN} to {PASSWORD_MAX} characters, no NUL", NO_NUL),
]
# A filter in a query string or a login form: the guard refuses NUL there as everywhere.
PlainText = Annotated[str, InSpec("no NUL characters", NO_NUL)]
Day = Annotated[
    date,
    BeforeValidator(rule(text.require_iso_day)),
    AfterValidator(rule(text.within_bounds)),
    InSpec(
        f"A date, YYYY-MM-DD, from {text.FIRST_DAY.isoformat()} to {text.LAST_DAY.isoformat()}",
        DAY_PATTERN,
    ),
]
# Pounds sterling: a number or a string in, a string with two places out, whole pence stored.
Money = Annotated[
    Decimal,
    BeforeValidator(rule(money.parse)),
    PlainSerializer(money.text, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(money.MONEY_MAX), "multipleOf": 0.01},
                {"type": "string", "pattern": money.MONEY_PATTERN, "maxLength": money.MONEY_TEXT_MAX},
            ],
            "description": 'Pounds: a number or a string such as "45.00"; not negative, at most two '
            "decimal places, at most 1000000.00",
        },
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "description": 'Pounds, such as "45.00"'},
        mode="serialization",
    ),
]
# Query-string booleans keep FastAPI's reading of them; the spec names the words it takes.
_QUERY_FLAG = Query(description="true or false; 1/0, yes/no, on/off, t/f and y/n (any case) read the same")
QueryFlag = Annotated[bool, _QUERY_FLAG]
OptionalQueryFlag = Annotated[bool | None, _QUERY_FLAG]


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
