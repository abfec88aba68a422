"""Money (the contract's conventions): a number or a string in, a string with two places out; not
negative, at most two decimal places, at most 1,000,000.00; whole pence in the database."""

import re
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from app.core import money
from app.core.schemas import Money

MONEY = TypeAdapter(Money)

ACCEPTED = [
    (45, "45.00"),
    (45.1, "45.10"),  # read as the client wrote it, never as the binary fraction 45.0999...
    (0.07, "0.07"),
    ("45.00", "45.00"),
    ("45.5", "45.50"),
    ("0", "0.00"),
    (0, "0.00"),
    (1_000_000, "1000000.00"),
    ("1000000.00", "1000000.00"),
]
REFUSED = [-1, "-1.00", " 12.30 ",
           45.123, "45.123", 1_000_000.01, "1000000.01", "1e3", "45.", ".5", "£45", "", True,
           False, None, [], float("nan"), float("inf")]  # fmt: skip


@pytest.mark.parametrize(("given", "written"), ACCEPTED)
def test_accepted_amounts_are_written_with_two_places(given: object, written: str) -> None:
    amount = MONEY.validate_python(given)
    assert MONEY.dump_python(amount, mode="json") == written
    assert money.from_pence(money.to_pence(amount)) == amount


@pytest.mark.parametrize("given", REFUSED, ids=repr)
def test_refused_amounts(given: object) -> None:
    with pytest.raises(ValidationError):
        MONEY.validate_python(given)


def test_pence_are_whole() -> None:
    assert money.to_pence(Decimal("45.10")) == 4510
    assert money.from_pence(4510) == Decimal("45.10") and money.text(money.from_pence(7)) == "0.07"


@pytest.mark.parametrize(
    "text",
    ["0", "45.1", "999999.99", "0999999.99", "1000000", "1000000.00", "1000000.01", "1000001", "9999999.99",
     "00000000", "1.001", ".5", "5."],
)  # fmt: skip
def test_the_specs_pattern_accepts_exactly_the_text_the_app_does(text: str) -> None:
    try:
        money.parse(text)
        accepted = True
    except ValueError:
        accepted = False
    assert bool(re.fullmatch(money.MONEY_PATTERN, text)) == accepted
    assert len(text) <= money.MONEY_TEXT_MAX or not accepted


def test_the_spec_says_two_places_for_a_number_too() -> None:
    number, text = MONEY.json_schema()["anyOf"]
    assert number["multipleOf"] == 0.01 and number["maximum"] == 1_000_000
    assert text["pattern"] == money.MONEY_PATTERN and text["maxLength"] == 10
