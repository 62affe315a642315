"""A stand-in's one use case: search its own records for the person asked about, and answer."""

from __future__ import annotations

import json

import structlog

from schemas import topics
from schemas.checks import (
    Candidate,
    CheckAnsweredV1,
    CheckQueryV1,
    CheckResult,
    MatchOutcome,
    System,
)
from schemas.envelope import Envelope, caused_by, source_of
from schemas.parties import SubjectParticulars
from services.checks import matching
from services.checks.persons import Nominal
from services.checks.stubs import search
from services.checks.stubs.behaviour import Behaviour
from services.runtime.audit import Action
from services.runtime.clock import Clock
from services.runtime.consumer import Rejected
from services.runtime.outbox import OutgoingRecord
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)
LOCAL_SUFFIX = "-intel"


def check_addressee(*, system: System, tenant: str, query: CheckQueryV1) -> None:
    """Refuse a query meant for another system, or another force's local intelligence."""
    if query.system is not system:
        raise Rejected(f"system: {query.system.value} asked on the inbox of {system.value}")
    # Local intelligence is visible only to its own force (architecture §5).
    if system is System.LOCAL_INTELLIGENCE and f"{query.asking_force}{LOCAL_SUFFIX}" != tenant:
        raise Rejected(
            f"asking_force: {query.asking_force} may not search the local intelligence of "
            f"{tenant.removesuffix(LOCAL_SUFFIX)}"
        )


async def search_records(tx: Transaction, *, system: System, query: CheckQueryV1) -> CheckResult:
    """Search the system's records for the person asked about and say what it found."""
    if query.record_reference is not None:
        return await settled_record(tx, system=system, query=query)
    decision, loaded = await searched(tx, query.particulars)
    base = CheckResult(
        system=system,
        party=query.party,
        outcome=decision.outcome,
        confidence=round(decision.confidence, 3),
        missing=decision.missing,
    )
    if decision.outcome is MatchOutcome.POSSIBLE_MATCH:
        ranked = tuple(matching_candidate(scored) for scored in decision.candidates)
        return base.model_copy(update={"candidates": ranked})
    if decision.outcome is not MatchOutcome.MATCH or decision.best is None:
        return base
    reference = decision.best.nominal.reference
    nominal_id, marker = next((i, m) for n, m, i in loaded if n.reference == reference)
    found = await search.findings(tx, nominal_id=nominal_id)
    return base.model_copy(
        update={
            "findings": found,
            "visor_marker": marker if system is System.PNC else None,
            "candidates": (matching_candidate(decision.best),),
        }
    )


async def settled_record(tx: Transaction, *, system: System, query: CheckQueryV1) -> CheckResult:
    """The record a researcher settled on (5.4.4), as the match; no trace if it is not held."""
    reference = query.record_reference
    row = await tx.conn.fetchrow(
        "SELECT id, visor_marker FROM nominals WHERE tenant = $1 AND reference = $2",
        tx.tenant,
        reference,
    )
    if row is None:
        return CheckResult(
            system=system, party=query.party, outcome=MatchOutcome.NO_TRACE, confidence=0.0
        )
    return CheckResult(
        system=system,
        party=query.party,
        outcome=MatchOutcome.MATCH,
        confidence=1.0,
        findings=await search.findings(tx, nominal_id=int(row["id"])),
        visor_marker=bool(row["visor_marker"]) if system is System.PNC else None,
        candidates=(
            Candidate(record_reference=str(reference), confidence=1.0, reasons=("settled",)),
        ),
    )


async def searched(
    tx: Transaction, particulars: SubjectParticulars
) -> tuple[matching.Decision, list[tuple[Nominal, bool, int]]]:
    """One search by the matching rules every check uses: the decision, and the nominals
    weighed with their ViSOR markers and ids."""
    person = matching.person_from(particulars)
    enough = not matching.missing_detail(person)
    ids = await search.block(tx, query=person) if enough else []
    loaded = await search.load(tx, ids=ids) if ids else []
    return matching.decide(person, (nominal for nominal, _, _ in loaded)), loaded


async def matched_nominal(tx: Transaction, particulars: SubjectParticulars) -> int | None:
    """The id of the nominal the particulars match, by the rules of a check; None unless a
    match (a possible match is not the person: 5.2.5)."""
    decision, loaded = await searched(tx, particulars)
    if decision.outcome is not MatchOutcome.MATCH or decision.best is None:
        return None
    reference = decision.best.nominal.reference
    return next(i for n, _, i in loaded if n.reference == reference)


def matching_candidate(scored: matching.Scored) -> Candidate:
    """A ranked candidate as the answer carries it."""
    return Candidate(
        record_reference=scored.nominal.reference,
        confidence=round(scored.confidence, 3),
        reasons=scored.reasons,
    )


async def answer_query(
    tx: Transaction,
    *,
    system: System,
    query: CheckQueryV1,
    cause: Envelope,
    behaviour: Behaviour,
    clock: Clock,
) -> None:
    """Answer one check query to the asking force's inbox, and audit the disclosure."""
    check_addressee(system=system, tenant=tx.tenant, query=query)
    await behaviour.before_answer()
    result = await search_records(tx, system=system, query=query)
    now = clock.now()
    answer = CheckAnsweredV1(
        query_id=query.query_id,
        case_reference=query.case_reference,
        system=system,
        answered_by=tx.tenant,
        result=result,
        answered_at=now,
    )
    envelope = caused_by(cause, type=answer.TYPE, source=source_of(tx.tenant, "system"), time=now)
    inbox = topics.inbox(query.asking_force, tx.tenant)
    if behaviour.garbles():
        # As a faulty adapter would: the right headers, a body the force cannot read.
        body = json.dumps({"query_id": str(query.query_id), "result": "garbled"}).encode()
        tx.emit_record(OutgoingRecord(inbox, envelope.key, envelope.to_headers(), body))
        log.warning("check_answer_garbled", query=str(query.query_id))
    else:
        tx.emit(inbox, answer, envelope)
    await tx.audit(
        Action.DISCLOSURE,
        at=now,
        actor=f"{tx.tenant}/{system.value}",
        case_ref=query.case_reference,
        recipients=[query.asking_force],
        reason=f"{system.value} check on {query.party}: {result.outcome.value}",
    )
    log.info(
        "check_answered",
        query=str(query.query_id),
        system=system.value,
        outcome=result.outcome.value,
        findings=len(result.findings),
        candidates=len(result.candidates),
    )
