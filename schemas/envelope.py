"""The envelope: CloudEvents attributes carried in Kafka headers (binary content mode)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Government Security Classifications: case data about children and offenders.
OFFICIAL_SENSITIVE = "official-sensitive"

H_ID = "ce_id"
H_SOURCE = "ce_source"
H_TYPE = "ce_type"
H_TIME = "ce_time"
H_SUBJECT = "ce_subject"
H_CORRELATION = "ce_correlationid"
H_CAUSATION = "ce_causationid"
H_CLASSIFICATION = "ce_dataclassification"
H_SPEC = "ce_specversion"
H_CONTENT_TYPE = "content-type"

Headers = Sequence[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A message's headers do not form a valid envelope; the text names the header."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sent a message, what it is, which case it concerns, and what caused it."""

    id: UUID
    source: str
    type: str
    time: datetime
    subject: str
    correlation_id: UUID
    causation_id: UUID | None
    data_classification: str = OFFICIAL_SENSITIVE

    @property
    def tenant(self) -> str:
        """The tenant that sent the message, from `ce_source` = `/<tenant>/<service>`."""
        return self.source.split("/")[1]

    @property
    def key(self) -> bytes:
        """The Kafka key: the case reference, so one case keeps its order."""
        return self.subject.encode()

    def to_headers(self) -> list[tuple[str, bytes]]:
        """Render the envelope as Kafka headers."""
        headers = [
            (H_SPEC, SPEC_VERSION),
            (H_ID, str(self.id)),
            (H_SOURCE, self.source),
            (H_TYPE, self.type),
            (H_TIME, self.time.isoformat()),
            (H_SUBJECT, self.subject),
            (H_CORRELATION, str(self.correlation_id)),
            (H_CLASSIFICATION, self.data_classification),
            (H_CONTENT_TYPE, CONTENT_TYPE),
        ]
        if self.causation_id is not None:
            headers.append((H_CAUSATION, str(self.causation_id)))
        return [(name, value.encode()) for name, value in headers]

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes]]) -> Envelope:
        """Read an envelope from Kafka headers, naming the first header that is wrong."""
        values: dict[str, str] = {}
        for name, raw in headers:
            try:
                values[name] = raw.decode()
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name}: not UTF-8") from exc

        def required(name: str) -> str:
            value = values.get(name, "").strip()
            if not value:
                raise EnvelopeError(f"header {name}: required and missing")
            return value

        def uuid(name: str, value: str) -> UUID:
            try:
                return UUID(value)
            except ValueError as exc:
                raise EnvelopeError(f"header {name}: must be a UUID") from exc

        message_id = uuid(H_ID, required(H_ID))
        source = required(H_SOURCE)
        if not _valid_source(source):
            raise EnvelopeError(f"header {H_SOURCE}: must be /<tenant>/<service>")
        try:
            time = datetime.fromisoformat(required(H_TIME))
        except ValueError as exc:
            raise EnvelopeError(f"header {H_TIME}: must be an RFC 3339 timestamp") from exc
        if time.tzinfo is None:
            raise EnvelopeError(f"header {H_TIME}: must carry a UTC offset")
        causation = values.get(H_CAUSATION)
        return cls(
            id=message_id,
            source=source,
            type=required(H_TYPE),
            time=time,
            subject=required(H_SUBJECT),
            correlation_id=uuid(H_CORRELATION, required(H_CORRELATION)),
            causation_id=uuid(H_CAUSATION, causation) if causation else None,
            data_classification=values.get(H_CLASSIFICATION, OFFICIAL_SENSITIVE),
        )


def _valid_source(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 3 and parts[0] == "" and all(parts[1:])


def source_of(tenant: str, service: str) -> str:
    """The `ce_source` of a tenant's service."""
    return f"/{tenant}/{service}"


def first_envelope(*, type: str, source: str, subject: str, time: datetime) -> Envelope:  # noqa: A002
    """The envelope of a case's first message: it starts the correlation."""
    message_id = uuid4()
    return Envelope(
        id=message_id,
        source=source,
        type=type,
        time=time,
        subject=subject,
        correlation_id=message_id,
        causation_id=None,
    )


def caused_by(
    parent: Envelope,
    *,
    type: str,  # noqa: A002
    source: str,
    time: datetime,
    subject: str | None = None,
) -> Envelope:
    """The envelope of a message caused by `parent`: correlation kept, causation = parent."""
    return Envelope(
        id=uuid4(),
        source=source,
        type=type,
        time=time,
        subject=subject if subject is not None else parent.subject,
        correlation_id=parent.correlation_id,
        causation_id=parent.id,
        data_classification=parent.data_classification,
    )
