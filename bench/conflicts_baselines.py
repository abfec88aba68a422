"""Conflict screening as first built (commit a9d47d0), kept only as baselines for
conflicts_quality.py and conflicts_speed.py, printed beside the app's figures in the same run. Not a
test; nothing here is part of the product, and nothing here is what the app runs now.

  - halves_stored / halves_query: the one-edit index in two halves tagged with the name's length
    (`p{len}:` first half, `s{len}:` second half). A name's second half is often a common last word
    alone ("s24: consultants"), which at a million names reaches thousands of interests. The app now
    cuts names in thirds (app.interests.normalise.stored_tokens / query_tokens).
  - wratio_similarity: rapidfuzz's WRatio alone, a share of letters, which scores one letter of a
    short name below 0.92 ("ely farm": 0.875) and a word left out at 0.855 when it is a third of the
    name. The app now floors one edit at 0.95 and one word more or fewer at 0.93
    (app.interests.normalise.similarity).
  - whole_rows_statement: the matcher's statement reading whole Interest rows (ORM entities), as
    first built; the app now selects the seven columns it needs (app.conflicts.matcher.COLUMNS).

The word-drop keys (`w:`) and query_keys are the app's own and unchanged, so they are taken from it.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Select, select

from app.conflicts import matcher
from app.interests import normalise
from app.interests.models import Interest, interest_open_on
from app.people.models import Person


def _without_each_word(key: str) -> list[str]:
    words = key.split()
    if len(words) < normalise.WORD_DROP_MIN_WORDS:
        return []
    return [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]


def halves_stored(key: str) -> list[str]:
    """As first built: a stored key indexed by its two halves, tagged with its length."""
    tokens = []
    length = len(key)
    if length >= normalise.EDIT_MIN_LENGTH:
        half = length // 2
        tokens += [f"p{length}:{key[:half]}", f"s{length}:{key[half:]}"]
    tokens += [f"w:{shorter}" for shorter in _without_each_word(key)]
    return list(dict.fromkeys(tokens))


def halves_query(key: str) -> list[str]:
    """As first built: the halves a name one letter longer, shorter or the same length would share."""
    tokens = []
    size = len(key)
    for length in (size - 1, size, size + 1):
        if length < normalise.EDIT_MIN_LENGTH:
            continue
        half = length // 2
        tokens.append(f"p{length}:{key[:half]}")
        tokens.append(f"s{length}:{key[size - (length - half) :]}")
    if size >= normalise.EDIT_MIN_LENGTH:
        half = size // 2
        swapped = key[: half - 1] + key[half] + key[half - 1] + key[half + 1 :]
        tokens.append(f"p{size}:{swapped[:half]}")
    if len(key.split()) >= normalise.WORD_DROP_MIN_WORDS - 1:
        tokens.append(f"w:{key}")
    return list(dict.fromkeys(tokens))


def wratio_similarity(query: str, stored: str) -> float:
    """As first built: rapidfuzz's WRatio alone."""
    if query == stored:
        return 1.0
    return round(min(fuzz.WRatio(query, stored), 99.99) / 100, 4)


def whole_rows_statement(query: matcher.Query, as_of: date | None) -> Select[Any]:
    """As first built: the candidates as whole Interest rows, with whose they are."""
    found = (
        select(Interest, Person.full_name)
        .join(Person, Person.id == Interest.person_id)
        .where(Interest.id.in_(matcher.candidates(query)))
    )
    return found if as_of is None else found.where(interest_open_on(as_of))


@contextlib.contextmanager
def swapped(
    *,
    stored: Callable[[str], list[str]] | None = None,
    query: Callable[[str], list[str]] | None = None,
    similarity: Callable[[str, str], float] | None = None,
) -> Iterator[None]:
    """normalise's lookup keys and/or scoring replaced in this process for the block (the matcher
    reads them from the module per call), put back after."""
    saved = normalise.stored_tokens, normalise.query_tokens, normalise.similarity
    try:
        if stored is not None:
            normalise.stored_tokens = stored
        if query is not None:
            normalise.query_tokens = query
        if similarity is not None:
            normalise.similarity = similarity
        yield
    finally:
        normalise.stored_tokens, normalise.query_tokens, normalise.similarity = saved


def create_halves_app() -> Any:
    """The service with the halves index (for `uvicorn --factory`; a bench server only)."""
    normalise.stored_tokens, normalise.query_tokens = halves_stored, halves_query
    from app.main import create_app

    return create_app()
