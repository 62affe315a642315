"""A case whose subject lives in another force, over the real broker, process by process.

The owning force's and the responding force's multi-agency services, a silent children's
social care and a probation region that answers, each its own process. The test plays the
owning force's intake and both forces' checks services, and the responding force's staff
on that force's HTTP API.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from schemas import topics
from schemas.base import Message
from schemas.checks import (
    CheckResult,
    ChecksCompletedV1,
    Finding,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    RequestChecksV1,
    System,
)
from schemas.envelope import Envelope, caused_by, first_envelope, source_of
from schemas.intake import EnquiryRegisteredV1
from schemas.multiagency import (
    ConsultationAnsweredV1,
    ConsultationOverdueV1,
    DecisionRoute,
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
    HandoffAcceptedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
    RemindConsultationV1,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from schemas.stages import Stage
from services import journey
from services.multiagency.messaging import SERVICE
from services.multiagency.stubs import probation, seeding
from services.runtime.audit import Action, entries
from services.runtime.clock import FrozenClock
from services.runtime.kafka_access import KafkaAccess
from tests.component.test_multiagency_harness import CONTACT, application, enquiry
from tests.conftest import Provision
from tests.e2e.conftest import Start
from tests.support.stack import FoundStack
from tests.support.staff import headers
from tests.support.topics import deployment_of

SECRETS = [CONTACT.where, CONTACT.when, "Sarah", "Priory Road"]  # the applicant's, never sent


class Case:
    """The test's view of the case, and the systems it plays."""

    def __init__(self, stack: FoundStack, owning: str, responding: str) -> None:
        self.stack = stack
        self.owning, self.responding = owning, responding
        self.reference = f"{owning}-{datetime.now(UTC).year}-000001"
        self.first = first_envelope(
            type=EnquiryRegisteredV1.TYPE,
            source=source_of(owning, "intake"),
            subject=self.reference,
            time=datetime.now(UTC),
        )

    def publish(self, topic: str, message: Message, envelope: Envelope) -> None:
        """Publish on a stream as the service whose stream it is (`cso.<tenant>.<service>.`)."""
        _, tenant, service = topic.split(".")[:3]
        access = self.stack.principal_access(tenant, service)
        asyncio.run(journey.publish(access, topic, message, envelope))

    def then(
        self, cause: Envelope, message: Message, tenant: str, service: str, subject: str
    ) -> Envelope:
        """The envelope of a message `cause` led to, sent by `tenant`'s `service`."""
        return caused_by(
            cause,
            type=message.TYPE,
            source=source_of(tenant, service),
            time=datetime.now(UTC),
            subject=subject,
        )

    def wait_for(self, topics_: list[str], message: type[Message]) -> list[journey.Step]:
        return asyncio.run(
            journey.follow(
                self.stack.operator,  # an observer of both forces and their agencies
                topics_,
                correlation_id=str(self.first.correlation_id),
                until_type=message.TYPE,
                limit_seconds=60,
            )
        )


def checks_completed(case: str, *findings: Finding) -> ChecksCompletedV1:
    result = CheckResult(
        system=System.LOCAL_INTELLIGENCE if findings else System.PNC,
        party="subject",
        outcome=MatchOutcome.MATCH if findings else MatchOutcome.NO_TRACE,
        confidence=0.98 if findings else 0.0,
        findings=findings,
    )
    return ChecksCompletedV1(
        case_reference=case,
        stage=Stage.FULL_RISK_ASSESSMENT,
        completed_at=datetime.now(UTC),
        results=(result,),
    )


def last(steps: list[journey.Step], message: type[Any]) -> tuple[journey.Step, Any]:
    step = [s for s in steps if s.envelope.type == message.TYPE][-1]
    return step, message.model_validate_json(step.payload)


async def seed_probation(agency: str, database_url: str) -> None:
    await seeding.seed(
        agency="probation", tenant=agency, seed=11, count=30, database_url=database_url
    )
    database = await seeding.open_agency_database(
        "probation", tenant=agency, database_url=database_url
    )
    try:
        async with database.transaction(agency) as tx:
            await probation.RECORDS.add(
                tx,
                record_id="known-subject",
                forenames="Mark",
                surname="Taylor",
                birth_year=1981,
                mappa_level=2,
                mappa_category=1,
            )
    finally:
        await database.pool.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def record_forum_decision(port: int, force: str, case: str) -> httpx.Response:
    """The responding force's staff record their MAPPA meeting's conclusion on its API."""
    body = {
        "route": "concerns",
        "recommend_disclosure": True,
        "rationale": "Registered; MAPPA level 2; has access to the child.",
        "inform_subject": False,
        "community_risk_assessment": "Low risk to him at home; offender manager told.",
        "attendance": [
            {"agency": force, "role": "detective sergeant"},
            {"agency": f"probation-{force}", "role": "offender manager"},
        ],
        "positions": [{"agency": f"probation-{force}", "position": "disclose"}],
    }
    url = f"http://127.0.0.1:{port}/cases/{case}/forum/decision"
    for _ in range(50):
        try:
            return httpx.post(url, json=body, timeout=10, headers=headers(force))
        except httpx.ConnectError:
            time.sleep(0.2)  # the server starts beside the subscribers
    raise TimeoutError(url)


def sign_off_when_waiting(port: int, force: str, case: str, *, within: float = 90.0) -> None:
    """The force's trained officer signs its risk assessment off on its API once it waits,
    as the records show it, with every Appendix D question answered (5.4.2)."""
    url = f"http://127.0.0.1:{port}/cases/{case}/risk-assessment"
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            proposed = httpx.get(url, timeout=10, headers=headers(force))
        except httpx.ConnectError:
            proposed = None  # the server starts beside the subscribers
        if proposed is not None and proposed.status_code == 200:
            waiting = proposed.json()
            if waiting["state"] == "awaiting-sign-off":
                body = {
                    "route": waiting["route"],
                    "categories": waiting["categories"],
                    "answers": dict.fromkeys(waiting["questions"], "Considered and recorded."),
                    "rationale": "Signed off as the records and the agencies' answers show.",
                }
                signed = httpx.post(
                    f"{url}/sign-off", json=body, timeout=10, headers=headers(force)
                )
                assert signed.status_code == 201, signed.text
                return
        time.sleep(0.25)
    raise TimeoutError(f"{force} {case}: no risk assessment waited for sign-off")


TABLES = ("cases", "consultations", "handoffs", "forums", "assessments", "inbox", "audit_log")


async def rows_of(database_url: str, tenant: str) -> list[str]:
    """Every multi-agency row of a tenant as text, outbox payloads decoded, read by the owner."""
    conn = await asyncpg.connect(database_url)
    try:
        found: list[str] = []
        for table in TABLES:
            rows = await conn.fetch(
                f"SELECT t::text AS row FROM multiagency.{table} t WHERE tenant = $1", tenant
            )
            found.extend(row["row"] for row in rows)
        payloads = await conn.fetch(
            "SELECT payload FROM multiagency.outbox WHERE tenant = $1", tenant
        )
        found.extend(bytes(row["payload"]).decode() for row in payloads)
        return found
    finally:
        await conn.close()


async def payloads_on(operator: KafkaAccess, tenant: str) -> list[bytes]:
    """Every record on every topic of a tenant: its streams, inboxes and dead letters."""
    admin = AIOKafkaAdminClient(**operator.aiokafka())
    await admin.start()
    try:
        names = [
            name
            for name in await admin.list_topics()
            if name.startswith((f"cso.{tenant}.", topics.inbox_prefix(tenant)))
            or name == topics.dead_letters(tenant)
        ]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        *names, **operator.aiokafka(), group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[bytes] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return found
            found.extend(record.value or b"" for records in batch.values() for record in records)
    finally:
        await consumer.stop()


def test_a_subject_in_another_force_is_handed_off_assessed_there_and_returned(
    stack: FoundStack, database_url: str, tenant: str, start_for: Start, provision: Provision
) -> None:
    owning, responding = tenant, f"{tenant}r"
    provision(deployment_of(owning, responding))  # with the handoff inboxes between them
    csc, responding_probation = f"csc-{owning}", f"probation-{responding}"
    areas = json.dumps(
        [
            {"force": owning, "postcode_areas": ["QA"]},
            {"force": responding, "postcode_areas": ["QB"]},
        ]
    )
    force_env = {
        "CSODS_MULTIAGENCY_AREAS": areas,
        "CSODS_MULTIAGENCY_CONSULTATION_SECONDS": "8",
        "CSODS_MULTIAGENCY_TIMER_SECONDS": "0.5",
    }
    asyncio.run(seed_probation(responding_probation, database_url))
    port, owning_port = free_port(), free_port()
    processes = [
        start_for("multiagency", owning, **force_env, CSODS_HTTP_PORT=str(owning_port)),
        start_for("multiagency", responding, **force_env, CSODS_HTTP_PORT=str(port)),
        start_for("childrens-social-care", csc, CSODS_AGENCY_SILENT="true"),
        start_for("probation", responding_probation, CSODS_AGENCY_DELAY_SECONDS="0.5"),
    ]
    for process in processes:
        process.wait_for_event("service_ready", timeout=90)
    case = Case(stack, owning, responding)

    # The owning force's intake: the enquiry and the application; the subject lives in QB.
    registered = enquiry(case.reference, FrozenClock(datetime.now(UTC)))
    case.publish(topics.stream(owning, "intake", "enquiry-registered"), registered, case.first)
    submitted = application(case.reference, FrozenClock(datetime.now(UTC)), postcode="QB7 1AA")
    submitted_at = case.then(case.first, submitted, owning, "intake", case.reference)
    case.publish(topics.stream(owning, "intake", "application-submitted"), submitted, submitted_at)

    # The owning force's checks answer the stage 4 request: nothing known nationally.
    asked = topics.stream(owning, "multiagency", "request-checks")
    step, _ = last(case.wait_for([asked], RequestChecksV1), RequestChecksV1)
    owning_checks = checks_completed(case.reference)
    case.publish(
        topics.stream(owning, "checks", "checks-completed"),
        owning_checks,
        case.then(step.envelope, owning_checks, owning, "checks", case.reference),
    )

    # The responding force accepts and asks its own checks; they find the subject registered.
    local_asked = topics.stream(responding, "multiagency", "request-checks")
    step, local_request = last(case.wait_for([local_asked], RequestChecksV1), RequestChecksV1)
    local = local_request.case_reference
    registration = Finding(
        kind=RecordKind.REGISTRATION,
        category=OffenceCategory.CHILD_SEXUAL,
        schedule_34a=True,
        summary="Registered sex offender; indecent assault on a child, 2008.",
        record_reference="VISOR/08/0001",
    )
    local_checks = checks_completed(local, registration)
    case.publish(
        topics.stream(responding, "checks", "checks-completed"),
        local_checks,
        case.then(step.envelope, local_checks, responding, "checks", local),
    )

    # Probation answers the responding force; its officer signs the assessment off, its
    # MAPPA meeting is scheduled, then decides.
    sign_off_when_waiting(port, responding, local)
    scheduled_on = topics.stream(responding, "multiagency", "forum-scheduled")
    _, scheduled = last(case.wait_for([scheduled_on], ForumScheduledV1), ForumScheduledV1)
    assert scheduled.forum is Forum.MAPPA_MEETING
    response = record_forum_decision(port, responding, local)
    assert response.status_code == 201, response.text
    # The owning force's officer signs off its own assessment, on what came back.
    sign_off_when_waiting(owning_port, owning, case.reference)

    # The owning force weighs the returned findings, its overdue consultation recorded.
    decided_on = topics.stream(owning, "multiagency", "forum-decided")
    owning_topics = [
        topics.inbox(owning, responding),  # the handoff accepted, then returned
        topics.inbox(responding, owning),  # the handoff requested
        topics.inbox(csc, owning),  # the consultation requested, then reminded
        topics.inbox(responding_probation, responding),
        topics.inbox(responding, responding_probation),  # probation's answer
        decided_on,
        topics.stream(owning, "multiagency", "consultation-overdue"),
        topics.stream(owning, "multiagency", "risk-assessment-completed"),
    ]
    steps = case.wait_for(owning_topics, ForumDecidedV1)
    types = [s.envelope.type for s in steps]
    assert HandoffRequestedV1.TYPE in types
    assert HandoffAcceptedV1.TYPE in types
    _, answered = last(steps, ConsultationAnsweredV1)
    assert answered.agency == responding_probation
    assert answered.mappa_level == 2
    _, reminded = last(steps, RemindConsultationV1)
    _, overdue = last(steps, ConsultationOverdueV1)
    assert overdue.agency == csc
    assert any(
        s.topic == topics.inbox(csc, owning)
        for s in steps
        if s.envelope.type == RequestConsultationV1.TYPE
    )
    assert reminded.consultation_id == overdue.consultation_id
    _, returned = last(steps, HandoffReturnedV1)
    assert returned.responding_case_reference == local
    assert returned.forum is Forum.MAPPA_MEETING
    _, assessment = last(steps, RiskAssessmentCompletedV1)
    assert assessment.agencies_not_answered == (csc,)
    _, decided = last(steps, ForumDecidedV1)
    assert decided.case_reference == case.reference
    assert decided.route is DecisionRoute.CONCERNS
    assert decided.decided_by_force == responding
    assert decided.recommend_disclosure

    # Every consultation and handoff is in each force's audit log, to a named recipient.
    owning_log = asyncio.run(_audit(database_url, owning))
    responding_log = asyncio.run(_audit(database_url, responding))
    assert {(Action.CONSULTATION, (csc,)), (Action.DISCLOSURE, (responding,))} <= owning_log
    assert {
        (Action.CONSULTATION, (responding_probation,)),
        (Action.DISCLOSURE, (owning,)),
    } <= responding_log

    # The responding force's database and topics never held the applicant's contact details.
    for row in asyncio.run(rows_of(database_url, responding)):
        assert not any(secret in row for secret in SECRETS), row[:200]
    payloads = asyncio.run(payloads_on(stack.operator, responding))
    assert payloads
    for payload in payloads:
        assert not any(secret.encode() in payload for secret in SECRETS)


async def _audit(database_url: str, tenant: str) -> set[tuple[Action, tuple[str, ...]]]:
    """The force's audit entries, read as the schema owner (outside the services)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SERVICE})
    try:
        return {(e.action, e.recipients) for e in await entries(conn, tenant=tenant)}
    finally:
        await conn.close()
