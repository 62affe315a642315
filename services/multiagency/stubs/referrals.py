"""How the stand-in children's social care takes a referral of immediate risk (2.7, 5.1.11).

It keeps the referral, decides from its own records what it does (the child's social worker
acts where a child concerned is already on a plan; otherwise a strategy discussion with the
police now) and acknowledges it on the referring force's inbox, unless it stays silent
(CSODS_AGENCY_SILENT, CSODS_AGENCY_SILENCE_RATE), so a force's chasing can be tested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from schemas import topics
from schemas.envelope import Envelope, caused_by, source_of
from schemas.safeguarding import ReferImmediateRiskV1, ReferralAcknowledgedV1, ReferralResponse
from services.runtime.clock import Clock
from services.runtime.connection import Connection
from services.runtime.consumer import Rejected
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)

Responder = Callable[[Connection, str, ReferImmediateRiskV1], Awaitable[ReferralResponse]]


async def take(
    tx: Transaction,
    referral: ReferImmediateRiskV1,
    cause: Envelope,
    *,
    system: str,
    respond: Responder,
    clock: Clock,
    silent: bool,
) -> None:
    """Keep the referral and acknowledge it, once; a forged referring force is refused."""
    if cause.tenant != referral.referring_force:
        raise Rejected(
            f"referring_force: the referral came from {cause.tenant}, "
            f"not {referral.referring_force}"
        )
    received = await tx.conn.fetchval(
        "SELECT 1 FROM referrals_received WHERE tenant = $1 AND referral_id = $2",
        tx.tenant,
        referral.referral_id,
    )
    if received:
        log.info("referral_already_received", referral=str(referral.referral_id))
        return
    now = clock.now()
    response = await respond(tx.conn, tx.tenant, referral)
    await tx.conn.execute(
        "INSERT INTO referrals_received (tenant, referral_id, referring_force, case_reference,"
        " received_at, acknowledge_by, silent, response, acknowledged_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tx.tenant,
        referral.referral_id,
        referral.referring_force,
        referral.case_reference,
        now,
        referral.acknowledge_by,
        silent,
        response.value,
        None if silent else now,
    )
    if silent:
        log.info("referral_left_unacknowledged", referral=str(referral.referral_id))
        return
    acknowledged = ReferralAcknowledgedV1(
        referral_id=referral.referral_id,
        case_reference=referral.case_reference,
        agency=tx.tenant,
        response=response,
        acknowledged_at=now,
    )
    envelope = caused_by(
        cause, type=acknowledged.TYPE, source=source_of(tx.tenant, system), time=now
    )
    tx.emit(topics.inbox(referral.referring_force, tx.tenant), acknowledged, envelope)
    log.info("referral_acknowledged", referral=str(referral.referral_id), response=response.value)
