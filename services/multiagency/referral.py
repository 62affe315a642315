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

from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    ReferralOverdueV1,
    ReferralResponse,
    Risk,
    SafeguardingEscalationRaisedV1,
)
from schemas.stages import Stage
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
) -> UUID:
    """Refer the escalation to the area's children's social care, now (2.7, 5.1.11)."""
    agency = (
        escalation.childrens_social_care or context.directory.area(tx.tenant).childrens_social_care
    )
    referral = ReferImmediateRiskV1(
        referral_id=uuid4(),
        referring_force=tx.tenant,
        case_reference=case.case_reference,
        stage=escalation.stage,
        risk=escalation.risk,
        grounds=escalation.grounds,
        section_47=escalation.section_47,
        children=case.children,
        acknowledge_by=now + context.referral_window,
        referred_at=now,
    )
    emit(tx, referral, to=agency, cause=trigger, subject=case.case_reference, now=now)
    await tx.conn.execute(
        "INSERT INTO referrals (tenant, referral_id, case_reference, agency, risk, section_47,"
        " referred_at, acknowledge_by, stage) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tx.tenant,
        referral.referral_id,
        case.case_reference,
        agency,
        referral.risk.value,
        referral.section_47,
        now,
        referral.acknowledge_by,
        referral.stage.value,
    )
    await tx.audit(
        audit.Action.DISCLOSURE,
        at=now,
        case_ref=case.case_reference,
        recipients=(agency,),
        reason=f"2.7, 5.1.11: {referral.risk.value} risk referred to children's social care "
        "for joint action; no consent is needed where a child is at risk (5.1.12)",
    )
    log.warning(
        "safeguarding_referred",
        referral=str(referral.referral_id),
        agency=agency,
        risk=referral.risk.value,
        section_47=referral.section_47,
    )
    return referral.referral_id


async def acknowledge(
    tx: Transaction, acknowledged: ReferralAcknowledgedV1, *, sender: str
) -> Referral:
    """Record the agency's acknowledgement; one for a referral it was not sent is refused."""
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
    log.info(
        "safeguarding_referral_acknowledged",
        referral=str(referral.referral_id),
        response=acknowledged.response.value,
        in_time=acknowledged.acknowledged_at <= referral.acknowledge_by,
    )
    return referral


async def chase_unacknowledged(tx: Transaction, *, now: datetime) -> int:
    """Mark referrals past their time unacknowledged, each once, and chase each: an event on
    the force's stream for its duty officer, and an error in the log (2.7)."""
    rows = await tx.conn.fetch(
        "UPDATE referrals r SET overdue_at = $2 FROM cases c"
        " WHERE r.tenant = $1 AND r.acknowledged_at IS NULL AND r.overdue_at IS NULL"
        " AND r.acknowledge_by <= $2 AND c.tenant = r.tenant"
        " AND c.case_reference = r.case_reference RETURNING r.*, c.correlation_id",
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
            cause=Cause(row["correlation_id"]),
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
    )
