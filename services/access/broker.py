"""Provisioning on the broker: topics, SCRAM principals and ACLs, with confluent-kafka's admin.

Runs as the super-user (the only principal that may create topics or change ACLs). Every
step is idempotent: creating what exists is a no-op, and SCRAM credentials are upserted with
the password the credential store holds, so a second run changes nothing a client notices.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._acl import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
)
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType
from confluent_kafka.admin._scram import (
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from confluent_kafka.cimpl import NewTopic

from schemas.catalogue import TopicSpec
from services.access.credentials import CredentialStore
from services.access.grants import (
    Deployment,
    Grant,
    Operation,
    Pattern,
    Resource,
    grants,
    principals,
    tenant_topics,
    topics_of,
)
from services.runtime.kafka_access import KafkaAccess

TIMEOUT = 30.0
Row = tuple[str, str, str, str, str]  # principal, permission, operation, resource, name
SCRAM_ITERATIONS = 8192
_OPERATIONS = {
    Operation.READ: AclOperation.READ,
    Operation.WRITE: AclOperation.WRITE,
    Operation.DESCRIBE: AclOperation.DESCRIBE,
    Operation.IDEMPOTENT_WRITE: AclOperation.IDEMPOTENT_WRITE,
}
_RESOURCES = {
    Resource.TOPIC: ResourceType.TOPIC,
    Resource.GROUP: ResourceType.GROUP,
    Resource.CLUSTER: ResourceType.BROKER,
}
_PATTERNS = {
    Pattern.LITERAL: ResourcePatternType.LITERAL,
    Pattern.PREFIXED: ResourcePatternType.PREFIXED,
}


@dataclass(frozen=True)
class Provisioned:
    """What one provisioning run made (zero everywhere on a second run, but for principals)."""

    topics_created: int
    principals: int
    acls: int


class ProvisioningError(RuntimeError):
    """The broker refused a provisioning step; the message names the resource."""


def _admin(access: KafkaAccess) -> AdminClient:
    # librdkafka's own notices (level 6) say nothing an operator acts on; warnings still show.
    return AdminClient({**access.confluent(), "client.id": "csods-provisioning", "log_level": 4})


def _wait(futures: Mapping[Any, Future[Any]], what: str, *, tolerate: Iterable[int] = ()) -> None:
    allowed = set(tolerate)
    for name, future in futures.items():
        try:
            future.result(timeout=TIMEOUT)
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() in allowed:
                continue
            raise ProvisioningError(f"{what} {name}: {error}") from exc


def topic_configs(spec: TopicSpec, replication: int) -> dict[str, str]:
    """A topic's settings: its retention from the catalogue, and the replicas a write needs."""
    return {
        "retention.ms": str(int(spec.retention.total_seconds() * 1000)),
        "min.insync.replicas": str(min_in_sync(replication)),
    }


def replicas_for(admin: AdminClient) -> int:
    """Replicas of a topic on this cluster: three once it has three brokers, else one."""
    return 3 if len(admin.list_topics(timeout=TIMEOUT).brokers) >= 3 else 1


def min_in_sync(replication: int) -> int:
    """Replicas that must have a write before it is acknowledged: two of three, else one,
    so a write survives the loss of any one broker and one broker down refuses none."""
    return 2 if replication >= 3 else 1


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        _PATTERNS[grant.pattern],
        f"User:{grant.principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def provision(
    access: KafkaAccess,
    deployment: Deployment,
    store: CredentialStore,
    *,
    partitions: int = 3,
    replication: int | None = None,
) -> Provisioned:
    """Make the deployment's topics, principals and ACLs; safe to run again and again.

    Topics get `replication` replicas; by default three on a cluster of three brokers or
    more, else one (`replicas_for`), with `min.insync.replicas` to match.
    """
    admin = _admin(access)
    replication = replication or replicas_for(admin)
    existing = set(admin.list_topics(timeout=TIMEOUT).topics)
    wanted = [(name, spec) for name, spec in topics_of(deployment) if name not in existing]
    if wanted:
        new = [
            NewTopic(name, partitions, replication, config=topic_configs(spec, replication))
            for name, spec in wanted
        ]
        _wait(
            admin.create_topics(new, request_timeout=TIMEOUT),
            "create topic",
            tolerate=[KafkaError.TOPIC_ALREADY_EXISTS],
        )
    names = principals(deployment)
    _upsert_principals(admin, names, store)
    bindings = [_binding(grant) for grant in grants(deployment)]
    _wait(admin.create_acls(bindings, request_timeout=TIMEOUT), "acl")
    _until_applied(access, deployment)
    return Provisioned(len(wanted), len(names), len(bindings))


def _upsert_principals(admin: AdminClient, names: Sequence[str], store: CredentialStore) -> None:
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            name,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
            store.password(name).encode(),
        )
        for name in names
    ]
    if upserts:
        _wait(admin.alter_user_scram_credentials(upserts, request_timeout=TIMEOUT), "principal")


def restore_principals(access: KafkaAccess, store: CredentialStore) -> int:
    """Give the broker again every principal whose password the store keeps; how many.

    Kafka 4.1.1 can come back from a restart without any SCRAM credential made at run time
    (topics and ACLs survive): replaying the metadata log, its ScramDelta drops a
    mechanism's users once a deleted user is met before any live one in HashMap order, so
    after one principal was ever deleted (a tenant deprovisioned) a restart may lose them all
    and every client is refused. The local stack calls this after each start of a cluster
    that existed; in production Strimzi's user operator makes them again when it reconciles
    its KafkaUsers (tests/integration/test_three_brokers.py shows the loss and the repair).
    """
    names = store.principals()
    _upsert_principals(_admin(access), names, store)
    return len(names)


def _row_of(grant: Grant) -> Row:
    """A grant as `acl_table` shows the ACL made from it."""
    resource = "broker" if grant.resource is Resource.CLUSTER else grant.resource.value
    prefixed = "*" if grant.pattern is Pattern.PREFIXED else ""
    operation = grant.operation.value.replace("-", "_")
    return (grant.principal, "allow", operation, resource, grant.name + prefixed)


def _until_applied(access: KafkaAccess, deployment: Deployment) -> None:
    """Return once the broker enforces every ACL of the deployment.

    The controller accepts principals and ACLs before the broker applies them from the
    metadata log: for a moment a new principal's login is refused and its topics are hidden
    from it. The ACLs are made last, so once the broker shows them all, the rest is there too.
    Each broker of a cluster applies the log on its own, so each is asked.
    """
    wanted = {_row_of(grant) for grant in grants(deployment)}
    deadline = time.monotonic() + TIMEOUT
    for broker in each_broker(access):
        while missing := wanted - set(acl_table(broker)):
            if time.monotonic() > deadline:
                raise ProvisioningError(
                    f"{len(missing)} ACLs not applied by broker {broker.bootstrap} in "
                    f"{TIMEOUT:.0f} s, e.g. {min(missing)}"
                )
            time.sleep(0.05)


def each_broker(access: KafkaAccess) -> list[KafkaAccess]:
    """The operator's access to each broker of the cluster alone, as the cluster lists them."""
    brokers = _admin(access).list_topics(timeout=TIMEOUT).brokers
    return [
        replace(access, bootstrap=f"{broker.host}:{broker.port}")
        for _, broker in sorted(brokers.items())
    ]


def deprovision(access: KafkaAccess, tenant: str, store: CredentialStore) -> Provisioned:
    """Remove a tenant: its principals, every ACL of theirs, and the topics it owns or writes."""
    return deprovision_all(access, [tenant], store)


def deprovision_all(
    access: KafkaAccess, tenants: Sequence[str], store: CredentialStore
) -> Provisioned:
    """Remove several tenants at once (a test session's): one round of admin calls for all."""
    if not tenants:
        return Provisioned(0, 0, 0)
    mine = tuple(f"{tenant}." for tenant in tenants)
    admin = _admin(access)
    described: Any = admin.describe_user_scram_credentials(request_timeout=TIMEOUT)
    users = sorted(name for name in described.result() if name.startswith(mine))
    if users:
        deletions: list[UserScramCredentialAlteration] = [
            UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in users
        ]
        _wait(admin.alter_user_scram_credentials(deletions, request_timeout=TIMEOUT), "principal")
    doomed_acls = [
        _exact(binding)
        for binding in acl_bindings(access)
        if binding.principal.removeprefix("User:").startswith(mine)
        or any(_names_tenant(binding.name, tenant) for tenant in tenants)
    ]
    if doomed_acls:
        _wait(admin.delete_acls(doomed_acls, request_timeout=TIMEOUT), "delete acl")
    listed = list(admin.list_topics(timeout=TIMEOUT).topics)
    doomed = sorted({name for tenant in tenants for name in tenant_topics(listed, tenant)})
    if doomed:
        _wait(
            admin.delete_topics(doomed, request_timeout=TIMEOUT),
            "delete topic",
            tolerate=[KafkaError.UNKNOWN_TOPIC_OR_PART],
        )
    for name in users:
        store.forget(name)
    return Provisioned(len(doomed), len(users), len(doomed_acls))


def _names_tenant(resource: str, tenant: str) -> bool:
    return bool(tenant_topics([resource], tenant)) or resource.startswith(f"{tenant}.")


def _exact(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        binding.principal,
        binding.host,
        binding.operation,
        binding.permission_type,
    )


def acl_bindings(access: KafkaAccess) -> Sequence[AclBinding]:
    """Every ACL on the broker, as it answers."""
    anything: Any = None  # the filter's wildcard; the stubs allow only strings
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    admin = _admin(access)  # held until the answer arrives: a freed client drops its calls
    result: Sequence[AclBinding] = admin.describe_acls(everything).result(timeout=TIMEOUT)
    return result


def _named(value: object) -> str:
    return str(getattr(value, "name", value)).lower()


def acl_table(access: KafkaAccess, tenant: str | None = None) -> list[Row]:
    """(principal, permission, operation, resource, name) rows, of one tenant or of all."""
    rows = []
    for binding in acl_bindings(access):
        who = binding.principal.removeprefix("User:")
        if tenant is not None and not who.startswith(f"{tenant}."):
            continue
        prefixed = _named(binding.resource_pattern_type) == "prefixed"
        name = binding.name + ("*" if prefixed else "")
        permission, operation = _named(binding.permission_type), _named(binding.operation)
        rows.append((who, permission, operation, _named(binding.restype), name))
    return sorted(rows)
