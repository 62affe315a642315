"""The topic map: naming rules, every message placed, services wired as the map says."""

from __future__ import annotations

import re

import pytest

from schemas import topics
from schemas.catalogue import (
    AGENCY_INBOX,
    DEAD_LETTERS,
    FORCE_INBOX,
    STREAMS,
    TOPICS,
    consumed_by,
    inbox_types_for,
    produced_by,
)
from schemas.registry import MESSAGES
from services.catalogue import SERVICES, definition
from services.runtime.clock import FrozenClock

TOPIC_NAME = re.compile(
    r"^(cso\.[a-z][a-z0-9-]*\.[a-z]+\.[a-z]+(-[a-z]+)*\.v\d+"
    r"|(inbox|dlq)\.[a-z][a-z0-9-]*\.v\d+)$"
)


@pytest.mark.parametrize("spec", TOPICS, ids=lambda spec: spec.pattern)
def test_topic_names_put_the_tenant_first_and_the_major_version_last(spec: object) -> None:
    name = spec.name("csc-warwickshire")  # type: ignore[attr-defined]
    assert TOPIC_NAME.match(name), name
    assert name.split(".")[1] == "csc-warwickshire"
    assert topics.tenant_of(name) == "csc-warwickshire"
    assert name == name.lower()


def test_builders_and_map_agree() -> None:
    assert FORCE_INBOX.name("warwickshire") == topics.inbox("warwickshire")
    assert DEAD_LETTERS.name("warwickshire") == topics.dead_letters("warwickshire")
    assert {spec.name("x") for spec in STREAMS} >= {
        topics.stream("x", "intake", "enquiry-registered")
    }


def test_every_message_travels_on_some_topic() -> None:
    placed = {message for spec in TOPICS for message in spec.messages}
    assert set(MESSAGES) == placed


def test_topic_names_are_unique() -> None:
    # A force's inbox and an agency's inbox share the pattern: the tenant tells them apart.
    patterns = [spec.pattern for spec in TOPICS if spec is not AGENCY_INBOX]
    assert len(patterns) == len(set(patterns))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_and_writes_what_the_map_says(service: str) -> None:
    wiring = definition(service).wire("warwickshire", FrozenClock())
    readable = {spec.name("warwickshire") for spec in consumed_by(service)}
    for subscription in wiring.subscriptions:
        assert subscription.topic in readable
        if subscription.topic == topics.inbox("warwickshire"):
            assert set(subscription.routes) <= inbox_types_for(service)
            assert set(subscription.routes) | subscription.ignored == {
                message.TYPE for message in FORCE_INBOX.messages
            }
    assert set(wiring.publishes) == {spec.name("warwickshire") for spec in produced_by(service)}


def test_a_topic_name_leads_back_to_its_spec() -> None:
    from schemas.catalogue import spec_for, stream  # noqa: PLC0415

    assert spec_for("cso.cleveland.intake.enquiry-registered.v1") is stream(
        "intake", "enquiry-registered"
    )
    assert spec_for("inbox.csc-warwickshire.v1") is FORCE_INBOX
    assert spec_for("dlq.pnc.v1") is DEAD_LETTERS
    assert spec_for("cso.cleveland.intake.no-such-thing.v1") is None
