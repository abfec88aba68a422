"""Normal forms for company numbers and organisation names, so the same body is recognised, and the
lookup keys that find a name again when it was typed a little differently.

`organisation_key` is the one normal form the contract describes. When it changes, bump
KEY_VERSION: `probity migrate` and `probity serve` then rekey every stored name (`probity rekey`
does it on demand), because a migration cannot import the application to recompute them.
"""

import re
import unicodedata

from rapidfuzz import fuzz

KEY_MAX = 200
# Version 2: apostrophes and dots inside abbreviations dropped rather than made spaces ("St John's",
# "L.L.P."), and a trailing "and" left by "& Co" dropped with the suffix.
KEY_VERSION = 2

_COMPANY_NUMBER = re.compile(r"^[A-Z0-9]{1,8}$")
# One spelling for the words a legal suffix is made of, wherever they stand ("Acme Company Holdings"
# and "Acme Co Holdings" are one name), then the suffix itself dropped from the end.
_SPELLINGS = {"limited": "ltd", "company": "co"}
_DROP_WORDS = {"ltd", "plc", "llp", "cic", "co"}
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_ABBREVIATION_DOT = re.compile(r"(?<=\b\w)\.(?=\w\b)|(?<=\b\w)\.(?=\s|$)")


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
    """Case, accents, punctuation, repeated spaces, &/and, legal suffixes (Ltd, Limited, PLC, LLP,
    CIC, Co) and a leading 'The' ignored: "The Smith & Sons Co. Ltd" and "smith and sons" are one key."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _APOSTROPHES.sub("", text)  # "St John's" is "st johns", not "st john s"
    text = _ABBREVIATION_DOT.sub("", text)  # "L.L.P." is "llp", "C.I.C." is "cic"
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = [_SPELLINGS.get(word, word) for word in text.split()]
    if words and words[0] == "the":
        words = words[1:]
    # "Smith & Co Ltd" and "Smith and Company Limited" are "smith"; a name that is nothing but
    # suffixes ("The Company Ltd") keeps its first word rather than become empty.
    while len(words) > 1 and words[-1] in _DROP_WORDS:
        words = words[:-1]
        if len(words) > 1 and words[-1] == "and":
            words = words[:-1]
    # Normalising can lengthen a name ("&" becomes " and ", NFKD expands ligatures); the key is
    # for matching, so it is cut to the column's width rather than refused.
    return " ".join(words)[:KEY_MAX]


# ---------------------------------------------------------------- lookup keys for similar names
#
# Why written here rather than taken from a library: the candidates must come from plain indexed
# equality lookups that SQLite and PostgreSQL both serve in well under a millisecond at a million
# names (measured in bench/README.md). Trigram similarity cannot reach the quality target (a
# transposition in a short name drops it to about 0.6), and a full deletion neighbourhood stores
# about 25 rows per name. The pigeonhole principle needs two: one edit (a typo, a missing or extra
# letter) leaves either the first half or the second half of a name as it was, so a stored name is
# indexed by its halves, tagged with its length, and a query looks up the halves it would share
# with a name one letter longer, shorter or the same length. rapidfuzz then scores the few
# candidates. A dropped word is found the same way: a name of three or more words is also indexed
# without each of its words in turn.

# Shorter names match only exactly: one letter of five is a different name ("acme", "acne").
EDIT_MIN_LENGTH = 6
WORD_DROP_MIN_WORDS = 3
TOKEN_MAX = KEY_MAX + 8


def _without_each_word(key: str) -> list[str]:
    words = key.split()
    if len(words) < WORD_DROP_MIN_WORDS:
        return []
    return [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]


def stored_tokens(key: str) -> list[str]:
    """The lookup keys a stored organisation key is indexed under (besides the key itself)."""
    tokens = []
    length = len(key)
    if length >= EDIT_MIN_LENGTH:
        half = length // 2
        tokens += [f"p{length}:{key[:half]}", f"s{length}:{key[half:]}"]
    tokens += [f"w:{shorter}" for shorter in _without_each_word(key)]
    return list(dict.fromkeys(tokens))


def query_tokens(key: str) -> list[str]:
    """The lookup keys that find stored names one edit from `key`, or with one word more."""
    tokens = []
    size = len(key)
    for length in (size - 1, size, size + 1):
        if length < EDIT_MIN_LENGTH:
            continue
        half = length // 2
        tokens.append(f"p{length}:{key[:half]}")  # the edit is in the stored name's second half
        tokens.append(f"s{length}:{key[size - (length - half) :]}")  # ... or in its first half
    if size >= EDIT_MIN_LENGTH:
        # Two letters swapped across the stored name's midpoint change both halves: swap them back.
        half = size // 2
        swapped = key[: half - 1] + key[half] + key[half - 1] + key[half + 1 :]
        tokens.append(f"p{size}:{swapped[:half]}")
    if len(key.split()) >= WORD_DROP_MIN_WORDS - 1:
        tokens.append(f"w:{key}")  # a stored name of one word more
    return list(dict.fromkeys(tokens))


def query_keys(key: str) -> list[str]:
    """The stored keys to look up exactly: the key itself, and the key without each of its words."""
    return list(dict.fromkeys([key, *_without_each_word(key)]))


def is_candidate(query: str, stored: str) -> bool:
    """Whether the index lookups for `query` reach `stored` (the same relation as the SQL search, for
    matching one name against another without the database)."""
    if stored in query_keys(query):
        return True
    return not set(stored_tokens(stored)).isdisjoint(query_tokens(query))


def similarity(query: str, stored: str) -> float:
    """0..1, 1 only for the same key: rapidfuzz's WRatio, which weighs a dropped word (token set)
    below a whole-name match and a typo by its share of the name."""
    if query == stored:
        return 1.0
    return round(min(fuzz.WRatio(query, stored), 99.99) / 100, 4)
