"""Deterministic records for the stand-in agencies: the same seed gives the same records."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

from services.multiagency.stubs import childrens_social_care, probation
from services.multiagency.stubs.agency import AgencySystem
from services.multiagency.stubs.records import Records
from services.runtime.service import migrate_service
from services.runtime.unit_of_work import Database, open_database


@dataclass(frozen=True)
class Seedable:
    """A stand-in whose records can be seeded."""

    system: AgencySystem
    records: Records
    generate: Callable[[Faker, random.Random, int], tuple[object, ...]]


AGENCIES: dict[str, Seedable] = {
    "childrens-social-care": Seedable(
        childrens_social_care.SYSTEM,
        childrens_social_care.RECORDS,
        childrens_social_care.generate,
    ),
    "probation": Seedable(probation.SYSTEM, probation.RECORDS, probation.generate),
}


async def open_agency_database(agency: str, *, tenant: str, database_url: str) -> Database:
    """The stand-in's schema, migrated, opened as its owner: seeding is the operator's work,
    and every statement of it names the tenant."""
    system = AGENCIES[agency].system
    await migrate_service(system.definition(), database_url)
    return await open_database(dsn=database_url, schema=system.name, size=2)


def records(agency: str, *, seed: int, count: int) -> list[tuple[object, ...]]:
    """The records a seed gives: the same every time."""
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    return [AGENCIES[agency].generate(faker, rng, number) for number in range(1, count + 1)]


async def seed(*, agency: str, tenant: str, seed: int, count: int, database_url: str) -> int:
    """Replace the agency tenant's seeded records with those of `seed`; return how many."""
    if agency not in AGENCIES:
        raise KeyError(f"no stand-in {agency!r}; choose one of {', '.join(AGENCIES)}")
    seedable = AGENCIES[agency]
    rows = records(agency, seed=seed, count=count)
    database = await open_agency_database(agency, tenant=tenant, database_url=database_url)
    try:
        async with database.transaction(tenant) as tx:
            await seedable.records.delete_seeded(tx)
            await seedable.records.insert(tx, rows=rows, source="seed")
    finally:
        await database.pool.close()
    return len(rows)
