"""Many events' changes merged per case and per clock before they are written (pure).

The read model's rows merge order-independently (store.py): earliest and latest dates,
counts added, a value kept once set. Merging a batch of changes here by those same rules
gives one row per case and per clock, which the store writes in one statement per table
with the same merge against what the table already holds. So a batch of any size and the
events one at a time end in the same model; the live service writes batches of one, and a
rebuild batches of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from services.ops.domain import CaseChange, ClockChange, stage_rank

# How each column of `cases` an event may set merges with a value already there.
FIRST, EARLIEST, ANY_TRUE, ADDED = "first", "earliest", "any-true", "added"
CASE_COLUMNS: dict[str, str] = {
    "scheme_profile": FIRST,
    "channel": FIRST,
    "outcome": FIRST,
    "contact_at": EARLIEST,
    "applied_at": EARLIEST,
    "pack_given_at": EARLIEST,
    "assessed_at": EARLIEST,
    "decided_at": EARLIEST,
    "disclosed_at": EARLIEST,
    "closed_at": EARLIEST,
    "ended_at": EARLIEST,
    "registered_offender": ANY_TRUE,
    "escalations": ADDED,
}
# What a column holds when no event of the batch set it: the merge then keeps the table's.
UNSET: dict[str, Any] = {ANY_TRUE: False, ADDED: 0}


def earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two dates, either of which may be missing (as SQL's LEAST)."""
    return b if a is None else a if b is None else min(a, b)


def latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two dates, either of which may be missing (as SQL's GREATEST)."""
    return b if a is None else a if b is None else max(a, b)


@dataclass(slots=True)
class CaseRow:
    """One case's merged change: the row written, or merged into the one there."""

    case_reference: str
    correlation_id: UUID | None
    stage_rank: int
    events: int
    last_event_at: datetime
    columns: dict[str, Any] = field(default_factory=dict)

    def merge(self, change: CaseChange, correlation_id: UUID) -> None:
        self.correlation_id = self.correlation_id or correlation_id
        self.stage_rank = max(self.stage_rank, stage_rank(change.stage) if change.stage else 0)
        self.events += 1
        self.last_event_at = max(self.last_event_at, change.occurred_at)
        for name, value in change.case.items():
            self.columns[name] = _merged(CASE_COLUMNS[name], self.columns.get(name), value)

    def value(self, name: str) -> Any:
        """A column as written: the merged value, or what leaves the table's unchanged."""
        return self.columns.get(name, UNSET.get(CASE_COLUMNS[name]))


def _merged(rule: str, was: Any, new: Any) -> Any:
    if was is None:
        return new
    if rule == FIRST:
        return was
    if rule == EARLIEST:
        return earliest(was, new)
    if rule == ANY_TRUE:
        return bool(was or new)
    return was + new  # ADDED


@dataclass(slots=True)
class ClockRow:
    """One clock's merged change."""

    case_reference: str
    deadline: str
    registered_due_at: datetime | None = None
    moved_due_at: datetime | None = None
    moved_at: datetime | None = None
    met_at: datetime | None = None
    warned_due_at: datetime | None = None
    breached_due_at: datetime | None = None
    breached_at: datetime | None = None
    deviations: int = 0
    warnings: int = 0
    breaches: int = 0

    def merge(self, clock: ClockChange) -> None:
        self.registered_due_at = self.registered_due_at or clock.due_at
        # The latest deviation decides; ties broken by the later date, so any order agrees.
        if clock.moved_at is not None and (
            self.moved_at is None
            or (clock.moved_at, clock.moved_to) > (self.moved_at, self.moved_due_at)
        ):
            self.moved_due_at = clock.moved_to
        self.moved_at = latest(self.moved_at, clock.moved_at)
        self.met_at = earliest(self.met_at, clock.met_at)
        self.warned_due_at = latest(self.warned_due_at, clock.warned_for)
        self.breached_due_at = latest(self.breached_due_at, clock.breached_for)
        self.breached_at = earliest(self.breached_at, clock.breached_at)
        self.deviations += int(clock.moved_to is not None)
        self.warnings += int(clock.warned_for is not None)
        self.breaches += int(clock.breached_for is not None)


@dataclass(slots=True)
class Batch:
    """The changes of many events, merged: at most one row per case and per clock."""

    cases: dict[str, CaseRow] = field(default_factory=dict)
    clocks: dict[tuple[str, str], ClockRow] = field(default_factory=dict)
    history: list[tuple[UUID, str, str, datetime, str]] = field(default_factory=list)
    escalations: list[tuple[UUID, str, str | None, str, bool, datetime]] = field(
        default_factory=list
    )

    def add(
        self, change: CaseChange, *, message_id: UUID, type_: str, correlation_id: UUID
    ) -> None:
        """Merge one event's change in."""
        reference = change.case_reference
        row = self.cases.get(reference)
        if row is None:
            row = self.cases[reference] = CaseRow(reference, None, 0, 0, change.occurred_at)
        row.merge(change, correlation_id)
        for clock in change.clocks:
            key = (reference, clock.deadline.value)
            merged = self.clocks.get(key)
            if merged is None:
                merged = self.clocks[key] = ClockRow(reference, clock.deadline.value)
            merged.merge(clock)
        self.history.append((message_id, reference, type_, change.occurred_at, change.note))
        if change.escalation is not None:
            raised = change.escalation
            self.escalations.append(
                (
                    message_id,
                    reference,
                    raised.stage,
                    raised.risk,
                    raised.section_47,
                    raised.raised_at,
                )
            )

    def __len__(self) -> int:
        return len(self.history)
