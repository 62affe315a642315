"""The database wall, attacked: force B's login role of a service against force A's rows.

One contract, run over every schema a process keeps rows in (the four services, ops, and
every stand-in), as eventsourcing runs one recorder test case over each backend. For each
schema the owner puts one row of force A into every table; then a plain asyncpg client,
logged in as B's role for that service, reads, changes, deletes and forges A's rows with
and without every setting a session may change. Every attempt sees no rows or is refused,
and A's rows are as they were. A's own role sees them (so the probe rows are really there).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import asyncpg
import pytest

from services.catalogue import definition
from services.runtime.migrations import login_role, quoted
from services.runtime.service import app_dsn, migrate_service
from services.runtime.settings import Settings
from tests.support.schemas import login
from tests.support.topics import new_force

# What a value of each type looks like in a probe row (as text, cast by the server).
_PROBE = {
    "text": "probe",
    "character varying": "probe",
    "integer": "1",
    "bigint": "1",
    "smallint": "1",
    "numeric": "1",
    "double precision": "1",
    "real": "1",
    "boolean": "false",
    "timestamp with time zone": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "jsonb": "{}",
    "json": "{}",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "bytea": "\\x00",
}


def _probe(kind: str, tenant: str) -> str:
    """A value of a type, text ones the tenant's own (keys without the tenant stay apart)."""
    if kind.endswith("[]"):
        return "{}"
    if kind in ("text", "character varying"):
        return f"probe-{tenant}"
    if kind == "uuid":
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant))
    return _PROBE[kind]


REFUSED = None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool  # NOT NULL without a default
    generated: bool  # an identity or generated column: no value of ours


@dataclass(frozen=True)
class Walled:
    """A schema with a probe row of force A in each table, and the two forces' logins."""

    schema: str
    owner_dsn: str
    tables: dict[str, list[Column]]
    a_dsn: str
    b_dsn: str
    a: str
    b: str


class TenantWallContract:
    """Subclassed once per schema (`schema`); `values` settles what a CHECK wants."""

    schema: ClassVar[str]
    values: ClassVar[dict[str, dict[str, str]]] = {}

    @pytest.fixture
    async def walled(self, settings_for: Callable[..., Settings]) -> Walled:
        a, b = new_force(), new_force()
        service = definition(self.schema.replace("_", "-"))
        owner = settings_for(a).database_url
        await migrate_service(service, owner)
        for tenant in (a, b):
            await login(settings_for(tenant), service.name)
        conn = await asyncpg.connect(owner)
        try:
            tables = await _tables(conn, self.schema)
            async with conn.transaction():
                for table, columns in tables.items():
                    await self._insert(conn, table, columns, tenant=a)
        finally:
            await conn.close()
        return Walled(
            self.schema,
            owner,
            tables,
            app_dsn(settings_for(a), service.name),
            app_dsn(settings_for(b), service.name),
            a,
            b,
        )

    async def _insert(
        self, conn: asyncpg.Connection, table: str, columns: list[Column], *, tenant: str
    ) -> None:
        given = self.values.get(table, {})
        chosen = [c for c in columns if c.required or c.name in given or c.name == "tenant"]
        names = ", ".join(f'"{c.name}"' for c in chosen)
        params = ", ".join(f"${i}::text::{c.type}" for i, c in enumerate(chosen, start=1))
        args = [
            tenant if c.name == "tenant" else given.get(c.name) or _probe(c.type, tenant)
            for c in chosen
        ]
        await conn.execute(
            f'INSERT INTO "{self.schema}"."{table}" ({names}) VALUES ({params})', *args
        )

    async def test_every_table_carries_a_tenant_and_one_wall(self, walled: Walled) -> None:
        conn = await asyncpg.connect(walled.owner_dsn)
        try:
            rows = await conn.fetch(
                "SELECT c.relname, c.relrowsecurity AS walled,"
                " (SELECT array_agg(p.polname) FROM pg_policy p WHERE p.polrelid = c.oid) AS rules"
                " FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'"
                " AND c.relname <> 'schema_migrations'",
                walled.schema,
            )
        finally:
            await conn.close()
        assert {row["relname"] for row in rows} == set(walled.tables)
        assert {"inbox", "outbox", "audit_log", "audit_heads"} <= set(walled.tables)
        for row in rows:
            assert row["walled"], row["relname"]
            assert row["rules"] == ["tenant_wall"], row["relname"]
        assert all(any(c.name == "tenant" for c in cols) for cols in walled.tables.values())

    async def test_force_a_sees_its_own_rows(self, walled: Walled) -> None:
        counts = await _counts(walled.a_dsn, walled)
        assert counts == dict.fromkeys(walled.tables, 1)

    @pytest.mark.parametrize(
        "widening",
        [
            None,
            "SELECT set_config('app.tenant', '{a}', false)",
            "SET app.tenant = '{a}'",
            "SET ROLE csods_{schema}",
            "SET row_security = off",
        ],
    )
    async def test_force_b_reads_none_of_force_a_rows(
        self, walled: Walled, widening: str | None
    ) -> None:
        statement = widening and widening.format(a=walled.a, schema=walled.schema)
        counts = await _counts(walled.b_dsn, walled, before=statement)
        assert set(counts) == set(walled.tables)
        assert set(counts.values()) <= {0, REFUSED}, counts

    async def test_force_b_changes_and_deletes_none_of_force_a_rows(self, walled: Walled) -> None:
        conn = await asyncpg.connect(walled.b_dsn)
        try:
            await conn.execute("SELECT set_config('app.tenant', $1, false)", walled.a)
            for table, columns in walled.tables.items():
                column = next(c.name for c in columns if c.name != "tenant" and not c.generated)
                t = f'"{walled.schema}"."{table}"'
                for statement in (
                    f'UPDATE {t} SET "{column}" = "{column}" WHERE tenant = $1',
                    f"UPDATE {t} SET tenant = tenant WHERE tenant = $1",
                    f"DELETE FROM {t} WHERE tenant = $1",
                ):
                    try:
                        done = await conn.execute(statement, walled.a)
                    except asyncpg.InsufficientPrivilegeError:
                        continue  # e.g. the audit log, which no service may change
                    assert done.endswith(" 0"), (table, statement, done)
        finally:
            await conn.close()
        assert await _counts(walled.owner_dsn, walled, tenant=walled.a) == dict.fromkeys(
            walled.tables, 1
        )

    async def test_force_b_cannot_write_a_row_in_force_a_name(self, walled: Walled) -> None:
        conn = await asyncpg.connect(walled.b_dsn)
        try:
            await conn.execute("SET app.tenant = 'anything'")
            for table, columns in walled.tables.items():
                with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
                    async with conn.transaction():
                        await self._insert(conn, table, columns, tenant=walled.a)
                message = str(refused.value)
                assert "row-level security" in message or "permission denied" in message
        finally:
            await conn.close()

    async def test_force_b_role_is_no_owner_and_bypasses_nothing(self, walled: Walled) -> None:
        conn = await asyncpg.connect(walled.b_dsn)
        try:
            me = await conn.fetchrow(
                "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
                " FROM pg_roles WHERE rolname = session_user"
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    f'ALTER TABLE "{walled.schema}".inbox DISABLE ROW LEVEL SECURITY'
                )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    f"SET SESSION AUTHORIZATION {quoted(login_role(walled.a, walled.schema))}"
                )
        finally:
            await conn.close()
        assert me is not None
        assert me["rolname"].startswith(f"{walled.b}.")
        assert not any(me[k] for k in ("rolsuper", "rolbypassrls", "rolcreaterole", "rolcreatedb"))


async def _tables(conn: asyncpg.Connection, schema: str) -> dict[str, list[Column]]:
    rows = await conn.fetch(
        "SELECT c.relname AS table, a.attname AS name,"
        " format_type(a.atttypid, a.atttypmod) AS type,"
        " a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AS required,"
        " a.attidentity <> '' OR a.attgenerated <> '' AS generated"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'"
        " AND c.relname <> 'schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY c.relname, a.attnum",
        schema,
    )
    tables: dict[str, list[Column]] = {}
    for row in rows:
        kind = "text" if row["type"].startswith("character varying") else row["type"]
        tables.setdefault(row["table"], []).append(
            Column(row["name"], kind, row["required"], row["generated"])
        )
    return tables


async def _counts(
    dsn: str, walled: Walled, *, before: str | None = None, tenant: str | None = None
) -> dict[str, int | None]:
    """Rows each table shows the role (REFUSED where the server would not read at all)."""
    conn = await asyncpg.connect(dsn)
    try:
        if before:
            # Refused is as good as ignored: the reads below must still see nothing.
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                await conn.execute(before)
        where = "" if tenant is None else " WHERE tenant = $1"
        args = [] if tenant is None else [tenant]
        counts: dict[str, int | None] = {}
        for table in walled.tables:
            query = f'SELECT count(*) FROM "{walled.schema}"."{table}"{where}'
            try:
                counts[table] = int(await conn.fetchval(query, *args))
            except asyncpg.InsufficientPrivilegeError:
                counts[table] = REFUSED  # e.g. row_security off: the server will not read
        return counts
    finally:
        await conn.close()


_SOURCE = {"source": "seed"}


class TestIntakeRows(TenantWallContract):
    schema = "intake"


class TestChecksRows(TenantWallContract):
    schema = "checks"


class TestMultiagencyRows(TenantWallContract):
    schema = "multiagency"
    values: ClassVar[dict[str, dict[str, str]]] = {
        "cases": {"role": "owning"},
        "handoffs": {"role": "owning"},
        "consultations": {"status": "requested"},
        "late_answers": {"effect": "awaits-assessment"},
        "referrals": {"risk": "immediate"},
    }


class TestDisclosureRows(TenantWallContract):
    schema = "disclosure"


class TestOpsRows(TenantWallContract):
    schema = "ops"


class TestPncRows(TenantWallContract):
    schema = "pnc"


class TestVisorRows(TenantWallContract):
    schema = "visor"


class TestIniRows(TenantWallContract):
    schema = "ini"


class TestLocalIntelligenceRows(TenantWallContract):
    schema = "local_intelligence"


class TestChildrensSocialCareRows(TenantWallContract):
    schema = "childrens_social_care"
    values: ClassVar[dict[str, dict[str, str]]] = {"known_children": _SOURCE}


class TestProbationRows(TenantWallContract):
    schema = "probation"
    values: ClassVar[dict[str, dict[str, str]]] = {"supervised_people": _SOURCE}
