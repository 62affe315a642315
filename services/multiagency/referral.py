"""Immediate or imminent risk reaches children's social care at once (2.7, 5.1.11, 5.2.14).

A safeguarding escalation, whoever raised it, is referred to the children's social care of
the force's area on its inbox, with the grounds and the children known so far. The agency
acknowledges it by the time asked; an acknowledgement that does not come is chased by the
deadline timer and logged as an error for the force's duty officer, never left to wait.
Sharing for a child at risk needs no consent (5.1.12), and is audited like every sharing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog

from schemas.parties import Child
from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    ReferralOverdueV1,
    ReferralResponse,
    Risk,
    SafeguardingEscalationRaisedV1,
)
from schemas.stages import Stage
from services.multiagency import handoff
from services.multiagency.config import Context
from services.multiagency.messaging import emit
from services.multiagency.store import Case
from services.runtime import audit
from services.runtime.connection import fetch_one
from services.runtime.consumer import Rejected
from services.runtime.emitter import Cause
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral as stored: to whom, by when, and whether it was acknowledged."""

    referral_id: UUID
    case_reference: str
    agency: str
    risk: Risk
    stage: Stage | None
    section_47: bool
    referred_at: datetime
    acknowledge_by: datetime
    acknowledged_at: datetime | None
    response: ReferralResponse | None
    overdue_at: datetime | None
    forwarded_from: str | None = None  # the force whose referral this force passed on (3.5)
    forwarded_referral_id: UUID | None = None


def raise_escalation(
    tx: Transaction,
    case: Case,
    *,
    stage: Stage,
    risk: Risk,
    grounds: str,
    section_47: bool,
    now: datetime,
) -> None:
    """Raise immediate or imminent risk on the force's safeguarding stream (2.7, 5.4.6).

    Every escalation takes the one path: this service reads the stream and refers it to
    children's social care (`refer`), and ops shows it, whoever raised it.
    """
    escalation = SafeguardingEscalationRaisedV1(
        case_reference=case.case_reference,
        stage=stage,
        risk=risk,
        grounds=grounds,
        section_47=section_47,
        raised_at=now,
    )
    emit(
        tx,
        escalation,
        cause=Cause(case.correlation_id),
        subject=case.case_reference,
        now=now,
    )
    log.warning("safeguarding_escalation_raised", stage=stage.value, risk=risk.value)


async def refer(
    tx: Transaction,
    case: Case,
    escalation: SafeguardingEscalationRaisedV1,
    *,
    trigger: Cause,
    now: datetime,
    context: Context,
) -> None:
    """Refer the escalation at once to the children's social care of the area where each
    child lives (2.7, 5.1.11, 3.5): this force's own for its children, and for a child who
    lives in another force's area, that force, which refers the child to its own (4.10)."""
    elsewhere = handoff.parties_elsewhere(case, context.directory, tx.tenant)
    away = [part for part in elsewhere if part.children]
    here = handoff.children_here(case, away)
    said = Said(escalation.stage, escalation.risk, escalation.grounds, escalation.section_47)
    if here or not away:  # no child known yet: this area's children's social care
        agency = (
            escalation.childrens_social_care
            or context.directory.area(tx.tenant).childrens_social_care
        )
        await _send(
            tx,
            case.case_reference,
            said,
            here,
            to=agency,
            trigger=trigger,
            now=now,
            context=context,
        )
    for part in away:
        await _send(
            tx,
            case.case_reference,
            said,
            part.children,
            to=part.force,
            trigger=trigger,
            now=now,
            context=context,
        )


async def forward(
    tx: Transaction,
    referred: ReferImmediateRiskV1,
    *,
    sender: str,
    trigger: Cause,
    now: datetime,
    context: Context,
) -> None:
    """Another force refers a child who lives here: this force refers the child to its own
    children's social care at once, under its area's safeguarding procedures (3.5, 4.10),
    and passes the acknowledgement back when it comes."""
    if sender != referred.referring_force:
        raise Rejected(f"referring_force: {referred.referring_force} differs from the sender")
    if sender == tx.tenant or not context.directory.knows(sender):
        raise Rejected(f"referring_force: {sender} is not another force {tx.tenant} knows")
    said = Said(referred.stage, referred.risk, referred.grounds, referred.section_47)
    await _send(
        tx,
        referred.case_reference,
        said,
        referred.children,
        to=context.directory.area(tx.tenant).childrens_social_care,
        trigger=trigger,
        now=now,
        context=context,
        forwarded=(sender, referred.referral_id),
    )


@dataclass(frozen=True, slots=True)
class Said:
    """What a referral says of the risk: when it was seen, how near, why, and whether s.47."""

    stage: Stage
    risk: Risk
    grounds: str
    section_47: bool


async def _send(
    tx: Transaction,
    case_reference: str,
    said: Said,
    children: tuple[Child, ...],
    *,
    to: str,
    trigger: Cause,
    now: datetime,
    context: Context,
    forwarded: tuple[str, UUID] | None = None,
) -> UUID:
    """Send one referral, keep it to chase, and audit the sharing."""
    referral = ReferImmediateRiskV1(
        referral_id=uuid4(),
        referring_force=tx.tenant,
        case_reference=case_reference,
        stage=said.stage,
        risk=said.risk,
        grounds=said.grounds,
        section_47=said.section_47,
        children=children,
        acknowledge_by=now + context.referral_window,
        referred_at=now,
    )
    emit(tx, referral, to=to, cause=trigger, subject=case_reference, now=now)
    await tx.conn.execute(
        "INSERT INTO referrals (tenant, referral_id, case_reference, agency, risk, section_47,"
        " referred_at, acknowledge_by, stage, forwarded_from, forwarded_referral_id,"
        " correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        tx.tenant,
        referral.referral_id,
        case_reference,
        to,
        referral.risk.value,
        referral.section_47,
        now,
        referral.acknowledge_by,
        referral.stage.value,
        forwarded[0] if forwarded else None,
        forwarded[1] if forwarded else None,
        trigger.correlation_id,
    )
    reason = (
        f"3.5, 4.10: {referral.risk.value} risk to a child of this area, referred by "
        f"{forwarded[0]}, passed at once to children's social care"
        if forwarded
        else f"2.7, 5.1.11: {referral.risk.value} risk referred to "
        + ("children's social care" if to.startswith("csc-") else "the force where the child lives")
        + " for joint action"
    )
    await tx.audit(
        audit.Action.DISCLOSURE,
        at=now,
        case_ref=case_reference,
        recipients=(to,),
        reason=reason + "; no consent is needed where a child is at risk (5.1.12)",
    )
    log.warning(
        "safeguarding_referred",
        referral=str(referral.referral_id),
        agency=to,
        risk=referral.risk.value,
        section_47=referral.section_47,
        forwarded=forwarded is not None,
    )
    return referral.referral_id


async def acknowledge(
    tx: Transaction,
    acknowledged: ReferralAcknowledgedV1,
    *,
    sender: str,
    trigger: Cause,
    now: datetime,
) -> Referral:
    """Record the acknowledgement; one for a referral it was not sent is refused. A referral
    this force passed on for another force is acknowledged back to that force."""
    referral = await _load(tx, acknowledged.referral_id)
    if referral is None:
        raise Rejected(f"referral_id: {tx.tenant} made no referral {acknowledged.referral_id}")
    if sender != referral.agency or acknowledged.agency != referral.agency:
        raise Rejected(
            f"agency: referral {acknowledged.referral_id} went to {referral.agency}, not {sender}"
        )
    if acknowledged.case_reference != referral.case_reference:
        raise Rejected(f"case_reference: referral {acknowledged.referral_id} is about another case")
    if referral.acknowledged_at is not None:
        raise Rejected(f"referral_id: referral {acknowledged.referral_id} was acknowledged already")
    await tx.conn.execute(
        "UPDATE referrals SET acknowledged_at = $3, response = $4"
        " WHERE tenant = $1 AND referral_id = $2",
        tx.tenant,
        referral.referral_id,
        acknowledged.acknowledged_at,
        acknowledged.response.value,
    )
    if referral.forwarded_from is not None and referral.forwarded_referral_id is not None:
        back = acknowledged.model_copy(
            update={"referral_id": referral.forwarded_referral_id, "agency": tx.tenant}
        )
        emit(
            tx,
            back,
            to=referral.forwarded_from,
            cause=trigger,
            subject=referral.case_reference,
            now=now,
        )
    log.info(
        "safeguarding_referral_acknowledged",
        referral=str(referral.referral_id),
        response=acknowledged.response.value,
        in_time=acknowledged.acknowledged_at <= referral.acknowledge_by,
        passed_back=referral.forwarded_from is not None,
    )
    return referral


async def chase_unacknowledged(tx: Transaction, *, now: datetime) -> int:
    """Mark referrals past their time unacknowledged, each once, and chase each: an event on
    the force's stream for its duty officer, and an error in the log (2.7)."""
    rows = await tx.conn.fetch(
        # A referral passed on for another force has no case here: it keeps its correlation.
        "UPDATE referrals r SET overdue_at = $2"
        " WHERE r.tenant = $1 AND r.acknowledged_at IS NULL AND r.overdue_at IS NULL"
        " AND r.acknowledge_by <= $2 RETURNING r.*, coalesce(r.correlation_id,"
        " (SELECT c.correlation_id FROM cases c WHERE c.tenant = r.tenant"
        " AND c.case_reference = r.case_reference)) AS case_correlation",
        tx.tenant,
        now,
    )
    for row in rows:
        overdue = ReferralOverdueV1(
            referral_id=row["referral_id"],
            case_reference=row["case_reference"],
            agency=row["agency"],
            risk=Risk(row["risk"]),
            acknowledge_by=row["acknowledge_by"],
            overdue_at=now,
        )
        emit(
            tx,
            overdue,
            cause=Cause(row["case_correlation"]),
            subject=row["case_reference"],
            now=now,
        )
        log.error(
            "safeguarding_referral_unacknowledged",
            referral=str(row["referral_id"]),
            case=row["case_reference"],
            agency=row["agency"],
            risk=row["risk"],
        )
    return len(rows)


async def referrals_of(tx: Transaction, *, case_reference: str) -> list[Referral]:
    """A case's referrals, oldest first."""
    rows = await tx.conn.fetch(
        "SELECT * FROM referrals WHERE tenant = $1 AND case_reference = $2 ORDER BY referred_at",
        tx.tenant,
        case_reference,
    )
    return [_referral(row) for row in rows]


async def _load(tx: Transaction, referral_id: UUID) -> Referral | None:
    return await fetch_one(
        tx.conn,
        _referral,
        "SELECT * FROM referrals WHERE tenant = $1 AND referral_id = $2 FOR UPDATE",
        tx.tenant,
        referral_id,
    )


def _referral(row: Any) -> Referral:
    return Referral(
        referral_id=row["referral_id"],
        case_reference=row["case_reference"],
        agency=row["agency"],
        risk=Risk(row["risk"]),
        stage=Stage(row["stage"]) if row["stage"] else None,
        section_47=row["section_47"],
        referred_at=row["referred_at"],
        acknowledge_by=row["acknowledge_by"],
        acknowledged_at=row["acknowledged_at"],
        response=ReferralResponse(row["response"]) if row["response"] else None,
        overdue_at=row["overdue_at"],
        forwarded_from=row["forwarded_from"],
        forwarded_referral_id=row["forwarded_referral_id"],
    )
