"""Load the synthetic people into the stand-ins' schemas with COPY, not row by row.

Deterministic: one seed and one count give the same rows. For a large load into empty tables
the search indexes are dropped first and built once at the end, which is far quicker than
keeping them up to date row by row.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from services.checks.stubs.seed.holdings import Rows, Tenants, holdings
from services.checks.stubs.seed.people import person
from services.checks.stubs.seed.places import area_of
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.names import sound_key

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
SCHEMAS = ("pnc", "visor", "ini", "local_intelligence")
COLUMNS: dict[str, tuple[str, ...]] = {
    "nominals": (
        "tenant",
        "id",
        "reference",
        "forenames",
        "surname",
        "sex",
        "dob_year",
        "dob_month",
        "dob_day",
        "address_lines",
        "town",
        "postcode",
        "previous_lines",
        "previous_town",
        "previous_postcode",
        "description",
        "home_force",
        "visor_marker",
    ),
    "nominal_names": (
        "tenant",
        "nominal_id",
        "position",
        "forenames",
        "surname",
        "forename_initial",
        "dob_year",
    ),
    "surnames": ("tenant", "surname", "surname_key"),
    "records": (
        "tenant",
        "nominal_id",
        "reference",
        "kind",
        "category",
        "schedule_34a",
        "recorded_year",
        "summary",
        "grading",
        "managing_force",
        "mappa_category",
        "mappa_level",
        "risk_level",
        "conditions",
    ),
}
# People known to INI and local intelligence but never convicted (2.5): a share of the count.
_INTELLIGENCE_ONLY = 0.02

Progress = Callable[[str], None]


@dataclass
class Loaded:
    """What a seed loaded and how long it took."""

    nominals: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    spellings: dict[str, set[tuple[str, str]]] = field(default_factory=dict, repr=False)


def tenants_of(schema: str, tenants: Tenants, forces: Sequence[str]) -> list[str]:
    """The tenants whose rows a schema holds."""
    if schema == "local_intelligence":
        return [tenants.local(force) for force in forces]
    return [getattr(tenants, schema)]


async def migrate_stubs(owner_dsn: str) -> None:
    """Create the stand-ins' schemas and roles, as each stand-in does when it starts."""
    for schema in SCHEMAS:
        await migrate(
            owner_dsn=owner_dsn,
            schema=schema,
            role=role_name(schema),
            migrations=[("runtime", RUNTIME_MIGRATIONS), (schema, MIGRATIONS)],
        )


async def _clear(conn: asyncpg.Connection, schema: str, tenants: list[str]) -> dict[str, list[str]]:
    """Remove the tenants' rows; return the index definitions dropped from emptied tables."""
    dropped: dict[str, list[str]] = {}
    for table in COLUMNS:
        qualified = f'"{schema}"."{table}"'
        others = await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {qualified} WHERE tenant <> ALL($1::text[]))",  # noqa: S608 - fixed names
            tenants,
        )
        if others:
            await conn.execute(f"DELETE FROM {qualified} WHERE tenant = ANY($1::text[])", tenants)  # noqa: S608
            continue
        await conn.execute(f"TRUNCATE {qualified}")
        rows = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            schema,
            table,
        )
        for row in rows:
            await conn.execute(f'DROP INDEX "{schema}"."{row["indexname"]}"')
        dropped[table] = [row["indexdef"] for row in rows]
    return dropped


async def _copy(conn: asyncpg.Connection, batch: dict[str, Rows], loaded: Loaded) -> None:
    for schema, rows in batch.items():
        # Each surname spelling once per system, with its phonetic key, as it is first seen.
        spellings = {(row[0], row[4]) for row in rows.names} - loaded.spellings.setdefault(
            schema, set()
        )
        loaded.spellings[schema] |= spellings
        new = sorted((tenant, surname, sound_key(surname)) for tenant, surname in spellings)
        for table, records in (
            ("nominals", rows.nominals),
            ("nominal_names", rows.names),
            ("surnames", new),
            ("records", rows.records),
        ):
            if records:
                await conn.copy_records_to_table(
                    table, records=records, columns=COLUMNS[table], schema_name=schema
                )
                key = f"{schema}.{table}"
                loaded.rows[key] = loaded.rows.get(key, 0) + len(records)


@dataclass(frozen=True)
class Plan:
    """What to generate: how many PNC nominals, from which seed, living in which forces."""

    nominals: int
    seed: int
    forces: tuple[str, ...]
    tenants: Tenants = field(default_factory=Tenants)
    batch: int = 25_000


async def seed(owner_dsn: str, plan: Plan, progress: Progress | None = None) -> Loaded:
    """Fill PNC, ViSOR, INI and each force's local intelligence with synthetic people."""
    say = progress or (lambda _: None)
    loaded = Loaded(nominals=plan.nominals)
    started = time.perf_counter()
    await migrate_stubs(owner_dsn)
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        # One transaction: a failed load leaves the systems as they were, indexes included.
        async with conn.transaction():
            dropped = {
                schema: await _clear(conn, schema, tenants_of(schema, plan.tenants, plan.forces))
                for schema in SCHEMAS
            }
            await _generate(conn, plan, loaded, say)
            loaded.seconds["generate_and_copy"] = time.perf_counter() - started
            for definition in (
                d for tables in dropped.values() for ds in tables.values() for d in ds
            ):
                await conn.execute(definition)
            loaded.seconds["index"] = time.perf_counter() - started
            say("indexes built")
        for schema in SCHEMAS:
            await conn.execute(
                f'ANALYZE "{schema}".nominals, "{schema}".nominal_names, "{schema}".surnames,'
                f' "{schema}".records'
            )
        loaded.seconds["total"] = time.perf_counter() - started
    finally:
        await conn.close()
    return loaded


def _people(
    rng: random.Random, plan: Plan, weights: Sequence[float], first: int, last: int
) -> dict[str, Rows]:
    """Every system's rows for people `first` to `last`, drawn in order from one generator."""
    batch: dict[str, Rows] = {}
    for identifier in range(first, last + 1):
        someone = person(rng, identifier, plan.forces, weights)
        on_pnc = identifier <= plan.nominals
        for schema, rows in holdings(rng, someone, plan.tenants, on_pnc=on_pnc):
            into = batch.setdefault(schema, Rows())
            into.nominals += rows.nominals
            into.names += rows.names
            into.records += rows.records
    return batch


async def _generate(conn: asyncpg.Connection, plan: Plan, loaded: Loaded, say: Progress) -> None:
    rng = random.Random(plan.seed)  # noqa: S311 - synthetic data, not secrecy
    weights = [area_of(force).weight for force in plan.forces]
    everyone = plan.nominals + round(plan.nominals * _INTELLIGENCE_ONLY)
    copying: asyncio.Task[None] | None = None
    for first in range(1, everyone + 1, plan.batch):
        last = min(first + plan.batch - 1, everyone)
        # The next batch is drawn in a thread while the database takes the last one.
        batch = await asyncio.to_thread(_people, rng, plan, weights, first, last)
        if copying is not None:
            await copying
        copying = asyncio.create_task(_copy(conn, batch, loaded))
        say(f"{last:,} people generated")
    if copying is not None:
        await copying
