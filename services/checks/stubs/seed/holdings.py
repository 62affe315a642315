"""What each system holds about a synthetic person: PNC, ViSOR, INI and local intelligence.

PNC holds everyone with a conviction, caution, reprimand or final warning, with a ViSOR marker
on registered offenders; ViSOR holds the registered offenders with their managing force,
MAPPA category and level, risk level and orders; INI holds intelligence from any force; each
force's local intelligence holds what that force knows of people who live or lived there.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemas.checks import OffenceCategory, RecordKind
from services.checks.persons import postcode_of
from services.checks.stubs.seed.offences import (
    COURTS,
    GRADINGS,
    INTELLIGENCE,
    OFFENCES,
    ORDER_CONDITIONS,
    RISK_LEVELS,
    SENTENCES,
)
from services.checks.stubs.seed.people import Person
from services.runtime.names import normalise

C = OffenceCategory
Row = tuple[Any, ...]
LAST_YEAR = 2025

# The share of PNC's people whose worst offending is of each kind (cumulative order).
_PROFILES: tuple[tuple[OffenceCategory, float], ...] = (
    (C.CHILD_SEXUAL, 0.015),
    (C.SEXUAL_ADULT, 0.02),
    (C.DOMESTIC_ABUSE, 0.08),
    (C.VIOLENCE, 0.15),
    (C.DRUGS, 0.12),
    (C.OTHER, 1.0),
)
# How likely a person of each profile is to have intelligence held on them.
_INTELLIGENCE_LIKELIHOOD = {
    C.CHILD_SEXUAL: 0.6,
    C.SEXUAL_ADULT: 0.4,
    C.DOMESTIC_ABUSE: 0.3,
    C.VIOLENCE: 0.15,
    C.DRUGS: 0.15,
    C.OTHER: 0.03,
}
_VISOR_LIKELIHOOD = {C.CHILD_SEXUAL: 0.9, C.SEXUAL_ADULT: 0.7, C.VIOLENCE: 0.03}


@dataclass(frozen=True, slots=True)
class Tenants:
    """The tenants that run each system; local intelligence is `<force>-intel` per force."""

    pnc: str = "pnc"
    visor: str = "visor"
    ini: str = "ini"

    @staticmethod
    def local(force: str) -> str:
        """The local-intelligence tenant of a force."""
        return f"{force}-intel"


@dataclass
class Rows:
    """Rows for one system's three tables."""

    nominals: list[Row] = field(default_factory=list)
    names: list[Row] = field(default_factory=list)
    records: list[Row] = field(default_factory=list)


def _title(force: str) -> str:
    return force.replace("-", " ").title()


def profile(rng: random.Random) -> OffenceCategory:
    """The kind of a person's worst offending on PNC."""
    roll = rng.random()
    for category, share in _PROFILES:
        if roll < share:
            return category
        roll -= share
    return C.OTHER


def _hold(rows: Rows, tenant: str, person: Person, reference: str, *, marker: bool) -> None:
    previous = person.previous or (None, None, "")
    rows.nominals.append(
        (
            tenant,
            person.id,
            reference,
            " ".join(person.forenames),
            person.surname,
            person.sex,
            *person.dob,
            person.home[0],
            person.home[1],
            postcode_of(person.home[2]),
            previous[0],
            previous[1],
            postcode_of(previous[2]) or None,
            person.description,
            person.home_force,
            marker,
        )
    )
    for position, (forenames, surname) in enumerate(
        ((person.forenames, person.surname), *person.aliases)
    ):
        plain = tuple(normalise(name) for name in forenames)
        rows.names.append(
            (
                tenant,
                person.id,
                position,
                " ".join(plain),
                normalise(surname),
                plain[0][:1] if plain else "",
                person.dob[0],
            )
        )


def _record(  # noqa: PLR0917 - one row, positionally as the table has it
    tenant: str,
    person: Person,
    reference: str,
    kind: RecordKind,
    category: OffenceCategory,
    schedule_34a: bool,
    year: int,
    summary: str,
    **extra: Any,
) -> Row:
    return (
        tenant,
        person.id,
        reference,
        kind.value,
        category.value,
        schedule_34a,
        year,
        summary,
        extra.get("grading"),
        extra.get("managing_force"),
        extra.get("mappa_category"),
        extra.get("mappa_level"),
        extra.get("risk_level"),
        extra.get("conditions", []),
    )


def _year(rng: random.Random, person: Person) -> int:
    earliest = min(person.birth_year + 12, LAST_YEAR)
    return rng.randint(earliest, LAST_YEAR)


def _disposal(rng: random.Random, person: Person, year: int) -> RecordKind:
    # Reprimands and final warnings were for young people, until they ended in 2013.
    if year - person.birth_year < 18 and year <= 2012 and rng.random() < 0.6:
        return RecordKind.REPRIMAND if rng.random() < 0.5 else RecordKind.FINAL_WARNING
    return RecordKind.CAUTION if rng.random() < 0.2 else RecordKind.CONVICTION


def pnc(
    rng: random.Random, person: Person, tenant: str, worst: OffenceCategory
) -> tuple[Rows, Row]:
    """The PNC nominal of a person and their records; also the record that made them."""
    rows = Rows()
    first_year = _year(rng, person)
    reference = f"PNC/{first_year % 100:02d}/{person.id:07d}{chr(65 + person.id % 26)}"
    categories = [
        worst,
        *(
            rng.choice((C.OTHER, C.OTHER, C.DRUGS, C.VIOLENCE))
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
        ),
    ]
    worst_row: Row = ()
    for index, category in enumerate(categories):
        offence = rng.choice(OFFENCES[category])
        year = first_year if index == 0 else rng.randint(first_year, LAST_YEAR)
        kind = _disposal(rng, person, year)
        if kind is RecordKind.CONVICTION:
            what = (
                f"Conviction: {offence.wording}, {year}, {person.home[1]} "
                f"{rng.choice(COURTS)}; {rng.choice(SENTENCES[category])}."
            )
        else:
            what = f"{kind.value.replace('-', ' ').capitalize()}: {offence.wording}, {year}."
        row = _record(
            tenant,
            person,
            f"{reference}/{index + 1}",
            kind,
            category,
            offence.schedule_34a,
            year,
            what,
        )
        rows.records.append(row)
        worst_row = worst_row or row
    marker = rng.random() < _VISOR_LIKELIHOOD.get(worst, 0.0)
    _hold(rows, tenant, person, reference, marker=marker)
    return rows, worst_row if marker else ()


def visor(rng: random.Random, person: Person, tenant: str, offence: Row) -> Rows:
    """ViSOR's record of a registered offender: registration, MAPPA, risk, any order."""
    rows = Rows()
    reference = f"VISOR/{person.id:07d}"
    category, schedule_34a, year = C(offence[4]), bool(offence[5]), int(offence[6])
    wording = str(offence[7]).split(": ", 1)[-1].split(",")[0]
    period = rng.choice(("indefinite", "10 years", "7 years", "5 years"))
    level = 1 if rng.random() < 0.85 else (2 if rng.random() < 0.8 else 3)
    rows.records.append(
        _record(
            tenant,
            person,
            f"{reference}/REG",
            RecordKind.REGISTRATION,
            category,
            schedule_34a,
            year,
            f"Registered offender managed by {_title(person.home_force)} Police since {year}; "
            f"notification period {period}; following: {wording}.",
            managing_force=person.home_force,
            mappa_category=1 if category in (C.CHILD_SEXUAL, C.SEXUAL_ADULT) else 2,
            mappa_level=level,
            risk_level=rng.choice(RISK_LEVELS).value,
        )
    )
    if category is C.CHILD_SEXUAL and rng.random() < 0.4:
        conditions = [ORDER_CONDITIONS[0], *rng.sample(ORDER_CONDITIONS[1:], rng.randint(0, 2))]
        rows.records.append(
            _record(
                tenant,
                person,
                f"{reference}/ORD",
                RecordKind.ORDER,
                category,
                schedule_34a,
                year,
                f"Sexual Harm Prevention Order made {year} at {person.home[1]} Crown Court, "
                "until further order.",
                managing_force=person.home_force,
                conditions=conditions,
            )
        )
    _hold(rows, tenant, person, reference, marker=True)
    return rows


def intelligence(
    rng: random.Random,
    person: Person,
    *,
    tenant: str,
    worst: OffenceCategory,
    force: str,
    label: str,
) -> Rows:
    """Graded intelligence held on a person, by INI or by one force's local systems."""
    rows = Rows()
    reference = f"{label}/{person.id:07d}"
    for index in range(rng.choice((1, 1, 2, 3))):
        category = worst if rng.random() < 0.6 else rng.choice(tuple(INTELLIGENCE))
        year = _year(rng, person)
        text = rng.choice(INTELLIGENCE[category])
        what = f"Intelligence held by {_title(force)} Police, {year}: {text}"
        rows.records.append(
            _record(
                tenant,
                person,
                f"{reference}/{index + 1}",
                RecordKind.INTELLIGENCE,
                category,
                False,
                year,
                what,
                grading=rng.choice(GRADINGS),
            )
        )
    _hold(rows, tenant, person, reference, marker=False)
    return rows


def holdings(
    rng: random.Random, person: Person, tenants: Tenants, *, on_pnc: bool
) -> Iterator[tuple[str, Rows]]:
    """Every system's rows about one person, by schema."""
    worst = (
        profile(rng)
        if on_pnc
        else rng.choice((C.CHILD_SEXUAL, C.DOMESTIC_ABUSE, C.VIOLENCE, C.DRUGS, C.OTHER))
    )
    if on_pnc:
        rows, registered = pnc(rng, person, tenants.pnc, worst)
        yield "pnc", rows
        if registered:
            yield "visor", visor(rng, person, tenants.visor, registered)
    likelihood = _INTELLIGENCE_LIKELIHOOD[worst] if on_pnc else 1.0
    if rng.random() < likelihood:
        yield (
            "ini",
            intelligence(
                rng, person, tenant=tenants.ini, worst=worst, force=person.home_force, label="INI"
            ),
        )
    for force in dict.fromkeys(f for f in (person.home_force, person.previous_force) if f):
        if rng.random() < likelihood * 0.6 + 0.01:
            label = f"{normalise(force)[:4].upper()}/LI"
            yield (
                "local_intelligence",
                intelligence(
                    rng, person, tenant=tenants.local(force), worst=worst, force=force, label=label
                ),
            )
