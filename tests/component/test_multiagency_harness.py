"""A harness for the multi-agency service of several forces on a real PostgreSQL, no broker.

Each force gets the processors of all its subscriptions; `Exchange.pump()` plays the outbox
relays and the broker: it moves committed outbox rows to the processor of their topic, and
keeps the rest (agency inboxes, streams read by other services) for the test to look at.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

import asyncpg
import pytest

from schemas import topics
from schemas.base import Message
from schemas.checks import (
    CheckResult,
    ChecksCompletedV1,
    Finding,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    System,
)
from schemas.envelope import Envelope, first_envelope, source_of
from schemas.intake import (
    ApplicantWarning,
    ApplicationSubmittedV1,
    Channel,
    EnquiryRegisteredV1,
)
from schemas.multiagency import (
    ConcernCategory,
    ConsultationAnsweredV1,
    ConsultationOutcome,
    DecisionRoute,
    RequestConsultationV1,
)
from schemas.parties import (
    Address,
    Applicant,
    Child,
    Consent,
    ContactArrangements,
    ContactMethod,
    IdentityEvidence,
    IdentityVerification,
    PartialDate,
    PersonName,
    Relationship,
    RiskAnswer,
    RiskQuestion,
    SubjectParticulars,
)
from schemas.stages import SchemeProfile, Stage
from services.multiagency import store
from services.multiagency.app import definition
from services.multiagency.areas import Area, Directory
from services.multiagency.config import Context
from services.multiagency.domain import AppendixD, SignOff
from services.multiagency.handlers import HANDLERS, Deps
from services.multiagency.messaging import SERVICE
from services.multiagency.store import CaseState
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor, Record, Verdict
from services.runtime.handlers import subscriptions
from services.runtime.service import Subscription, app_dsn, migrate_service
from services.runtime.settings import Settings
from services.runtime.staff import Role, Staff, current_staff
from services.runtime.unit_of_work import Database, Transaction, open_database
from tests.support.schemas import login

_offsets = itertools.count(1)


@dataclass(frozen=True)
class Sent:
    """A record a force published, as the broker would carry it."""

    topic: str
    envelope: Envelope
    payload: bytes
    headers: dict[str, bytes] = field(default_factory=dict)

    def decode(self, model: type[Any]) -> Any:
        """The payload as `model`."""
        assert self.envelope.type == model.TYPE, (self.envelope.type, model.TYPE)
        return model.model_validate_json(self.payload)


@dataclass
class Force:
    """One force's multi-agency service: the processor of each of its subscriptions."""

    tenant: str
    context: Context
    processors: list[tuple[Subscription, Processor]]
    # A trained officer who signs each risk assessment off as the records show it (5.4.2),
    # as soon as it waits; off, a test signs off itself (or sees the case wait).
    scripted_officer: bool = True

    def processor_for(self, topic: str) -> Processor | None:
        """The processor a record of `topic` goes to, as the runtime routes it (or none)."""
        for subscription, processor in self.processors:
            if subscription.reads(topic):
                return processor
        return None


@dataclass(frozen=True)
class TenantPools(Database):
    """One pool per force, each logged in as that force's role, opened when first used.

    The forces of a test share a database as separate processes would: each reaches only
    its own rows, as the row-level-security wall holds them to their login.
    """

    open_for: Callable[[str], Awaitable[Database]]
    opened: dict[str, Database] = field(default_factory=dict)

    @asynccontextmanager
    async def transaction(self, tenant: str) -> AsyncIterator[Transaction]:
        if tenant not in self.opened:
            self.opened[tenant] = await self.open_for(tenant)
        async with self.opened[tenant].transaction(tenant) as tx:
            yield tx

    async def close(self) -> None:
        for database in self.opened.values():
            await database.pool.close()


@dataclass
class Exchange:
    """The forces of a test, their shared database and clock, and what they published."""

    database: Database
    clock: FrozenClock
    forces: dict[str, Force] = field(default_factory=dict)
    published: list[Sent] = field(default_factory=list)
    verdicts: list[tuple[str, Verdict]] = field(default_factory=list)

    def add_force(
        self,
        tenant: str,
        directory: Directory,
        *,
        await_application: bool = True,
        officer_signs_off: bool = True,
        scripted_officer: bool = True,
    ) -> Force:
        """Wire a force's service as the runtime would (its timer is the test's to call)."""
        context = Context(
            directory=directory,
            consultation_window=timedelta(days=3),
            await_application=await_application,
            officer_signs_off=officer_signs_off,
        )
        found = subscriptions(SERVICE, tenant, HANDLERS, Deps(self.clock, context))
        processors = [
            (
                subscription,
                Processor(
                    service=SERVICE,
                    tenant=tenant,
                    database=self.database,
                    routes=subscription.routes,
                    ignored=subscription.ignored,
                    clock=self.clock,
                    max_attempts=2,
                    backoff_seconds=0.0,
                ),
            )
            for subscription in found
        ]
        force = Force(tenant, context, processors, scripted_officer)
        self.forces[tenant] = force
        return force

    async def send(
        self,
        topic: str,
        message: Message,
        *,
        sender: str,
        service: str,
        subject: str,
        correlation: Envelope | None = None,
    ) -> tuple[Verdict, Envelope]:
        """Deliver a message another system sent, then pump what it caused."""
        envelope = first_envelope(
            type=message.TYPE,
            source=source_of(sender, service),
            subject=subject,
            time=self.clock.now(),
        )
        if correlation is not None:
            envelope = Envelope(
                id=envelope.id,
                source=envelope.source,
                type=envelope.type,
                time=envelope.time,
                subject=subject,
                correlation_id=correlation.correlation_id,
                causation_id=correlation.id,
            )
        verdict = await self.deliver(topic, message.to_json(), envelope)
        await self.pump()
        return verdict, envelope

    async def deliver(self, topic: str, payload: bytes, envelope: Envelope) -> Verdict:
        """Hand one record to the processor of its topic."""
        processor = self.forces[topics.tenant_of(topic)].processor_for(topic)
        assert processor is not None, f"no subscription of the force reads {topic}"
        record = Record(
            topic=topic,
            partition=0,
            offset=next(_offsets),
            key=envelope.key,
            value=payload,
            headers=tuple(envelope.to_headers()),
        )
        verdict = await processor.process(record)
        self.verdicts.append((envelope.type, verdict))
        return verdict

    async def _relay(self) -> None:
        """Relay every force's outbox until nothing moves; route what a force here reads."""
        moved = True
        while moved:
            moved = False
            for force in list(self.forces.values()):
                for sent in await self._take_outbox(force.tenant):
                    moved = True
                    self.published.append(sent)
                    owner = self.forces.get(topics.tenant_of(sent.topic))
                    if owner is not None and owner.processor_for(sent.topic) is not None:
                        await self.deliver(sent.topic, sent.payload, sent.envelope)

    async def pump(self) -> None:
        """Relay every force's outbox until nothing moves; a scripted officer signs off each
        assessment waiting for one, confirming what the records show."""
        await self._relay()
        while await self._sign_off_waiting():
            await self._relay()

    async def sign_off(self, tenant: str, case: str, **changes: Any) -> None:
        """As a trained officer: sign off the case's assessment (the records' route unless
        changed), answering every Appendix D question, then pump."""
        await self._sign_off(tenant, case, **changes)
        await self.pump()

    async def _sign_off_waiting(self) -> int:
        signed = 0
        for force in list(self.forces.values()):
            if not force.scripted_officer:
                continue
            async with self.database.transaction(force.tenant) as tx:
                waiting = await tx.conn.fetch(
                    "SELECT case_reference FROM cases WHERE tenant = $1 AND state = $2",
                    force.tenant,
                    CaseState.AWAITING_SIGN_OFF,
                )
            for row in waiting:
                await self._sign_off(force.tenant, row["case_reference"])
                signed += 1
        return signed

    async def _sign_off(self, tenant: str, case: str, **changes: Any) -> None:
        from services.multiagency import use_cases  # noqa: PLC0415

        async with self.database.transaction(tenant) as tx:
            proposed = await store.load_assessment(tx, case_reference=case)
        assert proposed is not None, f"{case} has no assessment to sign off"
        signed = SignOff(
            route=changes.get("route", DecisionRoute(proposed["route"])),
            categories=changes.get(
                "categories", tuple(ConcernCategory(c) for c in proposed["categories"])
            ),
            answers=dict.fromkeys(AppendixD, "Considered, and recorded."),
            rationale="Signed off as the records show.",
            reason_for_change=changes.get("reason_for_change"),
        )
        officer = current_staff.set(Staff("DS 0001", tenant, frozenset({Role.PUBLIC_PROTECTION})))
        try:
            async with self.database.transaction(tenant) as tx:
                await use_cases.sign_off_assessment(
                    tx,
                    case_reference=case,
                    signed=signed,
                    clock=self.clock,
                    context=self.forces[tenant].context,
                )
        finally:
            current_staff.reset(officer)

    async def sweep(self, tenant: str) -> int:
        """Run a force's deadline timer once, then pump."""
        from services.multiagency.timer import sweep_once  # noqa: PLC0415

        swept = await sweep_once(
            self.database,
            tenant=tenant,
            clock=self.clock,
            context=self.forces[tenant].context,
        )
        await self.pump()
        return swept

    def of_type(self, model: type[Any], *, topic: str | None = None) -> list[Any]:
        """The messages of a type published so far, decoded, oldest first."""
        return [
            sent.decode(model)
            for sent in self.published
            if sent.envelope.type == model.TYPE and (topic is None or sent.topic == topic)
        ]

    def dead_letters(self, tenant: str) -> list[str]:
        """The reasons of a force's dead letters so far."""
        return [
            sent.headers["dlq_reason"].decode()
            for sent in self.published
            if sent.topic == topics.dead_letters(tenant)
        ]

    def sent_of_type(self, model: type[Any]) -> list[Sent]:
        """The records of a type published so far."""
        return [sent for sent in self.published if sent.envelope.type == model.TYPE]

    async def _take_outbox(self, tenant: str) -> list[Sent]:
        async with self.database.transaction(tenant) as tx:
            rows = await tx.conn.fetch(
                "UPDATE outbox SET sent_at = now() WHERE id IN (SELECT id FROM outbox"
                " WHERE sent_at IS NULL ORDER BY id FOR UPDATE) RETURNING id, topic,"
                " header_names, header_values, payload"
            )
        return [
            Sent(
                topic=row["topic"],
                envelope=Envelope.from_headers(
                    zip(row["header_names"], row["header_values"], strict=True)
                ),
                payload=row["payload"],
                headers=dict(zip(row["header_names"], row["header_values"], strict=True)),
            )
            for row in sorted(rows, key=lambda row: row["id"])
        ]


CONTACT = ContactArrangements(
    how=ContactMethod.MOBILE_PHONE,
    where="07700 900987",
    when="Tuesdays after 18:00 only",
    not_to_contact="Never write to the home address",
)


def enquiry(case: str, clock: FrozenClock, *, consent: bool = True) -> EnquiryRegisteredV1:
    """Intake's registered enquiry of a case, with the applicant's contact arrangements."""
    now = clock.now()
    return EnquiryRegisteredV1(
        case_reference=case,
        channel=Channel.STATION,
        received_at=now,
        registered_at=now,
        scheme_profile=SchemeProfile.CSODS_2010,
        stage1_due_at=now + timedelta(days=1),
        risk_assessment_due_at=now + timedelta(days=10),
        closure_due_at=now + timedelta(days=45),
        contact=CONTACT,
        consent=Consent(
            to_share_with_agencies=consent, told_sharing_may_happen_without_consent=True
        ),
        applicant_at_risk=False,
        immediate_risk=(),
    )


def subject(postcode: str = "QA1 1AA") -> SubjectParticulars:
    """The subject, living at a postcode."""
    return SubjectParticulars(
        names=(PersonName(forenames=("Mark",), surname="Taylor"),),
        date_of_birth=PartialDate(year=1981),
        addresses=(Address(lines=("3 Mill Lane",), town="Testbury", postcode=postcode),),
    )


def application(
    case: str, clock: FrozenClock, *, postcode: str = "QA1 1AA", grooming: bool = False
) -> ApplicationSubmittedV1:
    """Intake's application: the applicant, one child, the subject at `postcode`."""
    return ApplicationSubmittedV1(
        case_reference=case,
        seen_at=clock.now(),
        applicant=Applicant(
            name=PersonName(forenames=("Sarah",), surname="Jones"),
            date_of_birth=PartialDate(year=1990, month=5, day=21),
            address=Address(lines=("14 Priory Road",), town="Testbury", postcode="QA2 2BB"),
        ),
        identity=IdentityVerification(verified=True, evidence=(IdentityEvidence.PASSPORT,)),
        children=(
            Child(
                party="child-1",
                name=PersonName(forenames=("Amy",), surname="Jones"),
                date_of_birth=PartialDate(year=2019),
                relationship_to_applicant=Relationship.PARENT,
                relationship_verified=True,
            ),
        ),
        subject=subject(postcode),
        contact=CONTACT,
        warnings_given=(ApplicantWarning.FALSE_INFORMATION_MAY_BE_PROSECUTED,),
        warnings_acknowledged=True,
        immediate_risk=(
            RiskAnswer(
                question=RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING, answer=grooming
            ),
        ),
    )


def with_a_child_elsewhere(
    submitted: ApplicationSubmittedV1, postcode: str = "QB4 4DD"
) -> ApplicationSubmittedV1:
    """The application with a second child, child-2, who lives away from the applicant."""
    [at_home] = submitted.children
    away = at_home.model_copy(
        update={
            "party": "child-2",
            "name": PersonName(forenames=("Josh",), surname="Jones"),
            "address": Address(lines=("9 Dock Street",), town="Elsewhere", postcode=postcode),
        }
    )
    return submitted.model_copy(update={"children": (at_home, away)})


def finding(
    kind: RecordKind = RecordKind.CONVICTION,
    category: OffenceCategory = OffenceCategory.CHILD_SEXUAL,
) -> Finding:
    """One record about the subject."""
    return Finding(
        kind=kind,
        category=category,
        schedule_34a=category is OffenceCategory.CHILD_SEXUAL,
        summary="Sexual assault on a child under 13, 2009.",
        record_reference="PNC/09/123456X",
    )


def checks(
    case: str,
    clock: FrozenClock,
    *findings: Finding,
    stage: Stage = Stage.FULL_RISK_ASSESSMENT,
    system: System = System.PNC,
) -> ChecksCompletedV1:
    """The checks of a stage: the subject matched with `findings`, or no trace."""
    result = CheckResult(
        system=system,
        party="subject",
        outcome=MatchOutcome.MATCH if findings else MatchOutcome.NO_TRACE,
        confidence=0.97 if findings else 0.0,
        findings=findings,
    )
    return ChecksCompletedV1(
        case_reference=case, stage=stage, completed_at=clock.now(), results=(result,)
    )


def answer(
    request: RequestConsultationV1,
    agency: str,
    clock: FrozenClock,
    *,
    outcome: ConsultationOutcome = ConsultationOutcome.NOTHING_KNOWN,
    **extra: Any,
) -> ConsultationAnsweredV1:
    """An agency's answer to a request."""
    return ConsultationAnsweredV1(
        consultation_id=request.consultation_id,
        case_reference=request.case_reference,
        agency=agency,
        outcome=outcome,
        answered_at=clock.now(),
        **extra,
    )


def area(force: str, postcode: str) -> Area:
    """A test force's area: one postcode area of its own."""
    return Area(force, f"csc-{force}", f"probation-{force}", frozenset({postcode}))


@pytest.fixture
async def exchange(settings_for: Callable[..., Settings]) -> AsyncIterator[Exchange]:
    """The multi-agency schema migrated, a pool per force as its own role, a frozen clock."""
    owner = settings_for("harness").database_url
    await migrate_service(definition, owner)

    async def open_for(tenant: str) -> Database:
        settings = settings_for(tenant)
        await login(settings, SERVICE)
        return await open_database(dsn=app_dsn(settings, SERVICE), schema=SERVICE, size=3)

    pools = TenantPools(pool=cast("asyncpg.Pool", None), schema=SERVICE, open_for=open_for)
    try:
        yield Exchange(database=pools, clock=FrozenClock())
    finally:
        await pools.close()


async def rows(exchange: Exchange, tenant: str, table: str) -> list[dict[str, Any]]:
    """A force's rows of a table, as that force sees them under row-level security."""
    async with exchange.database.transaction(tenant) as tx:
        return [dict(row) for row in await tx.conn.fetch(f"SELECT * FROM {table}")]


def ids(values: Sequence[Any]) -> list[UUID]:
    """The consultation ids of messages."""
    return [value.consultation_id for value in values]


async def test_the_harness_routes_only_to_forces_it_holds(exchange: Exchange, tenant: str) -> None:
    force = exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    assert force.processor_for(topics.inbox(tenant, f"csc-{tenant}")) is not None
    assert force.processor_for(topics.inbox(f"csc-{tenant}", tenant)) is None  # the agency's
    await exchange.pump()
    assert exchange.published == []
