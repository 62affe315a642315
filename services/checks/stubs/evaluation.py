"""A labelled evaluation of the matcher: seeded people asked about with known distortions.

Each true query starts from a nominal PNC holds and distorts what the applicant knows the way
5.2.5 expects (partial, misspelt, aliases, a moved address); each decoy asks about someone PNC
does not hold: a namesake with another date of birth, or a person never seeded. Precision and
recall are of the automatic 'match'; a 'possible match' goes to a researcher and is counted
apart, with whether the true person is among its candidates.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from schemas.checks import MatchOutcome
from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services.checks import matching
from services.checks.stubs import search
from services.checks.stubs.seed.people import SURNAMES_GB, typo
from services.runtime.names import normalise, short_forms
from services.runtime.unit_of_work import Database

Distortion = Callable[[random.Random, dict[str, Any]], SubjectParticulars | None]


def _name(forenames: str, surname: str) -> PersonName:
    return PersonName(forenames=tuple(forenames.split()), surname=surname)


def _dob(row: dict[str, Any], **changes: int | None) -> PartialDate:
    values = {"year": row["dob_year"], "month": row["dob_month"], "day": row["dob_day"]}
    return PartialDate(**{**values, **changes})


def _home(row: dict[str, Any]) -> Address:
    return Address(lines=(row["address_lines"],), town=row["town"], postcode=row["postcode"])


def _full(row: dict[str, Any], **changes: Any) -> SubjectParticulars:
    values = {"names": (_name(row["forenames"], row["surname"]),), "date_of_birth": _dob(row)}
    return SubjectParticulars(**{**values, **changes})


def _first(row: dict[str, Any]) -> str:
    return str(row["forenames"].split()[0])


def _swap(rng: random.Random, row: dict[str, Any]) -> SubjectParticulars | None:
    if not row["dob_day"] or row["dob_day"] > 12 or row["dob_day"] == row["dob_month"]:
        return None
    return _full(row, date_of_birth=_dob(row, month=row["dob_day"], day=row["dob_month"]))


def _short_form(rng: random.Random, row: dict[str, Any]) -> SubjectParticulars | None:
    shorts = short_forms(normalise(_first(row)))
    if not shorts:
        return None
    return _full(row, names=(_name(rng.choice(shorts).capitalize(), row["surname"]),))


def _alias(rng: random.Random, row: dict[str, Any]) -> SubjectParticulars | None:
    if not row["aliases"]:
        return None
    forenames, surname = rng.choice(row["aliases"])
    return _full(row, names=(_name(forenames, surname),))


def _glimpse(rng: random.Random, row: dict[str, Any]) -> str:
    """Part of the recorded description, as an applicant might give it."""
    parts = str(row["description"]).split(", ")[1:]
    return ", ".join(rng.sample(parts, min(3, len(parts))))


def _year_out(rng: random.Random, row: dict[str, Any]) -> SubjectParticulars | None:
    if not row["dob_day"] or (row["dob_month"], row["dob_day"]) == (2, 29):
        return None
    return _full(row, date_of_birth=_dob(row, year=row["dob_year"] + 1))


def _moved(rng: random.Random, row: dict[str, Any]) -> SubjectParticulars | None:
    if not row["previous_postcode"]:
        return None
    previous = Address(
        lines=(row["previous_lines"],), town=row["previous_town"], postcode=row["previous_postcode"]
    )
    return _full(row, date_of_birth=_dob(row, month=None, day=None), addresses=(previous,))


# The distortions of a true query, by name: what the applicant knows, and how it is wrong.
TRUE: dict[str, Distortion] = {
    "exact": lambda rng, row: _full(row),
    "surname-typo": lambda rng, row: _full(
        row, names=(_name(row["forenames"], typo(rng, row["surname"].lower()).capitalize()),)
    ),
    "forename-typo": lambda rng, row: _full(
        row, names=(_name(typo(rng, _first(row).lower()).capitalize(), row["surname"]),)
    ),
    "short-forename": _short_form,
    "alias": _alias,
    "transposed": lambda rng, row: _full(row, names=(_name(row["surname"], _first(row)),)),
    "dob-day-month-swapped": _swap,
    "dob-year-only": lambda rng, row: _full(row, date_of_birth=_dob(row, month=None, day=None)),
    "dob-year-only-with-address": lambda rng, row: _full(
        row, date_of_birth=_dob(row, month=None, day=None), addresses=(_home(row),)
    ),
    "dob-year-one-out": _year_out,
    "no-dob-with-address": lambda rng, row: _full(row, date_of_birth=None, addresses=(_home(row),)),
    "moved-address-year-only": _moved,
    "description-year-only": lambda rng, row: _full(
        row, date_of_birth=_dob(row, month=None, day=None), description=_glimpse(rng, row)
    ),
}

# Decoys: nobody PNC holds fits these. The first is a namesake: same name, another birth.
DECOY: dict[str, Distortion] = {
    "namesake-other-dob": lambda rng, row: _full(
        row,
        date_of_birth=PartialDate(
            year=row["dob_year"] - rng.randint(8, 20),
            month=rng.randint(1, 12),
            day=rng.randint(1, 28),
        ),
    ),
    "stranger": lambda rng, row: SubjectParticulars(
        names=(_name("Quentin", f"{SURNAMES_GB.draw(rng)}{typo(rng, 'xworth')}"),),
        date_of_birth=PartialDate(
            year=rng.randint(1950, 2005), month=rng.randint(1, 12), day=rng.randint(1, 28)
        ),
    ),
}


# The kinds of a force's own labelled file: someone the system holds, and someone it does not.
LABELLED, LABELLED_DECOY = "labelled", "labelled-nobody-held"


@dataclass
class Tally:
    """What the matcher said for one kind of query."""

    asked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    right_match: int = 0
    wrong_match: int = 0
    referred_with_truth: int = 0


@dataclass
class Report:
    """The evaluation's figures."""

    kinds: dict[str, Tally] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        """Precision and recall of the automatic match, and the researcher's share."""
        true = [t for k, t in self.kinds.items() if k in TRUE or k == LABELLED]
        decoys = [t for k, t in self.kinds.items() if k in DECOY or k == LABELLED_DECOY]
        right = sum(t.right_match for t in true)
        wrong = sum(t.wrong_match for t in true) + sum(t.outcomes["match"] for t in decoys)
        positives = sum(t.asked for t in true)
        referred = sum(t.referred_with_truth for t in true)
        return {
            "precision": right / (right + wrong) if right + wrong else 1.0,
            "recall": right / positives if positives else 0.0,
            "recall_with_researcher": (right + referred) / positives if positives else 0.0,
            "decoys_matched": sum(t.outcomes["match"] for t in decoys),
            "decoys": sum(t.asked for t in decoys),
        }


async def _truth(owner: asyncpg.Connection, tenant: str, ids: list[int]) -> list[dict[str, Any]]:
    rows = await owner.fetch(
        "SELECT n.*, coalesce((SELECT array_agg(ARRAY[nn.forenames, nn.surname] ORDER BY"
        " nn.position) FROM pnc.nominal_names nn WHERE nn.tenant = n.tenant AND"
        " nn.nominal_id = n.id AND nn.position > 0), '{}') AS alias_names"
        " FROM pnc.nominals n WHERE n.tenant = $1 AND n.id = ANY($2::bigint[]) ORDER BY n.id",
        tenant,
        ids,
    )
    found = []
    for row in rows:
        values = dict(row)
        values["aliases"] = [(f.title(), s.title()) for f, s in (values.pop("alias_names") or [])]
        found.append(values)
    return found


async def decide(database: Database, tenant: str, asked: SubjectParticulars) -> matching.Decision:
    """One search, as the PNC stand-in makes it."""
    person = matching.person_from(asked)
    async with database.transaction(tenant) as tx:
        ids = await search.block(tx, query=person)
        loaded = await search.load(tx, ids=ids) if ids else []
    return matching.decide(person, (nominal for nominal, _, _ in loaded))


async def evaluate(
    *, database: Database, owner: asyncpg.Connection, tenant: str, queries: int, seed: int
) -> Report:
    """Ask `queries` labelled questions of PNC and tally the answers."""
    rng = random.Random(seed)  # noqa: S311 - a sample, not secrecy
    total = int(await owner.fetchval("SELECT count(*) FROM pnc.nominals WHERE tenant = $1", tenant))
    rows = await _truth(owner, tenant, rng.sample(range(1, total + 1), min(queries, total)))
    kinds = [*TRUE.items(), *DECOY.items()]
    report = Report()
    for index, row in enumerate(rows):
        name, distort = kinds[index % len(kinds)]
        asked = distort(rng, row)
        if asked is None:
            continue
        truth = row["reference"] if name in TRUE else None
        await _ask(database, tenant, report, kind=name, asked=asked, expected=truth)
    return report


async def evaluate_labelled(
    database: Database, *, tenant: str, questions: Sequence[tuple[SubjectParticulars, str | None]]
) -> Report:
    """Ask a force's own labelled questions (particulars, the reference of the right person or
    None for someone not held) and tally the answers as the generated evaluation does."""
    report = Report()
    for asked, expected in questions:
        kind = LABELLED if expected else LABELLED_DECOY
        await _ask(database, tenant, report, kind=kind, asked=asked, expected=expected)
    return report


async def _ask(
    database: Database,
    tenant: str,
    report: Report,
    *,
    kind: str,
    asked: SubjectParticulars,
    expected: str | None,
) -> None:
    """Ask one question, timed, and tally the answer against the right person (None: the
    system holds no one who is the right answer)."""
    started = time.perf_counter()
    decision = await decide(database, tenant, asked)
    report.seconds.append(time.perf_counter() - started)
    tally = report.kinds.setdefault(kind, Tally())
    tally.asked += 1
    tally.outcomes[decision.outcome.value] += 1
    references = [scored.nominal.reference for scored in decision.candidates]
    if decision.outcome is MatchOutcome.MATCH and expected:
        if references[0] == expected:
            tally.right_match += 1
        else:
            tally.wrong_match += 1
    if decision.outcome is MatchOutcome.POSSIBLE_MATCH and expected in references:
        tally.referred_with_truth += 1
