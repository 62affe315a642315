"""A case's consultations and handoffs are found through an index, not a scan of every one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.component.conftest import Component

Build = Callable[..., Awaitable[Component]]

LOOKUPS = {
    # the queries of store_requests.consultations_of and handoffs_of
    "consultations_by_case": (
        "SELECT * FROM consultations WHERE tenant = $1 AND case_reference = $2"
        " ORDER BY requested_at, agency"
    ),
    "handoffs_by_case": (
        "SELECT * FROM handoffs WHERE tenant = $1 AND case_reference = $2 ORDER BY requested_at"
    ),
}


@pytest.mark.parametrize("index", sorted(LOOKUPS))
async def test_a_lookup_by_case_uses_its_index(component: Build, tenant: str, index: str) -> None:
    multiagency = await component("multiagency", tenant)
    async with multiagency.database.transaction(tenant) as tx:
        await tx.conn.execute("SET LOCAL enable_seqscan = off")  # an empty table, planned as big
        plan = await tx.conn.fetch(f"EXPLAIN {LOOKUPS[index]}", tenant, f"{tenant}-2026-000001")
    assert index in "\n".join(row[0] for row in plan)
