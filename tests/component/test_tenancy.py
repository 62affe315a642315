"""Tenants are walls: under row-level security one force never reads another's rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from services.catalogue import SERVICES
from tests.component.conftest import Component
from tests.support.records import enquiry, inbox_record

Build = Callable[..., Awaitable[Component]]

RUNTIME_TABLES = ["inbox", "outbox", "audit_heads", "audit_log"]
CASE_TABLES = {
    "intake": ["enquiries", "case_numbers", *RUNTIME_TABLES],
    "checks": ["check_requests", *RUNTIME_TABLES],
    "multiagency": ["assessments", *RUNTIME_TABLES],
    "disclosure": ["cases", *RUNTIME_TABLES],
}


async def test_one_force_cannot_read_another_forces_case(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    await intake.processor.process(inbox_record(tenant, enquiry(tenant)))
    other = f"{tenant}x"
    async with intake.database.transaction(other) as tx:
        for table in CASE_TABLES["intake"]:
            assert await tx.conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    async with intake.database.transaction(tenant) as tx:
        assert await tx.conn.fetchval("SELECT count(*) FROM enquiries") == 1


async def test_a_force_cannot_write_a_row_in_another_forces_name(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with intake.database.transaction(tenant) as tx:
            await tx.conn.execute(
                "INSERT INTO case_numbers (tenant, year, last_number) VALUES ('cleveland', 2026, 1)"
            )


async def test_without_a_tenant_nothing_is_visible(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    await intake.processor.process(inbox_record(tenant, enquiry(tenant)))
    async with intake.database.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM enquiries") == 0


@pytest.mark.parametrize("service", SERVICES)
async def test_every_case_table_is_under_forced_row_level_security(
    component: Build, tenant: str, service: str
) -> None:
    built = await component(service, tenant)
    async with built.database.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
            " WHERE relnamespace = $1::regnamespace AND relkind = 'r'"
            " AND relname <> 'schema_migrations'",
            service,
        )
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    assert {row["relname"] for row in rows} >= set(CASE_TABLES[service])
    assert all(row["relrowsecurity"] and row["relforcerowsecurity"] for row in rows)
    assert role is not None
    assert not role["rolsuper"]
    assert not role["rolbypassrls"]
