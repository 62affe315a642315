"""What the bench makes on the broker and takes away: its tenants, and the baseline's walls.

The pipeline's tenants are provisioned as production's are (`services.access.broker`). The bare
baseline is no part of the topic map, so its topics, principals and ACLs are made here with the
same admin calls: each hop reads only the topic before it and writes only its own, as each
service reads and writes only what the map grants it, so the floor pays the same security.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
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

from bench.hops import LOAD, OBSERVER, hop_group, hop_topic
from services.access.broker import (
    SCRAM_ITERATIONS,
    Provisioned,
    ProvisioningError,
    min_in_sync,
    replicas_for,
)
from services.access.credentials import CredentialStore
from services.access.grants import Grant, Operation, Resource, principal
from services.runtime.kafka_access import KafkaAccess

TIMEOUT = 30.0
CLUSTER = "kafka-cluster"
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


def baseline_topics(tenant: str, hops: int) -> tuple[str, ...]:
    """Where the load writes (hop 0) and what each hop writes."""
    return tuple(hop_topic(tenant, hop) for hop in range(hops + 1))


def baseline_principals(tenant: str, hops: int) -> tuple[str, ...]:
    """One principal per hop (named as its group), the load driver's and the observer's."""
    each = tuple(hop_group(tenant, hop) for hop in range(1, hops + 1))
    return (*each, principal(tenant, LOAD), principal(tenant, OBSERVER))


def baseline_grants(tenant: str, hops: int) -> tuple[Grant, ...]:
    """Each hop reads the topic before it in its own group and writes its own; nothing else."""
    found: list[Grant] = []
    for hop in range(1, hops + 1):
        who = hop_group(tenant, hop)
        found += [
            Grant(who, Operation.READ, Resource.TOPIC, hop_topic(tenant, hop - 1)),
            Grant(who, Operation.READ, Resource.GROUP, hop_group(tenant, hop)),
            Grant(who, Operation.WRITE, Resource.TOPIC, hop_topic(tenant, hop)),
            Grant(who, Operation.IDEMPOTENT_WRITE, Resource.CLUSTER, CLUSTER),
        ]
    load = principal(tenant, LOAD)
    found += [
        Grant(load, Operation.WRITE, Resource.TOPIC, hop_topic(tenant, 0)),
        Grant(load, Operation.IDEMPOTENT_WRITE, Resource.CLUSTER, CLUSTER),
    ]
    observer = principal(tenant, OBSERVER)
    found += [
        Grant(observer, Operation.READ, Resource.TOPIC, hop_topic(tenant, hop))
        for hop in range(1, hops + 1)
    ]
    return tuple(sorted(found))


def _admin(access: KafkaAccess) -> AdminClient:
    return AdminClient({**access.confluent(), "client.id": "csods-bench-provisioning"})


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


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        ResourcePatternType.LITERAL,  # the baseline's grants name each resource exactly
        f"User:{grant.principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def _filter(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        binding.principal,
        binding.host,
        binding.operation,
        binding.permission_type,
    )


def provision_baseline(
    access: KafkaAccess, tenant: str, store: CredentialStore, *, partitions: int, hops: int
) -> Provisioned:
    """Make the baseline's topics, SCRAM principals and ACLs as the operator; idempotent."""
    admin = _admin(access)
    existing = set(admin.list_topics(timeout=TIMEOUT).topics)
    wanted = [name for name in baseline_topics(tenant, hops) if name not in existing]
    replicas = replicas_for(admin)  # as the pipeline's own topics, so the baseline is fair
    if wanted:
        _wait(
            admin.create_topics(
                [
                    NewTopic(
                        name,
                        partitions,
                        replicas,
                        config={"min.insync.replicas": str(min_in_sync(replicas))},
                    )
                    for name in wanted
                ],
                request_timeout=TIMEOUT,
            ),
            "create topic",
            tolerate=[KafkaError.TOPIC_ALREADY_EXISTS],
        )
    names = baseline_principals(tenant, hops)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            name,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
            store.password(name).encode(),
        )
        for name in names
    ]
    _wait(admin.alter_user_scram_credentials(upserts, request_timeout=TIMEOUT), "principal")
    bindings = [_binding(grant) for grant in baseline_grants(tenant, hops)]
    _wait(admin.create_acls(bindings, request_timeout=TIMEOUT), "acl")
    return Provisioned(len(wanted), len(names), len(bindings))


def deprovision_baseline(
    access: KafkaAccess, tenant: str, store: CredentialStore, *, hops: int
) -> None:
    """Remove exactly what `provision_baseline` made; what is gone already is no error."""
    admin = _admin(access)
    names = baseline_principals(tenant, hops)
    deletions: list[UserScramCredentialAlteration] = [
        UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in names
    ]
    _wait(
        admin.alter_user_scram_credentials(deletions, request_timeout=TIMEOUT),
        "principal",
        tolerate=[KafkaError.RESOURCE_NOT_FOUND],
    )
    filters = [_filter(_binding(grant)) for grant in baseline_grants(tenant, hops)]
    _wait(admin.delete_acls(filters, request_timeout=TIMEOUT), "delete acl")
    _wait(
        admin.delete_topics(list(baseline_topics(tenant, hops)), request_timeout=TIMEOUT),
        "delete topic",
        tolerate=[KafkaError.UNKNOWN_TOPIC_OR_PART],
    )
    for name in names:
        store.forget(name)
