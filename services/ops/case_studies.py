"""The four case studies of the 2009 press release as the events a force's streams carry.

For the tests, the dashboard's screenshot and `csods ops seed`: the read model and the MI
table must show each study's outcome. Payloads are the contracts' documented examples
(invented people), changed only where a study differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas import catalogue, checks, disclosure, intake, multiagency, safeguarding
from schemas.base import Message
from schemas.envelope import Envelope, source_of
from schemas.examples import example_payload
from schemas.stages import SchemeProfile
from services.runtime.emitter import envelope_for
from services.runtime.kafka_access import KafkaAccess

OUTCOMES = {
    1: disclosure.Outcome.DISCLOSURE,
    2: disclosure.Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION,
    3: disclosure.Outcome.PARTIAL_DISCLOSURE,
    4: disclosure.Outcome.NO_DISCLOSURE,
}
# Studies 1 (a SOPO) and 3 (convictions for sexual offences against adults): on ViSOR.
REGISTERED = {1, 3}


@dataclass(frozen=True, slots=True)
class Event:
    """One message on one of a force's streams."""

    topic: str
    message: Message
    envelope: Envelope

    @property
    def writer(self) -> str:
        """The service whose principal writes the stream (the broker lets no other)."""
        spec = catalogue.spec_for(self.topic)
        if spec is None:
            raise KeyError(self.topic)
        return spec.producers[0]


def topic_of(force: str, model: type[Message]) -> str:
    """The stream a message type is written to."""
    for spec in catalogue.STREAMS:
        if model in spec.messages:
            return spec.name(force)
    raise KeyError(model.TYPE)


def _make(model: type[Message], **changes: Any) -> Message:
    return model.model_validate({**example_payload(model), **changes})


@dataclass
class CaseBuilder:
    """Emits a case's events in one correlation, each caused by the one before."""

    force: str
    case_reference: str
    events: list[Event]
    _last: Envelope | None = None

    def add(self, model: type[Message], at: datetime, **changes: Any) -> Message:
        """Add one event of the case, written at `at`."""
        message = _make(model, case_reference=self.case_reference, **changes)
        topic = topic_of(self.force, model)
        source = source_of(self.force, topic.split(".")[2])
        envelope = envelope_for(
            message, source=source, subject=self.case_reference, now=at, cause=self._last
        )
        self._last = envelope
        self.events.append(Event(topic, message, envelope))
        return message


def registered(case: CaseBuilder, start: datetime) -> None:
    """Stage 1: the enquiry registered with the 2010 timescales (24 h, 10 days, 45 days)."""
    case.add(
        intake.EnquiryRegisteredV1,
        start,
        received_at=start,
        registered_at=start,
        scheme_profile=SchemeProfile.CSODS_2010,
        stage1_due_at=start + timedelta(hours=24),
        face_to_face_due_at=start + timedelta(days=10),
        risk_assessment_due_at=start + timedelta(days=10),
        closure_due_at=start + timedelta(days=45),
    )


def _checks(number: int) -> list[dict[str, Any]]:
    registration = {
        **example_payload(checks.Finding),
        "kind": "registration",
        "managing_force": None,
        "category": "sexual-adult" if number == 3 else "child-sexual",
    }
    return [
        {
            "system": "visor",
            "party": "subject",
            "outcome": "match" if number in REGISTERED else "no-trace",
            "confidence": 0.98 if number in REGISTERED else 0.0,
            "findings": [registration] if number in REGISTERED else [],
        }
    ]


def case_study(force: str, number: int, *, start: datetime, case_number: int) -> list[Event]:
    """The events of case study `number` (1-4), from its initial contact at `start`."""
    case = CaseBuilder(force, f"{force}-{start.year}-{case_number:06d}", [])
    day = timedelta(days=1)
    registered(case, start)
    concerns = number != 4
    case.add(
        checks.ChecksCompletedV1,
        start + timedelta(hours=3),
        stage="initial-contact",
        completed_at=start + timedelta(hours=3),
        results=_checks(number),
        indication="concerns" if concerns else "no-concerns",
        concerns=[],
    )
    case.add(intake.ApplicationSubmittedV1, start + 3 * day, seen_at=start + 3 * day)
    case.add(intake.InformationPackGivenV1, start + 3 * day, given_at=start + 3 * day)
    case.add(
        multiagency.RiskAssessmentCompletedV1,
        start + 8 * day,
        completed_at=start + 8 * day,
        route="concerns" if concerns else "no-concerns",
        categories=["concerning-behaviour" if number == 2 else "other-relevant-conviction"]
        if concerns
        else [],
    )
    decided = start + 15 * day
    case.add(
        multiagency.ForumDecidedV1,
        decided,
        decided_at=decided,
        forum="mappa-meeting" if number == 3 else "strategy-meeting",
        route="concerns" if concerns else "no-concerns",
        recommend_disclosure=number in {1, 3},
    )
    if number in {1, 3}:
        case.add(
            disclosure.DisclosureDecidedV1,
            decided,
            decided_at=decided,
            extent="partial" if number == 3 else "full",
        )
        case.add(disclosure.DisclosureDeliveredV1, start + 17 * day, delivered_at=start + 17 * day)
    else:
        case.add(
            disclosure.NonDisclosureCommunicatedV1,
            start + 17 * day,
            communicated_at=start + 17 * day,
        )
    if number in {1, 2}:
        case.add(
            disclosure.ProtectiveActionRecordedV1,
            start + 18 * day,
            recorded_at=start + 18 * day,
            actions=["subject-warned"] if number == 2 else ["licence-or-order-enforced"],
        )
    closed = start + 30 * day
    case.add(
        disclosure.CaseClosedV1,
        closed,
        closed_at=closed,
        outcome=OUTCOMES[number],
        route="concerns" if concerns else "no-concerns",
    )
    return case.events


def open_cases(force: str, *, now: datetime, first_number: int) -> list[Event]:
    """Three open cases: one past its 10 days, one near its 24 hours, one at immediate risk."""
    events: list[Event] = []
    late = CaseBuilder(force, f"{force}-{now.year}-{first_number:06d}", events)
    registered(late, now - timedelta(days=12))
    late.add(
        intake.ApplicationSubmittedV1, now - timedelta(days=9), seen_at=now - timedelta(days=9)
    )
    near = CaseBuilder(force, f"{force}-{now.year}-{first_number + 1:06d}", events)
    registered(near, now - timedelta(hours=22))
    urgent = CaseBuilder(force, f"{force}-{now.year}-{first_number + 2:06d}", events)
    registered(urgent, now - timedelta(hours=2))
    urgent.add(
        safeguarding.SafeguardingEscalationRaisedV1,
        now - timedelta(hours=1),
        raised_at=now - timedelta(hours=1),
        stage="initial-contact",
    )
    return events


async def publish(access_of: Callable[[str], KafkaAccess], events: list[Event]) -> None:
    """Write events to their streams as the services' relays would (idempotent, acks=all).

    Each stream as the service that writes it (`access_of(service)`, e.g. the force's
    `principal_access(force, service)`): the force's ops principal may write none of them.
    """
    producers: dict[str, AIOKafkaProducer] = {}
    try:
        for event in events:
            producer = producers.get(event.writer)
            if producer is None:
                producer = AIOKafkaProducer(
                    **access_of(event.writer).aiokafka(), enable_idempotence=True, acks="all"
                )
                producers[event.writer] = producer
                await producer.start()
            await producer.send(
                event.topic,
                event.message.to_json(),
                key=event.envelope.key,
                headers=event.envelope.to_headers(),
            )
        for producer in producers.values():
            await producer.flush()
    finally:
        for producer in producers.values():
            await producer.stop()
