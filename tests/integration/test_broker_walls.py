"""The broker's walls, attacked from outside with a plain Kafka client (architecture §5).

Each test plays one attacker with confluent-kafka (librdkafka), not with the project's own
runtime: nobody without credentials; an agency (children's social care) reaching for a
force's case data; a second force reaching for the first's; a tenant putting another
tenant's name on what it sends. Every refusal is asserted by the error the broker returned.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from deploy.local import certificates
from schemas import topics
from schemas.catalogue import STREAMS
from schemas.envelope import source_of
from services.access.broker import deprovision_all
from services.access.grants import Agency, Deployment
from services.access.operator import credential_store, operator_access, principal_access
from services.demo.walking import online_enquiry
from services.runtime.dead_letters import H_REASON, H_TOPIC
from services.runtime.supervisor import ServiceProcess
from tests.conftest import Provision
from tests.support.outsider import (
    Config,
    code,
    connection_error,
    group_refusal,
    produce,
    read_all,
    read_refusal,
    visible_topics,
)
from tests.support.stack import FoundStack

REFUSED = KafkaError.TOPIC_AUTHORIZATION_FAILED


@dataclass(frozen=True)
class Walls:
    """Two forces, the first one's children's social care, and a national system."""

    warwickshire: str
    cleveland: str
    csc: str
    pnc: str

    def config(self, tenant: str, service: str) -> Config:
        """A provisioned principal's client configuration, as its operator would hand it out."""
        return principal_access(tenant, service).confluent()

    def streams(self, force: str) -> list[str]:
        """Every tenant-private stream of a force."""
        return [spec.name(force) for spec in STREAMS]


@pytest.fixture(scope="module")
def walls(stack: FoundStack, provision: Provision) -> Iterator[Walls]:
    """Provision the tenants once for the module; take them away afterwards."""
    del stack  # started for the session; provisioning talks to it as the operator
    tag = uuid.uuid4().hex[:6]
    made = Walls(f"warw{tag}", f"clev{tag}", f"csc-warw{tag}", f"pnc{tag}")
    deployment = Deployment(
        forces=(made.warwickshire, made.cleveland),
        agencies=(
            Agency(made.csc, "childrens-social-care", (made.warwickshire,)),
            Agency(made.pnc, "pnc"),
        ),
    )
    provision(deployment, partitions=1)  # the broker's walls and the database logins
    try:
        yield made
    finally:
        deprovision_all(operator_access(), deployment.tenants(), credential_store())


def test_without_valid_credentials_nothing_connects(walls: Walls, tmp_path: Path) -> None:
    good = walls.config(walls.csc, "childrens-social-care")
    plain = {"bootstrap.servers": good["bootstrap.servers"], "security.protocol": "PLAINTEXT"}
    # No credentials at all: the listener speaks TLS and SASL only.
    assert connection_error(plain, seconds=8) is not None
    # TLS but no SASL: no principal, no entry.
    tls_only = {**plain, "security.protocol": "SSL", "ssl.ca.location": good["ssl.ca.location"]}
    assert connection_error(tls_only, seconds=8) is not None
    # A principal that was never provisioned, and a real one with a wrong password.
    for user, password in (("nobody.nothing", "guess"), (good["sasl.username"], "wrong")):
        error = connection_error({**good, "sasl.username": user, "sasl.password": password})
        assert error is not None
        assert error.code() == KafkaError._AUTHENTICATION, code(error)
    # The operators' listener takes a client certificate signed by the stack's authority only.
    operator = operator_access().confluent()
    no_certificate = {
        key: value
        for key, value in operator.items()
        if key not in {"ssl.certificate.location", "ssl.key.location"}
    }
    assert connection_error(no_certificate, seconds=8) is not None
    # And a client checks the broker: trusting another authority, it will not talk to it.
    stranger = certificates.authority(tmp_path)
    untrusting = {**good, "ssl.ca.location": str(stranger.certificate)}
    error = connection_error(untrusting, seconds=8)
    assert error is not None
    assert error.code() == KafkaError._SSL, code(error)


def test_an_agency_reads_nothing_of_a_force_and_writes_only_its_answers(walls: Walls) -> None:
    force, csc = walls.warwickshire, walls.csc
    agency = walls.config(csc, "childrens-social-care")
    own_group = f"{csc}.childrens-social-care"
    answers = topics.inbox(force, csc)
    seen = visible_topics(agency)
    assert not [t for t in seen if t.startswith((f"cso.{force}.", f"dlq.{force}."))], seen
    for topic in [
        *walls.streams(force),
        topics.dead_letters(force),
        answers,  # WRITE is not READ: it may not read back what it sent
        topics.inbox(force, walls.pnc),
        topics.inbox(walls.pnc, force),  # another agency's inbox
        topics.dead_letters(walls.pnc),
    ]:
        error = read_refusal(agency, topic, group=own_group)
        assert error is not None, f"{csc} could read {topic}"
        assert error.code() == REFUSED, f"{topic}: {code(error)}"
    assert read_refusal(agency, topics.inbox(csc, force), group=own_group) is None
    # It answers the force it serves on its own inbox there, and nowhere else.
    assert produce(agency, answers, b"{}", key=b"k") is None
    for topic in (
        topics.inbox(force, walls.pnc),  # in another agency's name
        topics.inbox(walls.cleveland, csc),  # a force it does not serve
        topics.stream(force, "multiagency", "forum-decided"),
        topics.dead_letters(force),
    ):
        error = produce(agency, topic, b"{}", key=b"k")
        assert error is not None, f"{csc} could write {topic}"
        assert error.code() == REFUSED, f"{topic}: {code(error)}"
    # Nor may it join a force's consumer group, make a topic, or grant itself anything.
    error = group_refusal(agency, topics.inbox(csc, force), f"{force}.multiagency")
    assert error is not None
    assert error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, code(error)
    admin = AdminClient(dict(agency))
    futures = admin.create_topics([NewTopic(f"cso.{force}.smuggled.v1", 1, 1)])
    with pytest.raises(Exception, match="AUTHORIZATION_FAILED"):
        futures[f"cso.{force}.smuggled.v1"].result(timeout=20)


def test_another_force_can_neither_read_nor_write_a_forces_topics(walls: Walls) -> None:
    force, other = walls.warwickshire, walls.cleveland
    wall = [*walls.streams(force), topics.dead_letters(force), topics.replays(force)]
    wall += [topics.inbox(force, sender) for sender in (force, walls.csc, walls.pnc)]
    for service in ("intake", "checks", "multiagency", "disclosure", "ops", "portal"):
        seen = visible_topics(walls.config(other, service))
        assert not [t for t in seen if t.startswith((f"cso.{force}.", f"dlq.{force}."))], seen
    # The widest of the other force's principals: ops reads everything of its own force;
    # multiagency writes to other forces (handoffs). Neither gets past the wall.
    for service in ("ops", "multiagency"):
        config = walls.config(other, service)
        for topic in wall:
            read = read_refusal(config, topic, group=f"{other}.{service}")
            assert read is not None, f"{other}.{service} could read {topic}"
            assert read.code() == REFUSED, f"{topic}: {code(read)}"
            wrote = produce(config, topic, b"{}", key=b"k")
            assert wrote is not None, f"{other}.{service} could write {topic}"
            assert wrote.code() == REFUSED, f"{topic}: {code(wrote)}"
    # Its handoffs go on its own inbox at the first force, which it may write but not read.
    handoffs = topics.inbox(force, other)
    multiagency = walls.config(other, "multiagency")
    assert produce(multiagency, handoffs, b"{}", key=b"k") is None
    read = read_refusal(multiagency, handoffs, group=f"{other}.multiagency")
    assert read is not None
    assert read.code() == REFUSED, code(read)


def test_within_a_force_a_stream_is_written_by_its_own_service_only(walls: Walls) -> None:
    force = walls.warwickshire
    for writer, topic in (
        ("checks", topics.stream(force, "multiagency", "forum-decided")),
        ("intake", topics.stream(force, "checks", "checks-completed")),
        ("ops", topics.stream(force, "disclosure", "case-closed")),
        ("portal", topics.stream(force, "intake", "enquiry-registered")),
    ):
        error = produce(walls.config(force, writer), topic, b"{}", key=b"k")
        assert error is not None, f"{force}.{writer} could write {topic}"
        assert error.code() == REFUSED, f"{writer} -> {topic}: {code(error)}"


def test_a_sender_named_falsely_is_dead_lettered_and_changes_nothing(
    walls: Walls, stack: FoundStack, database_url: str, tmp_path: Path
) -> None:
    force, csc = walls.warwickshire, walls.csc
    intake = ServiceProcess(
        "intake",
        force,
        tmp_path / "intake.log",
        {**_service_env(stack), "CSODS_DATABASE_URL": database_url},
    )
    intake.start()
    try:
        intake.wait_for_event("service_ready", timeout=90)
        # Children's social care writes, on the one inbox it may write, an enquiry that says
        # it comes from the force's own online portal.
        forged, envelope = online_enquiry(force)
        forged_headers = [
            (name, source_of(force, "portal").encode() if name == "ce_source" else value)
            for name, value in envelope.to_headers()
        ]
        inbox = topics.inbox(force, csc)
        agency = walls.config(csc, "childrens-social-care")
        assert (
            produce(agency, inbox, forged.to_json(), key=envelope.key, headers=forged_headers)
            is None
        )
        # The real portal's enquiry, on the portal's inbox, is the control: it is applied.
        genuine, genuine_envelope = online_enquiry(force)
        portal = walls.config(force, "portal")
        sent = produce(
            portal,
            topics.inbox(force, force),
            genuine.to_json(),
            key=genuine_envelope.key,
            headers=genuine_envelope.to_headers(),
        )
        assert sent is None
        intake.wait_for_event("message_applied", timeout=60)
        intake.wait_for_event("message_dead_lettered", timeout=60)
        ops = walls.config(force, "ops")
        letters = [
            letter
            for letter in read_all(
                ops, topics.dead_letters(force), group=f"{force}.ops", seconds=10
            )
            if letter.headers.get(H_TOPIC) == inbox.encode()
            and letter.headers.get("ce_id") == str(envelope.id).encode()
        ]
        assert len(letters) == 1
        reason = letters[0].headers[H_REASON].decode()
        assert "ce_source" in reason
        assert "not proven" in reason
        assert csc in reason
        registered = read_all(
            ops, topics.stream(force, "intake", "enquiry-registered"), group=f"{force}.ops"
        )
        sources = [json.loads(r.value or b"{}").get("submission_id") for r in registered]
        assert genuine.submission_id in sources
        assert forged.submission_id not in sources
    finally:
        intake.stop()


def _service_env(stack: FoundStack) -> dict[str, str]:
    from deploy.local import stack as local  # noqa: PLC0415

    del stack
    return local.addresses().client_env()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"CSODS_KAFKA_PASSWORD": "not-the-password"}, "refused principal"),
        ({"CSODS_KAFKA_CREDENTIALS_DIR": "/nonexistent"}, "CSODS_KAFKA_CREDENTIALS_DIR"),
        ({"CSODS_KAFKA_CA_FILE": "/nonexistent/ca.pem"}, "CSODS_KAFKA_CA_FILE"),
    ],
    ids=["wrong-password", "no-password", "no-authority"],
)
def test_a_service_with_bad_credentials_stops_at_once_naming_the_setting(
    walls: Walls,
    stack: FoundStack,
    database_url: str,
    tmp_path: Path,
    setting: dict[str, str],
    expected: str,
) -> None:
    env = {**_service_env(stack), "CSODS_DATABASE_URL": database_url, **setting}
    process = ServiceProcess("intake", walls.warwickshire, tmp_path / "intake.log", env)
    process.start()
    try:
        deadline = time.monotonic() + 60
        while process.running and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not process.running, "the service kept running with bad credentials"
        assert process.returncode == 2
        lines = (tmp_path / "intake.log").read_text().splitlines()
        refusal = [line for line in lines if line.startswith("csods run intake")]
        assert len(refusal) == 1, lines[-5:]
        assert expected in refusal[0]
        assert "Traceback" not in "\n".join(lines)
        assert "not-the-password" not in "\n".join(lines)
    finally:
        process.stop()
