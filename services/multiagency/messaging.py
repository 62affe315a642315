"""How the multi-agency service emits: envelopes that keep the case's correlation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from schemas import topics
from schemas.base import Message
from schemas.envelope import OFFICIAL_SENSITIVE, Envelope, source_of
from services.runtime.unit_of_work import Transaction

SERVICE = "multiagency"


@dataclass(frozen=True, slots=True)
class Trigger:
    """What made the service act: a message, the clock, or a member of staff."""

    correlation_id: UUID
    causation_id: UUID | None = None
    classification: str = OFFICIAL_SENSITIVE

    @classmethod
    def of(cls, envelope: Envelope) -> Trigger:
        """The trigger of a consumed message: its case's correlation, itself as the cause."""
        return cls(envelope.correlation_id, envelope.id, envelope.data_classification)


def stream(tenant: str, event: str) -> str:
    """One of this service's streams."""
    return topics.stream(tenant, SERVICE, event)


def emit(
    tx: Transaction,
    topic: str,
    message: Message,
    *,
    trigger: Trigger,
    subject: str,
    now: datetime,
) -> Envelope:
    """Emit `message` when the transaction commits, keyed by `subject` (a case reference)."""
    envelope = Envelope(
        id=uuid4(),
        source=source_of(tx.tenant, SERVICE),
        type=message.TYPE,
        time=now,
        subject=subject,
        correlation_id=trigger.correlation_id,
        causation_id=trigger.causation_id,
        data_classification=trigger.classification,
    )
    tx.emit(topic, message, envelope)
    return envelope
