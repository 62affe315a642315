"""A case goes intake -> checks -> multiagency -> disclosure -> closed, process by process."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from schemas import topics
from schemas.disclosure import CaseClosedV1, Outcome
from schemas.envelope import Envelope
from schemas.intake import RegisterEnquiryV1
from services import journey
from services.catalogue import SERVICES
from services.demo import case_topics, online_enquiry
from tests.e2e.conftest import Start, start_all
from tests.support.stack import FoundStack

EXPECTED_PATH = [
    "csods.intake.register-enquiry.v1",
    "csods.intake.enquiry-registered.v1",
    "csods.checks.request-checks.v1",
    "csods.checks.checks-completed.v1",
    "csods.multiagency.forum-decided.v1",
    "csods.disclosure.case-closed.v1",
]
EFFECT_TABLES = [
    "intake.enquiries",
    "checks.check_requests",
    "multiagency.assessments",
    "disclosure.cases",
]


def send(stack: FoundStack, tenant: str, command: RegisterEnquiryV1, envelope: Envelope) -> None:
    asyncio.run(journey.publish(stack.kafka_bootstrap, topics.inbox(tenant), command, envelope))


def follow_to_closure(
    stack: FoundStack, tenant: str, envelope: Envelope, settle: float = 0.0
) -> list[journey.Step]:
    return asyncio.run(
        journey.follow(
            stack.kafka_bootstrap,
            case_topics(tenant),
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
    start_all(start_service, SERVICES)
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)

    steps = follow_to_closure(stack, tenant, envelope, settle=1.0)

    # Exactly one of each message; their order is pinned by the causation chain below
    # (the two messages intake emits together carry the same time).
    assert sorted(step.envelope.type for step in steps) == sorted(EXPECTED_PATH)
    # Each message names the one that caused it, and all share the first one's correlation.
    ids = {step.envelope.type: step.envelope.id for step in steps}
    causes = {step.envelope.type: step.envelope.causation_id for step in steps}
    register, registered, request, completed, decided, closed_type = EXPECTED_PATH
    assert causes[registered] == causes[request] == ids[register]
    assert causes[completed] == ids[request]
    assert causes[decided] == ids[completed]
    assert causes[closed_type] == ids[decided]
    assert {step.envelope.correlation_id for step in steps} == {envelope.id}
    closed = CaseClosedV1.model_validate_json(steps[-1].payload)
    assert closed.outcome is Outcome.NO_DISCLOSURE
    assert closed.case_reference.startswith(f"{tenant}-")
    assert all(step.envelope.subject == closed.case_reference for step in steps[1:])
    for table in EFFECT_TABLES:
        assert count_rows(table) == 1, table


def test_a_service_killed_after_commit_before_offset_commit_loses_and_repeats_nothing(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    start_all(start_service, SERVICES[1:])
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
    assert distinct_path(steps) == sorted(EXPECTED_PATH)
    for table in EFFECT_TABLES:
        assert count_rows(table) == 1, table


def test_the_same_message_delivered_twice_has_one_effect(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    start_all(start_service, SERVICES)
    command, envelope = online_enquiry(tenant)
    send(stack, tenant, command, envelope)
    send(stack, tenant, command, envelope)  # same bytes, same headers, same ce_id

    steps = follow_to_closure(stack, tenant, envelope, settle=3.0)

    inbox_copies = [step for step in steps if step.topic == topics.inbox(tenant)]
    assert len(inbox_copies) == 2
    assert distinct_path(steps) == sorted(EXPECTED_PATH)
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
