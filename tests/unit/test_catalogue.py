"""The topic map: naming rules, every message placed, services wired as the map says."""

from __future__ import annotations

import re

import pytest

from schemas import topics
from schemas.catalogue import (
    AGENCY_INBOX,
    DEAD_LETTERS,
    FORCE_INBOX,
    REPLAYS,
    STREAMS,
    TOPICS,
    Kind,
    TopicSpec,
    consumed_by,
    inbox_types_for,
    produced_by,
)
from schemas.registry import MESSAGES
from services.catalogue import SERVICES, definition
from services.runtime.clock import FrozenClock

TOPIC_NAME = re.compile(
    r"^(cso\.[a-z][a-z0-9-]*\.[a-z]+\.[a-z]+(-[a-z]+)*\.v\d+"
    r"|inbox\.[a-z][a-z0-9-]*\.from\.[a-z][a-z0-9-]*\.v\d+"
    r"|(dlq|replay)\.[a-z][a-z0-9-]*\.v\d+)$"
)


@pytest.mark.parametrize("spec", TOPICS, ids=lambda spec: spec.pattern)
def test_topic_names_put_the_tenant_first_and_the_major_version_last(spec: TopicSpec) -> None:
    sender = "warwickshire" if spec.kind is Kind.INBOX else None
    name = spec.name("csc-warwickshire", sender)
    assert TOPIC_NAME.match(name), name
    assert name.split(".")[1] == "csc-warwickshire"
    assert topics.tenant_of(name) == "csc-warwickshire"
    assert name == name.lower()


def test_an_inbox_names_its_receiver_then_its_sender() -> None:
    assert topics.inbox("warwickshire", "pnc") == "inbox.warwickshire.from.pnc.v1"
    assert topics.tenant_of("inbox.warwickshire.from.pnc.v1") == "warwickshire"
    assert topics.sender_of("inbox.warwickshire.from.pnc.v1") == "pnc"
    assert topics.sender_of(topics.inbox("csc-warwickshire", "warwickshire")) == "warwickshire"
    # The online portal of a force writes to the force's inbox from itself.
    assert topics.sender_of(topics.inbox("warwickshire", "warwickshire")) == "warwickshire"
    assert topics.inbox("warwickshire", "pnc").startswith(topics.inbox_prefix("warwickshire"))
    assert re.fullmatch(
        topics.inbox_pattern("warwickshire"), topics.inbox("warwickshire", "csc-warwickshire")
    )
    assert not re.fullmatch(topics.inbox_pattern("warwickshire"), topics.inbox("cleveland", "pnc"))


@pytest.mark.parametrize(
    "name",
    [
        "cso.warwickshire.intake.enquiry-registered.v1",
        "dlq.warwickshire.v1",
        "replay.warwickshire.v1",
        "inbox.warwickshire.v1",  # the old layout: no sender, so nothing proven
        "inbox.warwickshire.from.pnc.v2",
        "inbox.warwickshire.from.pnc.x.v1",
    ],
)
def test_only_an_inbox_of_the_layout_proves_a_sender(name: str) -> None:
    assert topics.sender_of(name) is None


def test_an_inbox_cannot_be_named_without_its_sender() -> None:
    with pytest.raises(ValueError, match="names its sender"):
        FORCE_INBOX.name("warwickshire")


def test_builders_and_map_agree() -> None:
    assert FORCE_INBOX.name("warwickshire", "pnc") == topics.inbox("warwickshire", "pnc")
    assert AGENCY_INBOX.name("pnc", "warwickshire") == topics.inbox("pnc", "warwickshire")
    assert DEAD_LETTERS.name("warwickshire") == topics.dead_letters("warwickshire")
    assert REPLAYS.name("warwickshire") == topics.replays("warwickshire")
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
    readable = {
        spec.name("warwickshire") for spec in consumed_by(service) if spec.kind is not Kind.INBOX
    }
    for subscription in wiring.subscriptions:
        if subscription.every_sender:  # every inbox of the force, whoever the sender
            assert service in FORCE_INBOX.consumers
            assert subscription.topic == topics.inbox_prefix("warwickshire")
            assert subscription.reads(topics.inbox("warwickshire", "pnc"))
            assert not subscription.reads(topics.inbox("cleveland", "pnc"))
            assert set(subscription.routes) <= inbox_types_for(service)
            assert set(subscription.routes) | subscription.ignored == {
                message.TYPE for message in FORCE_INBOX.messages
            }
        else:
            assert subscription.topic in readable
    assert set(wiring.publishes) == {spec.name("warwickshire") for spec in produced_by(service)}


def test_a_topic_name_leads_back_to_its_spec() -> None:
    from schemas.catalogue import spec_for, stream  # noqa: PLC0415

    assert spec_for("cso.cleveland.intake.enquiry-registered.v1") is stream(
        "intake", "enquiry-registered"
    )
    assert spec_for("inbox.warwickshire.from.pnc.v1") is FORCE_INBOX
    assert spec_for(topics.inbox("csc-warwickshire", "warwickshire")) is not None
    assert spec_for("inbox.csc-warwickshire.v1") is None  # the old layout names no sender
    assert spec_for("dlq.pnc.v1") is DEAD_LETTERS
    assert spec_for("replay.warwickshire.v1") is REPLAYS
    assert spec_for("cso.cleveland.intake.no-such-thing.v1") is None
