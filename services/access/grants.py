"""Who may do what on the broker, derived from the topic map (architecture §5).

One principal per (tenant, service), named `<tenant>.<service>`. A force's service may read
and write exactly the streams the map says it reads and writes, read its force's inboxes,
write its dead letters, and write (never read) the inboxes of the tenants it sends to, each
inbox named after its sender so that only that sender may write it. An agency's system reads
its own inboxes and writes the inboxes of the forces it serves. Pure: no broker here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from schemas import topics
from schemas.base import Message
from schemas.catalogue import (
    AGENCY_INBOX,
    AGENCY_SYSTEMS,
    DEAD_LETTERS,
    FORCE_INBOX,
    PORTAL,
    REPLAYS,
    STREAMS,
    TopicSpec,
)

# What runs for a force: its four services, its ops team and its online portal.
FORCE_SERVICES: tuple[str, ...] = ("intake", "checks", "multiagency", "disclosure", "ops")
FORCE_PRINCIPALS: tuple[str, ...] = (*FORCE_SERVICES, PORTAL)


class Resource(StrEnum):
    """The kinds of broker resource an ACL names."""

    TOPIC = "topic"
    GROUP = "group"
    CLUSTER = "cluster"


class Pattern(StrEnum):
    """How an ACL's resource name matches."""

    LITERAL = "literal"
    PREFIXED = "prefixed"


class Operation(StrEnum):
    """The operations granted; READ and WRITE imply DESCRIBE on the broker."""

    READ = "read"
    WRITE = "write"
    DESCRIBE = "describe"
    IDEMPOTENT_WRITE = "idempotent-write"


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW ACL: a principal may do one operation on a resource."""

    principal: str
    operation: Operation
    resource: Resource
    name: str
    pattern: Pattern = Pattern.LITERAL


@dataclass(frozen=True)
class Agency:
    """An agency system's tenant, the runnable that plays it, and the forces it serves."""

    tenant: str
    system: str  # a key of schemas.catalogue.AGENCY_SYSTEMS
    serves: tuple[str, ...] | None = None  # None: every force (a national system)

    def __post_init__(self) -> None:
        if self.system not in AGENCY_SYSTEMS:
            known = ", ".join(AGENCY_SYSTEMS)
            raise ValueError(f"agency {self.tenant}: system {self.system!r} is none of {known}")

    @property
    def principal(self) -> str:
        """The agency system's one principal."""
        return principal(self.tenant, self.system)

    def serves_force(self, force: str) -> bool:
        """Whether the agency and the force exchange messages."""
        return self.serves is None or force in self.serves


@dataclass(frozen=True)
class Deployment:
    """The tenants one broker serves: forces, and agency systems with whom they serve."""

    forces: tuple[str, ...]
    agencies: tuple[Agency, ...] = ()
    # Forces that hand cases to each other; default: every pair of forces in the deployment.
    handoffs: tuple[tuple[str, str], ...] | None = field(default=None)

    def tenants(self) -> tuple[str, ...]:
        """Every tenant named, forces first."""
        return (*self.forces, *(agency.tenant for agency in self.agencies))

    def handoff_pairs(self) -> tuple[tuple[str, str], ...]:
        """(sender, receiver) of every force-to-force inbox."""
        if self.handoffs is not None:
            return tuple(
                pair
                for first, second in self.handoffs
                for pair in ((first, second), (second, first))
            )
        return tuple((a, b) for a in self.forces for b in self.forces if a != b)

    def merged(self, other: Deployment) -> Deployment:
        """This deployment with another's tenants added (provisioning one more force)."""
        forces = tuple(dict.fromkeys((*self.forces, *other.forces)))
        agencies = tuple({a.tenant: a for a in (*self.agencies, *other.agencies)}.values())
        return Deployment(forces, agencies)


def principal(tenant: str, service: str) -> str:
    """The broker principal of one service of one tenant."""
    return f"{tenant}.{service}"


def _senders_to(message: type[Message]) -> tuple[str, ...]:
    """The force services that send a message to an agency's inbox."""
    return AGENCY_INBOX.producers_of(message)


def _stream_grants(force: str, service: str) -> Iterator[Grant]:
    who = principal(force, service)
    for spec in STREAMS:
        if service in spec.producers:
            yield Grant(who, Operation.WRITE, Resource.TOPIC, spec.name(force))
        if service in spec.consumers:
            yield Grant(who, Operation.READ, Resource.TOPIC, spec.name(force))


def _own_grants(tenant: str, service: str, *, reads_inbox: bool) -> Iterator[Grant]:
    """Its consumer group, its dead letters, its idempotent producer, and its own inboxes."""
    who = principal(tenant, service)
    yield Grant(who, Operation.READ, Resource.GROUP, principal(tenant, service))
    yield Grant(who, Operation.WRITE, Resource.TOPIC, DEAD_LETTERS.name(tenant))
    yield Grant(who, Operation.IDEMPOTENT_WRITE, Resource.CLUSTER, "kafka-cluster")
    if reads_inbox:
        prefix = topics.inbox_prefix(tenant)
        yield Grant(who, Operation.READ, Resource.TOPIC, prefix, Pattern.PREFIXED)


def _force_grants(deployment: Deployment, force: str) -> Iterator[Grant]:
    for service in FORCE_SERVICES:
        yield from _stream_grants(force, service)
        yield from _own_grants(force, service, reads_inbox=service in FORCE_INBOX.consumers)
        if service in REPLAYS.consumers:
            yield Grant(
                principal(force, service), Operation.READ, Resource.TOPIC, REPLAYS.name(force)
            )
    ops = principal(force, "ops")
    yield Grant(ops, Operation.READ, Resource.TOPIC, DEAD_LETTERS.name(force))
    yield Grant(ops, Operation.WRITE, Resource.TOPIC, REPLAYS.name(force))
    # ops reads every group's lag and every topic's end offsets of its own force.
    yield Grant(ops, Operation.DESCRIBE, Resource.GROUP, f"{force}.", Pattern.PREFIXED)
    for prefix in (f"cso.{force}.", topics.inbox_prefix(force)):
        yield Grant(ops, Operation.DESCRIBE, Resource.TOPIC, prefix, Pattern.PREFIXED)
    # The online portal writes its enquiries to its own force's inbox, and nothing else.
    portal = principal(force, PORTAL)
    yield Grant(portal, Operation.WRITE, Resource.TOPIC, topics.inbox(force, force))
    yield Grant(portal, Operation.IDEMPOTENT_WRITE, Resource.CLUSTER, "kafka-cluster")
    for agency in deployment.agencies:
        if agency.serves_force(force):
            inbox = topics.inbox(agency.tenant, force)
            reads, _ = AGENCY_SYSTEMS[agency.system]
            for service in sorted({s for m in reads for s in _senders_to(m)} & set(FORCE_SERVICES)):
                yield Grant(principal(force, service), Operation.WRITE, Resource.TOPIC, inbox)
    for sender, receiver in deployment.handoff_pairs():
        if sender == force:
            inbox = topics.inbox(receiver, force)
            yield Grant(principal(force, "multiagency"), Operation.WRITE, Resource.TOPIC, inbox)


def _agency_grants(deployment: Deployment, agency: Agency) -> Iterator[Grant]:
    yield from _own_grants(agency.tenant, agency.system, reads_inbox=True)
    yield Grant(agency.principal, Operation.READ, Resource.TOPIC, DEAD_LETTERS.name(agency.tenant))
    for force in deployment.forces:
        if agency.serves_force(force):
            inbox = topics.inbox(force, agency.tenant)
            yield Grant(agency.principal, Operation.WRITE, Resource.TOPIC, inbox)


def grants(deployment: Deployment) -> tuple[Grant, ...]:
    """Every ACL the deployment needs, sorted, none twice."""
    found: set[Grant] = set()
    for force in deployment.forces:
        found.update(_force_grants(deployment, force))
    for agency in deployment.agencies:
        found.update(_agency_grants(deployment, agency))
    return tuple(sorted(found))


def principals(deployment: Deployment) -> tuple[str, ...]:
    """Every principal of the deployment."""
    forces = (principal(force, name) for force in deployment.forces for name in FORCE_PRINCIPALS)
    return (*forces, *(agency.principal for agency in deployment.agencies))


def topics_of(deployment: Deployment) -> tuple[tuple[str, TopicSpec], ...]:
    """Every topic the deployment needs, with the spec it is made from."""
    made: dict[str, TopicSpec] = {}
    for force in deployment.forces:
        for spec in (*STREAMS, DEAD_LETTERS, REPLAYS):
            made[spec.name(force)] = spec
    for agency in deployment.agencies:
        made[DEAD_LETTERS.name(agency.tenant)] = DEAD_LETTERS
    for grant in grants(deployment):
        inbox = grant.resource is Resource.TOPIC and grant.name.startswith("inbox.")
        if inbox and grant.operation is Operation.WRITE:
            receiver = topics.tenant_of(grant.name)
            made[grant.name] = FORCE_INBOX if receiver in deployment.forces else AGENCY_INBOX
    return tuple(sorted(made.items()))


def tenant_topics(names: Iterable[str], tenant: str) -> list[str]:
    """The topics among `names` that belong to a tenant or that it writes as a sender."""
    return [
        name
        for name in names
        if name.count(".") >= 2
        and (topics.tenant_of(name) == tenant or topics.sender_of(name) == tenant)
    ]
