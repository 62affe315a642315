"""One measured step: offer a rate for a while, wait for the backlog to clear, check, measure."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from bench.access import BenchAccess
from bench.chains import PIPELINE, Chain
from bench.checker import Verdict, check
from bench.cpu import CpuMeter
from bench.dbstats import backend_pids, scans_between, table_scans
from bench.kafka_io import GroupLag, read_all
from bench.load import Sent, drive, schedule
from bench.observer import Observer
from bench.processes import ProcessSet, memory_kib, reset_peak_memory
from bench.stats import Latency, summarise
from schemas.topics import dead_letters
from services.runtime.kafka_access import KafkaAccess

LIMIT_SECONDS = 1.0  # the rule: p99 end to end under one second
SATURATED = 0.95  # closing under 95% of the offered rate: the chain is at its capacity
Say = Callable[[str], None]


@dataclass
class Target:
    """A chain under load: its processes, its observer, and every case sent to its tenant."""

    chain: Chain
    broker: BenchAccess
    owner_url: str
    observer: Observer
    producer: AIOKafkaProducer
    processes: ProcessSet
    lag: GroupLag
    ledger: list[Sent] = field(default_factory=list)
    seeded: int = 0  # closed cases written straight into the databases

    @property
    def watcher(self) -> KafkaAccess:
        """The principal that reads the chain's stages: the observer's and the checker's."""
        return self.broker.of(self.chain.tenant, self.chain.watcher)

    @property
    def tenant_cases(self) -> int:
        """Every case the tenant holds: warm-up, measured and seeded."""
        return len(self.ledger) + self.seeded


@dataclass(frozen=True)
class StepResult:
    """The figures of one step."""

    chain: str
    rate: float
    duration: float
    cases: int
    closed_before: int
    driver_late_max_ms: float
    end_to_end: Latency
    stages: dict[str, Latency]
    achieved_rate: float
    drained_after_s: float | None
    lag_zero_after_s: float | None
    verdict: Verdict
    memory_kib: dict[str, dict[str, int]]
    cpu: dict[str, object]
    table_scans: list[dict[str, object]]
    counted: bool
    sustained: bool


def latencies(chain: Chain, observer: Observer, cases: Sequence[Sent]) -> dict[str, Latency]:
    """End to end from the scheduled send, and each stage from the one before (by ce_time)."""
    labels = [stage.label for stage in chain.stages]
    samples: dict[str, list[float]] = {label: [] for label in [*labels, "delivery", "end_to_end"]}
    missing = dict.fromkeys(samples, 0)
    for case in cases:
        previous: float | None = case.scheduled
        for stage in chain.stages:
            seen = observer.seen(case.correlation, stage.type)
            if seen is None or previous is None:
                missing[stage.label] += 1
                previous = None
                continue
            samples[stage.label].append(seen.stamped - previous)
            previous = seen.stamped
        final = observer.seen(case.correlation, chain.final.type)
        if final is None:
            missing["delivery"] += 1
            missing["end_to_end"] += 1
            continue
        # From the last service's stamp to the observer reading it: relay, broker, fetch.
        samples["delivery"].append(final.arrived - final.stamped)
        samples["end_to_end"].append(final.arrived - case.scheduled)
    return {label: summarise(values, missing=missing[label]) for label, values in samples.items()}


def closing_rate(
    chain: Chain, observer: Observer, cases: Sequence[Sent], times: Sequence[float]
) -> float:
    """Cases closed per second while the load was offered: the capacity once saturated."""
    # Counted over the load window only: one straggler after it cannot drag the rate down,
    # and a chain that keeps up falls short of the offered rate by its few cases in flight.
    window = times[-1] - times[0] + (times[1] - times[0] if len(times) > 1 else 1.0)
    end = times[0] + window
    closed = sum(
        1
        for case in cases
        if (seen := observer.seen(case.correlation, chain.final.type)) and seen.arrived <= end
    )
    return round(closed / window, 2)


async def warm_up(target: Target, *, cases: int, rate: float, within: float) -> list[Sent]:
    """Send a few unmeasured cases through and wait for them: connections, joins, caches."""
    times = schedule(rate, cases / rate, start=time.time())
    sent = await drive(
        target.producer, topic=target.chain.entry, tenant=target.chain.tenant, times=times
    )
    target.ledger.extend(sent)
    took = await target.observer.wait_for(
        [case.correlation for case in sent], target.chain.final.type, within=within
    )
    if took is None:
        raise RuntimeError(
            f"{target.chain.name}: warm-up cases did not reach {target.chain.final.type} "
            f"within {within:.0f} s{await _dead_letters(target)}; see the process logs"
        )
    await target.lag.wait_zero(within=within)
    return sent


async def _dead_letters(target: Target) -> str:
    """How many dead letters the force holds, read as its ops team (the baseline has none)."""
    if target.chain.name != PIPELINE:
        return ""
    tenant = target.chain.tenant
    ops = target.broker.of(tenant, "ops")
    return f" ({await read_all(ops, [dead_letters(tenant)], lambda _: None)} dead letters)"


async def run_step(
    target: Target, *, rate: float, duration: float, drain_timeout: float
) -> StepResult:
    """Offer `rate` cases a second for `duration` seconds, then drain, check and measure."""
    chain, observer = target.chain, target.observer
    closed_before = target.tenant_cases
    for process in target.processes.members.values():
        reset_peak_memory(process.pid)
    pids = {name: [p.pid] for name, p in target.processes.members.items()}
    # The server processes of the run's database: its CPU is the database's share of a case.
    pids["postgres"] = await backend_pids(target.owner_url)
    meter = CpuMeter(pids)
    scans_before = await table_scans(target.owner_url)
    meter.start()
    times = schedule(rate, duration, start=time.time() + 0.2)
    cases = await drive(target.producer, topic=chain.entry, tenant=chain.tenant, times=times)
    target.ledger.extend(cases)
    drained = await observer.wait_for(
        [case.correlation for case in cases], chain.final.type, within=drain_timeout
    )
    lag, lag_after = await target.lag.wait_zero(
        within=drain_timeout if drained is not None else 2.0
    )
    cpu = meter.stop(cases=len(cases))  # before the checker's reading adds to the harness
    scans = scans_between(scans_before, await table_scans(target.owner_url), cases=len(cases))
    memory = {name: memory_kib(process.pid) for name, process in target.processes.members.items()}
    verdict = await check(
        access=target.watcher,
        owner_url=target.owner_url,
        chain=chain,
        cases=cases,
        tenant_cases=target.tenant_cases,
        lag=lag,
    )
    measured = latencies(chain, observer, cases)
    end_to_end = measured.pop("end_to_end")
    achieved = closing_rate(chain, observer, cases, times)
    counted = drained is not None and verdict.clean
    return StepResult(
        chain=chain.name,
        rate=rate,
        duration=duration,
        cases=len(cases),
        closed_before=closed_before,
        driver_late_max_ms=round(max(case.sent - case.scheduled for case in cases) * 1000, 3),
        end_to_end=end_to_end,
        stages=measured,
        achieved_rate=achieved,
        drained_after_s=None if drained is None else round(drained, 3),
        lag_zero_after_s=None if lag_after is None else round(lag_after, 3),
        verdict=verdict,
        memory_kib=memory,
        cpu=cpu,
        table_scans=scans,
        counted=counted,
        sustained=counted and end_to_end.below(LIMIT_SECONDS),
    )


async def sweep(
    target: Target,
    *,
    rates: Sequence[float],
    duration: float,
    drain_timeout: float,
    keep_going: bool,
    say: Say,
) -> list[StepResult]:
    """Step through the rates, lowest first, until one saturates or fails its checks."""
    results = []
    for rate in sorted(rates):
        result = await run_step(target, rate=rate, duration=duration, drain_timeout=drain_timeout)
        results.append(result)
        say(describe(result))
        # A p99 over the limit from a few slow cases is not the end: the next rate may pass,
        # and the capacity is still unknown. Past saturation, higher rates only pile up a
        # backlog that takes minutes to drain.
        if (saturated(result) or not result.counted) and not keep_going:
            break
    return results


def saturated(result: StepResult) -> bool:
    """Whether a step closed cases clearly slower than they were offered."""
    return result.achieved_rate < SATURATED * result.rate


def describe(result: StepResult) -> str:
    """One line about a step, for progress output."""
    e2e = result.end_to_end
    verdict = result.verdict
    state = "sustained" if result.sustained else ("counted" if result.counted else "NOT counted")
    return (
        f"{result.chain} {result.rate:g}/s x {result.duration:g}s: {result.cases} cases, "
        f"e2e p50 {e2e.p50} ms p99 {e2e.p99} ms p99.9 {e2e.p999} ms; lost {verdict.lost}, "
        f"dup effects {verdict.duplicate_effects}, redeliveries {verdict.redeliveries}, "
        f"lag {sum(verdict.lag.values())}; {state}"
    )


def sustained_rate(results: Sequence[StepResult]) -> float:
    """The highest offered rate that met the rule (0 when none did)."""
    return max((result.rate for result in results if result.sustained), default=0.0)


def sustained_throughout(results: Sequence[StepResult]) -> float:
    """The highest offered rate met by the rule with no lower rate failing it (0: none)."""
    # On a shared machine a slow tail can fail one rate and spare the next: both are told.
    best = 0.0
    for result in sorted(results, key=lambda step: step.rate):
        if not result.sustained:
            break
        best = result.rate
    return best
