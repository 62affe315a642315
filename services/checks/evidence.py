"""The matching rules: each compares one kind of detail and names what it found (5.2.5).

Evidence is a weight in log-odds: positive when the details agree, negative when they disagree,
nothing when either side does not know. Aliases count on either side; addresses current or
previous; descriptions by their descriptive words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_sort_ratio

from services.checks.persons import Dob, Evidence, Name, Person, Place
from services.runtime.names import diminutive_of, sounds_alike


def _similar(left: str, right: str) -> bool:
    return (
        JaroWinkler.similarity(left, right) >= 0.9
        or Levenshtein.normalized_similarity(left, right) >= 0.8
    )


def surname_evidence(query: str, candidate: str) -> Evidence | None:
    """Surnames: exact, alike in sound, a small edit apart, or disagreeing."""
    if not query or not candidate:
        return None
    if query == candidate:
        return Evidence("surname-exact", 4.0)
    if sounds_alike(query, candidate):
        return Evidence("surname-phonetic", 3.0)
    if _similar(query, candidate):
        return Evidence("surname-edit-distance", 2.5)
    return Evidence("surname-disagrees", -3.0)


def forename_evidence(  # noqa: PLR0911 - one return per rule: the rules read as a table
    query: tuple[str, ...], candidate: tuple[str, ...]
) -> Evidence | None:
    """First forenames: exact, a short form, alike, an initial, a middle name, or disagreeing."""
    if not query or not candidate:
        return None
    first, other = query[0], candidate[0]
    if first == other:
        return Evidence("forename-exact", 3.0)
    if diminutive_of(first, other):
        return Evidence("forename-diminutive", 2.5)
    if len(first) == 1 or len(other) == 1:
        if first[0] == other[0]:
            return Evidence("forename-initial", 1.0)
        return Evidence("forename-disagrees", -2.0)
    if sounds_alike(first, other):
        return Evidence("forename-phonetic", 2.3)
    if _similar(first, other):
        return Evidence("forename-edit-distance", 2.0)
    if set(query) & set(candidate):
        return Evidence("forename-other-position", 1.8)
    return Evidence("forename-disagrees", -2.0)


def _pair(query: Name, candidate: Name) -> list[Evidence]:
    found = [
        surname_evidence(query.surname, candidate.surname),
        forename_evidence(query.forenames, candidate.forenames),
    ]
    return [item for item in found if item is not None]


def _transposed(name: Name) -> Name | None:
    if not name.surname or not name.forenames:
        return None
    return Name((name.surname, *name.forenames[1:]), name.forenames[0])


def name_evidence(query: Person, candidate: Person) -> list[Evidence]:
    """The best agreement between any of the query's names and any of the candidate's.

    Aliases count on either side; forename and surname may have been given the wrong way round.
    """
    best: list[Evidence] = []
    best_total = -math.inf
    for i, asked in enumerate(query.names):
        for j, held in enumerate(candidate.names):
            ways: list[tuple[Name, tuple[Evidence, ...]]] = [(asked, ())]
            swapped = _transposed(asked)
            if swapped is not None:
                ways.append((swapped, (Evidence("names-transposed", -0.5),)))
            for way, penalty in ways:
                found = [*_pair(way, held), *penalty]
                if i or j:
                    found.append(Evidence("alias", -0.3))
                total = sum(item.weight for item in found)
                if total > best_total:
                    best, best_total = found, total
    return best


def dob_evidence(  # noqa: PLR0911 - one return per rule: the rules read as a table
    query: Dob | None, candidate: Dob | None
) -> Evidence | None:
    """Dates of birth: exact, day and month swapped, a year typed wrong, partial, or not."""
    if query is None or candidate is None or query.year is None or candidate.year is None:
        return None
    if query.complete and candidate.complete:
        if query == candidate:
            return Evidence("dob-exact", 5.0)
        same_year = query.year == candidate.year
        if same_year and (query.month, query.day) == (candidate.day, candidate.month):
            return Evidence("dob-day-month-swapped", 3.5)
        if (query.month, query.day) == (candidate.month, candidate.day):
            if abs(query.year - candidate.year) == 1:
                return Evidence("dob-year-near", 2.5)
        elif same_year and query.month == candidate.month:
            return Evidence("dob-year-and-month", 2.5)
        return Evidence("dob-disagrees", -4.0)
    if query.year != candidate.year:
        return Evidence("dob-disagrees", -3.0)
    if query.month is not None and query.month == candidate.month:
        return Evidence("dob-year-and-month", 2.5)
    if query.month is not None and candidate.month is not None:
        return Evidence("dob-disagrees", -2.0)
    return Evidence("dob-year", 1.5)


def address_evidence(query: Sequence[Place], candidate: Sequence[Place]) -> list[Evidence]:
    """Addresses, current or previous on either side: people move (between forces too)."""
    best: list[Evidence] = []
    for asked in query:
        for index, held in enumerate(candidate):
            found: Evidence | None = None
            if asked.postcode and asked.postcode == held.postcode:
                found = Evidence("address-postcode", 2.5)
            elif (
                asked.street
                and held.street
                and token_sort_ratio(asked.street, held.street) >= 90
                and (not asked.town or asked.town == held.town)
            ):
                found = Evidence("address-street", 2.0)
            elif asked.town and asked.town == held.town:
                found = Evidence("address-town", 0.5)
            if found is not None and (not best or found.weight > best[0].weight):
                best = [found, Evidence("address-previous", 0.0)] if index else [found]
    return best


_SYNONYMS = {
    "bald": "shaved",
    "skinhead": "shaved",
    "ginger": "red",
    "auburn": "red",
    "heavy": "stocky",
    "overweight": "stocky",
    "large": "stocky",
    "muscular": "stocky",
    "slim": "thin",
    "slender": "thin",
    "skinny": "thin",
    "fair": "blond",
    "blonde": "blond",
}
DESCRIPTIVE = frozenset(
    {
        "tall",
        "short",
        "average",
        "thin",
        "medium",
        "stocky",
        "shaved",
        "black",
        "brown",
        "blond",
        "red",
        "grey",
        "white",
        "dark",
        "blue",
        "green",
        "hazel",
        "beard",
        "moustache",
        "glasses",
        "tattoo",
        "scar",
        "piercing",
        "birthmark",
        "limp",
        "left",
        "right",
        "arm",
        "forearm",
        "hand",
        "neck",
        "face",
        "cheek",
        "eye",
        "chest",
        "leg",
        "back",
        "shoulder",
        "ear",
        "eyebrow",
        "lip",
        "knuckles",
        "wrist",
    }
)


def description_terms(text: str | None) -> frozenset[str]:
    """The descriptive words of a physical description, synonyms folded."""
    words = re.findall(r"[a-z]+", (text or "").lower())
    return frozenset(term for term in (_SYNONYMS.get(w, w) for w in words) if term in DESCRIPTIVE)


def description_evidence(query: str | None, candidate: str | None) -> Evidence | None:
    """Physical descriptions: most of what the applicant described is on the record."""
    asked, held = description_terms(query), description_terms(candidate)
    if len(asked) < 2 or not held:
        return None
    share = len(asked & held) / len(asked)
    return Evidence("description-agrees", round(1.5 * share, 2)) if share >= 0.5 else None
