"""The checker: nothing lost, no effect twice, every consumer group caught up."""

# It reads the topics back (independently of the live observer) and the databases as the owner.
# A message id seen twice is a redelivery, which at-least-once delivery allows; two different
# message ids for one case at one stage are a duplicate effect, which is never allowed.

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import ConsumerRecord

from bench.chains import PIPELINE, Chain
from bench.effects import Effects, baseline_effects, pipeline_effects
from bench.kafka_io import read_all
from bench.load import Sent
from schemas.envelope import H_CORRELATION, H_ID, H_TYPE
from services.runtime.kafka_access import KafkaAccess


@dataclass(frozen=True)
class TopicVerdict:
    """What the stage topics hold for a set of cases."""

    cases: int
    lost: int  # cases that did not reach every stage
    duplicate_effects: int  # extra distinct message ids for one case at one stage
    redeliveries: int  # copies of one message id beyond the first
    records: int


@dataclass(frozen=True)
class Verdict:
    """The checker's findings for one step."""

    ran: bool
    lost: int
    duplicate_effects: int
    redeliveries: int
    outbox_pending: int
    lag: dict[str, int]
    lag_zero: bool
    topics: TopicVerdict
    effects: Effects

    @property
    def clean(self) -> bool:
        """Zero loss, zero duplicate effects, nothing pending, every group caught up."""
        return (
            self.lost == 0
            and self.duplicate_effects == 0
            and self.outbox_pending == 0
            and self.lag_zero
        )


async def topic_verdict(
    access: KafkaAccess, chain: Chain, correlations: Sequence[str]
) -> TopicVerdict:
    """Read every stage topic from the start (as the chain's watcher) and count messages by id."""
    wanted = set(correlations)
    ids: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)

    def on_record(record: ConsumerRecord[bytes, bytes]) -> None:
        headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
        correlation = headers.get(H_CORRELATION, "")
        if correlation in wanted:
            ids[(correlation, headers.get(H_TYPE, ""))][headers.get(H_ID, "")] += 1

    records = await read_all(access, [stage.topic for stage in chain.stages], on_record)
    lost = sum(
        1 for case in wanted if any(not ids.get((case, stage.type)) for stage in chain.stages)
    )
    return TopicVerdict(
        cases=len(wanted),
        lost=lost,
        duplicate_effects=sum(max(0, len(copies) - 1) for copies in ids.values()),
        redeliveries=sum(sum(copies.values()) - len(copies) for copies in ids.values()),
        records=records,
    )


async def check(
    *,
    access: KafkaAccess,
    owner_url: str,
    chain: Chain,
    cases: Sequence[Sent],
    tenant_cases: int,
    lag: dict[str, int],
) -> Verdict:
    """Check a step's cases on the topics and in the databases, given the groups' last lag."""
    topics = await topic_verdict(access, chain, [case.correlation for case in cases])
    if chain.name == PIPELINE:
        effects = await pipeline_effects(
            owner_url,
            tenant=chain.tenant,
            submissions=[case.submission for case in cases],
            tenant_cases=tenant_cases,
        )
    else:
        effects = await baseline_effects(
            owner_url,
            tenant=chain.tenant,
            correlations=[case.correlation for case in cases],
            tenant_cases=tenant_cases,
            hops=len(chain.stages),
        )
    return Verdict(
        ran=True,
        lost=max(topics.lost, effects.missing),
        duplicate_effects=topics.duplicate_effects + effects.duplicates,
        redeliveries=topics.redeliveries,
        outbox_pending=effects.outbox_pending,
        lag=lag,
        lag_zero=not any(lag.values()),
        topics=topics,
        effects=effects,
    )
