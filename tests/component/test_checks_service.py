"""The checks service on a real PostgreSQL: asking, waiting, retrying, completing, auditing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from schemas import topics
from schemas.base import Message
from schemas.checks import (
    Candidate,
    CheckAnsweredLateV1,
    CheckAnsweredV1,
    CheckQueryV1,
    CheckResult,
    ChecksCompletedV1,
    ChecksRequestedV1,
    Concern,
    Finding,
    Indication,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    RequestChecksV1,
    SettleMatchV1,
    System,
)
from schemas.envelope import Envelope, caused_by, first_envelope, source_of
from schemas.examples import example, example_payload
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.parties import PartialDate, PersonName, SubjectParticulars
from schemas.stages import Stage
from services.catalogue import definition
from services.checks import use_cases
from services.checks.config import ChecksSettings
from services.runtime import audit
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor, Verdict
from services.runtime.service import Subscription
from services.runtime.unit_of_work import Database
from tests.component.conftest import Component
from tests.support.records import record

Build = Callable[..., Awaitable[Component]]
# A four-hour wait, a first retry after 15 minutes, whatever the environment says.
SETTINGS = ChecksSettings(
    answer_wait_seconds=4 * 3600.0, retry_seconds=15 * 60.0, system_tenants=""
)
PINNED = {"answer_wait_seconds": "14400", "retry_seconds": "900", "system_tenants": ""}


@dataclass
class Checks:
    """The checks service of one force: every subscription's processor on one database."""

    tenant: str
    database: Database
    clock: FrozenClock
    processors: list[tuple[Subscription, Processor]]
    case: str
    first: Envelope | None = None

    async def deliver(self, topic: str, message: Message, *, sender: str | None = None) -> Verdict:
        """Deliver a message as its sender would put it on the topic."""
        sender = sender or self.tenant
        source = source_of(sender, "system" if sender != self.tenant else "intake")
        now = self.clock.now()
        if self.first is None:
            envelope = first_envelope(type=message.TYPE, source=source, subject=self.case, time=now)
            self.first = envelope
        else:
            envelope = caused_by(self.first, type=message.TYPE, source=source, time=now)
        incoming = record(
            topic, value=message.to_json(), headers=envelope.to_headers(), key=envelope.key
        )
        return await self.processor_for(topic).process(incoming)

    async def sent_by(self, sender: str, message: Message) -> Verdict:
        """Deliver a system's message on the force's inbox that only that system may write."""
        return await self.deliver(topics.inbox(self.tenant, sender), message, sender=sender)

    async def raw(self, topic: str, payload: bytes, ce_type: str, *, sender: str) -> Verdict:
        """Deliver bytes that may not be a valid message."""
        assert self.first is not None
        envelope = caused_by(
            self.first, type=ce_type, source=source_of(sender, "system"), time=self.clock.now()
        )
        incoming = record(topic, value=payload, headers=envelope.to_headers(), key=envelope.key)
        return await self.processor_for(topic).process(incoming)

    def processor_for(self, topic: str) -> Processor:
        """The processor of the subscription that reads `topic`, as the runtime routes it."""
        [processor] = [p for s, p in self.processors if s.reads(topic)]
        return processor

    async def outbox(self) -> list[tuple[str, str, bytes]]:
        """(topic, ce_type, payload) of everything emitted so far, in order."""
        async with self.database.transaction(self.tenant) as tx:
            rows = await tx.conn.fetch(
                "SELECT topic, header_names, header_values, payload FROM outbox ORDER BY id"
            )
        return [
            (
                row["topic"],
                dict(zip(row["header_names"], row["header_values"], strict=True))[
                    "ce_type"
                ].decode(),
                row["payload"],
            )
            for row in rows
        ]

    async def emitted(self, model: type[Any]) -> list[Any]:
        """The messages of one type emitted so far."""
        return [model.model_validate_json(p) for _, t, p in await self.outbox() if t == model.TYPE]

    async def queries(self) -> dict[tuple[str, str], CheckQueryV1]:
        """The last query sent to each (system, party)."""
        return {(q.system.value, q.party): q for q in await self.emitted(CheckQueryV1)}

    async def wait(self, by: timedelta) -> tuple[int, int]:
        """Move the clock on and let the service's timer run once."""
        self.clock.advance(by)
        return await use_cases.end_waits(
            self.database, tenant=self.tenant, clock=self.clock, settings=SETTINGS
        )


@pytest.fixture
async def checks(component: Build, tenant: str, monkeypatch: pytest.MonkeyPatch) -> Checks:
    """The checks service of the test's force, with every subscription wired."""
    for name, value in PINNED.items():
        monkeypatch.setenv(f"CSODS_CHECKS_{name.upper()}", value)
    built = await component("checks", tenant)
    wiring = definition("checks").wire(tenant, built.clock)
    processors = [
        (
            s,
            Processor(
                service="checks",
                tenant=tenant,
                database=built.database,
                routes=s.routes,
                ignored=s.ignored,
                clock=built.clock,
                backoff_seconds=0.0,
            ),
        )
        for s in wiring.subscriptions
    ]
    return Checks(tenant, built.database, built.clock, processors, f"{tenant}-2026-000001")


def subject() -> SubjectParticulars:
    return SubjectParticulars(
        names=(PersonName(forenames=("Mark",), surname="Taylor"),),
        date_of_birth=PartialDate(year=1981, month=3, day=14),
    )


def registered(checks: Checks, **changes: Any) -> EnquiryRegisteredV1:
    base = example(EnquiryRegisteredV1)
    assert isinstance(base, EnquiryRegisteredV1)
    return base.model_copy(update={"case_reference": checks.case, "subject": subject(), **changes})


def request(checks: Checks, stage: Stage = Stage.INITIAL_CONTACT, *parties: str) -> RequestChecksV1:
    return RequestChecksV1(
        case_reference=checks.case, stage=stage, parties=parties or ("subject", "applicant")
    )


def answer(
    checks: Checks, query: CheckQueryV1, outcome: MatchOutcome, *findings: Finding, **more: Any
) -> CheckAnsweredV1:
    return CheckAnsweredV1(
        query_id=query.query_id,
        case_reference=checks.case,
        system=query.system,
        answered_by=sender_of(checks, query.system),
        result=CheckResult(
            system=query.system,
            party=query.party,
            outcome=outcome,
            confidence=0.97 if outcome is MatchOutcome.MATCH else 0.0,
            findings=findings,
            **more,
        ),
        answered_at=checks.clock.now(),
    )


def sender_of(checks: Checks, system: System) -> str:
    return f"{checks.tenant}-intel" if system is System.LOCAL_INTELLIGENCE else system.value


CHILD_CONVICTION = Finding(
    kind=RecordKind.CONVICTION,
    category=OffenceCategory.CHILD_SEXUAL,
    schedule_34a=True,
    summary="Conviction: Sexual assault of a child under 13, 2009.",
    record_reference="PNC/1",
)
REGISTRATION = Finding(
    kind=RecordKind.REGISTRATION,
    category=OffenceCategory.CHILD_SEXUAL,
    schedule_34a=True,
    summary="Registered offender.",
    record_reference="VISOR/1",
    managing_force="warwickshire",
    mappa_category=1,
    mappa_level=2,
)


def inbox(checks: Checks, sender: str) -> str:
    """The force's inbox that only `sender` may write to."""
    return topics.inbox(checks.tenant, sender)


def stream(checks: Checks, service: str, event: str) -> str:
    return topics.stream(checks.tenant, service, event)


async def start_stage_one(checks: Checks) -> None:
    await checks.deliver(stream(checks, "intake", "enquiry-registered"), registered(checks))
    await checks.deliver(stream(checks, "intake", "request-checks"), request(checks))


async def test_stage_one_asks_pnc_and_local_intelligence_and_audits_each_consultation(
    checks: Checks,
) -> None:
    await start_stage_one(checks)

    [asked] = await checks.emitted(ChecksRequestedV1)
    assert asked.systems == (System.PNC, System.VISOR, System.LOCAL_INTELLIGENCE)
    queries = await checks.outbox()
    sent = [(topic, t) for topic, t, _ in queries if t == CheckQueryV1.TYPE]
    # 5.1.9: ViSOR waits for a marker on PNC; the applicant gave no particulars at stage 1.
    assert sent == [
        (topics.inbox(f"{checks.tenant}-intel", checks.tenant), CheckQueryV1.TYPE),
        (topics.inbox("pnc", checks.tenant), CheckQueryV1.TYPE),
    ]
    async with checks.database.transaction(checks.tenant) as tx:
        entries = await audit.entries(tx.conn, tenant=checks.tenant, case_ref=checks.case)
    assert [(e.action, e.recipients) for e in entries] == [
        (audit.Action.CONSULTATION, (f"{checks.tenant}-intel",)),
        (audit.Action.CONSULTATION, ("pnc",)),
    ]
    assert all("on the subject at initial-contact" in e.reason for e in entries)


async def test_answers_complete_the_stage_with_classified_findings(checks: Checks) -> None:
    await start_stage_one(checks)
    queries = await checks.queries()

    pnc = answer(
        checks, queries["pnc", "subject"], MatchOutcome.MATCH, CHILD_CONVICTION, visor_marker=True
    )
    assert await checks.sent_by("pnc", pnc) is Verdict.APPLIED
    local = answer(checks, queries["local-intelligence", "subject"], MatchOutcome.NO_TRACE)
    await checks.sent_by(f"{checks.tenant}-intel", local)
    assert await checks.emitted(ChecksCompletedV1) == []  # ViSOR was asked after the marker
    visor = (await checks.queries())["visor", "subject"]
    await checks.sent_by("visor", answer(checks, visor, MatchOutcome.MATCH, REGISTRATION))

    [completed] = await checks.emitted(ChecksCompletedV1)
    outcomes = {(r.system.value, r.party): r.outcome for r in completed.results}
    assert outcomes == {
        ("pnc", "subject"): MatchOutcome.MATCH,
        ("visor", "subject"): MatchOutcome.MATCH,
        ("local-intelligence", "subject"): MatchOutcome.NO_TRACE,
        ("pnc", "applicant"): MatchOutcome.INSUFFICIENT_DETAIL,
        ("visor", "applicant"): MatchOutcome.INSUFFICIENT_DETAIL,
        ("local-intelligence", "applicant"): MatchOutcome.INSUFFICIENT_DETAIL,
    }
    assert not completed.partial
    assert completed.indication is Indication.CONCERNS
    assert completed.concerns == (Concern.CHILD_SEXUAL_CONVICTION,)
    assert completed.presumption_to_disclose
    pnc_result = next(
        r for r in completed.results if (r.system, r.party) == (System.PNC, "subject")
    )
    finding = pnc_result.findings[0]
    assert finding.concern is Concern.CHILD_SEXUAL_CONVICTION


async def test_no_marker_on_pnc_means_visor_is_not_required(checks: Checks) -> None:
    await start_stage_one(checks)
    queries = await checks.queries()
    for system in (System.PNC, System.LOCAL_INTELLIGENCE):
        query = queries[system.value, "subject"]
        await checks.sent_by(
            sender_of(checks, system), answer(checks, query, MatchOutcome.NO_TRACE)
        )

    [completed] = await checks.emitted(ChecksCompletedV1)
    visor = next(r for r in completed.results if r.system is System.VISOR and r.party == "subject")
    assert visor.outcome is MatchOutcome.NOT_REQUIRED
    assert completed.indication is Indication.NO_CONCERNS


async def test_a_silent_system_is_unavailable_when_the_wait_ends_and_its_late_answer_is_kept(
    checks: Checks,
) -> None:
    await start_stage_one(checks)
    queries = await checks.queries()
    local = answer(checks, queries["local-intelligence", "subject"], MatchOutcome.NO_TRACE)
    await checks.sent_by(f"{checks.tenant}-intel", local)

    assert await checks.wait(timedelta(hours=3, minutes=59)) == (1, 0)  # PNC asked again
    assert await checks.emitted(ChecksCompletedV1) == []
    assert (await checks.wait(timedelta(minutes=2)))[1] == 1

    [completed] = await checks.emitted(ChecksCompletedV1)
    pnc = next(r for r in completed.results if (r.system, r.party) == (System.PNC, "subject"))
    assert pnc.outcome is MatchOutcome.UNAVAILABLE  # never a silent no
    assert completed.partial
    assert completed.indication is Indication.UNDETERMINED
    late = answer(
        checks, queries["pnc", "subject"], MatchOutcome.MATCH, CHILD_CONVICTION, visor_marker=True
    )
    assert await checks.sent_by("pnc", late) is Verdict.APPLIED
    [reported] = await checks.emitted(CheckAnsweredLateV1)
    assert reported.result.outcome is MatchOutcome.MATCH
    assert reported.concerns == (Concern.CHILD_SEXUAL_CONVICTION,)
    assert len(await checks.emitted(ChecksCompletedV1)) == 1


async def test_a_silent_system_is_asked_again_with_backoff(checks: Checks) -> None:
    await start_stage_one(checks)
    first = (await checks.queries())["pnc", "subject"]

    assert (await checks.wait(timedelta(minutes=14)))[0] == 0
    assert (await checks.wait(timedelta(minutes=2)))[0] == 2  # both silent systems, after 15'
    assert (await checks.wait(timedelta(minutes=20)))[0] == 0  # the next wait is 30'
    assert (await checks.wait(timedelta(minutes=11)))[0] == 2

    resent = [q for q in await checks.emitted(CheckQueryV1) if q.system is System.PNC]
    assert len(resent) == 3
    assert {q.query_id for q in resent} == {first.query_id}  # the answer to any one counts


async def test_particulars_that_arrive_after_the_request_release_its_queries(
    checks: Checks,
) -> None:
    await checks.deliver(stream(checks, "intake", "request-checks"), request(checks))
    assert await checks.emitted(CheckQueryV1) == []

    await checks.deliver(stream(checks, "intake", "enquiry-registered"), registered(checks))

    assert set(await checks.queries()) == {("pnc", "subject"), ("local-intelligence", "subject")}


async def test_stage_two_adds_ini_and_checks_the_applicant_and_each_child(checks: Checks) -> None:
    application = example(ApplicationSubmittedV1).model_copy(
        update={"case_reference": checks.case, "subject": subject()}
    )
    await checks.deliver(stream(checks, "intake", "application-submitted"), application)
    stage_two = request(checks, Stage.FACE_TO_FACE, "subject", "applicant", "child-1")
    await checks.deliver(stream(checks, "intake", "request-checks"), stage_two)

    assert set(await checks.queries()) == {
        (system, party)
        for system in ("pnc", "local-intelligence", "ini")
        for party in ("subject", "applicant", "child-1")
    }


async def test_answers_that_do_not_fit_a_query_of_this_force_are_dead_letters(
    checks: Checks,
) -> None:
    await start_stage_one(checks)
    query = (await checks.queries())["pnc", "subject"]
    stranger = answer(checks, query, MatchOutcome.NO_TRACE).model_copy(
        update={"query_id": uuid.uuid4()}
    )
    assert await checks.sent_by("pnc", stranger) is Verdict.DEAD
    impostor = answer(checks, query, MatchOutcome.NO_TRACE)
    assert await checks.sent_by("visor", impostor) is Verdict.DEAD  # ViSOR answering for PNC
    garbled = b'{"query_id": "%s", "result": "garbled"}' % str(query.query_id).encode()
    verdict = await checks.raw(inbox(checks, "pnc"), garbled, CheckAnsweredV1.TYPE, sender="pnc")
    assert verdict is Verdict.DEAD
    dead = [row for row in await checks.outbox() if row[0] == topics.dead_letters(checks.tenant)]
    assert len(dead) == 3
    # The garbled answer is not lost: the query is asked again and a good answer completes.
    assert (await checks.wait(timedelta(minutes=16)))[0] == 2


async def test_a_repeated_answer_has_one_effect(checks: Checks) -> None:
    await start_stage_one(checks)
    queries = await checks.queries()
    for system in (System.PNC, System.PNC, System.LOCAL_INTELLIGENCE):
        query = queries[system.value, "subject"]
        verdict = await checks.sent_by(
            sender_of(checks, system), answer(checks, query, MatchOutcome.NO_TRACE)
        )
        assert verdict is Verdict.APPLIED
    assert len(await checks.emitted(ChecksCompletedV1)) == 1


async def test_stage_four_asks_visor_at_once_and_ceop_only_when_asked(checks: Checks) -> None:
    await checks.deliver(stream(checks, "intake", "enquiry-registered"), registered(checks))
    full = RequestChecksV1(
        case_reference=checks.case,
        stage=Stage.FULL_RISK_ASSESSMENT,
        parties=("subject",),
        systems=(System.CEOP,),
    )
    await checks.deliver(stream(checks, "multiagency", "request-checks"), full)

    sent = {
        (topic, q.system.value)
        for topic, t, p in await checks.outbox()
        if t == CheckQueryV1.TYPE
        for q in [CheckQueryV1.model_validate_json(p)]
    }
    assert sent == {
        (topics.inbox("pnc", checks.tenant), "pnc"),
        (topics.inbox("visor", checks.tenant), "visor"),  # 5.4.4: no marker needed at stage 4
        (topics.inbox("ini", checks.tenant), "ini"),
        (topics.inbox(f"{checks.tenant}-intel", checks.tenant), "local-intelligence"),
        (topics.inbox("ceop", checks.tenant), "ceop"),
    }


async def test_stage_four_asked_before_the_application_waits_for_its_parties_5_4_4(
    checks: Checks,
) -> None:
    # Multi-agency asks once it has read the application; the checks service may read that
    # request before intake's application reaches it on its own topic.
    await checks.deliver(stream(checks, "intake", "enquiry-registered"), registered(checks))
    full = RequestChecksV1(
        case_reference=checks.case,
        stage=Stage.FULL_RISK_ASSESSMENT,
        parties=("subject", "applicant", "child-1"),
    )
    await checks.deliver(stream(checks, "multiagency", "request-checks"), full)

    assert await checks.emitted(ChecksCompletedV1) == []  # never at once, with parties unknown
    assert {party for _, party in await checks.queries()} <= {"subject", "applicant"}

    application = example(ApplicationSubmittedV1).model_copy(
        update={"case_reference": checks.case, "subject": subject()}
    )
    assert isinstance(application, ApplicationSubmittedV1)
    assert [child.party for child in application.children] == ["child-1"]
    await checks.deliver(stream(checks, "intake", "application-submitted"), application)

    asked = await checks.queries()
    assert {party for _, party in asked} == {"subject", "applicant", "child-1"}
    assert {system for system, party in asked if party == "child-1"} == {
        "pnc",
        "visor",
        "local-intelligence",
        "ini",
    }
    assert await checks.emitted(ChecksCompletedV1) == []  # now the answers are awaited


async def test_a_party_the_application_never_brings_is_insufficient_when_the_wait_ends(
    checks: Checks,
) -> None:
    await checks.deliver(stream(checks, "intake", "enquiry-registered"), registered(checks))
    full = RequestChecksV1(
        case_reference=checks.case, stage=Stage.FULL_RISK_ASSESSMENT, parties=("child-1",)
    )
    await checks.deliver(stream(checks, "multiagency", "request-checks"), full)
    assert await checks.emitted(ChecksCompletedV1) == []

    await checks.wait(timedelta(seconds=SETTINGS.answer_wait_seconds + 1))

    [completed] = await checks.emitted(ChecksCompletedV1)
    assert completed.stage is Stage.FULL_RISK_ASSESSMENT
    assert {result.party for result in completed.results} == {"child-1"}


async def possible_match_on_pnc(checks: Checks) -> CheckQueryV1:
    """Stage 1 completed, PNC's answer about the subject a possible match of two candidates."""
    await start_stage_one(checks)
    queries = await checks.queries()
    candidates = (
        Candidate(record_reference="PNC/09/1", confidence=0.74, reasons=("surname-exact",)),
        Candidate(record_reference="PNC/11/2", confidence=0.61, reasons=("surname-exact",)),
    )
    pnc = queries["pnc", "subject"]
    await checks.sent_by(
        "pnc", answer(checks, pnc, MatchOutcome.POSSIBLE_MATCH, candidates=candidates)
    )
    local = queries["local-intelligence", "subject"]
    await checks.sent_by(f"{checks.tenant}-intel", answer(checks, local, MatchOutcome.NO_TRACE))
    await checks.wait(timedelta(hours=5))  # whatever else was awaited, the wait ends
    [completed] = await checks.emitted(ChecksCompletedV1)
    assert completed.indication is Indication.UNDETERMINED
    return pnc


def settlement(checks: Checks, record_reference: str | None) -> SettleMatchV1:
    return SettleMatchV1.model_validate(
        {
            **example_payload(SettleMatchV1),
            "case_reference": checks.case,
            "stage": "initial-contact",
            "party": "subject",
            "record_reference": record_reference,
        }
    )


async def test_a_settled_possible_match_is_asked_for_and_comes_as_a_late_answer_5_4_4(
    checks: Checks,
) -> None:
    pnc = await possible_match_on_pnc(checks)
    multiagency = stream(checks, "multiagency", "settle-match")

    stranger = settlement(checks, "PNC/99/9")  # not a candidate
    assert await checks.deliver(multiagency, stranger) is Verdict.DEAD
    assert await checks.deliver(multiagency, settlement(checks, "PNC/09/1")) is Verdict.APPLIED

    asked = [q for q in await checks.emitted(CheckQueryV1) if q.query_id == pnc.query_id]
    assert [q.record_reference for q in asked] == [None, "PNC/09/1"]
    settled = answer(checks, asked[-1], MatchOutcome.MATCH, CHILD_CONVICTION)
    assert await checks.sent_by("pnc", settled) is Verdict.APPLIED
    [late] = await checks.emitted(CheckAnsweredLateV1)
    assert late.result.outcome is MatchOutcome.MATCH
    assert late.concerns == (Concern.CHILD_SEXUAL_CONVICTION,)


async def test_a_possible_match_ruled_out_reads_as_no_trace_5_4_4(checks: Checks) -> None:
    await possible_match_on_pnc(checks)
    multiagency = stream(checks, "multiagency", "settle-match")
    assert await checks.deliver(multiagency, settlement(checks, None)) is Verdict.APPLIED

    [late] = await checks.emitted(CheckAnsweredLateV1)
    assert (late.result.system, late.result.outcome) == (System.PNC, MatchOutcome.NO_TRACE)
    assert late.result.candidates == ()
    # Settled once: there is no possible match left to settle.
    assert await checks.deliver(multiagency, settlement(checks, None)) is Verdict.DEAD
