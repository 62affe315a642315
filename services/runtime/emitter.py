"""The one way a service writes a message: the envelope built here, the topic from the catalogue.

Every message of a case carries the case's correlation and names the message that caused it
(architecture §3); the first message of a case starts the correlation. The topic comes from the
catalogue by the message's type and the service that writes it (a stream of the tenant), or is
the inbox of the tenant it is sent `to`, so no use case names a topic or builds an envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from uuid import UUID, uuid4

from schemas import catalogue, topics
from schemas.base import Message
from schemas.envelope import OFFICIAL_SENSITIVE, Envelope, first_envelope, source_of
from services.runtime.clock import Clock
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class Cause:
    """What a message continues: its case's correlation, the message that caused it, and the
    classification it inherits. A message started by the clock or a person keeps the case's
    correlation and names no cause."""

    correlation_id: UUID
    causation_id: UUID | None = None
    classification: str = OFFICIAL_SENSITIVE

    @classmethod
    def of(cls, envelope: Envelope) -> Cause:
        """The cause of a consumed (or earlier emitted) message: its correlation, itself."""
        return cls(envelope.correlation_id, envelope.id, envelope.data_classification)

    @classmethod
    def resumed(cls, correlation_id: UUID | None, last_event_id: UUID | None) -> Cause | None:
        """A case taken up again by a person or the clock: its correlation kept, the last
        message it received as the cause (None: the case has no correlation yet)."""
        return cls(correlation_id, last_event_id) if correlation_id is not None else None


@cache
def _streams(service: str) -> dict[type[Message], str]:
    return {
        message: spec.pattern
        for spec in catalogue.produced_by(service)
        for message in spec.messages
    }


def topic_for(service: str, tenant: str, message: Message, *, to: str | None = None) -> str:
    """The topic `service` of `tenant` writes `message` to: the stream the catalogue gives, or
    the inbox of tenant `to` (from `tenant`)."""
    if to is not None:
        return topics.inbox(to, tenant)
    pattern = _streams(service).get(type(message))
    if pattern is None:
        raise LookupError(f"{service} writes no stream of {message.TYPE} (schemas/catalogue.py)")
    return pattern.format(tenant=tenant)


def envelope_for(
    message: Message, *, source: str, subject: str, now: datetime, cause: Cause | Envelope | None
) -> Envelope:
    """The envelope of `message`: continuing `cause`, or starting its case's correlation."""
    if cause is None:
        return first_envelope(type=message.TYPE, source=source, subject=subject, time=now)
    why = Cause.of(cause) if isinstance(cause, Envelope) else cause
    return Envelope(
        id=uuid4(),
        source=source,
        type=message.TYPE,
        time=now,
        subject=subject,
        correlation_id=why.correlation_id,
        causation_id=why.causation_id,
        data_classification=why.classification,
    )


def emit(
    tx: Transaction,
    message: Message,
    *,
    service: str,
    subject: str,
    now: datetime,
    cause: Cause | Envelope | None,
    to: str | None = None,
) -> Envelope:
    """Write `message` when the transaction commits, keyed by `subject` (a case reference).

    `cause` None: the message starts its case's correlation. `to`: the tenant whose inbox it
    goes to; otherwise the service's stream of that type.
    """
    envelope = envelope_for(
        message, source=source_of(tx.tenant, service), subject=subject, now=now, cause=cause
    )
    tx.emit(topic_for(service, tx.tenant, message, to=to), message, envelope)
    return envelope


@dataclass
class CaseEmitter:
    """The messages of one case written in one transaction: the first continues from the
    message received (or starts the case), and each later one names that first as its cause."""

    tx: Transaction
    clock: Clock
    service: str
    subject: str
    cause: Cause | None = None

    @classmethod
    def caused_by(
        cls, tx: Transaction, clock: Clock, service: str, subject: str, cause: Envelope
    ) -> CaseEmitter:
        """An emitter continuing from a message received."""
        return cls(tx, clock, service, subject, Cause.of(cause))

    def emit(self, message: Message, *, to: str | None = None) -> Envelope:
        """Write one of the case's messages (to tenant `to`'s inbox, or the service's stream)."""
        envelope = emit(
            self.tx,
            message,
            service=self.service,
            subject=self.subject,
            now=self.clock.now(),
            cause=self.cause,
            to=to,
        )
        if self.cause is None:
            self.cause = Cause.of(envelope)
        return envelope
