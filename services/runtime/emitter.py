"""Emitting a case's messages: one correlation per case, each message naming its cause."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from schemas import topics
from schemas.base import Message
from schemas.envelope import Envelope, first_envelope, source_of
from services.runtime.clock import Clock
from services.runtime.unit_of_work import Transaction


@dataclass
class CaseEmitter:
    """Writes a case's messages to the outbox of the transaction in hand.

    The first message of a case starts its correlation; every later one carries it and names
    the message that caused it (the one given, or the last one this emitter wrote first).
    """

    tx: Transaction
    clock: Clock
    service: str
    subject: str
    correlation: UUID | None = None
    causation: UUID | None = None

    @classmethod
    def caused_by(
        cls, tx: Transaction, clock: Clock, service: str, subject: str, cause: Envelope
    ) -> CaseEmitter:
        """An emitter continuing from a message received."""
        return cls(tx, clock, service, subject, cause.correlation_id, cause.id)

    def emit(self, event: str, message: Message, *, stream_of: str | None = None) -> Envelope:
        """Emit on `cso.<tenant>.<stream_of or service>.<event>.v1`."""
        topic = topics.stream(self.tx.tenant, stream_of or self.service, event)
        return self.emit_to(topic, message)

    def emit_to(self, topic: str, message: Message) -> Envelope:
        """Emit on any topic, e.g. another tenant's inbox."""
        source = source_of(self.tx.tenant, self.service)
        now = self.clock.now()
        if self.correlation is None:
            envelope = first_envelope(
                type=message.TYPE, source=source, subject=self.subject, time=now
            )
            self.correlation = self.causation = envelope.id
        else:
            envelope = Envelope(
                id=uuid4(),
                source=source,
                type=message.TYPE,
                time=now,
                subject=self.subject,
                correlation_id=self.correlation,
                causation_id=self.causation,
            )
        self.tx.emit(topic, message, envelope)
        return envelope
