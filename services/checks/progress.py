"""Moving a stage's checks on, inside the caller's transaction: send, retry, complete."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from schemas.base import Message
from schemas.checks import (
    CheckAnsweredLateV1,
    CheckQueryV1,
    CheckResult,
    ChecksCompletedV1,
    MatchOutcome,
    System,
)
from schemas.parties import SubjectParticulars
from schemas.stages import Stage
from services.checks import classification, domain, store
from services.checks.config import ChecksSettings
from services.checks.domain import Status
from services.runtime.audit import Action
from services.runtime.clock import Clock
from services.runtime.emitter import Cause, emit
from services.runtime.unit_of_work import Transaction

SERVICE = "checks"
log = structlog.get_logger(__name__)


def origin(request: store.Request) -> Cause:
    """The message that asked for a stage's checks: what everything they send is caused by."""
    assert request.request_id is not None
    assert request.correlation_id is not None
    return Cause(request.correlation_id, request.request_id)


def _emit(
    tx: Transaction,
    request: store.Request,
    message: Message,
    *,
    now: datetime,
    to: str | None = None,
) -> None:
    emit(
        tx,
        message,
        service=SERVICE,
        subject=request.case_reference,
        now=now,
        cause=origin(request),
        to=to,
    )


async def send(
    tx: Transaction,
    *,
    query: store.Query,
    particulars: SubjectParticulars,
    request: store.Request,
    clock: Clock,
    settings: ChecksSettings,
) -> None:
    """Send (or send again) one query to its system's inbox, and audit the consultation."""
    now = clock.now()
    message = CheckQueryV1(
        query_id=query.query_id,
        asking_force=tx.tenant,
        case_reference=query.case_reference,
        system=query.system,
        party=query.party,
        particulars=particulars,
        record_reference=query.settle_reference,
    )
    first_wait = timedelta(seconds=settings.retry_seconds)
    attempts = await store.mark_sent(
        tx,
        query_id=query.query_id,
        sent_at=now,
        next_attempt_at=now + domain.retry_delay(query.attempts + 1, first_wait),
    )
    _emit(tx, request, message, now=now, to=query.system_tenant)
    # architecture §5: every consultation of personal data, who, whose, when, with whom.
    await tx.audit(
        Action.CONSULTATION,
        at=now,
        case_ref=query.case_reference,
        recipients=[query.system_tenant],
        reason=(
            f"{query.system.value} check on the {query.party} at {query.stage.value}"
            f" (attempt {attempts}; 5.1.9, 5.2.12, 5.4.4)"
        ),
    )
    log.info("check_query_sent", system=query.system.value, party=query.party, attempt=attempts)


async def advance(
    tx: Transaction,
    *,
    case_reference: str,
    stage: Stage,
    clock: Clock,
    settings: ChecksSettings,
    wait_ended: bool = False,
) -> None:
    """Send what can be sent; complete the stage when nothing is awaited or its wait is over."""
    request = await store.lock_request(tx, case_reference=case_reference, stage=stage)
    if request is None or request.completed_at is not None:
        return
    known = await store.particulars_of(tx, case_reference=case_reference)
    sources, behaviour = await store.sources_of(tx, case_reference=case_reference)
    expected = domain.SOURCE_OF_STAGE.get(stage)
    ready = expected is None or expected in sources
    # 5.4.4 revisits every party of the application. Its request comes from multi-agency and
    # the application itself from intake, on two topics with no order between them: a party
    # not known yet waits for the application, unless the stage's wait is over.
    coming = domain.particulars_to_come(stage, sources) and not wait_ended
    queries = await store.queries_of(tx, case_reference=case_reference, stage=stage)
    for query in queries:
        if query.status is not Status.AWAITING_PARTICULARS or not ready:
            continue
        if query.party in known:
            await send(
                tx,
                query=query,
                particulars=known[query.party],
                request=request,
                clock=clock,
                settings=settings,
            )
        elif not coming:
            await store.set_status(tx, query_ids=[query.query_id], status=Status.INSUFFICIENT)
    queries = await store.queries_of(tx, case_reference=case_reference, stage=stage)
    # No particulars for PNC means none for ViSOR either: it will never see a marker.
    unsearchable = {
        q.party for q in queries if q.system is System.PNC and q.status is Status.INSUFFICIENT
    }
    stuck = [
        q.query_id
        for q in queries
        if q.status is Status.AWAITING_MARKER and q.party in unsearchable
    ]
    if stuck:
        await store.set_status(tx, query_ids=stuck, status=Status.INSUFFICIENT)
        queries = await store.queries_of(tx, case_reference=case_reference, stage=stage)
    if wait_ended or all(query.status.settled for query in queries):
        await complete(tx, request=request, queries=queries, behaviour=behaviour, clock=clock)


async def complete(
    tx: Transaction,
    *,
    request: store.Request,
    queries: list[store.Query],
    behaviour: bool,
    clock: Clock,
) -> None:
    """Emit every system's result for every party; a silent system is 'unavailable'."""
    now = clock.now()
    closing = {q.query_id: domain.closing_status(q.status) for q in queries if not q.status.settled}
    for status in set(closing.values()):
        ids = [query_id for query_id, to in closing.items() if to is status]
        await store.set_status(tx, query_ids=ids, status=status)
    results = [
        query.result
        or domain.closed_result(
            system=query.system, party=query.party, status=closing.get(query.query_id, query.status)
        )
        for query in queries
    ]
    summary = classification.summarise(results, behaviour=behaviour)
    partial = any(r.outcome is MatchOutcome.UNAVAILABLE for r in results)
    completed = ChecksCompletedV1(
        case_reference=request.case_reference,
        stage=request.stage,
        completed_at=now,
        results=tuple(results),
        partial=partial,
        indication=summary.indication,
        concerns=summary.concerns,
        presumption_to_disclose=summary.presumption_to_disclose,
    )
    _emit(tx, request, completed, now=now)
    checked = tuple(dict.fromkeys(q.system for q in queries if q.result is not None))
    await store.complete_request(
        tx,
        case_reference=request.case_reference,
        stage=request.stage,
        completed_at=now,
        systems_checked=checked,
        partial=partial,
    )
    log.info(
        "checks_completed",
        stage=request.stage.value,
        results=len(results),
        partial=partial,
        indication=summary.indication.value,
    )


async def report_late(
    tx: Transaction,
    *,
    request: store.Request,
    result: CheckResult,
    answered_at: datetime,
    clock: Clock,
) -> None:
    """A system answered after its stage completed without it: pass the answer on, not lose it."""
    assert request.completed_at is not None
    now = clock.now()
    late = CheckAnsweredLateV1(
        case_reference=request.case_reference,
        stage=request.stage,
        result=result,
        answered_at=answered_at,
        completed_at=request.completed_at,
        concerns=classification.concerns_in([result]),
    )
    _emit(tx, request, late, now=now)
    log.info("check_answered_late", system=result.system.value, outcome=result.outcome.value)
