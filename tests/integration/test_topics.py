"""Provisioning makes the topics the topic map says, and running it again changes nothing."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource

from schemas import topics
from schemas.catalogue import DEAD_LETTER_RETENTION, INBOX_RETENTION, STREAM_RETENTION
from services.access.broker import acl_table
from services.access.grants import Agency, Deployment, principals, tenant_topics, topics_of
from tests.conftest import Provision
from tests.support.stack import FoundStack
from tests.support.topics import new_force

TIMEOUT = 30.0
DAY_MS = 24 * 3600 * 1000


def retention_of(admin: AdminClient, names: list[str]) -> dict[str, str]:
    """Each topic's retention.ms, as the broker answers."""
    futures = admin.describe_configs([ConfigResource("topic", name) for name in names])
    return {
        resource.name: future.result(timeout=TIMEOUT)["retention.ms"].value
        for resource, future in futures.items()
    }


def partitions_of(admin: AdminClient, force: str) -> dict[str, int]:
    """The force's topics (those it owns or sends on) and their partition counts."""
    listed = admin.list_topics(timeout=TIMEOUT).topics
    return {name: len(listed[name].partitions) for name in tenant_topics(listed, force)}


def test_provisioning_makes_the_topics_of_the_map_and_a_second_run_changes_nothing(
    stack: FoundStack, provision: Provision
) -> None:
    force = new_force()
    pnc = f"{force}-pnc"
    deployment = Deployment((force,), (Agency(pnc, "pnc", (force,)),))
    admin = AdminClient({**stack.operator.confluent()})
    wanted = {name for name, _ in topics_of(deployment)}
    assert not wanted & set(admin.list_topics(timeout=TIMEOUT).topics)

    made = provision(deployment, partitions=2)

    assert made.topics_created == len(wanted)
    assert wanted <= set(admin.list_topics(timeout=TIMEOUT).topics)
    stream = topics.stream(force, "intake", "enquiry-registered")
    own, answers, queries = (
        topics.inbox(force, force),  # the force's online portal
        topics.inbox(force, pnc),
        topics.inbox(pnc, force),
    )
    assert {stream, own, answers, queries, topics.replays(force), topics.dead_letters(pnc)} <= (
        wanted
    )
    made_here = partitions_of(admin, force)
    assert set(made_here) <= wanted
    assert set(made_here.values()) == {2}
    assert retention_of(admin, [stream, own, queries, topics.dead_letters(force)]) == {
        stream: str(STREAM_RETENTION.days * DAY_MS),
        own: str(INBOX_RETENTION.days * DAY_MS),
        queries: str(INBOX_RETENTION.days * DAY_MS),
        topics.dead_letters(force): str(DEAD_LETTER_RETENTION.days * DAY_MS),
    }
    acls = acl_table(stack.operator, force)
    assert acls
    passwords = {name: stack.credentials.password(name) for name in principals(deployment)}

    again = provision(deployment, partitions=3)

    assert again.topics_created == 0  # already there: nothing to do, nothing resized
    assert partitions_of(admin, force) == made_here
    assert (again.principals, again.acls) == (made.principals, made.acls)
    assert acl_table(stack.operator, force) == acls
    assert {name: stack.credentials.password(name) for name in passwords} == passwords
    # A principal gets in with the password it was given: it sees the stream it writes.
    as_intake = AdminClient({**stack.principal_access(force, "intake").confluent()})
    assert stream in as_intake.list_topics(timeout=TIMEOUT).topics
