"""What one case passes through: the pipeline's four services, or the bare baseline's hops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.hops import HOPS, hop_group, hop_topic, hop_type
from schemas import topics
from schemas.checks import ChecksCompletedV1
from schemas.disclosure import CaseClosedV1
from schemas.intake import EnquiryRegisteredV1
from schemas.multiagency import ForumDecidedV1
from services.catalogue import SERVICES, definition
from services.demo import case_topics
from services.runtime.clock import SystemClock
from services.runtime.service import group_id

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
    # Topics a case also crosses that latency does not need (a seeding template does).
    extra: tuple[str, ...] = ()
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

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic of the chain."""
        return tuple(dict.fromkeys([self.entry, *self.extra, *self.observed]))


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


def pipeline_env(tenant: str) -> dict[str, str]:
    """The settings under which a case crosses the four services with no person in the loop."""
    return {
        # The walking skeleton's path: assessed without a face to face (no application), and
        # 'no concerns' told by letter (5.6.5), so every case closes by itself.
        "CSODS_MULTIAGENCY_AWAIT_APPLICATION": "false",
        "CSODS_DISCLOSURE_NO_CONCERNS": "letter",
        "CSODS_CHECKS_SYSTEM_TENANTS": ",".join(
            f"{system}={name}" for system, name in system_tenants(tenant).items()
        ),
        # The stand-ins answer at once: only our own machinery is timed.
        "CSODS_STUB_LATENCY_SECONDS": "0",
        "CSODS_STUB_ERROR_RATE": "0",
        "CSODS_STUB_OUTAGE_SECONDS": "0",
    }


def pipeline_chain(tenant: str) -> Chain:
    """The four services of one force and their stand-ins, as a case crosses them today."""
    clock = SystemClock()
    parts = [(name, tenant) for name in SERVICES] + list(stand_ins(tenant).items())
    # The groups and their topics come from the processes' own wiring, so they stay true.
    groups = {
        group_id(part_tenant, definition(name).name): tuple(
            subscription.topic
            for subscription in definition(name).wire(part_tenant, clock).subscriptions
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
    stage_topics = {stage.topic for stage in stages}
    return Chain(
        name=PIPELINE,
        tenant=tenant,
        entry=topics.inbox(tenant),
        stages=stages,
        groups=groups,
        extra=tuple(topic for topic in case_topics(tenant) if topic not in stage_topics),
        parts=tuple(parts),
    )


def baseline_chain(tenant: str) -> Chain:
    """The bare chain: as many hops as the pipeline has services, no framework."""
    stages = tuple(
        Stage(f"hop{hop}", hop_topic(tenant, hop), hop_type(hop)) for hop in range(1, HOPS + 1)
    )
    return Chain(
        name=BASELINE,
        tenant=tenant,
        entry=hop_topic(tenant, 0),
        stages=stages,
        groups={
            hop_group(tenant, hop): (hop_topic(tenant, hop - 1),) for hop in range(1, HOPS + 1)
        },
    )
