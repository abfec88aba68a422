"""The one normal form of organisation names (the contract's "Conflict checks"), and the lookup keys
that find a name again after one typo or with a word more or fewer."""

import random
import string

import pytest

from app.interests import normalise
from app.interests.normalise import is_candidate, organisation_key, similarity

# (as typed, its key): every rule the contract names, alone and together.
KEYS = [
    # case, repeated spaces, surrounding spaces
    ("Oakfield Farm", "oakfield farm"),
    ("OAKFIELD   FARM", "oakfield farm"),
    ("  oakfield farm  ", "oakfield farm"),
    ("Oakfield\tFarm", "oakfield farm"),
    # punctuation
    ("Oakfield-Farm", "oakfield farm"),
    ("Oakfield, Farm.", "oakfield farm"),
    ("Oakfield (Farm)", "oakfield farm"),
    ("St John's Trust", "st johns trust"),
    ("St John\u2019s Trust", "st johns trust"),
    # accents off Latin letters; other scripts' marks kept; case folded
    ("Café Rouge", "cafe rouge"),
    ("Straße Bau", "strasse bau"),
    ("हिन्दी विद्यालय", "हिन्दी विद्यालय"),
    ("ΑΘΗΝΑ Σχολείο", "αθηνα σχολειο"),
    ("Crème Brûlée Bakery", "creme brulee bakery"),
    ("Zoë's Nursery", "zoes nursery"),
    # & and and
    ("Smith & Sons", "smith and sons"),
    ("Smith and Sons", "smith and sons"),
    ("Smith&Sons", "smith and sons"),
    # legal suffixes, any case, with or without dots
    ("Acme Supplies Ltd", "acme supplies"),
    ("Acme Supplies Ltd.", "acme supplies"),
    ("Acme Supplies Limited", "acme supplies"),
    ("ACME SUPPLIES LIMITED", "acme supplies"),
    ("Acme Supplies PLC", "acme supplies"),
    ("Acme Supplies plc", "acme supplies"),
    ("Acme Supplies LLP", "acme supplies"),
    ("Acme Supplies L.L.P.", "acme supplies"),
    ("Acme Supplies CIC", "acme supplies"),
    ("Acme Supplies C.I.C.", "acme supplies"),
    ("Acme Supplies Co", "acme supplies"),
    ("Acme Supplies Co.", "acme supplies"),
    ("Acme Supplies Company", "acme supplies"),
    ("Acme Supplies Co Ltd", "acme supplies"),
    ("Acme Supplies Company Limited", "acme supplies"),
    ("Smith & Co", "smith"),
    ("Smith & Co. Ltd", "smith"),
    ("Smith and Company Limited", "smith"),
    # a suffix's word inside the name is part of it, spelt one way
    ("Co-operative Group", "co operative group"),
    ("Acme Company Holdings", "acme co holdings"),
    ("Acme Co. Holdings", "acme co holdings"),
    ("Limited Edition Prints", "ltd edition prints"),
    # a leading The, only leading
    ("The Oakfield Farm", "oakfield farm"),
    ("the oakfield farm ltd", "oakfield farm"),
    ("Oakfield The Farm", "oakfield the farm"),
    # all at once
    ("  THE  Smith & Sons (Holdings) Co.  Ltd ", "smith and sons holdings"),
    ("The Crème & Brûlée Company Limited", "creme and brulee"),
    # a name that is nothing but suffixes keeps a word to match on
    ("The Company Ltd", "co"),
]


@pytest.mark.parametrize(("typed", "key"), KEYS, ids=[typed for typed, _ in KEYS])
def test_the_normal_form(typed: str, key: str) -> None:
    assert organisation_key(typed) == key


def test_the_normal_form_is_idempotent() -> None:
    for typed, key in KEYS:
        assert organisation_key(key) == key, typed


def test_a_long_name_is_cut_to_the_column_not_refused() -> None:
    assert len(organisation_key("& " * 100)) <= normalise.KEY_MAX
    assert len(organisation_key("x" * 300)) == normalise.KEY_MAX


# ---------------------------------------------------------------- lookup keys


def one_edit_variants(key: str, rng: random.Random) -> list[str]:
    """A substitution, an insertion, a deletion and a transposition at every position."""
    letters = string.ascii_lowercase
    variants = []
    for i in range(len(key)):
        variants.append(key[:i] + rng.choice([c for c in letters if c != key[i]]) + key[i + 1 :])
        variants.append(key[:i] + rng.choice(letters) + key[i:])
        variants.append(key[:i] + key[i + 1 :])
        if i + 1 < len(key) and key[i] != key[i + 1]:
            variants.append(key[:i] + key[i + 1] + key[i] + key[i + 2 :])
    variants.append(key + rng.choice(letters))
    return variants


NAMES = ["oakfield farm", "riverside catering services", "abc foods", "northern education partners", "acmeco"]


@pytest.mark.parametrize("stored", NAMES)
def test_every_one_edit_typo_is_a_candidate(stored: str) -> None:
    """...unless the typo leaves a name too short to be looked up by anything but itself."""
    rng = random.Random(stored)
    for typed in one_edit_variants(stored, rng):
        assert is_candidate(typed, stored) is (len(typed) >= normalise.EDIT_MIN_LENGTH), (typed, stored)


@pytest.mark.parametrize("stored", NAMES)
def test_the_lookups_are_symmetric_for_one_edit(stored: str) -> None:
    """A name stored with a typo is found by the right spelling, unless the stored one is too short
    to be found by anything but an exact lookup."""
    rng = random.Random(stored + "!")
    for typed in one_edit_variants(stored, rng):
        found = is_candidate(stored, typed)
        assert found is (len(typed) >= normalise.EDIT_MIN_LENGTH), (stored, typed)


def test_a_dropped_or_added_word_is_a_candidate() -> None:
    assert is_candidate("riverside services", "riverside catering services")
    assert is_candidate("riverside catering services", "riverside services")
    assert is_candidate("northern education trust partners", "northern education partners")


def test_short_names_are_found_only_exactly() -> None:
    assert not is_candidate("acme", "acne")
    assert is_candidate("acme", "acme")
    assert not is_candidate("smith", "smiths") and not is_candidate("smiths", "smith")
    # nor by a word more or fewer: "bp uk" is not "bp uk trading"
    assert not is_candidate("bp uk", "bp uk trading") and not is_candidate("bp uk trading", "bp uk")


def test_unrelated_names_are_not_candidates() -> None:
    assert not is_candidate("riverside plumbing", "oakfield catering")
    assert not is_candidate("riverside", "riverside catering")  # one word of two is not enough


def test_similarity_is_one_only_for_the_same_key() -> None:
    assert similarity("oakfield farm", "oakfield farm") == 1.0
    assert similarity("oakfield farm", "oakfeild farm") < 1.0
    assert similarity("riverside catering", "riverside plumbing") < similarity(
        "oakfield farm", "oakfeild farm"
    )


def test_stored_tokens_fit_their_column() -> None:
    key = organisation_key("x" * 300)
    assert all(len(token) <= normalise.TOKEN_MAX for token in normalise.stored_tokens(key))
    assert all(len(token) <= normalise.TOKEN_MAX for token in normalise.query_tokens(key))
