"""The fair baseline's hop count, measured from the pipeline of the same run.

A hop is one record applied by one process: each claim in a service's or stand-in's inbox
table is one. The pipeline's claims per case (the ops read model's aside: it watches, it is
not on a case's path) are the hops the bare baseline must make to be the pipeline's floor,
so the ratio stays fair however the pipeline's wiring changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.catalogue import definition

WATCHERS = ("ops",)  # read every stream, on no case's path


@dataclass(frozen=True, slots=True)
class Hops:
    """What the pipeline did per case, and the whole hops the baseline makes for it."""

    cases: int
    claims: dict[str, int]  # per process: records it applied

    @property
    def per_case(self) -> float:
        return sum(self.claims.values()) / self.cases if self.cases else 0.0

    @property
    def baseline(self) -> int:
        return max(1, round(self.per_case))


async def measured(owner_url: str, *, tenant: str, parts: Sequence[tuple[str, str]]) -> Hops:
    """Count the claims of every process of the pipeline's tenant against its cases."""
    conn = await asyncpg.connect(owner_url)
    try:
        cases = int(
            await conn.fetchval("SELECT count(*) FROM intake.enquiries WHERE tenant = $1", tenant)
        )
        claims: dict[str, int] = {}
        for name, part_tenant in parts:
            schema = definition(name).name
            if schema in WATCHERS:
                continue
            claims[name] = int(
                await conn.fetchval(
                    f"SELECT count(*) FROM {schema}.inbox WHERE tenant = $1",  # noqa: S608 - the services' own names
                    part_tenant,
                )
            )
    finally:
        await conn.close()
    return Hops(cases, claims)
