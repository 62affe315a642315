"""Finding a force's own cases by a party's name, as staff remember or were told it.

Names are compared by the rules the checks use (services.runtime.names): spelling, accents
and spacing aside, by sound, and by short forms (Bill for William). A part of a name finds
the names it begins (Tay for Taylor), and a year of birth alone narrows the search. Every
word searched for must be found in one name of the party.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.runtime.names import forms_of, normalise, sounds_alike

PREFIX_LETTERS = 2  # the shortest part of a name that finds the names it begins


class Found(StrEnum):
    """How a name was found, best first."""

    EXACT = "exact"
    SHORT_FORM = "short form"
    BEGINS = "begins with"
    SOUNDS_LIKE = "sounds like"


@dataclass(frozen=True, slots=True)
class Party:
    """One party of a case as intake recorded them."""

    case_reference: str
    role: str  # applicant, subject or child
    names: tuple[tuple[str, ...], ...]  # each name the party goes by, as its words
    year_of_birth: int | None
    shown_as: str  # the name as recorded, for the officer


@dataclass(frozen=True, slots=True)
class Hit:
    """A party the search found."""

    party: Party
    found: Found


def words(text: str) -> tuple[str, ...]:
    """A name as the words a search compares: normalised, empty words dropped."""
    return tuple(word for word in (normalise(part) for part in text.split()) if word)


def _word_found(wanted: str, word: str) -> Found | None:
    if wanted == word:
        return Found.EXACT
    if word in forms_of(wanted):
        return Found.SHORT_FORM
    if len(wanted) >= PREFIX_LETTERS and word.startswith(wanted):
        return Found.BEGINS
    if sounds_alike(wanted, word):
        return Found.SOUNDS_LIKE
    return None


def _name_found(wanted: tuple[str, ...], name: tuple[str, ...]) -> Found | None:
    """The weakest way every wanted word was found in one name, or None."""
    order = list(Found)
    worst = Found.EXACT
    for want in wanted:
        found = [how for word in name if (how := _word_found(want, word)) is not None]
        if not found:
            return None
        best = min(found, key=order.index)
        worst = max(worst, best, key=order.index)
    return worst


def search(parties: Iterable[Party], *, name: str, year_of_birth: int | None) -> list[Hit]:
    """The parties whose name fits `name` and whose year of birth is not another, best first.

    A party whose year of birth is not recorded may still be the one: it is kept.
    """
    wanted = words(name)
    if not wanted:
        return []
    order = list(Found)
    hits: list[Hit] = []
    for party in parties:
        if year_of_birth is not None and party.year_of_birth not in (None, year_of_birth):
            continue
        found = [how for each in party.names if (how := _name_found(wanted, each))]
        if found:
            hits.append(Hit(party, min(found, key=order.index)))
    hits.sort(key=lambda hit: (order.index(hit.found), hit.party.case_reference))
    return hits


def parties_of(case_reference: str, recorded: Mapping[str, Any]) -> Iterator[Party]:
    """The applicant, subject and children in a case's recorded contact or application (JSON)."""
    applicant = recorded.get("applicant")
    if applicant:
        yield _party(case_reference, "applicant", [applicant["name"]], applicant)
    subject = recorded.get("subject")
    if subject:
        names = [*subject.get("names", ()), *subject.get("aliases", ())]
        if names:
            yield _party(case_reference, "subject", names, subject)
    for child in recorded.get("children", ()):
        yield _party(case_reference, "child", [child["name"]], child)


def _party(
    case_reference: str, role: str, names: list[Mapping[str, Any]], person: Mapping[str, Any]
) -> Party:
    spelled = [" ".join([*name.get("forenames", ()), name.get("surname") or ""]) for name in names]
    born = person.get("date_of_birth") or {}
    return Party(
        case_reference=case_reference,
        role=role,
        names=tuple(words(text) for text in spelled),
        year_of_birth=born.get("year"),
        shown_as=spelled[0].strip(),
    )
