"""What the databases hold for the bench cases: one effect per case per table, no more, no less."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from bench.baseline_hop import SCHEMA as BASELINE_SCHEMA
from services.catalogue import SERVICES

# Each service's effect table, first name found wins, and its rows per case: one today (every
# case takes the same path). Disclosure's `outcomes` became `cases` (its migration 0002).
# When a later stage writes more rows per case (checks at stage 4 too), change the count here.
EFFECT_TABLES: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("intake", ("enquiries",), 1),
    ("checks", ("check_requests",), 1),
    ("multiagency", ("assessments",), 1),
    ("disclosure", ("cases", "outcomes"), 1),
)


@dataclass(frozen=True)
class Effects:
    """The database's verdict on a set of cases."""

    cases: int
    missing: int  # cases lacking their row in at least one table
    duplicates: int  # rows beyond the expected count, per case and over the tenant
    outbox_pending: int
    tables: dict[str, dict[str, int]] = field(default_factory=dict)


async def effect_tables(conn: asyncpg.Connection) -> list[tuple[str, int]]:
    """The effect tables as this database has them, with their rows per case."""
    found = []
    for schema, names, per_case in EFFECT_TABLES:
        for name in names:
            if await conn.fetchval("SELECT to_regclass($1)", f"{schema}.{name}") is not None:
                found.append((f"{schema}.{name}", per_case))
                break
        else:
            raise LookupError(f"no effect table of {schema} among {names}")
    return found


async def pipeline_effects(
    owner_url: str, *, tenant: str, submissions: Sequence[str], tenant_cases: int
) -> Effects:
    """Check the services' effect tables for these submissions; `tenant_cases` counts all."""
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT submission_id, case_reference FROM intake.enquiries"
            " WHERE tenant = $1 AND submission_id = ANY($2::text[])",
            tenant,
            list(submissions),
        )
        references = sorted({row["case_reference"] for row in rows})
        lacking: set[str] = set(submissions) - {row["submission_id"] for row in rows}
        by_reference = {row["case_reference"]: row["submission_id"] for row in rows}
        duplicates = len(rows) - len({row["submission_id"] for row in rows})
        tables: dict[str, dict[str, int]] = {}
        for table, per_case in await effect_tables(conn):
            grouped = await conn.fetch(
                f"SELECT case_reference, count(*) AS n FROM {table}"  # noqa: S608 - fixed names
                " WHERE tenant = $1 AND case_reference = ANY($2::text[])"
                " GROUP BY case_reference",
                tenant,
                references,
            )
            counts: dict[str, int] = {row["case_reference"]: row["n"] for row in grouped}
            lacking |= {by_reference[r] for r in references if counts.get(r, 0) < per_case}
            extra = sum(max(0, n - per_case) for n in counts.values())
            total = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant = $1",  # noqa: S608 - fixed names
                tenant,
            )
            # Rows of the tenant beyond what its cases (bench, warm-up, seeded) can explain.
            unexplained = max(0, int(total) - tenant_cases * per_case)
            duplicates += extra + unexplained
            tables[table] = {"rows": int(total), "extra": extra, "unexplained": unexplained}
        pending = 0
        for schema in SERVICES:
            pending += int(
                await conn.fetchval(
                    f"SELECT count(*) FROM {schema}.outbox"  # noqa: S608 - fixed names
                    " WHERE tenant = $1 AND sent_at IS NULL",
                    tenant,
                )
            )
    finally:
        await conn.close()
    return Effects(len(submissions), len(lacking), duplicates, pending, tables)


async def baseline_effects(
    owner_url: str, *, tenant: str, correlations: Sequence[str], tenant_cases: int, hops: int
) -> Effects:
    """Check the baseline's state table: one row per case and hop."""
    conn = await asyncpg.connect(owner_url)
    try:
        counts = await conn.fetch(
            f"SELECT case_id, count(*) AS n FROM {BASELINE_SCHEMA}.state"  # noqa: S608
            " WHERE tenant = $1 AND case_id = ANY($2::text[]) GROUP BY case_id",
            tenant,
            list(correlations),
        )
        total = int(
            await conn.fetchval(
                f"SELECT count(*) FROM {BASELINE_SCHEMA}.state WHERE tenant = $1",  # noqa: S608
                tenant,
            )
        )
    finally:
        await conn.close()
    complete = {row["case_id"] for row in counts if row["n"] >= hops}
    extra = sum(max(0, row["n"] - hops) for row in counts)
    unexplained = max(0, total - tenant_cases * hops)
    table = {"rows": total, "extra": extra, "unexplained": unexplained}
    return Effects(
        cases=len(correlations),
        missing=len(set(correlations) - complete),
        duplicates=extra + unexplained,
        outbox_pending=0,  # the baseline produces directly after its commit: nothing pends
        tables={f"{BASELINE_SCHEMA}.state": table},
    )
