"""What the checks service does, one function each: state, outbox and audit in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

import structlog

from schemas.checks import (
    CheckAnsweredV1,
    ChecksRequestedV1,
    MatchOutcome,
    RequestChecksV1,
    SettleMatchV1,
    System,
)
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.parties import SubjectParticulars
from services.checks import classification, domain, progress, store
from services.checks.config import ChecksSettings
from services.checks.domain import Status
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected
from services.runtime.emitter import emit
from services.runtime.unit_of_work import Database, Transaction

SERVICE = progress.SERVICE
ENQUIRY, APPLICATION, REQUEST = "enquiry-registered", "application-submitted", "request"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the use cases that handle messages are given by the composition root (app.py)."""

    clock: Clock
    settings: ChecksSettings


async def request_checks(deps: Deps, tx: Transaction, delivery: Delivery[RequestChecksV1]) -> None:
    """Intake's or multi-agency's request: ask each system of the stage about each party.

    5.1.9, 5.2.12 and 5.4.4 say which systems each stage asks.
    """
    command, cause, clock, settings = delivery.message, delivery.envelope, deps.clock, deps.settings
    now = clock.now()
    stage, case = command.stage, command.case_reference
    await store.lock_case(tx, case_reference=case)
    systems = domain.systems_for(stage, command.systems)
    parties = tuple(dict.fromkeys(command.parties))
    for given in command.particulars:  # e.g. a handoff's subject: no intake event here
        await store.save_particulars(
            tx,
            case_reference=case,
            party=given.party,
            particulars=given.particulars,
            source=REQUEST,
            recorded_at=now,
        )
    due = now + timedelta(seconds=settings.answer_wait_seconds)
    fresh = await store.add_request(
        tx,
        case_reference=case,
        stage=stage,
        parties=parties,
        systems=systems,
        requested_at=now,
        due_at=due,
        request_id=cause.id,
        correlation_id=cause.correlation_id,
        request_source=cause.source,
    )
    if not fresh:
        log.info("checks_already_requested", stage=stage.value)
        return
    overrides = settings.tenant_overrides()
    queries = [
        store.Query(
            query_id=uuid4(),
            case_reference=case,
            stage=stage,
            system=system,
            party=party,
            system_tenant=domain.system_tenant(system, force=tx.tenant, overrides=overrides),
            status=domain.first_status(stage, system),
            attempts=0,
            result=None,
        )
        for party in parties
        for system in systems
    ]
    await store.add_queries(tx, queries=queries)
    requested = ChecksRequestedV1(
        case_reference=case,
        stage=stage,
        systems=systems,
        parties=parties,
        requested_at=now,
        due_at=due,
    )
    emit(tx, requested, service=SERVICE, subject=case, now=now, cause=cause)
    log.info("checks_requested", stage=stage.value, systems=len(systems), queries=len(queries))
    await progress.advance(tx, case_reference=case, stage=stage, clock=clock, settings=settings)


async def record_particulars(
    deps: Deps,
    tx: Transaction,
    delivery: Delivery[EnquiryRegisteredV1] | Delivery[ApplicationSubmittedV1],
) -> None:
    """Keep what intake learnt of the parties, then send the queries that waited for it."""
    event, clock, settings = delivery.message, deps.clock, deps.settings
    now = clock.now()
    case = event.case_reference
    await store.lock_case(tx, case_reference=case)
    source = APPLICATION if isinstance(event, ApplicationSubmittedV1) else ENQUIRY
    known: dict[str, SubjectParticulars] = {}
    if event.subject is not None:
        known["subject"] = event.subject
    if event.applicant is not None:
        known["applicant"] = domain.applicant_particulars(event.applicant)
    for child in event.children:
        known[child.party] = domain.child_particulars(child)
    for party, particulars in known.items():
        await store.save_particulars(
            tx,
            case_reference=case,
            party=party,
            particulars=particulars,
            source=source,
            recorded_at=now,
        )
    await store.record_source(
        tx,
        case_reference=case,
        source=source,
        concerning_behaviour=classification.concerning_behaviour(event.immediate_risk),
        received_at=now,
    )
    log.info("particulars_recorded", source=source, parties=len(known))
    for stage in await store.open_stages(tx, case_reference=case):
        await progress.advance(tx, case_reference=case, stage=stage, clock=clock, settings=settings)


async def record_answer(deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredV1]) -> None:
    """Keep a system's answer; complete the stage when it was the last one awaited.

    It comes on the system's own inbox topic, which proves the sender.
    """
    answer, sender, clock, settings = (
        delivery.message,
        delivery.envelope.tenant,
        deps.clock,
        deps.settings,
    )
    query = await store.query_by_id(tx, query_id=answer.query_id)
    if query is None:
        raise Rejected(f"query_id: {answer.query_id} is no query of this force")
    if sender != query.system_tenant:
        raise Rejected(f"header ce_source: {sender} did not receive query {answer.query_id}")
    asked = (query.case_reference, query.system, query.system_tenant, query.party, query.system)
    given = (answer.case_reference, answer.system, answer.answered_by, answer.result.party)
    if (*given, answer.result.system) != asked:
        raise Rejected("result: the answer does not fit the query it names (case, system, party)")
    await store.lock_case(tx, case_reference=query.case_reference)
    request = await store.lock_request(tx, case_reference=query.case_reference, stage=query.stage)
    query = await store.query_by_id(tx, query_id=answer.query_id)
    assert request is not None
    assert query is not None
    if query.status is Status.ANSWERED:
        log.info("check_answer_repeated", system=query.system.value)  # a retry answered twice
        return
    result = classification.classified(answer.result)
    late = request.completed_at is not None
    await store.record_result(
        tx,
        query_id=query.query_id,
        result=result,
        answered_at=answer.answered_at,
        late=late,
    )
    if late:
        await progress.report_late(
            tx, request=request, result=result, answered_at=answer.answered_at, clock=clock
        )
        return
    log.info("check_answer_recorded", system=query.system.value, outcome=result.outcome.value)
    if query.system is System.PNC and domain.visor_needs_marker(query.stage):
        # 5.1.9: ViSOR is asked about a party only when PNC shows a ViSOR marker.
        for other in await store.queries_of(
            tx, case_reference=query.case_reference, stage=query.stage
        ):
            if (
                other.system is System.VISOR
                and other.party == query.party
                and (other.status is Status.AWAITING_MARKER)
            ):
                await store.set_status(
                    tx,
                    query_ids=[other.query_id],
                    status=domain.visor_after_pnc(result),
                )
    await progress.advance(
        tx, case_reference=query.case_reference, stage=query.stage, clock=clock, settings=settings
    )


async def settle_match(deps: Deps, tx: Transaction, delivery: Delivery[SettleMatchV1]) -> None:
    """A researcher settled a possible match (5.4.4, 5.2.5): ask the system for the record
    settled on as the match, or read the check as no trace where none of them is the person.
    The result goes on as any late answer of its stage does."""
    settle, clock = delivery.message, deps.clock
    await store.lock_case(tx, case_reference=settle.case_reference)
    request = await store.lock_request(tx, case_reference=settle.case_reference, stage=settle.stage)
    queries = (
        await store.queries_of(tx, case_reference=settle.case_reference, stage=settle.stage)
        if request is not None
        else []
    )
    query = next((q for q in queries if (q.system, q.party) == (settle.system, settle.party)), None)
    if request is None or query is None:
        raise Rejected(
            f"system: no {settle.system.value} check of the {settle.party} at {settle.stage.value}"
        )
    if query.result is None or query.result.outcome is not MatchOutcome.POSSIBLE_MATCH:
        raise Rejected(f"system: the {settle.system.value} check holds no possible match to settle")
    candidates = {candidate.record_reference for candidate in query.result.candidates}
    if settle.record_reference is None:
        await _ruled_out(tx, request, query, settled_at=settle.settled_at, clock=clock)
        return
    if settle.record_reference not in candidates:
        raise Rejected("record_reference: not one of the possible match's candidates")
    await store.settle_on(tx, query_id=query.query_id, record_reference=settle.record_reference)
    settled = await store.query_by_id(tx, query_id=query.query_id)
    known = await store.particulars_of(tx, case_reference=settle.case_reference)
    assert settled is not None
    await progress.send(
        tx,
        query=settled,
        particulars=known[query.party],
        request=request,
        clock=clock,
        settings=deps.settings,
    )


async def _ruled_out(
    tx: Transaction,
    request: store.Request,
    query: store.Query,
    *,
    settled_at: datetime,
    clock: Clock,
) -> None:
    """None of the candidates is the person: the check reads as no trace (5.4.4)."""
    assert query.result is not None
    result = query.result.model_copy(
        update={"outcome": MatchOutcome.NO_TRACE, "confidence": 0.0, "candidates": ()}
    )
    late = request.completed_at is not None
    await store.record_result(
        tx, query_id=query.query_id, result=result, answered_at=settled_at, late=late
    )
    log.info("possible_match_ruled_out", system=query.system.value, party=query.party)
    if late:
        await progress.report_late(
            tx, request=request, result=result, answered_at=settled_at, clock=clock
        )


async def end_waits(
    database: Database, *, tenant: str, clock: Clock, settings: ChecksSettings, batch: int = 50
) -> tuple[int, int]:
    """Ask silent systems again, and complete stages whose wait has ended; return how many."""
    now = clock.now()
    # Each case in its own transaction, its lock taken first as every handler takes it; a
    # case busy with a message (or with another replica) waits for the next round.
    async with database.transaction(tenant) as tx:
        silent = await store.due_retries(tx, now=now, limit=batch)
    retried = 0
    for due_query in silent:
        case = due_query.case_reference
        async with database.transaction(tenant) as tx:
            if not await store.lock_case(tx, case_reference=case, wait=False):
                continue
            query = await store.query_by_id(tx, query_id=due_query.query_id)
            request = await store.request_of(tx, case_reference=case, stage=due_query.stage)
            known = await store.particulars_of(tx, case_reference=case)
            if query is None or query.status is not Status.SENT or query.party not in known:
                continue
            settling = query.settle_reference is not None  # asked again after its stage (5.4.4)
            if request is None or (request.completed_at is not None and not settling):
                continue
            await progress.send(
                tx,
                query=query,
                particulars=known[query.party],
                request=request,
                clock=clock,
                settings=settings,
            )
            retried += 1
    async with database.transaction(tenant) as tx:
        due = await store.due_requests(tx, now=now, limit=batch)
    completed = 0
    for request in due:
        async with database.transaction(tenant) as tx:
            case = request.case_reference
            # A message of the case being applied, or another replica: the next round.
            if not await store.lock_case(tx, case_reference=case, wait=False):
                continue
            await progress.advance(
                tx,
                case_reference=case,
                stage=request.stage,
                clock=clock,
                settings=settings,
                wait_ended=True,
            )
            completed += 1
    if retried or completed:
        log.info("check_waits_ended", retried=retried, completed=completed)
    return retried, completed
