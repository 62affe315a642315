"""How a stand-in agency finds a person in its records: by name, and year of birth if known.

Deliberately plain: surname and first forename compared without case, accents or
punctuation; a year of birth, when both sides know it, must agree (5.2.5: details given
may be partial).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.parties import PartialDate, PersonName


@dataclass(frozen=True, slots=True)
class Person:
    """A person as an agency's record holds them."""

    forenames: str
    surname: str
    birth_year: int | None


def normalise(text: str) -> str:
    """Lower case, no accents, letters and single spaces only."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if c.isalpha() or c.isspace())
    return " ".join(letters.casefold().split())


def matches(names: Iterable[PersonName], date_of_birth: PartialDate | None, person: Person) -> bool:
    """Whether any of the names (with the date of birth, if known) is this person."""
    year = date_of_birth.year if date_of_birth else None
    if year is not None and person.birth_year is not None and year != person.birth_year:
        return False
    surname = normalise(person.surname)
    first = (normalise(person.forenames).split() or [""])[0]
    for name in names:
        if not name.surname or normalise(name.surname) != surname:
            continue
        given = normalise(name.forenames[0]) if name.forenames else ""
        if not given or given == first:
            return True
    return False
