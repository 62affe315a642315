"""Deterministic records for the stand-in agencies: the same seed gives the same records."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

from services.multiagency.stubs import childrens_social_care, probation
from services.multiagency.stubs.agency import AgencySystem
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.unit_of_work import Database, open_database


@dataclass(frozen=True)
class Seedable:
    """A stand-in whose records can be seeded."""

    system: AgencySystem
    table: str
    columns: tuple[str, ...]
    generate: Callable[[Faker, random.Random, int], tuple[object, ...]]


AGENCIES: dict[str, Seedable] = {
    "childrens-social-care": Seedable(
        childrens_social_care.SYSTEM,
        childrens_social_care.TABLE,
        childrens_social_care.COLUMNS,
        childrens_social_care.generate,
    ),
    "probation": Seedable(probation.SYSTEM, probation.TABLE, probation.COLUMNS, probation.generate),
}


async def open_agency_database(agency: str, *, tenant: str, database_url: str) -> Database:
    """The stand-in's schema, migrated, opened as its owner: seeding is the operator's work,
    and every statement of it names the tenant."""
    system = AGENCIES[agency].system
    await migrate(
        owner_dsn=database_url,
        schema=system.name,
        role=role_name(system.name),
        migrations=[("runtime", RUNTIME_MIGRATIONS), (system.name, system.migrations)],
    )
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
    columns = ", ".join(seedable.columns)
    values = ", ".join(f"${index}" for index in range(2, len(seedable.columns) + 2))
    try:
        async with database.transaction(tenant) as tx:
            await tx.conn.execute(
                f"DELETE FROM {seedable.table} WHERE tenant = $1 AND source = 'seed'",  # noqa: S608 - fixed names
                tenant,
            )
            await tx.conn.executemany(
                f"INSERT INTO {seedable.table} (tenant, {columns}, source)"  # noqa: S608 - fixed names
                f" VALUES ($1, {values}, 'seed')",
                [(tenant, *row) for row in rows],
            )
    finally:
        await database.pool.close()
    return len(rows)
