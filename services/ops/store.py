"""The ops repository: SQL over the read model, always within one force's transaction.

Every write merges order-independently (LEAST, GREATEST, sums), so the model ends the same
whatever order the streams were read in (see migrations/0001_read_model.sql).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.stages import Deadline
from services.ops import merge
from services.ops.domain import Clock
from services.runtime.unit_of_work import Transaction

# How a second value of each column merges with the first (services/ops/merge.py).
_MERGE_SQL = {
    merge.FIRST: "COALESCE(cases.{0}, EXCLUDED.{0})",
    merge.EARLIEST: "LEAST(cases.{0}, EXCLUDED.{0})",
    merge.ANY_TRUE: "cases.{0} OR EXCLUDED.{0}",
    merge.ADDED: "cases.{0} + EXCLUDED.{0}",
}
_TYPES = {
    merge.FIRST: "text",
    merge.EARLIEST: "timestamptz",
    merge.ANY_TRUE: "boolean",
    merge.ADDED: "integer",
}
_COLUMNS = tuple(merge.CASE_COLUMNS)
_CASES_SQL = (  # column names from merge.CASE_COLUMNS only
    "INSERT INTO cases (tenant, case_reference, correlation_id, stage_rank, events,"  # noqa: S608
    f" last_event_at, {', '.join(_COLUMNS)})"
    " SELECT $1::text, u.* FROM unnest($2::text[], $3::uuid[], $4::integer[], $5::integer[],"
    " $6::timestamptz[], "
    + ", ".join(
        f"${index}::{_TYPES[merge.CASE_COLUMNS[name]]}[]"
        for index, name in enumerate(_COLUMNS, start=7)
    )
    + ") AS u ON CONFLICT (tenant, case_reference) DO UPDATE SET"
    " correlation_id = COALESCE(cases.correlation_id, EXCLUDED.correlation_id),"
    " stage_rank = GREATEST(cases.stage_rank, EXCLUDED.stage_rank),"
    " events = cases.events + EXCLUDED.events,"
    " last_event_at = GREATEST(cases.last_event_at, EXCLUDED.last_event_at), "
    + ", ".join(
        f"{name} = {_MERGE_SQL[merge.CASE_COLUMNS[name]].format(name)}" for name in _COLUMNS
    )
)
_CLOCKS_SQL = (
    "INSERT INTO deadlines (tenant, case_reference, deadline, registered_due_at,"
    " moved_due_at, moved_at, met_at, warned_due_at, breached_due_at, breached_at,"
    " deviations, warnings, breaches)"
    " SELECT $1::text, u.* FROM unnest($2::text[], $3::text[], $4::timestamptz[],"
    " $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[],"
    " $9::timestamptz[], $10::timestamptz[], $11::integer[], $12::integer[], $13::integer[]) AS u"
    " ON CONFLICT (tenant, case_reference, deadline) DO UPDATE SET"
    " registered_due_at = COALESCE(deadlines.registered_due_at, EXCLUDED.registered_due_at),"
    # The latest deviation decides; ties broken by the later date, so any order agrees.
    " moved_due_at = CASE WHEN EXCLUDED.moved_at IS NOT NULL AND (deadlines.moved_at IS NULL"
    "   OR (EXCLUDED.moved_at, EXCLUDED.moved_due_at) > (deadlines.moved_at,"
    "   deadlines.moved_due_at)) THEN EXCLUDED.moved_due_at ELSE deadlines.moved_due_at END,"
    " moved_at = GREATEST(deadlines.moved_at, EXCLUDED.moved_at),"
    " met_at = LEAST(deadlines.met_at, EXCLUDED.met_at),"
    " warned_due_at = GREATEST(deadlines.warned_due_at, EXCLUDED.warned_due_at),"
    " breached_due_at = GREATEST(deadlines.breached_due_at, EXCLUDED.breached_due_at),"
    " breached_at = LEAST(deadlines.breached_at, EXCLUDED.breached_at),"
    " deviations = deadlines.deviations + EXCLUDED.deviations,"
    " warnings = deadlines.warnings + EXCLUDED.warnings,"
    " breaches = deadlines.breaches + EXCLUDED.breaches"
)
TABLES = ("cases", "deadlines", "case_history", "escalations")


async def apply(tx: Transaction, batch: merge.Batch) -> None:
    """Merge a batch of events' changes into cases, clocks, history and escalations: one
    statement per table, whatever the batch's size."""
    if not batch.cases:
        return
    rows = list(batch.cases.values())
    await tx.conn.execute(
        _CASES_SQL,
        tx.tenant,
        [row.case_reference for row in rows],
        [row.correlation_id for row in rows],
        [row.stage_rank for row in rows],
        [row.events for row in rows],
        [row.last_event_at for row in rows],
        *([row.value(name) for row in rows] for name in _COLUMNS),
    )
    if batch.clocks:
        clocks = list(batch.clocks.values())
        await tx.conn.execute(
            _CLOCKS_SQL,
            tx.tenant,
            *(
                [getattr(clock, name) for clock in clocks]
                for name in (
                    "case_reference",
                    "deadline",
                    "registered_due_at",
                    "moved_due_at",
                    "moved_at",
                    "met_at",
                    "warned_due_at",
                    "breached_due_at",
                    "breached_at",
                    "deviations",
                    "warnings",
                    "breaches",
                )
            ),
        )
    await tx.conn.execute(
        "INSERT INTO case_history (tenant, message_id, case_reference, type, occurred_at, note)"
        " SELECT $1::text, u.* FROM unnest($2::uuid[], $3::text[], $4::text[],"
        " $5::timestamptz[], $6::text[]) AS u ON CONFLICT DO NOTHING",
        tx.tenant,
        *(list(column) for column in zip(*batch.history, strict=True)),
    )
    if batch.escalations:
        await tx.conn.execute(
            "INSERT INTO escalations (tenant, message_id, case_reference, stage, risk,"
            " section_47, raised_at) SELECT $1::text, u.* FROM unnest($2::uuid[], $3::text[],"
            " $4::text[], $5::text[], $6::boolean[], $7::timestamptz[]) AS u"
            " ON CONFLICT DO NOTHING",
            tx.tenant,
            *(list(column) for column in zip(*batch.escalations, strict=True)),
        )


async def running_clocks(tx: Transaction, *, limit: int) -> list[Clock]:
    """Clocks of open cases not yet met, locked so that one replica alone raises their alarms."""
    rows = await tx.conn.fetch(
        "SELECT d.case_reference, d.deadline,"
        " COALESCE(d.moved_due_at, d.registered_due_at) AS due_at,"
        " d.warned_due_at, d.breached_due_at"
        " FROM deadlines d JOIN cases c USING (tenant, case_reference)"
        " WHERE d.tenant = $1 AND d.met_at IS NULL AND c.ended_at IS NULL"
        " AND COALESCE(d.moved_due_at, d.registered_due_at) IS NOT NULL"
        " ORDER BY due_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        tx.tenant,
        limit,
    )
    return [
        Clock(
            case_reference=row["case_reference"],
            deadline=Deadline(row["deadline"]),
            due_at=row["due_at"],
            warned_for=row["warned_due_at"],
            breached_for=row["breached_due_at"],
        )
        for row in rows
    ]


async def correlation_of(tx: Transaction, *, case_reference: str) -> UUID | None:
    """The correlation id of a case: its first message's id."""
    value = await tx.conn.fetchval(
        "SELECT correlation_id FROM cases WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )
    return value if isinstance(value, UUID) else None


async def due_at(tx: Transaction, *, case_reference: str, deadline: Deadline) -> datetime | None:
    """A clock's current due date, after any deviation."""
    value = await tx.conn.fetchval(
        "SELECT COALESCE(moved_due_at, registered_due_at) FROM deadlines"
        " WHERE tenant = $1 AND case_reference = $2 AND deadline = $3",
        tx.tenant,
        case_reference,
        deadline.value,
    )
    return value if isinstance(value, datetime) else None


async def rows(tx: Transaction, *, table: str) -> list[dict[str, Any]]:
    """Every row of one read-model table for a force, in a stable order (for comparisons)."""
    if table not in TABLES:
        raise ValueError(f"not a read-model table: {table}")
    records = await tx.conn.fetch(
        f"SELECT * FROM {table} WHERE tenant = $1 ORDER BY 2, 3",  # noqa: S608 - TABLES only
        tx.tenant,
    )
    return [dict(record) for record in records]


async def forget(tx: Transaction, *, consumer: str) -> None:
    """Remove a force's read model and inbox claims: the start of a rebuild."""
    for table in TABLES:
        await tx.conn.execute(f"DELETE FROM {table} WHERE tenant = $1", tx.tenant)  # noqa: S608
    await tx.conn.execute(
        "DELETE FROM inbox WHERE tenant = $1 AND consumer = $2", tx.tenant, consumer
    )
