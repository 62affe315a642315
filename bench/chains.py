"""What one case passes through: the pipeline's four services, or the bare baseline's hops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.hops import LOAD, OBSERVER, hop_group, hop_topic, hop_type
from schemas import topics
from schemas.catalogue import PORTAL
from schemas.checks import ChecksCompletedV1
from schemas.disclosure import CaseClosedV1
from schemas.intake import EnquiryRegisteredV1
from schemas.multiagency import ForumDecidedV1
from services.access.grants import Agency, Deployment, topics_of
from services.catalogue import SERVICES, definition
from services.runtime.clock import SystemClock
from services.runtime.service import Subscription, group_id

PIPELINE = "pipeline"
BASELINE = "baseline"


@dataclass(frozen=True)
class Stage:
    """A point a case reaches: the message type that marks it, and where it is published."""

    label: str
    topic: str
    type: str


@dataclass(frozen=True)
class Chain:
    """How cases of one tenant enter, which stages they reach, and who consumes what."""

    name: str
    tenant: str
    entry: str
    stages: tuple[Stage, ...]
    groups: Mapping[str, tuple[str, ...]]
    # Who the harness is on the broker, each `<tenant>.<name>`: the load driver writes the
    # entry, the watcher reads the stages (the observer, the checker, the replay).
    sender: str
    watcher: str
    # The processes to run, as (runnable name, tenant); the baseline starts its own hops.
    parts: tuple[tuple[str, str], ...] = ()

    @property
    def final(self) -> Stage:
        """The stage that ends a case."""
        return self.stages[-1]

    @property
    def observed(self) -> tuple[str, ...]:
        """The topics whose messages mark the stages."""
        return tuple(stage.topic for stage in self.stages)


def stand_ins(tenant: str) -> dict[str, str]:
    """The stand-ins a force's checks query, each on a tenant of this run (runnable -> tenant)."""
    # Stage 1 asks PNC and local intelligence; ViSOR only for a PNC marker (the stand-ins hold
    # no records, so none), INI from the face to face on (not on this path). Were either
    # asked, its case would wait and the checker would report it lost: nothing goes unseen.
    return {
        "pnc": f"{tenant}-pnc",
        "local-intelligence": f"{tenant}-intel",  # the checks service's own naming
    }


def system_tenants(tenant: str) -> dict[str, str]:
    """The national systems' tenants for this run's checks: our own, so no other test answers."""
    return {system: f"{tenant}-{system}" for system in ("pnc", "visor", "ini")}


def pipeline_deployment(tenant: str) -> Deployment:
    """What the broker must hold for one bench force: it, and the systems its checks ask."""
    # Every system the checks service sends to is provisioned, asked or not: it refuses to
    # start without the inboxes it may write to, as it would in production.
    agencies = {
        name: Agency(name, system, (tenant,)) for system, name in system_tenants(tenant).items()
    }
    for system, name in stand_ins(tenant).items():
        agencies.setdefault(name, Agency(name, system, (tenant,)))
    return Deployment((tenant,), tuple(agencies.values()))


def pipeline_env(tenant: str) -> dict[str, str]:
    """The settings under which a case crosses the four services with no person in the loop."""
    return {
        # The walking skeleton's path: assessed without a face to face (no application), and
        # 'no concerns' told by letter (5.6.5), so every case closes by itself.
        "CSODS_MULTIAGENCY_AWAIT_APPLICATION": "false",
        # No person in the loop: the records' categorisation stands unsigned (5.4.2 is a person's
        # in a force; this machine path measures and proves the delivery core only).
        "CSODS_MULTIAGENCY_OFFICER_SIGNS_OFF": "false",
        "CSODS_DISCLOSURE_NO_CONCERNS": "letter",
        "CSODS_CHECKS_SYSTEM_TENANTS": ",".join(
            f"{system}={name}" for system, name in system_tenants(tenant).items()
        ),
        # The final intelligence report goes to this run's INI (6.1), not a shared one.
        "CSODS_DISCLOSURE_INI_TENANT": system_tenants(tenant)["ini"],
        # The stand-ins answer at once: only our own machinery is timed.
        "CSODS_STUB_LATENCY_SECONDS": "0",
        "CSODS_STUB_ERROR_RATE": "0",
        "CSODS_STUB_OUTAGE_SECONDS": "0",
    }


def pipeline_chain(tenant: str) -> Chain:
    """The four services of one force and their stand-ins, as a case crosses them today."""
    clock = SystemClock()
    parts = [(name, tenant) for name in SERVICES] + list(stand_ins(tenant).items())
    provisioned = [name for name, _ in topics_of(pipeline_deployment(tenant))]
    # The groups and their topics come from the processes' own wiring, so they stay true.
    groups = {
        group_id(part_tenant, definition(name).name): tuple(
            topic
            for subscription in definition(name).wire(part_tenant, clock).subscriptions
            for topic in _read_by(subscription, provisioned)
        )
        for name, part_tenant in parts
    }
    stages = (
        Stage(
            "intake",
            topics.stream(tenant, "intake", "enquiry-registered"),
            EnquiryRegisteredV1.TYPE,
        ),
        Stage(
            "checks", topics.stream(tenant, "checks", "checks-completed"), ChecksCompletedV1.TYPE
        ),
        Stage(
            "multiagency",
            topics.stream(tenant, "multiagency", "forum-decided"),
            ForumDecidedV1.TYPE,
        ),
        Stage("disclosure", topics.stream(tenant, "disclosure", "case-closed"), CaseClosedV1.TYPE),
    )
    return Chain(
        name=PIPELINE,
        tenant=tenant,
        # The online portal sends to its own force's inbox; its ops team reads the streams.
        entry=topics.inbox(tenant, tenant),
        stages=stages,
        groups=groups,
        sender=PORTAL,
        watcher="ops",
        parts=tuple(parts),
    )


def _read_by(subscription: Subscription, provisioned: Sequence[str]) -> tuple[str, ...]:
    """The topics a subscription reads: its one, or every inbox provisioned for its tenant."""
    if subscription.every_sender:
        return tuple(name for name in provisioned if subscription.reads(name))
    return (subscription.topic,)


def baseline_chain(tenant: str, hops: int) -> Chain:
    """The bare chain: as many hops as a pipeline case makes, no framework."""
    stages = tuple(
        Stage(f"hop{hop}", hop_topic(tenant, hop), hop_type(hop)) for hop in range(1, hops + 1)
    )
    return Chain(
        name=BASELINE,
        tenant=tenant,
        entry=hop_topic(tenant, 0),
        stages=stages,
        groups={
            hop_group(tenant, hop): (hop_topic(tenant, hop - 1),) for hop in range(1, hops + 1)
        },
        sender=LOAD,
        watcher=OBSERVER,
    )
