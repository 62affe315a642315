"""The Strimzi resources say what provisioning does: the same topics, principals and ACLs."""

from __future__ import annotations

from collections import Counter

import pytest

from services.access.grants import Pattern, Resource, grants, principals, topics_of
from services.access.strimzi import kafka_topics, kafka_users, resource_name, resources
from services.demo.system import deployment

WANTED = deployment(["warwickshire", "cleveland"])


def test_every_topic_provisioning_makes_is_a_kafka_topic_with_its_partitions_and_retention() -> (
    None
):
    made = {
        item["spec"]["topicName"]: item for item in kafka_topics(WANTED, cluster="c", replicas=3)
    }
    assert set(made) == {name for name, _ in topics_of(WANTED)}
    for name, spec in topics_of(WANTED):
        topic = made[name]
        assert topic["metadata"]["name"] == name
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "c"
        assert topic["spec"]["partitions"] == spec.partitions
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"
        expected_ms = int(spec.retention.total_seconds() * 1000)
        assert topic["spec"]["config"]["retention.ms"] == str(expected_ms)


def test_one_replica_needs_one_in_sync() -> None:
    (topic, *_) = kafka_topics(WANTED, cluster="c", replicas=1)
    assert topic["spec"]["config"]["min.insync.replicas"] == "1"


def test_every_principal_is_a_scram_user_allowed_exactly_its_grants() -> None:
    users = {item["metadata"]["name"]: item for item in kafka_users(WANTED, cluster="c")}
    assert set(users) == set(principals(WANTED))
    expected = Counter(grant.principal for grant in grants(WANTED))
    for name, user in users.items():
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        assert len(user["spec"]["authorization"]["acls"]) == expected[name]


def test_acls_keep_the_resource_pattern_and_operation_of_each_grant() -> None:
    users = {item["metadata"]["name"]: item for item in kafka_users(WANTED, cluster="c")}
    for grant in grants(WANTED):
        acls = users[grant.principal]["spec"]["authorization"]["acls"]
        resource = {"type": grant.resource.value}
        if grant.resource is not Resource.CLUSTER:
            pattern = "prefix" if grant.pattern is Pattern.PREFIXED else "literal"
            resource |= {"name": grant.name, "patternType": pattern}
        assert any(acl["resource"] == resource for acl in acls), grant


def test_topics_come_before_the_users_that_read_them() -> None:
    kinds = [item["kind"] for item in resources(WANTED, cluster="c")]
    assert kinds == sorted(kinds, key=lambda kind: kind != "KafkaTopic")
    assert set(kinds) == {"KafkaTopic", "KafkaUser"}


@pytest.mark.parametrize("bad", ["Warwickshire.intake", "inbox_warwickshire", "-x", "x" * 254])
def test_a_name_kubernetes_would_refuse_is_refused_not_changed(bad: str) -> None:
    assert resource_name("inbox.warwickshire.from.pnc") == "inbox.warwickshire.from.pnc"
    with pytest.raises(ValueError, match="RFC 1123"):
        resource_name(bad)
