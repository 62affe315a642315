"""The disclosure repository: one row per case, within one tenant's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as the disclosure service holds it."""

    case_reference: str
    status: str
    route: str | None
    recommend_disclosure: bool | None
    forum_inform_subject: bool | None
    identity_verified: bool | None
    applicant: Any
    subject: Any
    children: Any
    findings: Any
    decision: Any
    disclosed: bool
    extent: str | None
    protective_actions: int
    protective_action_kinds: list[str]
    subject_told_at: datetime | None
    outcome: str | None
    final_intelligence_report: str | None
    closed_at: datetime | None
    correlation_id: UUID | None
    last_event_id: UUID | None


_COLUMNS = ", ".join(CaseRow.__slots__)
_JSON = ("applicant", "subject", "children", "findings", "decision")


async def get(tx: Transaction, *, case_reference: str, for_update: bool = False) -> CaseRow | None:
    """A case of the tenant, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await tx.conn.fetchrow(
        f"SELECT {_COLUMNS} FROM cases WHERE tenant = $1 AND case_reference = $2{lock}",  # noqa: S608
        tx.tenant,
        case_reference,
    )
    if row is None:
        return None
    values = dict(row)
    for name in _JSON:
        values[name] = json.loads(values[name]) if values[name] is not None else None
    return CaseRow(**values)


async def ensure(
    tx: Transaction, *, case_reference: str, correlation_id: UUID, event_id: UUID
) -> None:
    """Create the case's row if this is the first the service hears of it."""
    await tx.conn.execute(
        "INSERT INTO cases (tenant, case_reference, correlation_id, last_event_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        tx.tenant,
        case_reference,
        correlation_id,
        event_id,
    )


async def update(tx: Transaction, *, case_reference: str, **values: Any) -> None:
    """Set some columns of a case (names are this module's, never a caller's input)."""
    names = list(values)
    for name in names:
        if name not in CaseRow.__slots__ and name not in {
            "decided_at",
            "delivered_at",
            "received_at",
            "non_disclosure",
        }:
            raise ValueError(f"no column {name}")
    assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(names, start=3))
    arguments = [
        json.dumps(values[name]) if name in (*_JSON, "non_disclosure") else values[name]
        for name in names
    ]
    await tx.conn.execute(
        f"UPDATE cases SET {assignments} WHERE tenant = $1 AND case_reference = $2",  # noqa: S608
        tx.tenant,
        case_reference,
        *arguments,
    )


async def add_findings(
    tx: Transaction, *, case_reference: str, findings: list[dict[str, Any]]
) -> None:
    """Append what a stage's checks found."""
    await tx.conn.execute(
        "UPDATE cases SET findings = findings || $3::jsonb"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        json.dumps(findings),
    )


async def letter(tx: Transaction, *, case_reference: str) -> str | None:
    """The non-disclosure letter recorded for a case, if any."""
    text = await tx.conn.fetchval(
        "SELECT non_disclosure ->> 'letter' FROM cases WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )
    return None if text is None else str(text)


@dataclass(frozen=True, slots=True)
class FlagRow:
    """INI's latest flag on one subject with several requests on record (6.1)."""

    subject_reference: str
    case_reference: str
    own_cases: list[str]
    requests: list[dict[str, Any]]
    forces: int
    flagged_at: datetime


_FLAG_COLUMNS = ", ".join(FlagRow.__slots__)


async def keep_flag(tx: Transaction, *, flag: FlagRow) -> bool:
    """Keep a flag unless a later one on the same subject is held; whether it was kept."""
    kept = await tx.conn.fetchval(
        f"INSERT INTO repeated_requests (tenant, {_FLAG_COLUMNS})"  # noqa: S608
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)"
        " ON CONFLICT (tenant, subject_reference) DO UPDATE SET"
        " case_reference = excluded.case_reference, own_cases = excluded.own_cases,"
        " requests = excluded.requests, forces = excluded.forces,"
        " flagged_at = excluded.flagged_at"
        " WHERE repeated_requests.flagged_at <= excluded.flagged_at"
        " RETURNING true",
        tx.tenant,
        flag.subject_reference,
        flag.case_reference,
        flag.own_cases,
        json.dumps(flag.requests),
        flag.forces,
        flag.flagged_at,
    )
    return bool(kept)


async def flags(tx: Transaction, *, case_reference: str | None = None) -> list[FlagRow]:
    """The tenant's flags, most recent first; only those naming a case when one is given."""
    condition = "" if case_reference is None else " AND $2 = ANY (own_cases)"
    arguments = [tx.tenant] if case_reference is None else [tx.tenant, case_reference]
    rows = await tx.conn.fetch(
        f"SELECT {_FLAG_COLUMNS} FROM repeated_requests WHERE tenant = $1{condition}"  # noqa: S608
        " ORDER BY flagged_at DESC",
        *arguments,
    )
    return [FlagRow(**{**dict(row), "requests": json.loads(row["requests"])}) for row in rows]
