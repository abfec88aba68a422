"""What text people may type: names, free text, email addresses and dates, checked one way everywhere.

Names reach the published register, so whatever makes one name look like another, or like no
name at all, is refused: a right-to-left override shows "Tom \u202eeetsurT" as "Tom Trustee", and
zero-width spaces alone show nothing. Each rule raises ValueError with a message meant for the
person who typed the value.
"""

import contextlib
import re
import unicodedata
from datetime import date, datetime

import idna

# Unicode's Bidi_Control characters (UAX #9): the embeddings, overrides and isolates reorder what a
# reader sees; the three marks (ALM, LRM, RLM) are invisible and change where neutral text goes.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width space, word joiner and byte-order mark have no use in a name. ZWJ and ZWNJ (U+200D,
# U+200C) stay: Devanagari, Persian, Malayalam and other scripts spell names with them.
ZERO_WIDTH_SPACES = frozenset("\u200b\u2060\ufeff")
# A name is one line: the Unicode line and paragraph separators break it like a newline would.
LINE_SEPARATORS = frozenset("\u2028\u2029")
NOT_IN_NAMES = BIDI_CONTROLS | ZERO_WIDTH_SPACES | LINE_SEPARATORS
# Free text keeps its line breaks and tabs; every other control character is refused.
TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
# Letters that draw nothing (the Hangul fillers) and the blank Braille cell: blank-looking names
# are made of these, so they do not count as visible.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# UTS #39 (Unicode security mechanisms, section 5.4) suggests refusing more than 4 nonspacing marks
# in a row. Real names stay under it: once NFC has composed the precomposed letters, Vietnamese
# "Nguyễn" has none, a Devanagari syllable such as "ज़ें" has 3, a pointed Hebrew letter at most 4
# (dagesh, shin dot, vowel, accent), a Tibetan stack such as "ཀྵྨྱཱ" 4. The finding had 199.
MAX_NONSPACING_RUN = 4
_VISIBLE_CATEGORIES = frozenset("LNPS")  # letters, numbers, punctuation, symbols

DAY_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)

EMAIL_MAX = 254
# ASCII letters, digits and punctuation except "@": what every mail system takes without SMTPUTF8,
# and no homoglyph can hide in (clеrk@ with a Cyrillic е stood beside the real clerk).
_LOCAL_PART = re.compile(r"[\x21-\x3f\x41-\x7e]{1,64}")
# Deliberately lenient about the domain otherwise: email-validator refuses reserved domains such as
# .test and .local, which trusts use for test and internal accounts.
_ASCII_DOMAIN = re.compile(r"[\x21-\x2d\x2f-\x3f\x41-\x7e]+(?:\.[\x21-\x2d\x2f-\x3f\x41-\x7e]+)+")


def describe(char: str) -> str:
    """U+202E RIGHT-TO-LEFT OVERRIDE: how a refused character is named in a message."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"the control character U+{ord(char):04X}"


def _refused_in_name(char: str) -> bool:
    return char in NOT_IN_NAMES or unicodedata.category(char) == "Cc"


def _refused_in_text(char: str) -> bool:
    if char in BIDI_CONTROLS:
        return True
    return unicodedata.category(char) == "Cc" and char not in TEXT_CONTROLS_ALLOWED


def refuse_characters_in_name(value: object) -> object:
    """Before any trimming: a control, bidirectional or zero-width-space character anywhere."""
    if isinstance(value, str):
        for char in value:
            if _refused_in_name(char):
                raise ValueError(f"a name may not contain {describe(char)}")
    return value


def refuse_characters_in_text(value: object) -> object:
    """Control characters other than tab and line breaks, and bidirectional controls."""
    if isinstance(value, str):
        for char in value:
            if _refused_in_text(char):
                raise ValueError(f"the text may not contain {describe(char)}")
    return value


def _check_marks_and_visibility(name: str) -> None:
    run = 0
    visible = False
    for char in name:
        category = unicodedata.category(char)
        if category in ("Mn", "Me"):
            run += 1
            if run > MAX_NONSPACING_RUN:
                raise ValueError(
                    f"a name may not have more than {MAX_NONSPACING_RUN} combining marks in a row"
                )
        elif category != "Cf":
            # A format character (ZWJ, say) does not end the run: renderers still stack the marks
            # that follow it on the same letter. Any other character, a spacing mark included, does.
            run = 0
        if category[0] in _VISIBLE_CATEGORIES and char not in BLANK_LETTERS:
            visible = True
    if not visible:
        raise ValueError("a name needs at least one visible letter, digit, punctuation mark or symbol")


def normalise_name(value: str, max_length: int) -> str:
    """NFC; at most 4 combining marks in a row; something visible; still within the length."""
    name = unicodedata.normalize("NFC", value)
    if name:  # an optional name may be empty
        _check_marks_and_visibility(name)
    if len(name) > max_length:
        raise ValueError(f"a name may be at most {max_length} characters once normalised (NFC)")
    return name


def normalise_text(value: str, max_length: int) -> str:
    """NFC, still within the length (NFC lengthens a few characters, such as U+0958)."""
    text = unicodedata.normalize("NFC", value)
    if len(text) > max_length:
        raise ValueError(f"the text may be at most {max_length} characters once normalised (NFC)")
    return text


def _punycode(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"the domain is not a valid internationalised domain name ({exc})") from exc


def normalise_email(value: str) -> str:
    """ASCII: the part before the @ must be; a domain in Unicode becomes its punycode (xn--) form."""
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("an email address is a name, an @ and a domain")
    if not _LOCAL_PART.fullmatch(local):
        raise ValueError(
            "the part before the @ may hold only ASCII letters, digits and punctuation (at most 64)"
        )
    if not domain.isascii():
        domain = _punycode(domain)
    if not _ASCII_DOMAIN.fullmatch(domain):
        raise ValueError("the domain must be names separated by dots, such as trust.example, without spaces")
    address = f"{local}@{domain}"
    if len(address) > EMAIL_MAX:
        raise ValueError(f"the address is longer than {EMAIL_MAX} characters")
    return address


def email_key(address: str) -> str:
    """How addresses are compared: as stored (a Unicode domain in punycode), lower-cased."""
    # A filter for something that is no address simply finds nobody: no need to refuse it.
    with contextlib.suppress(ValueError):
        address = normalise_email(address.strip())
    return address.strip().lower()


def require_iso_day(value: object) -> object:
    """YYYY-MM-DD only: Pydantic alone would read 0 as 1970-01-01 and take a timestamp or a datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and DAY_FORMAT.fullmatch(value):
        return value
    raise ValueError("a date is written YYYY-MM-DD, such as 2026-11-22")


def within_bounds(day: date) -> date:
    """A date outside 1900..2100 is a typing error, never a real appointment or interest."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a date must fall between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return day
