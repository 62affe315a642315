"""Synthetic people: common and rare names, aliases, partial dates of birth, people who moved.

Names come from Faker's locale lists (British names weighted by frequency, with names of other
origins for the rare ones); every draw is from one seeded `random.Random`, so a seed and a
count give the same people every time.
"""

from __future__ import annotations

import calendar
import importlib
import itertools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.checks.stubs.seed.places import address
from services.runtime.names import normalise, short_forms


@dataclass(frozen=True, slots=True)
class Pool:
    """Names to draw from, with cumulative weights for `random.choices`."""

    names: tuple[str, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: random.Random) -> str:
        """One name, by weight."""
        return rng.choices(self.names, cum_weights=self.cumulative, k=1)[0]


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore")
    return folded.decode().strip()


def _pool(names: Sequence[str], weights: Sequence[float] | None = None) -> Pool:
    kept = [(_ascii(name), w) for name, w in zip(names, weights or [1.0] * len(names), strict=True)]
    kept = [(name, w) for name, w in kept if len(normalise(name)) >= 2]
    return Pool(tuple(n for n, _ in kept), tuple(itertools.accumulate(w for _, w in kept)))


def _ranked(names: Sequence[str]) -> Pool:
    # Faker's lists run from the most common: give them a long-tailed (Zipf-like) weight.
    return _pool(names, [1.0 / (rank + 8) for rank in range(len(names))])


def _locale(locale: str) -> Any:
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


_GB = _locale("en_GB")
SURNAMES_GB = _pool(list(_GB.last_names), list(_GB.last_names.values()))
MALE_GB = _ranked(_GB.first_names_male)
FEMALE_GB = _ranked(_GB.first_names_female)
# Names of other origins, each locale's names equally likely: where the rare names come from.
_OTHER = ("en_IE", "en_IN", "it_IT", "de_DE", "es_ES", "yo_NG", "tw_GH")
OTHER: tuple[tuple[Pool, Pool, Pool], ...] = tuple(
    (
        _pool(_locale(locale).last_names),
        _pool(_locale(locale).first_names_male),
        _pool(_locale(locale).first_names_female),
    )
    for locale in _OTHER
)

_HEIGHTS = ("tall", "average height", "short")
_BUILDS = ("thin", "medium", "stocky")
_HAIR = ("black", "brown", "dark brown", "blond", "red", "grey", "shaved")
_EYES = ("blue", "brown", "green", "hazel")
_MARKS = ("tattoo", "tattoo", "scar", "piercing", "birthmark")
_PARTS = ("forearm", "hand", "neck", "face", "arm", "chest", "shoulder", "wrist", "eyebrow")
_MOTIFS = ("swallow", "rose", "dragon", "skull", "anchor", "name", "star", "tribal band")


@dataclass(frozen=True, slots=True)
class Person:
    """One synthetic person as the systems come to hold them."""

    id: int
    sex: str
    forenames: tuple[str, ...]
    surname: str
    dob: tuple[int, int | None, int | None]
    home: tuple[str, str, str]  # street line, town, postcode
    home_force: str
    previous: tuple[str, str, str] | None
    previous_force: str | None
    description: str
    aliases: tuple[tuple[tuple[str, ...], str], ...]

    @property
    def birth_year(self) -> int:
        """The year of birth (always known to the generator)."""
        return self.dob[0]


def typo(rng: random.Random, word: str) -> str:
    """The word with one slip of the keyboard: swapped, dropped, doubled or changed letter."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case 2:
            return word[:i] + word[i] + word[i:]
        case _:
            vowel = "aeiou"[rng.randrange(5)]
            return word[:i] + (vowel if word[i] not in "aeiou" else "y") + word[i + 1 :]


def _names(rng: random.Random, sex: str) -> tuple[tuple[str, ...], str]:
    if rng.random() < 0.82:
        surnames, first = SURNAMES_GB, MALE_GB if sex == "M" else FEMALE_GB
    else:
        other = OTHER[rng.randrange(len(OTHER))]
        surnames, first = other[0], other[1] if sex == "M" else other[2]
    forenames = [first.draw(rng)]
    if rng.random() < 0.4:
        forenames.append(first.draw(rng))
    return tuple(forenames), surnames.draw(rng)


def _dob(rng: random.Random) -> tuple[int, int | None, int | None]:
    year = int(rng.triangular(1946, 2007, 1988))
    month = rng.randint(1, 12)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    roll = rng.random()
    if roll < 0.03:
        return year, None, None  # only the year was ever recorded
    if roll < 0.05:
        return year, month, None
    return year, month, day


def _description(rng: random.Random, sex: str) -> str:
    words = [
        "male" if sex == "M" else "female",
        rng.choice(_HEIGHTS),
        f"{rng.choice(_BUILDS)} build",
        f"{rng.choice(_HAIR)} hair",
        f"{rng.choice(_EYES)} eyes",
    ]
    if sex == "M" and rng.random() < 0.25:
        words.append("beard")
    if rng.random() < 0.35:
        mark, side, part = rng.choice(_MARKS), rng.choice(("left", "right")), rng.choice(_PARTS)
        motif = f" of a {rng.choice(_MOTIFS)}" if mark == "tattoo" else ""
        words.append(f"{mark}{motif} on the {side} {part}")
    return ", ".join(words).capitalize()


def _aliases(
    rng: random.Random, forenames: tuple[str, ...], surname: str
) -> tuple[tuple[tuple[str, ...], str], ...]:
    found: list[tuple[tuple[str, ...], str]] = []
    for _ in range(1 if rng.random() < 0.8 else 2):
        shorts = short_forms(normalise(forenames[0]))
        kind = rng.randrange(5)
        if kind == 0 and shorts:
            found.append(((rng.choice(shorts).capitalize(),), surname))
        elif kind == 1:
            found.append((forenames[:1], SURNAMES_GB.draw(rng)))  # another surname used
        elif kind == 2:
            found.append((forenames[:1], typo(rng, surname.lower()).capitalize()))
        elif kind == 3:
            found.append(((surname,), forenames[0]))  # recorded the wrong way round
        else:
            found.append(((MALE_GB.draw(rng),), surname))
    return tuple(found)


def person(
    rng: random.Random, identifier: int, forces: Sequence[str], weights: Sequence[float]
) -> Person:
    """One person; the generator's draws happen in a fixed order so a seed repeats them."""
    sex = "M" if rng.random() < 0.78 else "F"
    forenames, surname = _names(rng, sex)
    home_force = rng.choices(forces, weights=weights, k=1)[0]
    previous = previous_force = None
    if len(forces) > 1 and rng.random() < 0.12:
        previous_force = rng.choice([force for force in forces if force != home_force])
        previous = address(rng, previous_force)  # moved between forces
    elif rng.random() < 0.15:
        previous_force, previous = home_force, address(rng, home_force)
    aliases = _aliases(rng, forenames, surname) if rng.random() < 0.15 else ()
    return Person(
        id=identifier,
        sex=sex,
        forenames=forenames,
        surname=surname,
        dob=_dob(rng),
        home=address(rng, home_force),
        home_force=home_force,
        previous=previous,
        previous_force=previous_force,
        description=_description(rng, sex),
        aliases=aliases,
    )
