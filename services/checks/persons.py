"""People as a search compares them: names, dates of birth and addresses, normalised."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services.runtime.names import normalise


@dataclass(frozen=True, slots=True)
class Name:
    """A name normalised for comparison; either part may be empty."""

    forenames: tuple[str, ...]
    surname: str


@dataclass(frozen=True, slots=True)
class Dob:
    """A date of birth as far as it is known."""

    year: int | None
    month: int | None = None
    day: int | None = None

    @property
    def complete(self) -> bool:
        """Whether year, month and day are all known."""
        return None not in (self.year, self.month, self.day)


@dataclass(frozen=True, slots=True)
class Place:
    """An address normalised for comparison."""

    street: str
    town: str
    postcode: str


@dataclass(frozen=True, slots=True)
class Person:
    """What is known of a person: names (the first the one used, then aliases) and the rest."""

    names: tuple[Name, ...]
    dob: Dob | None = None
    places: tuple[Place, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Nominal:
    """A person a system holds, under its own reference."""

    reference: str
    person: Person


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one rule found: its name and its weight in log-odds."""

    rule: str
    weight: float


def name_of(name: PersonName) -> Name:
    """A message's name, normalised."""
    forenames = tuple(part for part in (normalise(f) for f in name.forenames) if part)
    return Name(forenames, normalise(name.surname or ""))


_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "ln": "lane",
    "cl": "close",
    "dr": "drive",
    "cres": "crescent",
    "ct": "court",
    "gdns": "gardens",
    "pl": "place",
    "sq": "square",
    "tce": "terrace",
    "gr": "grove",
}


def street_of(lines: Iterable[str]) -> str:
    """Street lines in lower case, punctuation dropped, common abbreviations spelt out."""
    words = re.findall(r"[a-z0-9]+", " ".join(lines).lower())
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def postcode_of(postcode: str | None) -> str:
    """A postcode in upper case without spaces."""
    return re.sub(r"[^A-Z0-9]", "", (postcode or "").upper())


def place_of(address: Address) -> Place:
    """A message's address, normalised."""
    return Place(
        street_of(address.lines), normalise(address.town or ""), postcode_of(address.postcode)
    )


def dob_of(date: PartialDate | None) -> Dob | None:
    """A message's partial date of birth; none when not even the year is known."""
    if date is None or date.year is None:
        return None
    return Dob(date.year, date.month, date.day)


def person_from(particulars: SubjectParticulars) -> Person:
    """What a check query says of a person."""
    return Person(
        names=tuple(name_of(name) for name in (*particulars.names, *particulars.aliases)),
        dob=dob_of(particulars.date_of_birth),
        places=tuple(place_of(address) for address in particulars.addresses),
        description=particulars.description,
    )
