"""The same walls for a Kubernetes cluster run by Strimzi: a KafkaTopic for every topic and a
KafkaUser (SCRAM-SHA-512, with its ACLs) for every principal, made from the catalogue and the
grants that `csods access provision` applies to the local broker, so there is one topic map.

Strimzi's topic operator creates the topics and its user operator the principals and ACLs;
each user's password lands in a Secret named as the user, which the chart mounts for the
service that runs as it (deploy/helm/csods).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from services.access.broker import topic_configs
from services.access.grants import (
    Deployment,
    Grant,
    Operation,
    Pattern,
    Resource,
    grants,
    topics_of,
)
from services.access.grants import principals as principals_of

API_VERSION = "kafka.strimzi.io/v1beta2"
PART_OF = {"app.kubernetes.io/part-of": "csods", "app.kubernetes.io/managed-by": "csods-access"}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_OPERATIONS = {
    Operation.READ: "Read",
    Operation.WRITE: "Write",
    Operation.DESCRIBE: "Describe",
    Operation.IDEMPOTENT_WRITE: "IdempotentWrite",
}
_PATTERNS = {Pattern.LITERAL: "literal", Pattern.PREFIXED: "prefix"}


def resource_name(name: str) -> str:
    """A topic or principal as a Kubernetes object's name (a DNS subdomain), unchanged."""
    # Tenants and services are lower-case words joined by '-', topics those joined by '.':
    # each is already a valid name, and a name changed here would no longer match its topic.
    if len(name) > 253 or not _NAME.match(name):
        raise ValueError(f"{name[:80]!r} is not a Kubernetes object name (RFC 1123 subdomain)")
    return name


def _metadata(name: str, cluster: str) -> dict[str, Any]:
    return {
        "name": resource_name(name),
        "labels": {"strimzi.io/cluster": cluster, **PART_OF},
    }


def kafka_topics(deployment: Deployment, *, cluster: str, replicas: int) -> list[dict[str, Any]]:
    """A KafkaTopic for every topic the deployment needs, configured as provisioning makes it."""
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "KafkaTopic",
            "metadata": _metadata(name, cluster),
            "spec": {
                "topicName": name,
                "partitions": spec.partitions,
                "replicas": replicas,
                "config": topic_configs(spec, replicas),
            },
        }
        for name, spec in topics_of(deployment)
    ]


def _acl(grant: Grant) -> dict[str, Any]:
    resource: dict[str, Any] = {"type": grant.resource.value}
    if grant.resource is not Resource.CLUSTER:
        resource |= {"name": grant.name, "patternType": _PATTERNS[grant.pattern]}
    return {"resource": resource, "operations": [_OPERATIONS[grant.operation]], "host": "*"}


def kafka_users(deployment: Deployment, *, cluster: str) -> list[dict[str, Any]]:
    """A KafkaUser for every principal: SCRAM-SHA-512, allowed what its grants allow, no more."""
    granted: defaultdict[str, list[Grant]] = defaultdict(list)
    for grant in grants(deployment):
        granted[grant.principal].append(grant)
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "KafkaUser",
            "metadata": _metadata(principal, cluster),
            "spec": {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {
                    "type": "simple",
                    "acls": [_acl(grant) for grant in granted[principal]],
                },
            },
        }
        for principal in principals_of(deployment)
    ]


def resources(deployment: Deployment, *, cluster: str, replicas: int = 3) -> list[dict[str, Any]]:
    """Every KafkaTopic, then every KafkaUser, of the deployment."""
    return [
        *kafka_topics(deployment, cluster=cluster, replicas=replicas),
        *kafka_users(deployment, cluster=cluster),
    ]


def documents(found: list[dict[str, Any]]) -> str:
    """The resources as one YAML stream (each document written as JSON, which YAML reads)."""
    return "".join(f"---\n{json.dumps(item, indent=2, sort_keys=True)}\n" for item in found)
