"""The envelope: CloudEvents headers written and read back, and their errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.envelope import Envelope, EnvelopeError, caused_by, first_envelope, source_of

AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_envelope_survives_the_round_trip_through_headers() -> None:
    envelope = first_envelope(
        type="csods.intake.register-enquiry.v1",
        source=source_of("warwickshire", "portal"),
        subject="portal-0001abcd",
        time=AT,
    )
    assert Envelope.from_headers(envelope.to_headers()) == envelope
    assert envelope.tenant == "warwickshire"
    assert envelope.key == b"portal-0001abcd"


def test_a_caused_message_keeps_the_correlation_and_names_its_cause() -> None:
    first = first_envelope(type="a.v1", source="/warwickshire/portal", subject="s-1", time=AT)
    second = caused_by(first, type="b.v1", source="/warwickshire/intake", time=AT, subject="c-1")
    third = caused_by(second, type="c.v1", source="/warwickshire/checks", time=AT)
    assert first.correlation_id == first.id
    assert first.causation_id is None
    assert second.correlation_id == third.correlation_id == first.id
    assert second.causation_id == first.id
    assert third.causation_id == second.id
    assert third.subject == "c-1"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda h: {k: v for k, v in h.items() if k != "ce_id"}, "ce_id"),
        (lambda h: {**h, "ce_id": b"not-a-uuid"}, "ce_id"),
        (lambda h: {**h, "ce_source": b"warwickshire"}, "ce_source"),
        (lambda h: {**h, "ce_time": b"yesterday"}, "ce_time"),
        (lambda h: {**h, "ce_time": b"2026-11-22T09:30:00"}, "ce_time"),
        (lambda h: {**h, "ce_subject": b"\xff\xfe"}, "ce_subject"),
        (lambda h: {k: v for k, v in h.items() if k != "ce_type"}, "ce_type"),
    ],
)
def test_a_broken_envelope_names_the_header(change: object, named: str) -> None:
    envelope = first_envelope(type="a.v1", source="/warwickshire/portal", subject="s-1", time=AT)
    headers = dict(envelope.to_headers())
    broken = change(headers)  # type: ignore[operator]
    with pytest.raises(EnvelopeError, match=named):
        Envelope.from_headers(broken.items())
