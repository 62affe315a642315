"""The checks repository: SQL over the checks schema, always within one tenant's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.checks import CheckResult, System
from schemas.parties import SubjectParticulars
from schemas.stages import Stage
from services.checks.domain import Status
from services.runtime.connection import fetch_one
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class Request:
    """A stage's checks for a case, and the message that asked for them."""

    case_reference: str
    stage: Stage
    parties: tuple[str, ...]
    requested_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    request_id: UUID | None
    correlation_id: UUID | None
    request_source: str | None


@dataclass(frozen=True, slots=True)
class Query:
    """One query to one system about one party."""

    query_id: UUID
    case_reference: str
    stage: Stage
    system: System
    party: str
    system_tenant: str
    status: Status
    attempts: int
    result: CheckResult | None
    settle_reference: str | None = None  # the record a researcher settled on (5.4.4)


_REQUEST = (
    "SELECT case_reference, stage, parties, requested_at, due_at, completed_at, request_id,"
    " correlation_id, request_source FROM check_requests"
)
_QUERY = (
    "SELECT query_id, case_reference, stage, system, party, system_tenant, status, attempts,"
    " result, settle_reference FROM check_queries"
)


def _request(row: Any) -> Request:
    return Request(
        row["case_reference"],
        Stage(row["stage"]),
        tuple(row["parties"]),
        row["requested_at"],
        row["due_at"],
        row["completed_at"],
        row["request_id"],
        row["correlation_id"],
        row["request_source"],
    )


def _query(row: Any) -> Query:
    result = row["result"]
    return Query(
        row["query_id"],
        row["case_reference"],
        Stage(row["stage"]),
        System(row["system"]),
        row["party"],
        row["system_tenant"],
        Status(row["status"]),
        row["attempts"],
        CheckResult.model_validate_json(result) if result else None,
        row["settle_reference"],
    )


async def lock_case(tx: Transaction, *, case_reference: str, wait: bool = True) -> bool:
    """Hold a case until the transaction ends, so that its messages are applied one at a time.

    A request, intake's particulars and the systems' answers arrive on different topics and
    are applied concurrently; each sees what the one before it committed. Without `wait`,
    False when another transaction holds the case.
    """
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    held = await tx.conn.fetchval(
        f"SELECT {function}(hashtextextended($1, 0))", f"checks/{tx.tenant}/{case_reference}"
    )
    return wait or bool(held)


async def add_request(
    tx: Transaction,
    *,
    case_reference: str,
    stage: Stage,
    parties: Sequence[str],
    systems: Sequence[System],
    requested_at: datetime,
    due_at: datetime,
    request_id: UUID,
    correlation_id: UUID,
    request_source: str,
) -> bool:
    """Record a check request; False when that case's stage was already asked for."""
    row = await tx.conn.fetchval(
        "INSERT INTO check_requests (tenant, case_reference, stage, parties, systems,"
        " requested_at, due_at, request_id, correlation_id, request_source)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING 1",
        tx.tenant,
        case_reference,
        stage.value,
        list(parties),
        [s.value for s in systems],
        requested_at,
        due_at,
        request_id,
        correlation_id,
        request_source,
    )
    return row is not None


async def lock_request(tx: Transaction, *, case_reference: str, stage: Stage) -> Request | None:
    """A request, locked until the transaction ends: one writer decides its completion."""
    return await fetch_one(
        tx.conn,
        _request,
        f"{_REQUEST} WHERE tenant = $1 AND case_reference = $2 AND stage = $3 FOR UPDATE",
        tx.tenant,
        case_reference,
        stage.value,
    )


async def request_of(tx: Transaction, *, case_reference: str, stage: Stage) -> Request | None:
    """A request, read without a lock."""
    return await fetch_one(
        tx.conn,
        _request,
        f"{_REQUEST} WHERE tenant = $1 AND case_reference = $2 AND stage = $3",
        tx.tenant,
        case_reference,
        stage.value,
    )


async def open_stages(tx: Transaction, *, case_reference: str) -> list[Stage]:
    """The stages of a case whose checks are not complete."""
    rows = await tx.conn.fetch(
        "SELECT stage FROM check_requests WHERE tenant = $1 AND case_reference = $2"
        " AND completed_at IS NULL ORDER BY requested_at",
        tx.tenant,
        case_reference,
    )
    return [Stage(row["stage"]) for row in rows]


async def due_requests(tx: Transaction, *, now: datetime, limit: int) -> list[Request]:
    """Requests whose wait has ended (read without a lock: the case is locked first)."""
    rows = await tx.conn.fetch(
        f"{_REQUEST} WHERE tenant = $1 AND completed_at IS NULL AND due_at <= $2"
        " ORDER BY due_at LIMIT $3",
        tx.tenant,
        now,
        limit,
    )
    return [_request(row) for row in rows]


async def complete_request(
    tx: Transaction,
    *,
    case_reference: str,
    stage: Stage,
    completed_at: datetime,
    systems_checked: Sequence[System],
    partial: bool,
) -> None:
    """Record that a case's stage checks are complete."""
    await tx.conn.execute(
        "UPDATE check_requests SET completed_at = $4, systems_checked = $5, partial = $6"
        " WHERE tenant = $1 AND case_reference = $2 AND stage = $3",
        tx.tenant,
        case_reference,
        stage.value,
        completed_at,
        [s.value for s in systems_checked],
        partial,
    )


async def add_queries(tx: Transaction, *, queries: Sequence[Query]) -> None:
    """Record the queries a request needs."""
    await tx.conn.executemany(
        "INSERT INTO check_queries (tenant, query_id, case_reference, stage, system, party,"
        " system_tenant, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT DO NOTHING",
        [
            (
                tx.tenant,
                q.query_id,
                q.case_reference,
                q.stage.value,
                q.system.value,
                q.party,
                q.system_tenant,
                q.status.value,
            )
            for q in queries
        ],
    )


async def queries_of(tx: Transaction, *, case_reference: str, stage: Stage) -> list[Query]:
    """A stage's queries, in a stable order."""
    rows = await tx.conn.fetch(
        f"{_QUERY} WHERE tenant = $1 AND case_reference = $2 AND stage = $3 ORDER BY party, system",
        tx.tenant,
        case_reference,
        stage.value,
    )
    return [_query(row) for row in rows]


async def query_by_id(tx: Transaction, *, query_id: UUID) -> Query | None:
    """One query, by the id its answer carries (another force's query is not found)."""
    return await fetch_one(
        tx.conn, _query, f"{_QUERY} WHERE tenant = $1 AND query_id = $2", tx.tenant, query_id
    )


async def due_retries(tx: Transaction, *, now: datetime, limit: int) -> list[Query]:
    """Sent queries of open requests (or asked again for a settled match), unanswered, whose
    next attempt is due (no lock taken: the case is locked first, then the query read again)."""
    rows = await tx.conn.fetch(
        "SELECT q.query_id, q.case_reference, q.stage, q.system, q.party, q.system_tenant,"
        " q.status, q.attempts, q.result, q.settle_reference FROM check_queries q"
        " JOIN check_requests r"
        " ON r.tenant = q.tenant AND r.case_reference = q.case_reference AND r.stage = q.stage"
        " WHERE q.tenant = $1 AND q.status = 'sent' AND q.next_attempt_at <= $2"
        " AND (r.completed_at IS NULL OR q.settle_reference IS NOT NULL)"
        " ORDER BY q.next_attempt_at LIMIT $3",
        tx.tenant,
        now,
        limit,
    )
    return [_query(row) for row in rows]


async def mark_sent(
    tx: Transaction, *, query_id: UUID, sent_at: datetime, next_attempt_at: datetime
) -> int:
    """Record one more sending of a query; return how many times it has been sent."""
    attempts = await tx.conn.fetchval(
        "UPDATE check_queries SET status = 'sent', attempts = attempts + 1, sent_at = $3,"
        " next_attempt_at = $4 WHERE tenant = $1 AND query_id = $2 RETURNING attempts",
        tx.tenant,
        query_id,
        sent_at,
        next_attempt_at,
    )
    return int(attempts)


async def settle_on(tx: Transaction, *, query_id: UUID, record_reference: str) -> None:
    """Ask a query again for the record a researcher settled on (5.4.4)."""
    await tx.conn.execute(
        "UPDATE check_queries SET settle_reference = $3 WHERE tenant = $1 AND query_id = $2",
        tx.tenant,
        query_id,
        record_reference,
    )


async def set_status(tx: Transaction, *, query_ids: Sequence[UUID], status: Status) -> None:
    """Move queries to a status."""
    await tx.conn.execute(
        "UPDATE check_queries SET status = $3 WHERE tenant = $1 AND query_id = ANY($2::uuid[])",
        tx.tenant,
        list(query_ids),
        status.value,
    )


async def record_result(
    tx: Transaction,
    *,
    query_id: UUID,
    result: CheckResult,
    answered_at: datetime,
    late: bool,
) -> None:
    """Keep a system's answer to a query."""
    await tx.conn.execute(
        "UPDATE check_queries SET status = 'answered', result = $3, answered_at = $4,"
        " late = $5, next_attempt_at = NULL WHERE tenant = $1 AND query_id = $2",
        tx.tenant,
        query_id,
        result.model_dump_json(),
        answered_at,
        late,
    )


async def save_particulars(
    tx: Transaction,
    *,
    case_reference: str,
    party: str,
    particulars: SubjectParticulars,
    source: str,
    recorded_at: datetime,
) -> None:
    """Keep what is known of a party; a later source replaces an earlier one."""
    await tx.conn.execute(
        "INSERT INTO case_particulars (tenant, case_reference, party, particulars, source,"
        " recorded_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, case_reference, party)"
        " DO UPDATE SET particulars = EXCLUDED.particulars, source = EXCLUDED.source,"
        " recorded_at = EXCLUDED.recorded_at",
        tx.tenant,
        case_reference,
        party,
        particulars.model_dump_json(),
        source,
        recorded_at,
    )


async def particulars_of(tx: Transaction, *, case_reference: str) -> dict[str, SubjectParticulars]:
    """What is known of each party of a case."""
    rows = await tx.conn.fetch(
        "SELECT party, particulars FROM case_particulars WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )
    return {
        row["party"]: SubjectParticulars.model_validate_json(row["particulars"]) for row in rows
    }


async def record_source(
    tx: Transaction,
    *,
    case_reference: str,
    source: str,
    concerning_behaviour: bool,
    received_at: datetime,
) -> None:
    """Note that one of intake's events about a case has arrived."""
    await tx.conn.execute(
        "INSERT INTO case_sources (tenant, case_reference, source, concerning_behaviour,"
        " received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        tx.tenant,
        case_reference,
        source,
        concerning_behaviour,
        received_at,
    )


async def sources_of(tx: Transaction, *, case_reference: str) -> tuple[set[str], bool]:
    """Which of intake's events have arrived for a case, and whether any showed concerning
    behaviour."""
    rows = await tx.conn.fetch(
        "SELECT source, concerning_behaviour FROM case_sources"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )
    return {row["source"] for row in rows}, any(row["concerning_behaviour"] for row in rows)
