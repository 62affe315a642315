"""What every stand-in agency does: read its inbox, answer from its own records, or not.

A stand-in answers the asking force's inbox from the records seeded into its own tables,
after a configurable delay, or stays silent (CSODS_AGENCY_DELAY_SECONDS,
CSODS_AGENCY_SILENT, CSODS_AGENCY_SILENCE_RATE), so a force can be tested against a slow,
a silent or a refusing agency.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas import topics
from schemas.disclosure import CaseOutcomeV1
from schemas.envelope import Envelope, caused_by, source_of
from schemas.multiagency import (
    AgencyKind,
    ConsultationAnsweredV1,
    ConsultationOutcome,
    RemindConsultationV1,
    RequestConsultationV1,
)
from schemas.safeguarding import ReferImmediateRiskV1
from services.multiagency.stubs import referrals
from services.multiagency.stubs.referrals import Responder
from services.runtime import audit
from services.runtime.clock import Clock
from services.runtime.connection import Connection, fetch_one
from services.runtime.consumer import Delivery, Rejected, Route
from services.runtime.service import ServiceDefinition, Subscription, Wiring
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


class AgencyBehaviour(BaseSettings):
    """How the stand-in behaves: how slow, how silent."""

    model_config = SettingsConfigDict(env_prefix="CSODS_AGENCY_", extra="ignore", frozen=True)

    delay_seconds: float = Field(default=0.0, ge=0, le=60, description="Wait before answering.")
    silent: bool = Field(default=False, description="Never answer, not even when reminded.")
    silence_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of consultations left unanswered."
    )

    def silent_for(self, consultation_id: UUID) -> bool:
        """Whether this consultation goes unanswered; the same one always the same way."""
        return self.silent or int(consultation_id.hex[:8], 16) / 0xFFFFFFFF < self.silence_rate


@dataclass(frozen=True, slots=True)
class Answer:
    """What the agency's records say, before it is addressed to anyone."""

    outcome: ConsultationOutcome
    information: str | None = None
    child_protection_plan: bool | None = None
    supervised_by_probation: bool | None = None
    mappa_level: int | None = None


Lookup = Callable[[Connection, str, RequestConsultationV1], Awaitable[Answer]]


# Every stand-in's record of the consultations it was asked (consultations_received).
AGENCY_MIGRATIONS = ("agency", Path(__file__).parent / "migrations" / "agency")


@dataclass(frozen=True)
class AgencySystem:
    """A kind of agency system: its name (schema, role, source), kind, records and lookup."""

    name: str
    kind: AgencyKind
    lookup: Lookup
    respond_to_referral: Responder | None = None  # children's social care takes referrals

    @property
    def migrations(self) -> Path:
        """The folder of its own tables' migrations, named after it."""
        return Path(__file__).parent / "migrations" / self.name

    def definition(self) -> ServiceDefinition:
        """The runnable definition of this stand-in (`csods run <name> --tenant <agency>`)."""

        def wire(tenant: str, clock: Clock) -> Wiring:
            behaviour = AgencyBehaviour()

            async def on_request(
                tx: Transaction, delivery: Delivery[RequestConsultationV1]
            ) -> None:
                await self.receive(tx, delivery.message, delivery.envelope, clock, behaviour)

            async def on_reminder(
                tx: Transaction, delivery: Delivery[RemindConsultationV1]
            ) -> None:
                await self.remind(tx, delivery.message, delivery.envelope, clock, behaviour)

            async def on_outcome(tx: Transaction, delivery: Delivery[CaseOutcomeV1]) -> None:
                await self.note_outcome(tx, delivery.message, delivery.envelope, clock)

            routes: dict[str, Route] = {
                RequestConsultationV1.TYPE: Route(RequestConsultationV1, on_request),
                RemindConsultationV1.TYPE: Route(RemindConsultationV1, on_reminder),
                CaseOutcomeV1.TYPE: Route(CaseOutcomeV1, on_outcome),
            }
            respond = self.respond_to_referral
            if respond is not None:

                async def on_referral(
                    tx: Transaction, delivery: Delivery[ReferImmediateRiskV1]
                ) -> None:
                    await referrals.take(
                        tx,
                        delivery.message,
                        delivery.envelope,
                        system=self.name,
                        respond=respond,
                        clock=clock,
                        silent=behaviour.silent_for(delivery.message.referral_id),
                    )

                routes[ReferImmediateRiskV1.TYPE] = Route(ReferImmediateRiskV1, on_referral)
            inbox = Subscription(
                topic=topics.inbox_prefix(tenant), every_sender=True, routes=routes
            )
            return Wiring(subscriptions=[inbox])

        return ServiceDefinition(
            name=self.name,
            migrations=self.migrations,
            wire=wire,
            shared_migrations=(AGENCY_MIGRATIONS,),
        )

    async def receive(
        self,
        tx: Transaction,
        request: RequestConsultationV1,
        cause: Envelope,
        clock: Clock,
        behaviour: AgencyBehaviour,
    ) -> None:
        """Look the people up in the agency's records and answer, unless it stays silent."""
        if request.agency_kind is not self.kind:
            raise Rejected(
                f"agency_kind: {tx.tenant} is {self.kind.value}, not {request.agency_kind.value}"
            )
        if await _received(tx.conn, tx.tenant, request.consultation_id) is not None:
            log.info("consultation_already_received", consultation=str(request.consultation_id))
            return
        answer = await self.lookup(tx.conn, tx.tenant, request)
        silent = behaviour.silent_for(request.consultation_id)
        await tx.conn.execute(
            "INSERT INTO consultations_received (tenant, consultation_id, asking_force,"
            " case_reference, received_at, respond_by, silent, answer)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
            tx.tenant,
            request.consultation_id,
            request.asking_force,
            request.case_reference,
            clock.now(),
            request.respond_by,
            silent,
            json.dumps(_as_json(answer)),
        )
        if silent:
            log.info("consultation_left_unanswered", consultation=str(request.consultation_id))
            return
        await asyncio.sleep(behaviour.delay_seconds)  # a slow system keeps the force waiting
        await self._answer(
            tx,
            request.consultation_id,
            answer,
            asking_force=request.asking_force,
            cause=cause,
            clock=clock,
        )

    async def remind(
        self,
        tx: Transaction,
        reminder: RemindConsultationV1,
        cause: Envelope,
        clock: Clock,
        behaviour: AgencyBehaviour,
    ) -> None:
        """Answer a reminder for a consultation not yet answered, unless silent."""
        row = await _received(tx.conn, tx.tenant, reminder.consultation_id)
        if row is None:
            raise Rejected(
                f"consultation_id: {tx.tenant} holds no consultation {reminder.consultation_id}"
            )
        if cause.tenant != row["asking_force"] or reminder.asking_force != row["asking_force"]:
            raise Rejected(
                f"asking_force: consultation {reminder.consultation_id} was asked by another force"
            )
        if row["answered_at"] is not None or row["silent"] or behaviour.silent:
            log.info("reminder_not_answered", consultation=str(reminder.consultation_id))
            return
        answer = _answer_of(json.loads(str(row["answer"])))
        await self._answer(
            tx,
            reminder.consultation_id,
            answer,
            asking_force=row["asking_force"],
            cause=cause,
            clock=clock,
        )

    async def note_outcome(
        self, tx: Transaction, outcome: CaseOutcomeV1, cause: Envelope, clock: Clock
    ) -> None:
        """Keep how a case it was consulted on ended (6.3); refuse one it was never asked on."""
        row = await _received(tx.conn, tx.tenant, outcome.consultation_id)
        if row is None:
            raise Rejected(
                f"consultation_id: {tx.tenant} holds no consultation {outcome.consultation_id}"
            )
        if cause.tenant != row["asking_force"] or outcome.force != row["asking_force"]:
            raise Rejected(
                f"force: consultation {outcome.consultation_id} was asked by another force"
            )
        if outcome.agency != tx.tenant:
            raise Rejected(f"agency: the outcome is addressed to {outcome.agency}, not {tx.tenant}")
        await tx.conn.execute(
            "UPDATE consultations_received SET case_outcome = $3, outcome_received_at = $4"
            " WHERE tenant = $1 AND consultation_id = $2",
            tx.tenant,
            outcome.consultation_id,
            outcome.outcome.value,
            clock.now(),
        )
        log.info("case_outcome_received", outcome=outcome.outcome.value)

    async def _answer(
        self,
        tx: Transaction,
        consultation_id: UUID,
        answer: Answer,
        *,
        asking_force: str,
        cause: Envelope,
        clock: Clock,
    ) -> None:
        now = clock.now()
        answered = ConsultationAnsweredV1(
            consultation_id=consultation_id,
            case_reference=cause.subject,
            agency=tx.tenant,
            outcome=answer.outcome,
            information=answer.information,
            child_protection_plan=answer.child_protection_plan,
            supervised_by_probation=answer.supervised_by_probation,
            mappa_level=answer.mappa_level,
            answered_at=now,
        )
        envelope = caused_by(
            cause, type=answered.TYPE, source=source_of(tx.tenant, self.name), time=now
        )
        tx.emit(topics.inbox(asking_force, tx.tenant), answered, envelope)
        if answer.outcome is ConsultationOutcome.INFORMATION_SHARED:
            await tx.audit(
                audit.Action.DISCLOSURE,
                at=now,
                actor=self.name,
                case_ref=cause.subject,
                recipients=(asking_force,),
                reason="5.4.5: the force's consultation answered from the agency's records",
            )
        await tx.conn.execute(
            "UPDATE consultations_received SET answered_at = $3"
            " WHERE tenant = $1 AND consultation_id = $2",
            tx.tenant,
            consultation_id,
            now,
        )
        log.info(
            "consultation_answered",
            consultation=str(consultation_id),
            outcome=answer.outcome.value,
        )


async def _received(conn: Connection, tenant: str, consultation_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(
        conn,
        dict,
        "SELECT asking_force, silent, answer, answered_at FROM consultations_received"
        " WHERE tenant = $1 AND consultation_id = $2",
        tenant,
        consultation_id,
    )


def _as_json(answer: Answer) -> dict[str, object]:
    return {
        "outcome": answer.outcome.value,
        "information": answer.information,
        "child_protection_plan": answer.child_protection_plan,
        "supervised_by_probation": answer.supervised_by_probation,
        "mappa_level": answer.mappa_level,
    }


def _answer_of(data: dict[str, Any]) -> Answer:
    return Answer(
        outcome=ConsultationOutcome(data["outcome"]),
        information=data.get("information"),
        child_protection_plan=data.get("child_protection_plan"),
        supervised_by_probation=data.get("supervised_by_probation"),
        mappa_level=data.get("mappa_level"),
    )
