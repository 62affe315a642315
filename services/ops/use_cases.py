"""What the ops service does, one function each: project events, run the deadline clocks."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog

from schemas.base import Message
from schemas.deadlines import DeadlineBreachedV1, DeadlineWarningV1, TimescaleDeviationRecordedV1
from schemas.envelope import Envelope
from schemas.stages import Deadline
from services.ops import domain, merge, store
from services.runtime.clock import Clock
from services.runtime.emitter import Cause, emit
from services.runtime.unit_of_work import Database, Transaction

SERVICE = "ops"
CLOCKS_PER_ROUND = 500
log = structlog.get_logger(__name__)


class CaseNotFound(LookupError):  # noqa: N818 - the guidance's plain words
    """No such case (or no such clock) for this force."""


async def project(tx: Transaction, *, envelope: Envelope, message: Message) -> None:
    """Merge one event into the read model (the inbox claim is the caller's)."""
    change = domain.change_for(message)
    if change is None:
        return
    batch = merge.Batch()
    batch.add(
        change, message_id=envelope.id, type_=envelope.type, correlation_id=envelope.correlation_id
    )
    await store.apply(tx, batch)
    if change.escalation is not None:
        # 2.7: shown at once on the dashboard; the log line lets an alert fire now too.
        log.warning("safeguarding_escalation_shown", risk=change.escalation.risk)


async def _emit_and_project(
    tx: Transaction, *, message: Message, case_reference: str, now: datetime
) -> Envelope:
    """Publish an event of ours and apply it to our own model in the same transaction."""
    correlation = await store.correlation_of(tx, case_reference=case_reference)
    cause = Cause.resumed(correlation, None)  # the clock acts: the case's correlation, no cause
    envelope = emit(tx, message, service=SERVICE, subject=case_reference, now=now, cause=cause)
    # Claimed now, so that reading it back from the stream is a duplicate: the live model
    # and one rebuilt from the topics see this event exactly once each.
    await tx.claim(consumer=SERVICE, source=envelope.source, message_id=str(envelope.id))
    await project(tx, envelope=envelope, message=message)
    return envelope


async def run_deadline_clocks(database: Database, *, tenant: str, clock: Clock) -> int:
    """Raise every warning and breach now due for a force, each once per due date."""
    raised = 0
    now = clock.now()
    async with database.transaction(tenant) as tx:
        for running in await store.running_clocks(tx, limit=CLOCKS_PER_ROUND):
            alarm = domain.alarm_for(running, now)
            if alarm is None:
                continue
            message: Message
            if alarm.breach:
                # Section 6: a delayed case is re-triaged, and a deviation needs a justification.
                message = DeadlineBreachedV1(
                    case_reference=running.case_reference,
                    deadline=running.deadline,
                    due_at=running.due_at,
                    breached_at=now,
                    retriage_required=True,
                )
            else:
                message = DeadlineWarningV1(
                    case_reference=running.case_reference,
                    deadline=running.deadline,
                    due_at=running.due_at,
                    warned_at=now,
                )
            await _emit_and_project(
                tx, message=message, case_reference=running.case_reference, now=now
            )
            log.info(
                "deadline_breached" if alarm.breach else "deadline_warning",
                case=running.case_reference,
                deadline=running.deadline.value,
            )
            raised += 1
    return raised


async def record_deviation(
    tx: Transaction,
    *,
    case_reference: str,
    deadline: Deadline,
    new_due_at: datetime,
    justification: str,
    clock: Clock,
) -> UUID:
    """Move a clock with the justification the guidance asks for (5.4.8); return the event id."""
    previous = await store.due_at(tx, case_reference=case_reference, deadline=deadline)
    if previous is None:
        raise CaseNotFound(f"no {deadline.value} clock for {case_reference}")
    now = clock.now()
    message = TimescaleDeviationRecordedV1(
        case_reference=case_reference,
        deadline=deadline,
        previous_due_at=previous,
        new_due_at=new_due_at,
        justification=justification,
        recorded_at=now,
    )
    envelope = await _emit_and_project(tx, message=message, case_reference=case_reference, now=now)
    log.info("timescale_deviation_recorded", case=case_reference, deadline=deadline.value)
    return envelope.id
