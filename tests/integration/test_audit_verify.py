"""`csods audit verify` finds an audit entry altered, or the tail removed, in the database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from services.runtime import audit
from services.runtime.audit_check import ChainReport, verify
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import open_database
from tests.support.schemas import runtime_schema

SERVICE = "audittest"


async def three_entries(settings: Settings, tenant: str) -> None:
    """Three consultations in the tenant's chain, written as a service writes them."""
    await runtime_schema(settings, SERVICE)
    database = await open_database(dsn=app_dsn(settings, SERVICE), schema=SERVICE, size=2)
    try:
        for number in (1, 2, 3):
            async with database.transaction(tenant) as tx:
                await audit.record(
                    tx.conn,
                    tenant=tenant,
                    at=datetime.now(UTC),
                    actor="multiagency",
                    action=audit.Action.CONSULTATION,
                    case_ref=f"{tenant}-2026-00000{number}",
                    recipients=(f"csc-{tenant}",),
                    reason="to inform the risk assessment",
                )
    finally:
        await database.pool.close()


async def as_owner(database_url: str, tenant: str, statement: str) -> None:
    """Change the log behind the services' backs, as someone with the owner's rights."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(statement, tenant)
    finally:
        await conn.close()


def ours(reports: list[ChainReport]) -> ChainReport:
    (report,) = [r for r in reports if r.schema == SERVICE]
    return report


def test_an_altered_entry_and_a_removed_tail_are_named(
    settings_for: Callable[..., Settings], database_url: str, tenant: str
) -> None:
    asyncio.run(three_entries(settings_for(tenant), tenant))
    report = ours(asyncio.run(verify(database_url, tenant)))
    assert (report.entries, report.first_broken) == (3, None)

    # One reason rewritten in place: its hash no longer recomputes.
    altered = f"UPDATE {SERVICE}.audit_log SET reason = 'nothing to see' WHERE tenant = $1"
    asyncio.run(as_owner(database_url, tenant, altered + " AND seq = 2"))
    report = ours(asyncio.run(verify(database_url, tenant)))
    assert report.first_broken == 2

    # The command says so too, and fails.
    env = {**os.environ, "CSODS_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "services", "audit", "verify", "--tenant", tenant]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{SERVICE}: broken at entry 2" in done.stdout


def test_a_deleted_last_entry_is_seen_from_the_head(
    settings_for: Callable[..., Settings], database_url: str, tenant: str
) -> None:
    asyncio.run(three_entries(settings_for(tenant), tenant))
    removed = f"DELETE FROM {SERVICE}.audit_log WHERE tenant = $1 AND seq = 3"
    asyncio.run(as_owner(database_url, tenant, removed))
    report = ours(asyncio.run(verify(database_url, tenant)))
    assert (report.entries, report.first_broken) == (2, 3)
