"""Normal forms for company numbers and organisation names, so the same body is recognised."""

import re
import unicodedata

KEY_MAX = 200
_COMPANY_NUMBER = re.compile(r"^[A-Z0-9]{1,8}$")
_SUFFIXES = {"ltd": "limited", "plc": "plc", "llp": "llp", "cic": "cic", "co": "company"}
_DROP_WORDS = {"limited", "plc", "llp", "cic", "company"}


def company_number(value: str) -> str:
    """Upper case, spaces removed, an all-digit number left-padded with zeros to 8 (Companies House form)."""
    compact = re.sub(r"\s+", "", value)
    # ASCII before upper-casing: "ı" and "ſ" would otherwise become I and S.
    if not compact.isascii():
        raise ValueError("a company number is ASCII letters and digits, e.g. 01234567 or SC123456")
    compact = compact.upper()
    if compact.isdigit():
        compact = compact.zfill(8)
    if not _COMPANY_NUMBER.match(compact):
        raise ValueError("a company number is at most 8 letters and digits, e.g. 01234567 or SC123456")
    return compact


def organisation_key(name: str) -> str:
    """Case, accents, punctuation, repeated spaces, &/and, legal suffixes and a leading 'The' ignored."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    words = [_SUFFIXES.get(word, word) for word in text.split()]
    if words and words[0] == "the":
        words = words[1:]
    while words and words[-1] in _DROP_WORDS:
        words = words[:-1]
    # Normalising can lengthen a name ("&" becomes " and ", NFKD expands ligatures); the key is
    # for matching, so it is cut to the column's width rather than refused.
    return " ".join(words)[:KEY_MAX]
