"""What the disclosure service does, one function each."""

from __future__ import annotations

import structlog

from schemas import topics
from schemas.disclosure import CaseClosedV1
from schemas.envelope import Envelope, caused_by, source_of
from schemas.multiagency import ForumDecidedV1
from services.disclosure import domain, store
from services.runtime.clock import Clock
from services.runtime.unit_of_work import Transaction

SERVICE = "disclosure"
log = structlog.get_logger(__name__)


async def take_route(
    tx: Transaction, *, decision: ForumDecidedV1, cause: Envelope, clock: Clock
) -> None:
    """Record the forum's route; close the case when the route needs no further decision."""
    now = clock.now()
    fresh = await store.add_route(
        tx.conn,
        tenant=tx.tenant,
        case_reference=decision.case_reference,
        route=decision.route.value,
        received_at=now,
    )
    if not fresh:
        log.info("route_already_taken")
        return
    closure = domain.closure_without_decision(decision.route, decision.case_reference)
    if closure is None:
        log.info("awaiting_disclosure_decision")
        return
    await store.close_case(
        tx.conn,
        tenant=tx.tenant,
        case_reference=decision.case_reference,
        closure=closure,
        closed_at=now,
    )
    closed = CaseClosedV1(
        case_reference=decision.case_reference,
        route=decision.route,
        outcome=closure.outcome,
        closed_at=now,
        final_intelligence_report=closure.final_intelligence_report,
    )
    tx.emit(
        topics.stream(tx.tenant, SERVICE, "case-closed"),
        closed,
        caused_by(cause, type=closed.TYPE, source=source_of(tx.tenant, SERVICE), time=now),
    )
    log.info("case_closed", outcome=closure.outcome.value)
