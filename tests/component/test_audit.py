"""The audit log: append-only for the services, hash-chained per tenant, tamper evident."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from services.runtime.audit import Action, broken_links, entries, record
from tests.component.conftest import Component

Build = Callable[..., Awaitable[Component]]


async def share(component: Component, tenant: str, count: int) -> None:
    for number in range(count):
        async with component.database.transaction(tenant) as tx:
            await record(
                tx.conn,
                tenant=tenant,
                at=component.clock.now(),
                actor="multiagency",
                action=Action.CONSULTATION,
                case_ref=f"{tenant}-2026-{number:06d}",
                recipients=("csc-warwickshire",),
                reason="5.4.5: consent given on the initial contact form",
            )


async def test_entries_chain_and_verify(component: Build, tenant: str) -> None:
    built = await component("multiagency", tenant)
    await share(built, tenant, 3)
    async with built.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant)
    assert [entry.seq for entry in chain] == [1, 2, 3]
    assert chain[1].prev_hash == chain[0].hash
    assert broken_links(chain) == []


async def test_a_service_cannot_alter_or_delete_an_entry(component: Build, tenant: str) -> None:
    built = await component("multiagency", tenant)
    await share(built, tenant, 1)
    for statement in ("UPDATE audit_log SET reason = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with built.database.transaction(tenant) as tx:
                await tx.conn.execute(statement)


async def test_tampering_by_the_owner_breaks_the_chain(
    component: Build, tenant: str, database_url: str
) -> None:
    built = await component("multiagency", tenant)
    await share(built, tenant, 3)
    owner = await asyncpg.connect(database_url)
    try:
        await owner.execute(
            "UPDATE multiagency.audit_log SET recipients = '{someone-else}'"
            " WHERE tenant = $1 AND seq = 2",
            tenant,
        )
    finally:
        await owner.close()
    async with built.database.transaction(tenant) as tx:
        assert broken_links(await entries(tx.conn, tenant=tenant)) == [2]


async def test_a_disclosure_must_name_its_recipients(component: Build, tenant: str) -> None:
    built = await component("multiagency", tenant)
    with pytest.raises(ValueError, match="names its recipients"):
        async with built.database.transaction(tenant) as tx:
            await record(
                tx.conn,
                tenant=tenant,
                at=built.clock.now(),
                actor="disclosure",
                action=Action.DISCLOSURE,
                case_ref=None,
                recipients=(),
                reason="-",
            )
