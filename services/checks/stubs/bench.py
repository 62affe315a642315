"""The matcher's figures on seeded data: precision, recall, and the time of one search.

Not a test: run by hand (`csods stubs evaluate`, `csods stubs bench`) and the figures reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import asyncpg

from services.checks.stubs.evaluation import Report, evaluate, evaluate_labelled
from services.checks.stubs.loading import LabelledRow
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import open_database


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share from 0 to 1)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def run_evaluation(owner_dsn: str, *, tenant: str, queries: int, seed: int) -> Report:
    """Evaluate the PNC stand-in's search as its own role would run it."""
    settings = Settings(tenant=tenant, database_url=owner_dsn)
    database = await open_database(dsn=app_dsn(settings, "pnc"), schema="pnc", size=2)
    owner = await asyncpg.connect(owner_dsn)
    try:
        return await evaluate(
            database=database, owner=owner, tenant=tenant, queries=queries, seed=seed
        )
    finally:
        await owner.close()
        await database.pool.close()


async def run_labelled(owner_dsn: str, *, tenant: str, rows: Sequence[LabelledRow]) -> Report:
    """Evaluate the PNC stand-in's search on a force's own labelled questions."""
    settings = Settings(tenant=tenant, database_url=owner_dsn)
    database = await open_database(dsn=app_dsn(settings, "pnc"), schema="pnc", size=2)
    try:
        questions = [(row.particulars(), row.expected) for row in rows]
        return await evaluate_labelled(database, tenant=tenant, questions=questions)
    finally:
        await database.pool.close()
