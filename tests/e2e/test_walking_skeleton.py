"""A case goes intake -> checks -> multiagency -> disclosure -> closed, process by process.

The systems the checks ask run too, as stand-ins with no records: 'no concerns' is decided
without a forum only when every one of them has answered (5.4.4, 5.5.5).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from schemas import topics
from schemas.checks import ChecksCompletedV1
from schemas.disclosure import CaseClosedV1, Outcome
from schemas.envelope import Envelope
from schemas.intake import RegisterEnquiryV1
from schemas.multiagency import DecisionRoute, ForumScheduledV1, RiskAssessmentCompletedV1
from services import journey
from services.catalogue import SERVICES
from services.demo import case_topics, online_enquiry
from services.demo.walking import STAND_INS, stand_in_tenants
from tests.e2e.conftest import WHOLE_FORCE, Start, start_all
from tests.support.stack import FoundStack

EXPECTED_PATH = [
    "csods.intake.register-enquiry.v1",
    "csods.intake.enquiry-registered.v1",
    "csods.checks.request-checks.v1",
    "csods.checks.checks-completed.v1",
    "csods.multiagency.forum-decided.v1",
    "csods.disclosure.case-closed.v1",
]
# The systems' answers come back to the force's inbox. Stage 1 asks PNC and local
# intelligence; ViSOR only for a PNC marker (5.1.9), which a person not traced cannot show.
ANSWERED = "csods.checks.check-answered.v1"
CASE_PATH = sorted([*EXPECTED_PATH, ANSWERED, ANSWERED])
EFFECT_TABLES = [
    "intake.enquiries",
    "checks.check_requests",
    "multiagency.assessments",
    "disclosure.cases",
]


def send(stack: FoundStack, tenant: str, command: RegisterEnquiryV1, envelope: Envelope) -> None:
    """The force's online portal sends the enquiry to the force's inbox from itself."""
    portal = stack.principal_access(tenant, "portal")
    asyncio.run(journey.publish(portal, topics.inbox(tenant, tenant), command, envelope))


def whole_case(tenant: str) -> list[str]:
    """Every topic a skeleton case crosses: the streams, and the inboxes its answers come to."""
    senders = [tenant, *stand_in_tenants(tenant).values()]
    return [
        *case_topics(tenant),
        topics.stream(tenant, "intake", "request-checks"),
        *(topics.inbox(tenant, sender) for sender in senders),
    ]


def follow_to_closure(
    stack: FoundStack, tenant: str, envelope: Envelope, settle: float = 0.0
) -> list[journey.Step]:
    return asyncio.run(
        journey.follow(
            stack.operator,  # an observer of the inboxes too, which no ops principal reads
            whole_case(tenant),
            correlation_id=str(envelope.correlation_id),
            until_type=CaseClosedV1.TYPE,
            limit_seconds=120,
            settle=settle,
        )
    )


def distinct_path(steps: list[journey.Step]) -> list[str]:
    """The types of the distinct messages (by ce_id) a case produced, sorted."""
    seen: dict[str, str] = {}
    for step in steps:
        seen.setdefault(str(step.envelope.id), step.envelope.type)
    return sorted(seen.values())


def test_a_case_crosses_all_four_services_to_closure(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    processes = dict(zip(WHOLE_FORCE, start_all(start_service, WHOLE_FORCE), strict=True))
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)

    steps = follow_to_closure(stack, tenant, envelope, settle=1.0)

    # Exactly one of each message; their order is pinned by the causation chain below
    # (the two messages intake emits together carry the same time).
    assert sorted(step.envelope.type for step in steps) == CASE_PATH
    # Each message names the one that caused it, and all share the first one's correlation.
    ids = {step.envelope.type: step.envelope.id for step in steps}
    causes = {step.envelope.type: step.envelope.causation_id for step in steps}
    register, registered, request, completed, decided, closed_type = EXPECTED_PATH
    assert causes[registered] == causes[request] == ids[register]
    assert causes[completed] == ids[request]
    assert causes[decided] == ids[completed]
    assert causes[closed_type] == ids[decided]
    # The force's own local intelligence and this test's PNC answered, nothing traced.
    answered_by = sorted(step.envelope.source for step in steps if step.envelope.type == ANSWERED)
    assert answered_by == [f"/{tenant}-intel/system", f"/{tenant}-pnc/system"]
    assert {step.envelope.correlation_id for step in steps} == {envelope.id}
    closed = CaseClosedV1.model_validate_json(steps[-1].payload)
    assert closed.outcome is Outcome.NO_DISCLOSURE
    assert closed.case_reference.startswith(f"{tenant}-")
    assert all(step.envelope.subject == closed.case_reference for step in steps[1:])
    for table in EFFECT_TABLES:
        assert count_rows(table) == 1, table
    processes["ini"].wait_for_event("message_applied")  # the final intelligence report (6.1)


def test_a_case_a_system_did_not_answer_for_goes_to_a_forum_not_closed_no_concerns(
    stack: FoundStack, tenant: str, start_service: Start
) -> None:
    # Local intelligence is down; the stage's wait is short. No disclosure service is needed:
    # a case decided 'no concerns' at once would show as a forum decision.
    checks = start_service("checks", ready=False, CSODS_CHECKS_ANSWER_WAIT_SECONDS="2")
    start_all(start_service, ("pnc", "intake", "multiagency"))
    checks.wait_for_event("service_ready", timeout=90)
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)

    steps = asyncio.run(
        journey.follow(
            stack.principal_access(tenant, "ops"),
            [
                topics.stream(tenant, "checks", "checks-completed"),
                topics.stream(tenant, "multiagency", "risk-assessment-completed"),
                topics.stream(tenant, "multiagency", "forum-scheduled"),
                topics.stream(tenant, "multiagency", "forum-decided"),
            ],
            correlation_id=str(envelope.correlation_id),
            until_type=ForumScheduledV1.TYPE,
            limit_seconds=120,
            settle=1.0,
        )
    )

    assert sorted(step.envelope.type for step in steps) == sorted(
        [ChecksCompletedV1.TYPE, RiskAssessmentCompletedV1.TYPE, ForumScheduledV1.TYPE]
    )  # no ForumDecidedV1: a person decides
    payloads = {step.envelope.type: step.payload for step in steps}
    completed = ChecksCompletedV1.model_validate_json(payloads[ChecksCompletedV1.TYPE])
    assert completed.partial  # nothing traced on PNC; local intelligence never answered
    assessment = RiskAssessmentCompletedV1.model_validate_json(
        payloads[RiskAssessmentCompletedV1.TYPE]
    )
    assert assessment.route is DecisionRoute.NO_CONCERNS
    assert "no answer from local-intelligence" in assessment.rationale  # 5.4.4, 5.5.5


def test_a_service_killed_after_commit_before_offset_commit_loses_and_repeats_nothing(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    start_all(start_service, (*STAND_INS, *SERVICES[1:]))
    doomed = start_service("intake", CSODS_FAULT_CRASH_AFTER_COMMIT=RegisterEnquiryV1.TYPE)
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)

    doomed.wait_for_event("fault_injected_crash_after_commit", timeout=60)
    for _ in range(100):
        if doomed.returncode is not None:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert doomed.returncode == -signal.SIGKILL
    assert count_rows("intake.enquiries") == 1  # the effect was committed before the kill

    restarted = start_service("intake")
    steps = follow_to_closure(stack, tenant, envelope, settle=3.0)

    # The restarted process read the same message again and found it applied.
    restarted.wait_for_event("message_duplicate", timeout=30)
    assert distinct_path(steps) == CASE_PATH
    for table in EFFECT_TABLES:
        assert count_rows(table) == 1, table


def test_the_same_message_delivered_twice_has_one_effect(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    start_all(start_service, WHOLE_FORCE)
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)
    send(stack, tenant, command, envelope)  # same bytes, same headers, same ce_id

    steps = follow_to_closure(stack, tenant, envelope, settle=3.0)

    inbox_copies = [step for step in steps if step.envelope.type == RegisterEnquiryV1.TYPE]
    assert {step.topic for step in inbox_copies} == {topics.inbox(tenant, tenant)}
    assert len(inbox_copies) == 2
    assert distinct_path(steps) == CASE_PATH
    assert len([step for step in steps if step.envelope.type == CaseClosedV1.TYPE]) == 1
    for table in EFFECT_TABLES:
        assert count_rows(table) == 1, table


def test_a_service_stopped_with_sigterm_shuts_down_cleanly(
    stack: FoundStack, tenant: str, start_service: Start
) -> None:
    intake = start_service("intake")
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)
    intake.wait_for_event("message_applied", timeout=60)

    assert intake.stop(timeout=30) == 0
    assert [e["event"] for e in intake.events() if e["event"].startswith("service_")][-1] == (
        "service_stopped"
    )
