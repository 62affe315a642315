"""The agency stand-ins on a real PostgreSQL: seeded records, answers, delay and silence."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from schemas import topics
from schemas.disclosure import CaseOutcomeV1
from schemas.envelope import first_envelope, source_of
from schemas.examples import example_payload
from schemas.multiagency import (
    AgencyKind,
    ConsultationAnsweredV1,
    ConsultationOutcome,
    LawfulBasis,
    RemindConsultationV1,
    RequestConsultationV1,
)
from schemas.parties import Child, PartialDate, PersonName, Relationship
from schemas.safeguarding import ReferImmediateRiskV1, ReferralAcknowledgedV1, ReferralResponse
from services.multiagency.stubs import childrens_social_care, probation, seeding
from services.multiagency.stubs.agency import AgencySystem
from services.runtime.audit import Action, entries
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor, Record, Verdict
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, Transaction, open_database
from tests.component.test_multiagency_harness import subject
from tests.support.schemas import login


@pytest.fixture
async def opened(
    settings_for: Callable[..., Settings],
) -> AsyncIterator[Callable[[str, str], Any]]:
    databases: list[Database] = []

    async def open_(agency: str, tenant: str) -> Database:
        """The stand-in's schema (migrated by the owner), opened as its tenant's login."""
        settings = settings_for(tenant)
        owned = await seeding.open_agency_database(
            agency, tenant=tenant, database_url=settings.database_url
        )
        await owned.pool.close()
        name = seeding.AGENCIES[agency].system.name
        await login(settings, name)
        database = await open_database(dsn=app_dsn(settings, name), schema=name, size=2)
        databases.append(database)
        return database

    yield open_
    for database in databases:
        await database.pool.close()


def request(kind: AgencyKind, *, children: tuple[Child, ...] = ()) -> RequestConsultationV1:
    return RequestConsultationV1(
        consultation_id=uuid4(),
        asking_force="warwickshire",
        case_reference="warwickshire-2026-000042",
        agency_kind=kind,
        lawful_basis=LawfulBasis.CONSENT,
        subject=subject(),
        children=children,
        question="Known to you?",
        respond_by=FrozenClock().now() + timedelta(days=3),
    )


async def amy_on_a_plan(tx: Transaction) -> None:
    """Children's social care's record of Amy, on a child protection plan since 2025."""
    await childrens_social_care.RECORDS.add(
        tx,
        record_id="c-1",
        forenames="Amy",
        surname="Jones",
        birth_year=2019,
        child_protection_plan=True,
        plan_since=2025,
    )


def amy(year: int = 2019) -> Child:
    return Child(
        party="child-1",
        name=PersonName(forenames=("Amy",), surname="Jones"),
        date_of_birth=PartialDate(year=year),
        relationship_to_applicant=Relationship.PARENT,
        relationship_verified=True,
    )


def processor(system: AgencySystem, tenant: str, database: Database) -> Processor:
    [inbox] = system.definition().wire(tenant, FrozenClock()).subscriptions
    return Processor(
        service=system.name,
        tenant=tenant,
        database=database,
        routes=inbox.routes,
        clock=FrozenClock(),
        backoff_seconds=0.0,
    )


def record(tenant: str, message: Any, *, sender: str = "warwickshire") -> Record:
    envelope = first_envelope(
        type=message.TYPE,
        source=source_of(sender, "multiagency"),
        subject=message.case_reference,
        time=FrozenClock().now(),
    )
    return Record(
        topics.inbox(tenant, sender),
        0,
        1,
        envelope.key,
        message.to_json(),
        tuple(envelope.to_headers()),
    )


async def outbox(database: Database, tenant: str) -> list[tuple[str, bytes]]:
    async with database.transaction(tenant) as tx:
        rows = await tx.conn.fetch("SELECT topic, payload FROM outbox ORDER BY id")
    return [(row["topic"], row["payload"]) for row in rows]


async def test_seeding_replaces_seeded_records_and_keeps_added_ones(
    opened: Callable[[str, str], Any], tenant: str, settings_for: Callable[..., Settings]
) -> None:
    agency = f"probation-{tenant}"
    database = await opened("probation", agency)
    async with database.transaction(agency) as tx:
        await probation.RECORDS.add(tx, record_id="added-1", forenames="Mark", surname="Taylor")
    url = settings_for(agency).database_url
    for seed in (3, 4):
        assert (
            await seeding.seed(
                agency="probation", tenant=agency, seed=seed, count=10, database_url=url
            )
            == 10
        )
    async with database.transaction(agency) as tx:
        sources = await tx.conn.fetch("SELECT source, count(*) FROM supervised_people GROUP BY 1")
    assert {row["source"]: row["count"] for row in sources} == {"seed": 10, "added": 1}


async def test_probation_answers_from_its_records(
    opened: Callable[[str, str], Any], tenant: str
) -> None:
    agency = f"probation-{tenant}"
    database = await opened("probation", agency)
    async with database.transaction(agency) as tx:
        await probation.RECORDS.add(
            tx,
            record_id="p-1",
            forenames="Mark John",
            surname="TAYLOR",
            birth_year=1981,
            mappa_level=2,
            mappa_category=1,
        )
        known = await probation.lookup(tx.conn, agency, request(AgencyKind.PROBATION))
        other = request(AgencyKind.PROBATION).model_copy(
            update={
                "subject": subject().model_copy(update={"date_of_birth": PartialDate(year=1990)})
            }
        )
        unknown = await probation.lookup(tx.conn, agency, other)
    assert known.outcome is ConsultationOutcome.INFORMATION_SHARED
    assert known.mappa_level == 2
    assert known.supervised_by_probation
    assert unknown.outcome is ConsultationOutcome.NOTHING_KNOWN
    # Answered on the inbox, what it shares is in the agency's own audit log.
    stand_in = processor(probation.SYSTEM, agency, database)
    assert await stand_in.process(record(agency, request(AgencyKind.PROBATION))) is Verdict.APPLIED
    async with database.transaction(agency) as tx:
        [entry] = await entries(tx.conn, tenant=agency)
    assert (entry.action, entry.recipients) == (Action.DISCLOSURE, ("warwickshire",))


async def test_childrens_social_care_answers_plans_and_refuses_restricted_records(
    opened: Callable[[str, str], Any], tenant: str
) -> None:
    agency = f"csc-{tenant}"
    database = await opened("childrens-social-care", agency)
    async with database.transaction(agency) as tx:
        await amy_on_a_plan(tx)
        await childrens_social_care.RECORDS.add(
            tx,
            record_id="c-2",
            forenames="Ben",
            surname="Hall",
            restricted=True,
        )
        plan = await childrens_social_care.lookup(
            tx.conn, agency, request(AgencyKind.CHILDRENS_SOCIAL_CARE, children=(amy(),))
        )
        ben = amy().model_copy(update={"name": PersonName(forenames=("Ben",), surname="Hall")})
        refused = await childrens_social_care.lookup(
            tx.conn, agency, request(AgencyKind.CHILDRENS_SOCIAL_CARE, children=(ben,))
        )
    assert plan.outcome is ConsultationOutcome.INFORMATION_SHARED
    assert plan.child_protection_plan
    assert plan.information is not None
    assert "2025" in plan.information
    assert refused.outcome is ConsultationOutcome.DECLINED_TO_SHARE


async def test_the_stand_in_answers_on_the_asking_force_s_inbox(
    opened: Callable[[str, str], Any], tenant: str
) -> None:
    agency = f"probation-{tenant}"
    database = await opened("probation", agency)
    stand_in = processor(probation.SYSTEM, agency, database)
    asked = request(AgencyKind.PROBATION)
    assert await stand_in.process(record(agency, asked)) is Verdict.APPLIED
    [(topic, payload)] = await outbox(database, agency)
    assert topic == topics.inbox("warwickshire", agency)
    answered = ConsultationAnsweredV1.model_validate_json(payload)
    assert answered.consultation_id == asked.consultation_id
    assert answered.agency == agency
    assert answered.outcome is ConsultationOutcome.NOTHING_KNOWN
    async with database.transaction(agency) as tx:
        assert await entries(tx.conn, tenant=agency) == []  # nothing known: nothing shared
    # A reminder for a consultation already answered is not answered twice.
    reminder = RemindConsultationV1(
        consultation_id=asked.consultation_id,
        asking_force="warwickshire",
        case_reference=asked.case_reference,
        respond_by=asked.respond_by,
        reminded_at=asked.respond_by,
    )
    assert await stand_in.process(record(agency, reminder)) is Verdict.APPLIED
    assert len(await outbox(database, agency)) == 1
    # Asked as the wrong kind of agency, or reminded of nothing: dead letters.
    wrong = request(AgencyKind.CHILDRENS_SOCIAL_CARE)
    assert await stand_in.process(record(agency, wrong)) is Verdict.DEAD
    stray = reminder.model_copy(update={"consultation_id": uuid4()})
    assert await stand_in.process(record(agency, stray)) is Verdict.DEAD


async def test_a_silent_stand_in_never_answers_even_when_reminded(
    opened: Callable[[str, str], Any], tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSODS_AGENCY_SILENT", "true")
    agency = f"csc-{tenant}"
    database = await opened("childrens-social-care", agency)
    stand_in = processor(childrens_social_care.SYSTEM, agency, database)
    asked = request(AgencyKind.CHILDRENS_SOCIAL_CARE, children=(amy(),))
    assert await stand_in.process(record(agency, asked)) is Verdict.APPLIED
    reminder = RemindConsultationV1(
        consultation_id=asked.consultation_id,
        asking_force="warwickshire",
        case_reference=asked.case_reference,
        respond_by=asked.respond_by,
        reminded_at=asked.respond_by,
    )
    assert await stand_in.process(record(agency, reminder)) is Verdict.APPLIED
    assert await outbox(database, agency) == []


def referral(children: tuple[Child, ...] = ()) -> ReferImmediateRiskV1:
    """A referral of immediate risk from warwickshire, as the published contract shows one."""
    published = example_payload(ReferImmediateRiskV1)
    return ReferImmediateRiskV1.model_validate(
        {
            **published,
            "referral_id": str(uuid4()),
            "case_reference": "warwickshire-2026-000042",
            "children": [child.model_dump(mode="json") for child in children],
        }
    )


async def test_childrens_social_care_acknowledges_a_referral_of_immediate_risk_2_7(
    opened: Callable[[str, str], Any], tenant: str
) -> None:
    agency = f"csc-{tenant}"
    database = await opened("childrens-social-care", agency)
    async with database.transaction(agency) as tx:
        await amy_on_a_plan(tx)
    stand_in = processor(childrens_social_care.SYSTEM, agency, database)
    unknown, on_a_plan = referral(), referral((amy(),))

    assert await stand_in.process(record(agency, unknown)) is Verdict.APPLIED
    assert await stand_in.process(record(agency, on_a_plan)) is Verdict.APPLIED
    assert await stand_in.process(record(agency, unknown)) is Verdict.APPLIED  # anew: once

    answers = await outbox(database, agency)
    assert [topic for topic, _ in answers] == [topics.inbox("warwickshire", agency)] * 2
    first, second = (ReferralAcknowledgedV1.model_validate_json(p) for _, p in answers)
    assert (first.referral_id, first.response) == (
        unknown.referral_id,
        ReferralResponse.STRATEGY_DISCUSSION,
    )
    assert (second.referral_id, second.response) == (
        on_a_plan.referral_id,
        ReferralResponse.ALREADY_ALLOCATED,
    )
    # A referral in another force's name, on warwickshire's inbox, is refused.
    forged = referral().model_copy(update={"referring_force": "cleveland"})
    assert await stand_in.process(record(agency, forged)) is Verdict.DEAD
    after = [topic for topic, _ in await outbox(database, agency)]
    assert after == [topics.inbox("warwickshire", agency)] * 2 + [topics.dead_letters(agency)]


async def test_an_agency_keeps_the_outcome_of_a_case_it_was_consulted_on_6_3(
    opened: Callable[[str, str], Any], tenant: str
) -> None:
    agency = f"probation-{tenant}"
    database = await opened("probation", agency)
    stand_in = processor(probation.SYSTEM, agency, database)
    asked = request(AgencyKind.PROBATION)
    assert await stand_in.process(record(agency, asked)) is Verdict.APPLIED
    told = CaseOutcomeV1.model_validate(
        {
            **example_payload(CaseOutcomeV1),
            "consultation_id": str(asked.consultation_id),
            "force": "warwickshire",
            "agency": agency,
            "case_reference": asked.case_reference,
        }
    )

    assert await stand_in.process(record(agency, told)) is Verdict.APPLIED
    async with database.transaction(agency) as tx:
        kept = await tx.conn.fetchval(
            "SELECT case_outcome FROM consultations_received WHERE consultation_id = $1",
            asked.consultation_id,
        )
    assert kept == "no-disclosure-protective-action"
    # One about a consultation never asked, or in another force's name, is refused.
    never = told.model_copy(update={"consultation_id": uuid4()})
    assert await stand_in.process(record(agency, never)) is Verdict.DEAD
    forged = told.model_copy(update={"force": "cleveland"})
    assert await stand_in.process(record(agency, forged, sender="cleveland")) is Verdict.DEAD
