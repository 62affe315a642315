"""A probation region's system (stand-in): supervision and MAPPA management (5.4.5, note 6).

`csods run probation --tenant probation-west-midlands` answers consultations from the
records `csods agencies seed probation --tenant probation-west-midlands` put there.
"""

from __future__ import annotations

import random

from faker import Faker

from schemas.multiagency import AgencyKind, ConsultationOutcome, RequestConsultationV1
from services.multiagency.stubs.agency import AgencySystem, Answer
from services.multiagency.stubs.matching import Person, matches
from services.multiagency.stubs.records import Records
from services.runtime.connection import Connection

NAME = "probation"
RECORDS = Records(
    "supervised_people",
    (
        "record_id",
        "forenames",
        "surname",
        "birth_year",
        "supervised",
        "mappa_level",
        "mappa_category",
        "restricted",
    ),
    {
        "birth_year": None,
        "supervised": True,
        "mappa_level": None,
        "mappa_category": None,
        "restricted": False,
    },
)


async def lookup(conn: Connection, tenant: str, request: RequestConsultationV1) -> Answer:
    """What the records say of the subject: supervised, managed under MAPPA, or restricted."""
    rows = await conn.fetch(
        "SELECT forenames, surname, birth_year, supervised, mappa_level, mappa_category,"
        " restricted FROM supervised_people WHERE tenant = $1",
        tenant,
    )
    subject = request.subject
    names = (*subject.names, *subject.aliases)
    found = [
        row
        for row in rows
        if matches(
            names,
            subject.date_of_birth,
            Person(row["forenames"], row["surname"], row["birth_year"]),
        )
    ]
    if any(row["restricted"] for row in found):
        return Answer(ConsultationOutcome.DECLINED_TO_SHARE)
    if not found:
        return Answer(ConsultationOutcome.NOTHING_KNOWN, supervised_by_probation=False)
    supervised = any(row["supervised"] for row in found)
    levels = [row["mappa_level"] for row in found if row["mappa_level"]]
    level = max(levels) if levels else None
    text = "The subject is supervised by probation" if supervised else "Known to probation"
    if level is not None:
        text += f"; managed under MAPPA at level {level}"
    return Answer(
        ConsultationOutcome.INFORMATION_SHARED,
        information=text + ".",
        supervised_by_probation=supervised,
        mappa_level=level,
    )


def generate(faker: Faker, rng: random.Random, number: int) -> tuple[object, ...]:
    """One seeded record: an adult, mostly supervised, some managed under MAPPA."""
    managed = rng.random() < 0.4
    return (
        f"seed-{number:05d}",
        faker.first_name_male() if rng.random() < 0.85 else faker.first_name_female(),
        faker.last_name(),
        rng.randint(1955, 2004),
        rng.random() < 0.7,
        rng.choice((1, 1, 2, 3)) if managed else None,
        rng.choice((1, 2, 3)) if managed else None,
        rng.random() < 0.03,
    )


SYSTEM = AgencySystem(
    name=NAME,
    kind=AgencyKind.PROBATION,
    lookup=lookup,
)
definition = SYSTEM.definition()
