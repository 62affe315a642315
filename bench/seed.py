"""Closed cases written straight into the service tables, fast, for the cost-growth figure."""

# Each seeded case is a clone of one real case that the services closed in this run: every row
# that case left in a service schema (tables keyed by case reference, its inbox claims and its
# outbox rows) is copied with INSERT ... SELECT over generate_series, with the case reference,
# submission id and message ids replaced. New tables and columns are picked up by themselves.
# Seeded references are numbered in the previous year, so today's numbering is untouched.

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.catalogue import SERVICES

_REFERENCE = re.compile(r"(?P<head>.+-)(?P<year>\d{4})-(?P<number>\d{6})")


@dataclass(frozen=True)
class Template:
    """A real closed case whose rows every seeded case copies."""

    tenant: str
    case_reference: str
    submission: str
    message_ids: frozenset[str]


@dataclass(frozen=True)
class Column:
    """A column of a service table, as information_schema describes it."""

    name: str
    data_type: str
    writable: bool


class _Binder:
    """Numbers named parameters in order of first use, as asyncpg wants them."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values
        self._order: list[str] = []

    def __call__(self, name: str) -> str:
        if name not in self._order:
            self._order.append(name)
        return f"${self._order.index(name) + 1}"

    @property
    def args(self) -> list[object]:
        return [self._values[name] for name in self._order]


async def service_tables(conn: asyncpg.Connection) -> dict[str, list[Column]]:
    """Every base table of the service schemas, with its columns in order."""
    rows = await conn.fetch(
        "SELECT c.table_schema, c.table_name, c.column_name, c.data_type,"
        " c.is_identity = 'YES' OR c.is_generated = 'ALWAYS'"
        " OR coalesce(c.column_default, '') LIKE 'nextval(%' AS computed"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = ANY($1::text[]) AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_schema, c.table_name, c.ordinal_position",
        list(SERVICES),
    )
    tables: dict[str, list[Column]] = {}
    for row in rows:
        name = f"{row['table_schema']}.{row['table_name']}"
        tables.setdefault(name, []).append(
            Column(row["column_name"], row["data_type"], not row["computed"])
        )
    return tables


def _where(table: str, names: set[str], bind: _Binder) -> str | None:
    """Which of a table's rows belong to the template case, or None for no per-case rows."""
    short = table.rsplit(".", 1)[1]
    if "tenant" not in names:
        return None
    if "case_reference" in names:
        return f"case_reference = {bind('reference')}::text"
    if short == "inbox" and "message_id" in names:
        return f"message_id = ANY({bind('message_ids')}::text[])"
    if short == "outbox" and "payload" in names:
        return f"position(convert_to({bind('reference')}::text, 'UTF8') in payload) > 0"
    return None  # not a per-case table (case numbers, the audit chain)


def _value(column: Column, bind: _Binder) -> str:
    """The expression giving a column's value in the clone numbered g."""
    name = f'"{column.name}"'
    reference = f"({bind('prefix')}::text || lpad(g::text, 6, '0'))"
    if column.name == "message_id":
        return "gen_random_uuid()::text"
    if column.name == "sent_at":
        return "coalesce(sent_at, now())"  # never hand the relay a seeded row
    if column.data_type == "uuid":
        # Ids of queries, forums, messages: each clone is its own case, with its own ids.
        return f"CASE WHEN {name} IS NULL THEN NULL ELSE gen_random_uuid() END"
    if column.data_type in ("text", "character varying"):
        return (
            f"replace(replace({name}, {bind('reference')}::text, {reference}),"
            f" {bind('submission')}::text, 'seed-' || g::text)"
        )
    if column.data_type == "bytea":
        return (
            f"convert_to(replace(convert_from({name}, 'UTF8'), {bind('reference')}::text,"
            f" {reference}), 'UTF8')"
        )
    return name


def _clone_sql(table: str, columns: Sequence[Column], bind: _Binder) -> str | None:
    """INSERT ... SELECT copying the template's rows of `table` once per number, or None."""
    where = _where(table, {column.name for column in columns}, bind)
    if where is None:
        return None
    writable = [column for column in columns if column.writable]
    targets = ", ".join(f'"{column.name}"' for column in writable)
    values = ", ".join(_value(column, bind) for column in writable)
    return (
        f"INSERT INTO {table} ({targets})"  # noqa: S608 - names from the catalogue
        f" SELECT {values} FROM {table}"
        f" CROSS JOIN generate_series({bind('first')}::int, {bind('last')}::int) AS g"
        f" WHERE tenant = {bind('tenant')}::text AND {where}"
    )


@dataclass(frozen=True)
class Seeded:
    """Rows added per table, and the tables that hold no per-case rows to copy."""

    rows: dict[str, int]
    skipped: list[str]


async def seed_closed_cases(owner_url: str, template: Template, *, first: int, last: int) -> Seeded:
    """Write clones numbered first..last of the template case; say what was added."""
    match = _REFERENCE.fullmatch(template.case_reference)
    if match is None:
        raise ValueError(f"unexpected case reference {template.case_reference!r}")
    if last > 999_999:
        raise ValueError("a year holds at most 999,999 case numbers")
    prefix = f"{match['head']}{int(match['year']) - 1:04d}-"
    values: dict[str, object] = {
        "tenant": template.tenant,
        "reference": template.case_reference,
        "submission": template.submission,
        "message_ids": sorted(template.message_ids),
        "prefix": prefix,
        "first": first,
        "last": last,
    }
    conn = await asyncpg.connect(owner_url)
    added: dict[str, int] = {}
    skipped: list[str] = []
    try:
        for table, columns in (await service_tables(conn)).items():
            bind = _Binder(values)
            sql = _clone_sql(table, columns, bind)
            if sql is None:
                skipped.append(table)
                continue
            status = await conn.execute(sql, *bind.args)
            added[table] = int(status.rsplit(" ", 1)[1])
        for table in added:
            # What a database in service for a while looks like: statistics and visibility known.
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        # Write the bulk load out now, not in a checkpoint during the measured step.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return Seeded(added, skipped)
