"""Normal forms for company numbers and organisation names, so the same body is recognised, and the
lookup keys that find a name again when it was typed a little differently.

`organisation_key` is the one normal form the contract describes. When it changes, bump
KEY_VERSION: `probity migrate` and `probity serve` then rekey every stored name (`probity rekey`
does it on demand), because a migration cannot import the application to recompute them.
"""

import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

KEY_MAX = 200
# 2: apostrophes and dots inside abbreviations dropped rather than made spaces ("St John's",
# "L.L.P."), and a trailing "and" left by "& Co" dropped with the suffix. 3: lookup keys by thirds,
# none for names under six letters; case folded ("ß" is "ss"), accents off, other scripts' marks kept.
KEY_VERSION = 3

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


def _letters(name: str) -> str:
    """Accents off ("é" is "e", "ά" is "α": the combining diacritical marks U+0300-U+036F), other
    marks kept where they are part of the letter (Hindi, Thai), case folded ("Straße" is "strasse");
    anything not a letter, digit or mark is a space."""
    text = unicodedata.normalize("NFKD", name)
    kept: list[str] = []
    for ch in text:
        if "\u0300" <= ch <= "\u036f":
            continue
        kept.append(ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " ")
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


def organisation_key(name: str) -> str:
    """Case, accents, punctuation, repeated spaces, &/and, legal suffixes (Ltd, Limited, PLC, LLP,
    CIC, Co) and a leading 'The' ignored: "The Smith & Sons Co. Ltd" and "smith and sons" are one key."""
    text = _APOSTROPHES.sub("", name)  # "St John's" is "st johns", not "st john s"
    text = _ABBREVIATION_DOT.sub("", text)  # "L.L.P." is "llp", "C.I.C." is "cic"
    text = _letters(text.replace("&", " and "))
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
    return " ".join(words)[:KEY_MAX].strip()


# ---------------------------------------------------------------- lookup keys for similar names
#
# Why written here rather than taken from a library: the candidates must come from plain indexed
# equality lookups that SQLite and PostgreSQL both serve in well under a millisecond at a million
# names (measured in bench/README.md). Trigram similarity cannot reach the quality target (a
# transposition in a short name drops it to about 0.6), and a full deletion neighbourhood stores
# about 25 rows per name. The pigeonhole principle needs three: cut a name into thirds A, B and C;
# one edit (a letter wrong, missing or extra) leaves two of them as they were, so a stored name is
# indexed under A+B, B+C and A..C (tagged with its length), and a query looks up the pieces it would
# share with a name one letter longer, shorter or the same length. (Halves were tried first: a
# name's second half is often a common last word, "consultants", which matched thousands of names
# at a million.) Two letters swapped across a cut are swapped back. rapidfuzz then scores the
# candidates. A dropped word is found the same way: a name of three or more words is also indexed
# without each of its words in turn.

# Shorter names match only exactly: one letter of five is a different name ("acme", "acne").
EDIT_MIN_LENGTH = 6
WORD_DROP_MIN_WORDS = 3
TOKEN_MAX = KEY_MAX + 8
# What the contract asks to match, scored by what it is rather than by a share of letters (which
# sinks for short names, one letter of "ely farm" is 0.875, and rises for long ones): one edit in a
# name of six letters or more scores at least ONE_EDIT, one word more or fewer at least ONE_WORD,
# both above the default threshold 0.92 (bench/conflicts_quality.py measured them).
ONE_EDIT = 0.95
ONE_WORD = 0.93


def _without_each_word(key: str) -> list[str]:
    """The key without each of its words, where what is left is long enough to match on."""
    words = key.split()
    if len(words) < WORD_DROP_MIN_WORDS:
        return []
    shorter = (" ".join(words[:i] + words[i + 1 :]) for i in range(len(words)))
    return [s for s in shorter if len(s) >= EDIT_MIN_LENGTH]


def _cuts(length: int) -> tuple[int, int]:
    return length // 3, 2 * length // 3


def stored_tokens(key: str) -> list[str]:
    """The lookup keys a stored organisation key is indexed under (besides the key itself)."""
    tokens = []
    size = len(key)
    if size >= EDIT_MIN_LENGTH:
        a, b = _cuts(size)
        tokens += [f"x{size}:{key[:b]}", f"y{size}:{key[a:]}", f"z{size}:{key[:a]}|{key[b:]}"]
    tokens += [f"w:{shorter}" for shorter in _without_each_word(key)]
    return list(dict.fromkeys(tokens))


def query_tokens(key: str) -> list[str]:
    """The lookup keys that find stored names one edit from `key`, or with one word more."""
    tokens: list[str] = []
    n = len(key)
    if n < EDIT_MIN_LENGTH:
        return tokens  # a short name is found only exactly
    for size in (n - 1, n, n + 1):
        if size < EDIT_MIN_LENGTH:
            continue
        a, b = _cuts(size)
        tokens.append(f"x{size}:{key[:b]}")  # the edit is in the stored name's last third
        tokens.append(f"y{size}:{key[n - (size - a) :]}")  # ... in its first third
        tokens.append(f"z{size}:{key[:a]}|{key[n - (size - b) :]}")  # ... in its middle third
    a, b = _cuts(n)
    for cut in (a, b):  # two letters swapped across a cut change two thirds: swap them back
        swapped = key[: cut - 1] + key[cut] + key[cut - 1] + key[cut + 1 :]
        tokens.append(f"x{n}:{swapped[:b]}")
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


def _one_word_apart(query: str, stored: str) -> bool:
    q, s = query.split(), stored.split()
    if min(len(query), len(stored)) < EDIT_MIN_LENGTH:
        return False
    if min(len(q), len(s)) < WORD_DROP_MIN_WORDS - 1 or abs(len(q) - len(s)) != 1:
        return False
    longer, shorter = (q, s) if len(q) > len(s) else (s, q)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def similarity(query: str, stored: str) -> float:
    """0..1, 1 only for the same key: at least ONE_EDIT for one edit (a letter wrong, missing, extra,
    or two swapped) in names of six letters or more, at least ONE_WORD for one word more or fewer
    (two words kept at least), otherwise rapidfuzz's WRatio."""
    if query == stored:
        return 1.0
    score = min(fuzz.WRatio(query, stored), 99.99) / 100
    if min(len(query), len(stored)) >= EDIT_MIN_LENGTH and OSA.distance(query, stored, score_cutoff=1) <= 1:
        score = max(score, ONE_EDIT)
    elif _one_word_apart(query, stored):
        score = max(score, ONE_WORD)
    return round(score, 4)
