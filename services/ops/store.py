"""The ops repository: SQL over the read model, always within one force's transaction.

Every write merges order-independently (LEAST, GREATEST, sums), so the model ends the same
whatever order the streams were read in (see migrations/0001_read_model.sql).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.stages import Deadline
from services.ops.domain import CaseChange, Clock, ClockChange, stage_rank
from services.runtime.unit_of_work import Transaction

# Columns of `cases` an event may set, and how a second value merges with the first.
_MERGE = {
    "scheme_profile": "COALESCE(cases.{0}, EXCLUDED.{0})",
    "channel": "COALESCE(cases.{0}, EXCLUDED.{0})",
    "outcome": "COALESCE(cases.{0}, EXCLUDED.{0})",
    "contact_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "applied_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "pack_given_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "assessed_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "decided_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "disclosed_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "closed_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "ended_at": "LEAST(cases.{0}, EXCLUDED.{0})",
    "registered_offender": "cases.{0} OR EXCLUDED.{0}",
    "escalations": "cases.{0} + EXCLUDED.{0}",
}
TABLES = ("cases", "deadlines", "case_history", "escalations")


async def apply(
    tx: Transaction,
    *,
    change: CaseChange,
    message_id: UUID,
    type_: str,
    correlation_id: UUID,
) -> None:
    """Merge one event's change into its case, its clocks, its history and escalations."""
    unknown = set(change.case) - set(_MERGE)
    if unknown:
        raise ValueError(f"not a column of cases: {sorted(unknown)}")
    columns = sorted(change.case)
    names = ", ".join(columns)
    values = ", ".join(f"${index}" for index in range(7, 7 + len(columns)))
    merges = ", ".join(f"{name} = {_MERGE[name].format(name)}" for name in columns)
    await tx.conn.execute(
        "INSERT INTO cases (tenant, case_reference, correlation_id, stage_rank, events,"  # noqa: S608 - names from _MERGE only
        f" last_event_at{', ' + names if names else ''})"
        f" VALUES ($1, $2, $3, $4, $5, $6{', ' + values if values else ''})"
        " ON CONFLICT (tenant, case_reference) DO UPDATE SET"
        " correlation_id = COALESCE(cases.correlation_id, EXCLUDED.correlation_id),"
        " stage_rank = GREATEST(cases.stage_rank, EXCLUDED.stage_rank),"
        " events = cases.events + 1,"
        " last_event_at = GREATEST(cases.last_event_at, EXCLUDED.last_event_at)"
        f"{', ' + merges if merges else ''}",
        tx.tenant,
        change.case_reference,
        correlation_id,
        stage_rank(change.stage) if change.stage else 0,
        1,
        change.occurred_at,
        *(change.case[name] for name in columns),
    )
    for clock in change.clocks:
        await _apply_clock(tx, case_reference=change.case_reference, clock=clock)
    await tx.conn.execute(
        "INSERT INTO case_history (tenant, message_id, case_reference, type, occurred_at, note)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        tx.tenant,
        message_id,
        change.case_reference,
        type_,
        change.occurred_at,
        change.note,
    )
    if change.escalation is not None:
        raised = change.escalation
        await tx.conn.execute(
            "INSERT INTO escalations (tenant, message_id, case_reference, stage, risk,"
            " section_47, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            tx.tenant,
            message_id,
            change.case_reference,
            raised.stage,
            raised.risk,
            raised.section_47,
            raised.raised_at,
        )


async def _apply_clock(tx: Transaction, *, case_reference: str, clock: ClockChange) -> None:
    counted = {
        "deviations": int(clock.moved_to is not None),
        "warnings": int(clock.warned_for is not None),
        "breaches": int(clock.breached_for is not None),
    }
    await tx.conn.execute(
        "INSERT INTO deadlines (tenant, case_reference, deadline, registered_due_at,"
        " moved_due_at, moved_at, met_at, warned_due_at, breached_due_at, breached_at,"
        " deviations, warnings, breaches)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
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
        " breaches = deadlines.breaches + EXCLUDED.breaches",
        tx.tenant,
        case_reference,
        clock.deadline.value,
        clock.due_at,
        clock.moved_to,
        clock.moved_at,
        clock.met_at,
        clock.warned_for,
        clock.breached_for,
        clock.breached_at,
        counted["deviations"],
        counted["warnings"],
        counted["breaches"],
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
