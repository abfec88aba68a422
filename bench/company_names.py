"""Realistic UK company names for the conflict-screening benchmarks, generated from word lists with a
seeded RNG (the same names every run), and the ways people type them differently. Not a test.

A name is kept as its parts (an optional leading "The", the words, a legal suffix), so a variant
can change one part and say what it changed. `app.interests.normalise.organisation_key` decides when
two names are the same; nothing here normalises on its own.
"""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from app.interests.normalise import organisation_key

# ---------------------------------------------------------------- word lists

PLACES = """Riverside Oakfield Westfield Northgate Southgate Eastwood Kingsway Ashford Bramley Chiltern
Cotswold Pennine Mendip Severn Thames Mersey Tyneside Wessex Mercia Albion Cheshire Yorkshire Lancashire
Kentish Surrey Essex Norfolk Suffolk Devon Cornwall Dorset Somerset Avon Bristol Bath Leeds York Hull Derby
Stafford Chester Durham Carlisle Kendal Harrogate Ripon Whitby Scarborough Lincoln Boston Grantham Newark
Mansfield Worksop Retford Buxton Matlock Bakewell Ludlow Shrewsbury Telford Hereford Worcester Malvern
Evesham Cheltenham Gloucester Stroud Swindon Reading Newbury Oxford Banbury Bicester Witney Abingdon Didcot
Wantage Henley Marlow Windsor Ascot Woking Guildford Dorking Reigate Redhill Horsham Crawley Brighton Hove
Lewes Eastbourne Hastings Rye Ashdown Medway Maidstone Tonbridge Sevenoaks Dartford Gravesend Canterbury
Dover Folkestone Margate Ramsgate Thanet Whitstable Faversham Colchester Chelmsford Braintree Harlow Epping
Loughton Romford Ilford Enfield Barnet Harrow Ealing Hounslow Richmond Kingston Croydon Bromley Lewisham
Greenwich Hackney Camden Islington Brent Chelsea Fulham Putney Wimbledon Sutton Epsom Watford Luton Bedford
Hitchin Stevenage Hertford Harpenden Cambridge Ely Huntingdon Peterborough Norwich Ipswich Lowestoft Cromer
Thetford Wigan Bolton Preston Blackburn Burnley Rochdale Oldham Stockport Salford Trafford Warrington Widnes
Runcorn Wirral Sefton Southport Lancaster Morecambe Meadow Brookside Valley Hillside Parkside Lakeside
Woodland Greenacre Fairview Highfield Broadway Castle Abbey Priory Manor Orchard Willow Beech Elm Cedar
Holly Ivy Rowan Hawthorn Heather Bracken Fern Moorland Heath Downs Marsh Fenland Dale Vale Ridge Crown
Anchor Harbour Coastal Hartley Ashby Appleby Kirkby Whitley Bradwell Langley Stanmore Netherton Moorfield
Broadfield Longridge Oakwood Elmwood Ashwood Beechwood Redwood Pinewood Hazelwood Millbrook Fairfield
Springfield Greenfield Brookfield Mayfield Lindfield Sheffield Huddersfield Wakefield Halifax Bradford
Keighley Skipton Settle Ilkley Otley Selby Goole Beverley Bridlington Filey Pickering Malton Thirsk
Northallerton Darlington Stockton Hartlepool Sunderland Gateshead Hexham Morpeth Alnwick Berwick""".split()  # noqa: SIM905

QUALIFIERS = """North South East West Central Greater Upper Lower Royal New Old Great Little Green Blue Red
Golden Silver First Premier Prime Smart Total United Allied National Regional Local County City Metro Global
Apex Summit Pinnacle Evolve Bright Clear Swift Rapid Express Quality Elite Classic Modern Heritage Vision
Future Direct Complete Ace Star Alpha Omega Phoenix Eagle Falcon Lion Oak Acorn Beacon Compass Horizon
Keystone Cornerstone Landmark Milestone Pioneer Sterling Crest Zenith""".split()  # noqa: SIM905

SURNAMES = """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Thomson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Clark Patel Jackson Wood Turner
Martin Cooper Hill Ward Morris Moore Lee King Baker Harrison Morgan Allen James Scott Phillips Philips
Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell
Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Wilkinson Foster Chapman
Powell Webb Rogers Gray Grey Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight
Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh
Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence
Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells
Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley
Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy
Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson
Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis
Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter
Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis
Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin
Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton Woodward Cunningham Quinn
Barnett Baxter Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler
Norman Middleton Lawson Banks French Stanley Jarvis Gibbs Ferguson Hayward Carroll Douglas Dickinson Todd
Barlow Peters Lucas Knowles Miah Simmons Morton Alexander Field Morrison Norris Townsend Hancock Thornton
Baldwin Burrows Briggs Storey Pollard Howe Whittaker Humphreys Boyle Vaughan Hyde Sykes Müller Nuñez Brontë
Lefèvre Okafor Adeyemi Nowak Kowalski Rossi Costa Silva Murphy Chen Wong Nguyen Kapoor Mehta Chowdhury
Rahman Iqbal Malik Hassan Osei Mensah""".split()  # noqa: SIM905

TRADES = """Building Builders Construction Catering Consulting Consultancy Education Plumbing Heating
Electrical Electrics Roofing Joinery Carpentry Glazing Windows Flooring Carpets Decorating Painting Cleaning
Maintenance Facilities Security Landscaping Gardening Grounds Fencing Paving Drainage Surveying Surveyors
Architects Engineering Engineers Design Interiors Furniture Stationery Printing Signs Media Marketing
Digital Computing Software Technology Networks Telecoms Communications Training Tutoring Learning Childcare
Nursery Crèche Care Healthcare Dental Pharmacy Optical Travel Coaches Transport Logistics Haulage Removals
Storage Couriers Taxis Motors Garage Vehicle Fleet Hire Plant Scaffolding Demolition Groundworks Civils
Steel Fabrication Metalwork Timber Kitchens Bathrooms Bakery Butchers Foods Produce Dairy Farm Farms Estates
Properties Property Homes Housing Lettings Developments Investments Accountants Accountancy Legal Solicitors
Insurance Finance Financial Recruitment Staffing Payroll Sports Leisure Fitness Music Arts Theatre Events
Photography Uniforms Clothing Textiles Laundry Waste Recycling Environmental Energy Solar Water Hygiene
Lifts Café Pâtisserie Audio Lighting Tiling Plastering Brickwork Stonework Insulation Ventilation
Refrigeration Boilers Locksmiths Minibuses Playgrounds Caterers Cleaners Electricians Plumbers Roofers
Joiners""".split()  # noqa: SIM905

# Second words that make a trade a firm: "Building Services", "Cleaning Supplies".
GENERIC = """Services Supplies Solutions Contractors Consultants Group Partners Systems Centre Associates
Specialists Direct Management Company""".split()  # noqa: SIM905
GENERIC = [word for word in GENERIC if word != "Company"]  # "Company" is a suffix: organisation_key drops it

SAINTS = ["Mary", "John", "Peter", "Paul", "Andrew", "George", "Michael", "Anne", "Margaret", "Luke", "Mark",
          "Thomas", "Joseph", "Catherine"]  # fmt: skip
INITIALS = list("ABCDEFGHJKLMNPRSTW")

SUFFIXES = [("Ltd", 45), ("Limited", 25), ("", 12), ("PLC", 2), ("LLP", 3), ("CIC", 4), ("& Co", 3),
            ("& Co Ltd", 2), ("Company Limited", 2), ("Ltd.", 2)]  # fmt: skip

# What a replacement word may be drawn from, by the kind of word it replaces.
KINDS: dict[str, list[str]] = {
    "place": PLACES, "qualifier": QUALIFIERS, "surname": SURNAMES, "trade": TRADES, "generic": GENERIC,
    "saint": SAINTS, "initial": INITIALS,
}  # fmt: skip


@dataclass(frozen=True)
class Name:
    """A company name in parts: `words` as written ("&" is a word), `kinds` the kind of each word
    ("amp" for "&", "fixed" for words a pattern always has), a legal suffix, a leading "The"."""

    words: tuple[str, ...]
    kinds: tuple[str, ...]
    suffix: str = ""
    the: bool = False

    def render(self) -> str:
        parts = (["The"] if self.the else []) + list(self.words) + ([self.suffix] if self.suffix else [])
        return " ".join(parts)

    @property
    def key(self) -> str:
        return organisation_key(self.render())


def _suffix(rng: random.Random, llp: bool = False) -> str:
    if llp and rng.random() < 0.6:
        return "LLP"
    return rng.choices([s for s, _ in SUFFIXES], [w for _, w in SUFFIXES])[0]


def _pattern(rng: random.Random) -> tuple[list[str], list[str], bool]:
    """One of the shapes UK firm names take: words, their kinds, and whether it is a partnership."""
    c = rng.choice
    r = rng.random()
    if r < 0.18:  # Riverside Catering
        return [c(PLACES), c(TRADES)], ["place", "trade"], False
    if r < 0.34:  # Hughes Plumbing
        return [c(SURNAMES), c(TRADES)], ["surname", "trade"], False
    if r < 0.48:  # Oakfield Building Services
        return [c(PLACES), c(TRADES), c(GENERIC)], ["place", "trade", "generic"], False
    if r < 0.57:  # Patel Cleaning Supplies
        return [c(SURNAMES), c(TRADES), c(GENERIC)], ["surname", "trade", "generic"], False
    if r < 0.63:  # Smith & Jones (LLP)
        return [c(SURNAMES), "&", c(SURNAMES)], ["surname", "amp", "surname"], True
    if r < 0.67:  # Hughes & Sons
        return [c(SURNAMES), "&", c(["Sons", "Son", "Daughters"])], ["surname", "amp", "fixed"], False
    if r < 0.75:  # Premier Catering (Services)
        if rng.random() < 0.5:
            return [c(QUALIFIERS), c(TRADES)], ["qualifier", "trade"], False
        return [c(QUALIFIERS), c(TRADES), c(GENERIC)], ["qualifier", "trade", "generic"], False
    if r < 0.80:  # North Yorkshire Roofing
        return [c(QUALIFIERS), c(PLACES), c(TRADES)], ["qualifier", "place", "trade"], False
    if r < 0.84:  # J Hughes Plumbing
        return [c(INITIALS), c(SURNAMES), c(TRADES)], ["initial", "surname", "trade"], False
    if r < 0.91:  # Oakfield Heating & Plumbing
        first, second = rng.sample(TRADES, 2)
        return [c(PLACES), first, "&", second], ["place", "trade", "amp", "trade"], False
    if r < 0.94:  # St Mary's Catering
        return ["St", f"{c(SAINTS)}'s", c(TRADES)], ["fixed", "saint", "trade"], False
    if r < 0.97:  # Hughes Brothers
        return [c(SURNAMES), c(["Brothers", "Bros"])], ["surname", "fixed"], False
    # Kingsway Hughes Developments
    return [c(PLACES), c(SURNAMES), c(TRADES)], ["place", "surname", "trade"], False


def make_name(rng: random.Random) -> Name:
    words, kinds, partnership = _pattern(rng)
    suffix = _suffix(rng, llp=partnership)
    the = rng.random() < 0.07
    return Name(tuple(words), tuple(kinds), suffix, the)


def corpus(rng: random.Random, size: int) -> list[Name]:
    """`size` names with distinct organisation keys."""
    return list(iter_corpus(rng, size))


def iter_corpus(rng: random.Random, size: int, seen: set[str] | None = None) -> Iterator[Name]:
    seen = set() if seen is None else seen
    made = 0
    while made < size:
        name = make_name(rng)
        key = name.key
        if key in seen:
            continue
        seen.add(key)
        made += 1
        yield name


# ---------------------------------------------------------------- how people type a name differently

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEAR: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _i, _ch in enumerate(_row):
        near = [_row[j] for j in (_i - 1, _i + 1) if 0 <= j < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][j] for j in (_i - 1, _i) if 0 <= j < len(_ROWS[_other])]
        _NEAR[_ch] = "".join(near)

_ACCENTS = {"a": "áàâ", "e": "éèê", "i": "íï", "o": "óö", "u": "úü", "c": "ç", "n": "ñ"}


def _same_case(template: str, letter: str) -> str:
    return letter.upper() if template.isupper() else letter


def _near_letter(rng: random.Random, ch: str) -> str:
    options = _NEAR.get(ch.lower(), "") if rng.random() < 0.7 else ""
    options = options or "abcdefghijklmnopqrstuvwxyz".replace(ch.lower(), "")
    return _same_case(ch, rng.choice(options))


def _letter_positions(word: str) -> list[int]:
    return [i for i, ch in enumerate(word) if ch.isalpha()]


def _typo_word(rng: random.Random, name: Name) -> int | None:
    """Which word a typo goes in: one of at least 3 letters, not "&"."""
    choices = [i for i, w in enumerate(name.words) if len(_letter_positions(w)) >= 3]
    return rng.choice(choices) if choices else None


def _with_word(name: Name, index: int, word: str) -> Name:
    words = list(name.words)
    words[index] = word
    return replace(name, words=tuple(words))


def substitution(rng: random.Random, name: Name) -> str | None:
    index = _typo_word(rng, name)
    if index is None:
        return None
    word = name.words[index]
    at = rng.choice(_letter_positions(word))
    return _with_word(name, index, word[:at] + _near_letter(rng, word[at]) + word[at + 1 :]).render()


def insertion(rng: random.Random, name: Name) -> str | None:
    index = _typo_word(rng, name)
    if index is None:
        return None
    word = name.words[index]
    at = rng.choice(_letter_positions(word))
    extra = word[at].lower() if rng.random() < 0.5 else _near_letter(rng, word[at]).lower()  # "Cateering"
    return _with_word(name, index, word[: at + 1] + extra + word[at + 1 :]).render()


def deletion(rng: random.Random, name: Name) -> str | None:
    index = _typo_word(rng, name)
    if index is None:
        return None
    word = name.words[index]
    at = rng.choice(_letter_positions(word))
    return _with_word(name, index, word[:at] + word[at + 1 :]).render()


def transposition(rng: random.Random, name: Name) -> str | None:
    index = _typo_word(rng, name)
    if index is None:
        return None
    word = name.words[index]
    pairs = [i for i in range(len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha()]
    pairs = [i for i in pairs if word[i].lower() != word[i + 1].lower()]
    if not pairs:
        return None
    at = rng.choice(pairs)
    swapped = (
        word[:at] + _same_case(word[at], word[at + 1].lower()) + _same_case(word[at + 1], word[at].lower())
    )
    return _with_word(name, index, swapped + word[at + 2 :]).render()


# The words that tell one firm from another: a shortened name keeps at least one of them.
DISTINCTIVE = {"place", "surname", "saint", "qualifier"}


def dropped_word(rng: random.Random, name: Name) -> str | None:
    """A name of three or more words with one left out, as people shorten names: never its only
    distinctive word (place, surname, saint, qualifier), never leaving "&" first or last."""
    if len(name.key.split()) < 3:
        return None
    options = []
    distinctive = [i for i, kind in enumerate(name.kinds) if kind in DISTINCTIVE]
    for i in range(len(name.words)):
        rest = name.words[:i] + name.words[i + 1 :]
        if distinctive == [i]:
            continue  # "Building Services" for "Riverside Building Services" is not how people shorten it
        if rest and rest[0] != "&" and rest[-1] != "&" and len(rest) >= 2:
            options.append(i)
    if not options:
        return None
    i = rng.choice(options)
    return replace(
        name, words=name.words[:i] + name.words[i + 1 :], kinds=name.kinds[:i] + name.kinds[i + 1 :]
    ).render()


def suffix_change(rng: random.Random, name: Name) -> str | None:
    others = [s for s, _ in SUFFIXES if s != name.suffix] + ["L.L.P.", "Co. Ltd", "P.L.C.", "Ltd"]
    return replace(name, suffix=rng.choice([s for s in others if s != name.suffix])).render()


def ampersand(rng: random.Random, name: Name) -> str | None:
    if "&" in name.words:
        return replace(name, words=tuple("and" if w == "&" else w for w in name.words)).render()
    if name.suffix.startswith("& "):
        return replace(name, suffix="and" + name.suffix[1:]).render()
    return None


def case_punctuation_accents(rng: random.Random, name: Name) -> str | None:
    text = name.render()
    how = rng.choice(["upper", "lower", "punctuation", "accents", "spaces"])
    if how == "upper":
        return text.upper()
    if how == "lower":
        return text.lower()
    if how == "spaces":
        return "  " + text.replace(" ", "  ", 1) + " "
    if how == "punctuation":
        words = text.split(" ")
        if len(words) < 2:
            return text + "."
        at = rng.randrange(1, len(words))
        glue = rng.choice(["-", ", ", " - ", " / ", "."])
        return " ".join([*words[: at - 1], words[at - 1] + glue + words[at], *words[at + 1 :]])
    positions = [i for i, ch in enumerate(text) if ch.lower() in _ACCENTS]
    if not positions:
        return None
    out = list(text)
    for at in rng.sample(positions, min(2, len(positions))):
        out[at] = _same_case(out[at], rng.choice(_ACCENTS[out[at].lower()]))
    return "".join(out)


def leading_the(rng: random.Random, name: Name) -> str | None:
    return replace(name, the=not name.the).render()


def exact(rng: random.Random, name: Name) -> str | None:
    return name.render()


# Beyond the brief's list (reported apart from the target): what else people type.
def suffix_typo(rng: random.Random, name: Name) -> str | None:
    return replace(
        name, suffix=rng.choice(["Limted", "Limitd", "Lmited", "Ltd Ltd", "Limited.", "Lt"])
    ).render()


def extra_word(rng: random.Random, name: Name) -> str | None:
    word = rng.choice(["UK", "Group", "Services", "Holdings", "(UK)", "Southern", "International"])
    if word.strip("()").lower() in name.key.split():
        return None
    return replace(name, words=(*name.words, word), kinds=(*name.kinds, "fixed")).render()


def joined_or_split(rng: random.Random, name: Name) -> str | None:
    """Two words run together ("RiversideCatering"), or a long word split ("River side")."""
    if rng.random() < 0.5 and len(name.words) >= 2:
        pairs = [i for i in range(len(name.words) - 1) if "&" not in name.words[i : i + 2]]
        if pairs:
            i = rng.choice(pairs)
            return replace(
                name,
                words=(*name.words[:i], name.words[i] + name.words[i + 1], *name.words[i + 2 :]),
                kinds=(*name.kinds[:i], "fixed", *name.kinds[i + 2 :]),
            ).render()
    long = [i for i, w in enumerate(name.words) if len(w) >= 7 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    word = name.words[i]
    at = rng.randrange(3, len(word) - 2)
    return _with_word(name, i, word[:at] + " " + word[at:]).render()


def two_typos(rng: random.Random, name: Name) -> str | None:
    once = substitution(rng, name)
    if once is None:
        return None
    parts = once.split(" ")
    the = parts[0] == "The" and name.the
    body = parts[1:] if the else parts
    words = tuple(body[: len(name.words)])
    return substitution(rng, replace(name, words=words)) if len(words) == len(name.words) else None


VARIANTS: dict[str, Callable[[random.Random, Name], str | None]] = {
    "exact": exact,
    "suffix_change": suffix_change,
    "ampersand_and": ampersand,
    "case_punct_accents": case_punctuation_accents,
    "leading_the": leading_the,
    "typo_substitution": substitution,
    "typo_insertion": insertion,
    "typo_deletion": deletion,
    "typo_transposition": transposition,
    "dropped_word": dropped_word,
}
# Their key equals the target's: the exact-name path, which checks the normal form.
SAME_KEY_VARIANTS = {"exact", "suffix_change", "ampersand_and", "case_punct_accents", "leading_the"}
STRESS_VARIANTS: dict[str, Callable[[random.Random, Name], str | None]] = {
    "stress_suffix_typo": suffix_typo,
    "stress_extra_word": extra_word,
    "stress_joined_or_split": joined_or_split,
    "stress_two_typos": two_typos,
}


def other_word(rng: random.Random, name: Name, same_length: bool) -> str | None:
    """A different firm: one word of the name replaced by another of its kind ("Riverside Plumbing"
    for "Riverside Catering"), of the same length when asked (so it shares a half with the name, and
    the one-edit index offers it as a candidate: only the score can turn it away)."""
    options = [i for i, kind in enumerate(name.kinds) if kind in KINDS]
    if not options:
        return None
    i = rng.choice(options)
    word = name.words[i]
    pool = [w for w in KINDS[name.kinds[i]] if w != word and (not same_length or len(w) == len(word))]
    if name.kinds[i] == "saint":
        pool = [f"{w}'s" for w in pool if f"{w}'s" != word and (not same_length or len(w) + 2 == len(word))]
    if not pool:
        return None
    return replace(_with_word(name, i, rng.choice(pool)), suffix=_suffix(rng)).render()
