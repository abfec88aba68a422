"""Money is pounds sterling: a decimal with two places in the API, whole pence in the database."""

import re
from decimal import Decimal, InvalidOperation

MONEY_MAX = Decimal("1000000.00")
PENNY = Decimal("0.01")
_AMOUNT = re.compile(r"^[0-9]{1,7}(?:\.[0-9]{1,2})?$")
# What parse() accepts as text, for the spec: _AMOUNT within MONEY_MAX (seven digits at most, so
# leading zeros too), so that a client and the fuzzer see the limit as well as the shape.
MONEY_PATTERN = r"^(?:(?:[0-9]{1,6}|0[0-9]{6})(?:\.[0-9]{1,2})?|1000000(?:\.0{1,2})?)$"
MONEY_TEXT_MAX = len("0999999.99")


_WRITTEN = 'an amount of money is written like "45.00": digits, two at most after the point'


def parse(value: object) -> Decimal:
    """A number or a string such as "45.00": not negative, at most two places, at most £1,000,000.

    A JSON number arrives as a float; its shortest decimal spelling is what the client wrote (45.1 is
    "45.1"), so it is read from that, never from the binary fraction (45.1 is 45.0999… in binary).
    """
    if isinstance(value, bool):
        raise ValueError('an amount of money is a number or a string such as "45.00", not true or false')
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        # No spaces: the spec's pattern has none, and a client reads the spec as the rule.
        if not _AMOUNT.fullmatch(value):
            raise ValueError(_WRITTEN)
        amount = Decimal(value)
    else:
        raise ValueError('an amount of money is a number or a string such as "45.00"')
    return _checked(amount)


def _checked(amount: Decimal) -> Decimal:
    try:
        if not amount.is_finite():
            raise ValueError("an amount of money is a finite number")
        if amount < 0:
            raise ValueError("an amount of money may not be negative")
        if amount != amount.quantize(PENNY):
            raise ValueError("an amount of money has at most two decimal places")
    except InvalidOperation:
        raise ValueError("an amount of money has at most two decimal places") from None
    if amount > MONEY_MAX:
        raise ValueError(f"an amount of money is at most {MONEY_MAX:,}")
    return amount.quantize(PENNY)


def to_pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


def from_pence(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)


def text(amount: Decimal) -> str:
    """As the API writes it: "45.00"."""
    return f"{amount.quantize(PENNY):.2f}"
