"""The people of the 2009 case studies, entered into the stand-ins' own records.

The press release's four case studies (note 7) and a cross-force case. The subjects who have
a history are given one on the systems that would hold it: PNC convictions, ViSOR
registrations and orders, and force intelligence. Names, dates and places are invented.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import asyncpg
import jellyfish


@dataclass(frozen=True)
class Record:
    """One record a system holds against a subject."""

    system: str  # pnc, visor, ini or local_intelligence
    kind: str
    category: str
    schedule_34a: bool
    year: int
    summary: str
    managing_force: str | None = None
    mappa_category: int | None = None
    mappa_level: int | None = None
    risk_level: str | None = None
    conditions: tuple[str, ...] = ()
    grading: str | None = None


@dataclass(frozen=True)
class Subject:
    """A subject as the systems hold them."""

    nominal_id: int
    forenames: str
    surname: str
    dob: tuple[int, int, int]
    street: str
    town: str
    postcode: str
    home_force: str
    description: str
    records: tuple[Record, ...] = field(default_factory=tuple)


SOPO = "No unsupervised contact with any child under 16."

DEREK_HOLLOWAY = Subject(
    9_100_001,
    "Derek",
    "Holloway",
    (1968, 4, 12),
    "7 Bilton Road",
    "Rugby",
    "CV22 7AB",
    "warwickshire",
    "Stocky, grey beard, walks with a limp",
    (
        Record(
            "pnc",
            "conviction",
            "child-sexual",
            True,
            2006,
            "Sexual activity with a child (SOA 2003 s.9); 2 years' imprisonment.",
        ),
        Record(
            "visor",
            "registration",
            "child-sexual",
            True,
            2006,
            "Registered sex offender, notification requirements indefinite.",
            managing_force="warwickshire",
            mappa_category=1,
            mappa_level=2,
            risk_level="high",
        ),
        Record(
            "visor",
            "order",
            "child-sexual",
            True,
            2008,
            "Sexual Offences Prevention Order.",
            managing_force="warwickshire",
            conditions=(SOPO,),
        ),
    ),
)
GARY_PICKERING = Subject(
    9_100_002,
    "Gary",
    "Pickering",
    (1974, 9, 3),
    "22 Yarm Lane",
    "Stockton-on-Tees",
    "TS18 3DR",
    "cleveland",
    "Thin, dark hair, drives a silver van",
)
KEITH_MARSH = Subject(
    9_100_003,
    "Keith",
    "Marsh",
    (1962, 1, 30),
    "41 Shirley Road",
    "Southampton",
    "SO15 3EY",
    "hampshire",
    "Tall, bald, glasses",
    (
        Record(
            "pnc",
            "conviction",
            "sexual-adult",
            False,
            1998,
            "Indecent assault on a woman; 18 months' imprisonment.",
        ),
        Record(
            "visor",
            "registration",
            "sexual-adult",
            False,
            1998,
            "Registered sex offender.",
            managing_force="hampshire",
            mappa_category=1,
            mappa_level=1,
            risk_level="medium",
        ),
        Record(
            "ini",
            "intelligence",
            "child-sexual",
            False,
            2011,
            "Alleged sexual assault on a child, 2011; no further action.",
            grading="B3",
        ),
    ),
)
LIAM_FOSTER = Subject(
    9_100_004,
    "Liam",
    "Foster",
    (1990, 6, 18),
    "9 Lincoln Road",
    "Peterborough",
    "PE1 2RL",
    "cambridgeshire",
    "Medium build, tattoo on right hand",
)
SHAUN_DOBSON = Subject(
    9_100_005,
    "Shaun",
    "Dobson",
    (1983, 11, 7),
    "15 Linthorpe Road",
    "Middlesbrough",
    "TS1 3QH",
    "cleveland",
    "Broad, shaved head",
    (
        Record(
            "local_intelligence",
            "intelligence",
            "domestic-abuse",
            False,
            2024,
            "Two reports of controlling behaviour towards a former partner.",
            grading="B2",
        ),
    ),
)

CAST: tuple[Subject, ...] = (DEREK_HOLLOWAY, GARY_PICKERING, KEITH_MARSH, LIAM_FOSTER, SHAUN_DOBSON)


def _plain(name: str) -> str:
    """A name as the stand-ins index it: lower-case ASCII letters only."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalpha())


def _postcode(postcode: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", postcode.upper())


def _tenant(system: str, subject: Subject) -> str:
    return f"{subject.home_force}-intel" if system == "local_intelligence" else system


async def enter(owner_dsn: str, cast: tuple[Subject, ...] = CAST) -> int:
    """Enter the cast into the stand-ins' records (once); return the records written."""
    conn = await asyncpg.connect(owner_dsn)
    written = 0
    try:
        async with conn.transaction():
            for subject in cast:
                for system in sorted({record.system for record in subject.records}):
                    tenant = _tenant(system, subject)
                    written += await _enter(conn, system, tenant, subject)
    finally:
        await conn.close()
    return written


async def _enter(conn: asyncpg.Connection, schema: str, tenant: str, subject: Subject) -> int:
    year, month, day = subject.dob
    marker = any(record.system == "visor" for record in subject.records)
    fresh = await conn.fetchval(
        f"INSERT INTO {schema}.nominals (tenant, id, reference, forenames, surname, sex,"  # noqa: S608
        " dob_year, dob_month, dob_day, address_lines, town, postcode, description,"
        " home_force, visor_marker) VALUES ($1, $2, $3, $4, $5, 'M', $6, $7, $8, $9, $10,"
        " $11, $12, $13, $14) ON CONFLICT DO NOTHING RETURNING 1",
        tenant,
        subject.nominal_id,
        f"CS/{subject.nominal_id}",
        subject.forenames,
        subject.surname,
        year,
        month,
        day,
        subject.street,
        subject.town,
        _postcode(subject.postcode),
        subject.description,
        subject.home_force,
        marker,
    )
    if fresh is None:
        return 0  # entered by an earlier run
    await conn.execute(
        f"INSERT INTO {schema}.nominal_names (tenant, nominal_id, position, forenames, surname,"  # noqa: S608
        " forename_initial, dob_year) VALUES ($1, $2, 0, $3, $4, $5, $6)",
        tenant,
        subject.nominal_id,
        _plain(subject.forenames),
        _plain(subject.surname),
        _plain(subject.forenames)[:1],
        year,
    )
    await conn.execute(
        f"INSERT INTO {schema}.surnames (tenant, surname, surname_key) VALUES ($1, $2, $3)"  # noqa: S608
        " ON CONFLICT DO NOTHING",
        tenant,
        _plain(subject.surname),
        jellyfish.metaphone(_plain(subject.surname)),
    )
    records = [record for record in subject.records if record.system == schema]
    for number, record in enumerate(records, start=1):
        await conn.execute(
            f"INSERT INTO {schema}.records (tenant, nominal_id, reference, kind, category,"  # noqa: S608
            " schedule_34a, recorded_year, summary, grading, managing_force, mappa_category,"
            " mappa_level, risk_level, conditions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $10, $11, $12, $13, $14)",
            tenant,
            subject.nominal_id,
            f"CS/{subject.nominal_id}/{schema}/{number}",
            record.kind,
            record.category,
            record.schedule_34a,
            record.year,
            record.summary,
            record.grading,
            record.managing_force,
            record.mappa_category,
            record.mappa_level,
            record.risk_level,
            list(record.conditions),
        )
    return len(records)
