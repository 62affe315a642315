"""What the dashboard shows of the read model: cases by stage, clocks at risk, breaches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.stages import Deadline
from services.ops.domain import WARNING_LEAD, stage_of
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class ClockView:
    """One clock of one case, as a supervisor needs to see it."""

    case_reference: str
    deadline: str
    due_at: datetime
    stage: str
    breached_at: datetime | None
    justified: bool  # a deviation was recorded after the breach (5.4.8)


@dataclass(frozen=True, slots=True)
class EscalationView:
    """An immediate or imminent risk raised on a case still open."""

    case_reference: str
    stage: str
    risk: str
    section_47: bool
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the dashboard shows of one force's read model."""

    force: str
    stages: dict[str, int]  # open cases by stage
    ended: int
    escalations: list[EscalationView]
    at_risk: list[ClockView]
    breaches: list[ClockView]
    breaches_raised: dict[str, int]  # every breach ever raised, by clock


def _stage_name(rank: int) -> str:
    stage = stage_of(rank)
    return stage.value if stage else "unknown"


async def board(tx: Transaction, *, now: datetime, limit: int = 50) -> Board:
    """The force's board at `now`."""
    stages: dict[str, int] = {}
    for row in await tx.conn.fetch(
        "SELECT stage_rank, count(*) AS n FROM cases WHERE tenant = $1 AND ended_at IS NULL"
        " GROUP BY stage_rank ORDER BY stage_rank",
        tx.tenant,
    ):
        stages[_stage_name(row["stage_rank"])] = int(row["n"])
    ended = await tx.conn.fetchval(
        "SELECT count(*) FROM cases WHERE tenant = $1 AND ended_at IS NOT NULL", tx.tenant
    )
    escalations = [
        EscalationView(
            row["case_reference"], row["stage"], row["risk"], row["section_47"], row["raised_at"]
        )
        for row in await tx.conn.fetch(
            "SELECT e.case_reference, e.stage, e.risk, e.section_47, e.raised_at"
            " FROM escalations e JOIN cases c USING (tenant, case_reference)"
            " WHERE e.tenant = $1 AND c.ended_at IS NULL ORDER BY e.raised_at DESC LIMIT $2",
            tx.tenant,
            limit,
        )
    ]
    clocks = await tx.conn.fetch(
        "SELECT d.case_reference, d.deadline, COALESCE(d.moved_due_at, d.registered_due_at)"
        " AS due_at, c.stage_rank, d.breached_at, d.breached_due_at,"
        " d.moved_at IS NOT NULL AND d.moved_at >= d.breached_at AS justified"
        " FROM deadlines d JOIN cases c USING (tenant, case_reference)"
        " WHERE d.tenant = $1 AND d.met_at IS NULL AND c.ended_at IS NULL"
        " AND COALESCE(d.moved_due_at, d.registered_due_at) IS NOT NULL"
        " ORDER BY due_at",
        tx.tenant,
    )
    at_risk: list[ClockView] = []
    breaches: list[ClockView] = []
    for row in clocks:
        view = ClockView(
            row["case_reference"],
            row["deadline"],
            row["due_at"],
            _stage_name(row["stage_rank"]),
            row["breached_at"],
            bool(row["justified"]),
        )
        if row["breached_due_at"] is not None:
            breaches.append(view)
        elif view.due_at - WARNING_LEAD[Deadline(view.deadline)] <= now:
            at_risk.append(view)
    raised = {
        row["deadline"]: int(row["n"])
        for row in await tx.conn.fetch(
            "SELECT deadline, sum(breaches) AS n FROM deadlines WHERE tenant = $1"
            " GROUP BY deadline",
            tx.tenant,
        )
    }
    return Board(
        tx.tenant, stages, int(ended or 0), escalations, at_risk[:limit], breaches[:limit], raised
    )


async def history(tx: Transaction, *, case_reference: str) -> list[dict[str, object]]:
    """A case's history, oldest first, in words that carry no personal data."""
    rows = await tx.conn.fetch(
        "SELECT occurred_at, type, note FROM case_history WHERE tenant = $1"
        " AND case_reference = $2 ORDER BY occurred_at, message_id",
        tx.tenant,
        case_reference,
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One open case on a work list: its stage, its nearest clock and any immediate risk."""

    case_reference: str
    stage: str
    scheme_profile: str | None
    received_at: datetime | None
    last_event_at: datetime | None
    escalations: int
    deadline: str | None  # the nearest clock not yet met
    due_at: datetime | None
    clock: str  # "breached", "at risk", "due" or "none"


CLOCK_STATES = ("breached", "at risk", "due", "none")


async def work_list(
    tx: Transaction,
    *,
    now: datetime,
    stage: str | None = None,
    clock: str | None = None,
    due_before: datetime | None = None,
    immediate_risk: bool = False,
    cases: list[str] | None = None,
    limit: int = 200,
) -> list[WorkItem]:
    """The force's open cases, immediate risk first, then by their nearest clock (2.7)."""
    rows = await tx.conn.fetch(
        "SELECT c.case_reference, c.stage_rank, c.scheme_profile, c.contact_at,"
        " c.last_event_at, c.escalations, d.deadline, d.due_at, d.breached_due_at"
        " FROM cases c LEFT JOIN LATERAL ("
        "   SELECT deadline, COALESCE(moved_due_at, registered_due_at) AS due_at,"
        "   breached_due_at FROM deadlines"
        "   WHERE tenant = c.tenant AND case_reference = c.case_reference AND met_at IS NULL"
        "   AND COALESCE(moved_due_at, registered_due_at) IS NOT NULL"
        "   ORDER BY breached_due_at IS NULL, due_at LIMIT 1) d ON true"
        " WHERE c.tenant = $1 AND c.ended_at IS NULL"
        " AND ($2::text[] IS NULL OR c.case_reference = ANY($2))"
        " AND (NOT $3 OR c.escalations > 0)"
        " AND ($4::timestamptz IS NULL OR d.due_at <= $4)"
        " ORDER BY c.escalations > 0 DESC, d.breached_due_at IS NULL, d.due_at NULLS LAST,"
        " c.case_reference",
        tx.tenant,
        cases,
        immediate_risk,
        due_before,
    )
    items = [_work_item(row, now) for row in rows]
    return [
        item
        for item in items
        if (stage is None or item.stage == stage) and (clock is None or item.clock == clock)
    ][:limit]


def _work_item(row: Mapping[str, Any], now: datetime) -> WorkItem:
    due_at, deadline = row["due_at"], row["deadline"]
    if deadline is None:
        state = "none"
    elif row["breached_due_at"] is not None:
        state = "breached"
    elif due_at - WARNING_LEAD[Deadline(deadline)] <= now:
        state = "at risk"
    else:
        state = "due"
    return WorkItem(
        case_reference=row["case_reference"],
        stage=_stage_name(row["stage_rank"]),
        scheme_profile=row["scheme_profile"],
        received_at=row["contact_at"],
        last_event_at=row["last_event_at"],
        escalations=int(row["escalations"]),
        deadline=deadline,
        due_at=due_at,
        clock=state,
    )
