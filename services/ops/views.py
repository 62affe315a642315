"""What the dashboard shows of the read model: cases by stage, clocks at risk, breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
