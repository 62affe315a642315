"""How the multi-agency service writes its messages: through the runtime's one emitter."""

from __future__ import annotations

from datetime import datetime

from schemas.base import Message
from schemas.envelope import Envelope
from services.runtime import emitter
from services.runtime.emitter import Cause
from services.runtime.unit_of_work import Transaction

SERVICE = "multiagency"


def emit(
    tx: Transaction,
    message: Message,
    *,
    cause: Cause,
    subject: str,
    now: datetime,
    to: str | None = None,
) -> Envelope:
    """Write `message` when the transaction commits: to tenant `to`'s inbox, or the stream
    the catalogue gives for its type; keyed by `subject` (a case reference)."""
    return emitter.emit(tx, message, service=SERVICE, subject=subject, now=now, cause=cause, to=to)
