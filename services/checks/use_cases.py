"""What the checks service does, one function each."""

from __future__ import annotations

import structlog

from schemas import topics
from schemas.checks import ChecksCompletedV1, RequestChecksV1
from schemas.envelope import Envelope, caused_by, source_of
from services.checks import domain, store
from services.runtime.clock import Clock
from services.runtime.unit_of_work import Transaction

SERVICE = "checks"
log = structlog.get_logger(__name__)


async def run_checks(
    tx: Transaction, *, command: RequestChecksV1, cause: Envelope, clock: Clock
) -> None:
    """Record a request for a stage's checks and report what the reachable systems hold."""
    now = clock.now()
    fresh = await store.add_request(
        tx.conn,
        tenant=tx.tenant,
        case_reference=command.case_reference,
        stage=command.stage.value,
        parties=list(command.parties),
        requested_at=now,
    )
    if not fresh:
        log.info("checks_already_requested", stage=command.stage.value)
        return
    systems = domain.systems_reachable()
    await store.complete_request(
        tx.conn,
        tenant=tx.tenant,
        case_reference=command.case_reference,
        stage=command.stage.value,
        completed_at=now,
        systems_checked=[system.value for system in systems],
    )
    completed = ChecksCompletedV1(
        case_reference=command.case_reference,
        stage=command.stage,
        completed_at=now,
        results=(),
    )
    tx.emit(
        topics.stream(tx.tenant, SERVICE, "checks-completed"),
        completed,
        caused_by(cause, type=completed.TYPE, source=source_of(tx.tenant, SERVICE), time=now),
    )
    log.info("checks_completed", stage=command.stage.value, systems=len(systems))
