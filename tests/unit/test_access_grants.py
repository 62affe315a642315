"""The ACLs provisioning derives from the topic map: the walls as rules, without a broker."""

from __future__ import annotations

import pytest

from schemas import topics
from schemas.catalogue import STREAMS
from services.access.grants import (
    Agency,
    Deployment,
    Grant,
    Operation,
    Pattern,
    Resource,
    grants,
    principals,
    topics_of,
)
from services.demo.system import deployment as pilot

PILOT = pilot()


def tenant_of_principal(grant: Grant) -> str:
    return grant.principal.split(".")[0]


def topic_grants(deployment: Deployment) -> list[Grant]:
    return [g for g in grants(deployment) if g.resource is Resource.TOPIC]


def test_no_principal_reads_a_topic_of_another_tenant() -> None:
    for grant in topic_grants(PILOT):
        if grant.operation in {Operation.READ, Operation.DESCRIBE}:
            assert topics.tenant_of(grant.name) == tenant_of_principal(grant), grant


def test_an_inbox_is_written_only_by_the_sender_it_names() -> None:
    for grant in topic_grants(PILOT):
        if grant.operation is Operation.WRITE and grant.name.startswith("inbox."):
            assert topics.sender_of(grant.name) == tenant_of_principal(grant), grant
            assert grant.pattern is Pattern.LITERAL, grant


def test_a_stream_is_written_only_by_the_services_the_topic_map_names() -> None:
    writers: dict[str, set[str]] = {}
    for grant in topic_grants(PILOT):
        if grant.operation is Operation.WRITE and grant.name.startswith("cso."):
            writers.setdefault(grant.name, set()).add(grant.principal)
    for spec in STREAMS:
        name = spec.name("warwickshire")
        assert writers[name] == {f"warwickshire.{service}" for service in spec.producers}


def test_nobody_may_write_a_stream_with_a_prefix() -> None:
    prefixed = [
        g for g in grants(PILOT) if g.pattern is Pattern.PREFIXED and g.operation is Operation.WRITE
    ]
    assert prefixed == []


def test_an_agency_serves_only_its_forces() -> None:
    writes = {
        g.name
        for g in topic_grants(PILOT)
        if g.principal == "csc-cleveland.childrens-social-care" and g.operation is Operation.WRITE
    }
    assert writes == {
        topics.inbox("cleveland", "csc-cleveland"),
        topics.dead_letters("csc-cleveland"),
    }


def test_a_national_system_answers_every_force() -> None:
    writes = {
        g.name
        for g in topic_grants(PILOT)
        if g.principal == "pnc.pnc" and g.operation is Operation.WRITE
    }
    assert writes == {
        *(topics.inbox(force, "pnc") for force in PILOT.forces),
        topics.dead_letters("pnc"),
    }


def test_the_online_portal_writes_its_own_forces_enquiries_and_nothing_else() -> None:
    portal = [g for g in grants(PILOT) if g.principal == "hampshire.portal"]
    assert {(g.operation, g.name) for g in portal} == {
        (Operation.WRITE, topics.inbox("hampshire", "hampshire")),
        (Operation.IDEMPOTENT_WRITE, "kafka-cluster"),
    }


def test_every_topic_written_or_read_is_made_by_provisioning() -> None:
    made = {name for name, _ in topics_of(PILOT)}
    for grant in topic_grants(PILOT):
        if grant.pattern is Pattern.LITERAL:
            assert grant.name in made, grant


def test_each_force_has_its_services_and_portal_and_each_agency_one_principal() -> None:
    names = principals(PILOT)
    assert len(names) == len(set(names))
    assert {n for n in names if n.startswith("warwickshire.")} == {
        f"warwickshire.{s}"
        for s in ("intake", "checks", "multiagency", "disclosure", "ops", "portal")
    }
    assert "ini.ini" in names
    assert "warwickshire-intel.local-intelligence" in names


def test_an_unknown_agency_system_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="system 'social-work'"):
        Agency("csc-x", "social-work")
