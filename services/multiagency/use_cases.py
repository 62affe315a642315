"""What the multi-agency service does, one function each."""

from __future__ import annotations

import structlog

from schemas import topics
from schemas.checks import ChecksCompletedV1
from schemas.envelope import Envelope, caused_by, source_of
from schemas.multiagency import ForumDecidedV1
from services.multiagency import domain, store
from services.runtime.clock import Clock
from services.runtime.unit_of_work import Transaction

SERVICE = "multiagency"
log = structlog.get_logger(__name__)


async def decide_route(
    tx: Transaction, *, checks: ChecksCompletedV1, cause: Envelope, clock: Clock
) -> None:
    """Assess a case once its checks are complete and record the forum's route."""
    now = clock.now()
    assessment = domain.assess(checks.results)
    fresh = await store.add_assessment(
        tx.conn,
        tenant=tx.tenant,
        case_reference=checks.case_reference,
        assessment=assessment,
        decided_at=now,
    )
    if not fresh:
        log.info("case_already_assessed")
        return
    decided = ForumDecidedV1(
        case_reference=checks.case_reference,
        forum=assessment.forum,
        route=assessment.route,
        recommend_disclosure=False,
        decided_at=now,
        rationale=assessment.rationale,
    )
    tx.emit(
        topics.stream(tx.tenant, SERVICE, "forum-decided"),
        decided,
        caused_by(cause, type=decided.TYPE, source=source_of(tx.tenant, SERVICE), time=now),
    )
    log.info("forum_decided", route=assessment.route.value, forum=assessment.forum.value)
