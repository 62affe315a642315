"""The audit log: who shared, altered or erased whose data, with whom and why; hash-chained.

Each tenant's entries form one chain: an entry's hash covers its content and the hash of the
entry before it, so a changed or deleted entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from services.runtime.connection import Connection
from services.runtime.staff import acting

GENESIS = "0" * 64


class Action(StrEnum):
    """What was done with personal data (architecture §5)."""

    COLLECTION = "collection"  # taken from the applicant and recorded
    CONSULTATION = "consultation"  # shared with an agency to inform the risk assessment
    DISCLOSURE = "disclosure"  # shared with a member of the public, or another force
    COMBINATION = "combination"  # records of different sources joined
    ALTERATION = "alteration"
    ERASURE = "erasure"
    READ = "read"  # looked at by a member of staff, and why (DPA 2018 s.62)
    REPLAY = "replay"  # a dead letter sent again by the ops team, and why


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit entry."""

    tenant: str
    seq: int
    at: datetime
    actor: str
    action: Action
    case_ref: str | None
    recipients: tuple[str, ...]
    reason: str
    prev_hash: str
    hash: str


def _columns(entry: Entry) -> tuple[object, ...]:
    """An entry's content in column order, its own hash left out."""
    return (
        entry.tenant,
        entry.seq,
        entry.at,
        entry.actor,
        entry.action.value,
        entry.case_ref,
        list(entry.recipients),
        entry.reason,
        entry.prev_hash,
    )


def entry_hash(entry: Entry) -> str:
    """The hash of an entry's content chained to the previous entry's hash."""
    content = json.dumps(
        _columns(entry),
        default=datetime.isoformat,  # the time, the one value JSON has no form for
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


async def record(
    conn: Connection,
    *,
    tenant: str,
    at: datetime,
    actor: str,
    action: Action,
    case_ref: str | None,
    recipients: Sequence[str],
    reason: str,
) -> Entry:
    """Append an entry to the tenant's chain, inside the caller's transaction."""
    actor = acting(actor)  # a staff request names the member of staff too
    if not recipients and action in (Action.CONSULTATION, Action.DISCLOSURE):
        raise ValueError("a consultation or disclosure names its recipients")
    # The head row serialises writers of one tenant, so the chain never forks.
    head = await conn.fetchrow(
        "INSERT INTO audit_heads (tenant, last_seq, last_hash) VALUES ($1, 0, $2)"
        " ON CONFLICT (tenant) DO UPDATE SET tenant = EXCLUDED.tenant"
        " RETURNING last_seq, last_hash",
        tenant,
        GENESIS,
    )
    assert head is not None
    seq, prev = int(head["last_seq"]) + 1, str(head["last_hash"])
    unhashed = Entry(tenant, seq, at, actor, action, case_ref, tuple(recipients), reason, prev, "")
    entry = replace(unhashed, hash=entry_hash(unhashed))
    # The entry and the new head in one statement: one round trip fewer per entry.
    await conn.execute(
        "WITH appended AS (INSERT INTO audit_log (tenant, seq, at, actor, action, case_ref,"
        " recipients, reason, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " RETURNING tenant, seq, hash)"
        " UPDATE audit_heads h SET last_seq = a.seq, last_hash = a.hash FROM appended a"
        " WHERE h.tenant = a.tenant",
        *_columns(entry),
        entry.hash,
    )
    return entry


async def entries(conn: Connection, *, tenant: str, case_ref: str | None = None) -> list[Entry]:
    """A tenant's entries in order, optionally for one case."""
    rows = await conn.fetch(
        "SELECT tenant, seq, at, actor, action, case_ref, recipients, reason, prev_hash, hash"
        " FROM audit_log WHERE tenant = $1 AND ($2::text IS NULL OR case_ref = $2) ORDER BY seq",
        tenant,
        case_ref,
    )
    return [
        Entry(
            row["tenant"],
            row["seq"],
            row["at"],
            row["actor"],
            Action(row["action"]),
            row["case_ref"],
            tuple(row["recipients"]),
            row["reason"],
            row["prev_hash"],
            row["hash"],
        )
        for row in rows
    ]


def broken_links(chain: Sequence[Entry]) -> list[int]:
    """The sequence numbers where a full chain does not verify; empty when it is intact."""
    broken = []
    previous = GENESIS
    for expected_seq, entry in enumerate(chain, start=1):
        recomputed = entry_hash(entry)
        if entry.seq != expected_seq or entry.prev_hash != previous or entry.hash != recomputed:
            broken.append(entry.seq)
        previous = entry.hash
    return broken
