"""The phases of a run: the pipeline's sweep, the baseline's sweep, and cost growth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.access import BenchAccess, security
from bench.baseline_hop import prepare_schema
from bench.chains import (
    PIPELINE,
    Chain,
    baseline_chain,
    pipeline_chain,
    pipeline_deployment,
    pipeline_env,
)
from bench.config import BenchConfig
from bench.cpu import HARNESS
from bench.kafka_io import GroupLag, correlated_ids
from bench.load import start_producer
from bench.observer import Observer
from bench.processes import ProcessSet, start_hops, start_services
from bench.provisioning import deprovision_baseline, provision_baseline
from bench.seed import Seeded, Template, seed_closed_cases
from bench.steps import (
    Say,
    StepResult,
    Target,
    run_step,
    saturated,
    sustained_rate,
    sustained_throughout,
    sweep,
    warm_up,
)
from bench.worker import CaseWorker, NoHumanSteps
from services.access.broker import Provisioned, provision
from services.access.database import provision_database


@dataclass(frozen=True)
class Context:
    """What every phase shares: where the stack is, the run's database, its settings."""

    config: BenchConfig
    broker: BenchAccess
    owner_url: str
    log_dir: Path
    say: Say
    worker: CaseWorker = field(default_factory=NoHumanSteps)
    # What each provisioning made, by tenant (the baseline's as `baseline`), for the record.
    provisioned: dict[str, Provisioned] = field(default_factory=dict)
    # How each chain's clients proved themselves on the broker, by chain name.
    security: dict[str, str] = field(default_factory=dict)

    def client_env(self) -> dict[str, str]:
        """How a process under test reaches the broker and the run's database."""
        return {**self.broker.client_env(), "CSODS_DATABASE_URL": self.owner_url}

    def service_env(self, tenant: str) -> Mapping[str, str]:
        """The environment of a tenant's service processes: production defaults otherwise."""
        return {**self.client_env(), **pipeline_env(tenant)}


@dataclass(frozen=True)
class Sweep:
    """A chain's steps and what they add up to."""

    chain: str
    tenant: str
    steps: list[StepResult]
    sustained_rate: float
    sustained_throughout: float
    # The best completion rate of a saturated step: the capacity; None if none saturated.
    capacity: float | None
    memory_at_rate: float | None
    memory_kib: dict[str, dict[str, int]]


WARMUP_RATE = 5.0  # cases/s: gentle enough for any chain this harness runs
WARMUP_WITHIN = 60.0  # seconds the warm-up's cases may take to close


@asynccontextmanager
async def _target(ctx: Context, chain: Chain, processes: ProcessSet) -> AsyncIterator[Target]:
    watched = chain.observed
    if chain.name == PIPELINE:  # the baseline has no people in it
        watched = tuple(dict.fromkeys([*watched, *ctx.worker.topics(chain.tenant)]))
    observer = Observer(ctx.broker.of(chain.tenant, chain.watcher), watched, worker=ctx.worker)
    lag = GroupLag(chain.groups, ctx.broker.of_group)
    await observer.start()
    try:
        await lag.start()
        sender = ctx.broker.of(chain.tenant, chain.sender)
        ctx.security[chain.name] = security(sender)
        producer = await start_producer(sender)
        try:
            target = Target(chain, ctx.broker, ctx.owner_url, observer, producer, processes, lag)
            await warm_up(
                target, cases=ctx.config.warmup_cases, rate=WARMUP_RATE, within=WARMUP_WITHIN
            )
            yield target
        finally:
            await producer.stop()
            await lag.stop()
    finally:
        await observer.stop()


def _summarise(chain: Chain, steps: list[StepResult]) -> Sweep:
    rate = sustained_rate(steps)
    # Memory under the highest sustained rate; the first step's when none was sustained.
    at = next((step for step in steps if step.rate == rate and step.sustained), None)
    at = at or (steps[0] if steps else None)
    achieved = [step.achieved_rate for step in steps if saturated(step)]
    return Sweep(
        chain=chain.name,
        tenant=chain.tenant,
        steps=steps,
        sustained_rate=rate,
        sustained_throughout=sustained_throughout(steps),
        capacity=max(achieved, default=None),
        memory_at_rate=None if at is None else at.rate,
        memory_kib={} if at is None else at.memory_kib,
    )


async def sweep_phase(ctx: Context, target: Target) -> Sweep:
    """Offer every rate to a running chain, lowest first."""
    steps = await sweep(
        target,
        rates=ctx.config.rates,
        duration=ctx.config.duration,
        drain_timeout=ctx.config.drain_timeout,
        keep_going=ctx.config.keep_going,
        say=ctx.say,
    )
    return _summarise(target.chain, steps)


@asynccontextmanager
async def pipeline(ctx: Context, tenant: str) -> AsyncIterator[Target]:
    """The four services of one fresh tenant and their stand-ins, each its own process."""
    chain = pipeline_chain(tenant)
    # As production: the operator provisions the force and its systems before any starts.
    made = await asyncio.to_thread(
        provision,
        ctx.broker.operator(),
        pipeline_deployment(tenant),
        ctx.broker.store(),
        partitions=ctx.config.partitions,
    )
    await asyncio.to_thread(
        provision_database, ctx.owner_url, pipeline_deployment(tenant), ctx.broker.store()
    )
    ctx.provisioned[tenant] = made
    ctx.say(
        f"pipeline: provisioned {tenant} ({made.principals} principals, {made.acls} ACLs, "
        f"{made.topics_created} topics); starting the services and stand-ins"
    )
    processes = await asyncio.to_thread(
        start_services, chain.parts, env=ctx.service_env(tenant), log_dir=ctx.log_dir
    )
    try:
        async with _target(ctx, chain, processes) as target:
            yield target
    finally:
        await asyncio.to_thread(processes.stop)


async def baseline_phase(ctx: Context, tenant: str, *, hops: int) -> Sweep:
    """The bare chain of `hops` hops, each in its own process, through the same rates."""
    chain = baseline_chain(tenant, hops)
    await prepare_schema(ctx.owner_url)
    operator, store = ctx.broker.operator(), ctx.broker.store()
    made = await asyncio.to_thread(
        provision_baseline, operator, tenant, store, partitions=ctx.config.partitions, hops=hops
    )
    ctx.provisioned["baseline"] = made
    try:
        ctx.say(
            f"baseline: provisioned {made.principals} principals, {made.acls} ACLs; "
            f"starting {len(chain.stages)} hops for {tenant}"
        )
        processes = await asyncio.to_thread(
            start_hops,
            tenant,
            hops=hops,
            env=ctx.client_env(),
            dsn=ctx.owner_url,
            log_dir=ctx.log_dir,
        )
        try:
            async with _target(ctx, chain, processes) as target:
                return await sweep_phase(ctx, target)
        finally:
            await asyncio.to_thread(processes.stop)
    finally:
        if not ctx.config.keep:
            try:
                await asyncio.to_thread(deprovision_baseline, operator, tenant, store, hops=hops)
            except Exception as exc:  # noqa: BLE001 - the run's cleanup removes the tenant too
                ctx.say(f"baseline: deprovisioning failed ({type(exc).__name__}: {exc})")


async def _template(ctx: Context, target: Target) -> Template:
    """The first warm-up case, closed by the services, as the model of a closed case."""
    model = target.ledger[0]
    conn = await asyncpg.connect(ctx.owner_url)
    try:
        reference = await conn.fetchval(
            "SELECT case_reference FROM intake.enquiries WHERE tenant = $1 AND submission_id = $2",
            target.chain.tenant,
            model.submission,
        )
    finally:
        await conn.close()
    if reference is None:
        raise RuntimeError("the template case is not in intake.enquiries")
    return Template(
        tenant=target.chain.tenant,
        case_reference=str(reference),
        submission=model.submission,
        # What the services consumed: the ids their inbox tables hold for the case.
        message_ids=frozenset(await _consumed_ids(ctx, target.chain, model.correlation)),
    )


async def _consumed_ids(ctx: Context, chain: Chain, correlation: str) -> set[str]:
    """A case's message ids on every topic a group reads, each read as a principal reading it."""
    # No one principal reads a force's topics and its systems' inboxes: each group's does.
    found: set[str] = set()
    read: set[str] = set()
    for group, topics in chain.groups.items():
        fresh = [topic for topic in topics if topic not in read]
        if fresh:
            found |= await correlated_ids(ctx.broker.of_group(group), fresh, correlation)
            read.update(fresh)
    return found


def can_share(target: Target, config: BenchConfig) -> bool:
    """Whether a tenant still holds few enough cases to start the cost figure on it."""
    # Each level's warm-up adds its cases before the level is measured.
    return target.tenant_cases + config.warmup_cases <= min(config.cost_levels)


def cost_rate(config: BenchConfig, pipeline: Sweep) -> float:
    """The cost figure's rate: as configured, else half the pipeline's sustained rate."""
    if config.cost_rate is not None:
        return config.cost_rate
    # Well below saturation, so the ratio shows the cost of a case, not the length of a queue.
    base = pipeline.sustained_rate or min(config.rates)
    return max(1.0, round(base) / 2)  # to the half case a second


async def cost_phase(ctx: Context, target: Target, *, rate: float) -> dict[str, Any]:
    """The same moderate rate with 1,000 and then 100,000 closed cases already held."""
    template = await _template(ctx, target)
    levels = [
        await _cost_level(ctx, target, template, level, rate=rate)
        for level in ctx.config.cost_levels
    ]
    figure = _cost_figure(rate, levels)
    figure["tenant"] = target.chain.tenant
    return figure


async def _cost_level(
    ctx: Context, target: Target, template: Template, level: int, *, rate: float
) -> dict[str, Any]:
    warmup = ctx.config.warmup_cases
    # Seeded to the level less the warm-up's cases, which bring the tenant to the level.
    to_seed = level - target.tenant_cases - warmup
    seeded = Seeded({}, [])
    started = time.monotonic()
    if to_seed > 0:
        ctx.say(f"cost growth: seeding {to_seed:,} closed cases (to {level:,})")
        first = target.seeded + 1
        seeded = await seed_closed_cases(
            ctx.owner_url, template, first=first, last=first + to_seed - 1
        )
        target.seeded += to_seed
    seed_seconds = round(time.monotonic() - started, 3)
    if warmup:
        # As before the sweep: unmeasured cases through the services first, so neither level
        # pays for cold connections, code paths or caches (a fresh cost tenant's first level
        # did, and came out slower than the 100,000 level) and the ratio compares like with like.
        ctx.say(f"cost growth: warming up with {warmup} cases")
        await warm_up(target, cases=warmup, rate=WARMUP_RATE, within=WARMUP_WITHIN)
    step = await run_step(
        target,
        rate=rate,
        duration=ctx.config.duration,
        drain_timeout=ctx.config.drain_timeout,
    )
    ctx.say(f"cost growth with {step.closed_before:,} closed cases: " + _short(step))
    return {
        "level": level,
        "closed_before": step.closed_before,
        "seeded_rows": seeded.rows,
        "tables_not_seeded": seeded.skipped,
        "seed_seconds": seed_seconds,
        "warmup_cases": warmup,
        "step": step,
    }


def _short(step: StepResult) -> str:
    return f"p50 {step.end_to_end.p50} ms, p99 {step.end_to_end.p99} ms, counted {step.counted}"


def _ratio(high: float | None, low: float | None) -> float | None:
    return None if high is None or not low else round(high / low, 3)


OUTSIDE = (HARNESS, "postgres")  # the load and the observer; the database, told apart


def service_cpu_ms(step: StepResult) -> float:
    """CPU milliseconds per case of the processes under test (harness and database apart)."""
    per_case = step.cpu.get("ms_per_case", {})
    assert isinstance(per_case, dict)
    return round(float(sum(ms for name, ms in per_case.items() if name not in OUTSIDE)), 3)


def _cost_figure(rate: float, levels: Sequence[dict[str, Any]]) -> dict[str, Any]:
    first, last = levels[0]["step"], levels[-1]["step"]
    for level in levels:
        level["cpu_ms_per_case"] = service_cpu_ms(level["step"])
        per_case = level["step"].cpu.get("ms_per_case", {})
        level["postgres_cpu_ms_per_case"] = per_case.get("postgres")
    return {
        "rate": rate,
        "levels": list(levels),
        "p99_ratio": _ratio(last.end_to_end.p99, first.end_to_end.p99),
        "p50_ratio": _ratio(last.end_to_end.p50, first.end_to_end.p50),
        # CPU per case is the steadier sign of cost when others share the machine.
        "cpu_ratio": _ratio(levels[-1]["cpu_ms_per_case"], levels[0]["cpu_ms_per_case"]),
        "postgres_cpu_ratio": _ratio(
            levels[-1]["postgres_cpu_ms_per_case"], levels[0]["postgres_cpu_ms_per_case"]
        ),
        "counted": all(level["step"].counted for level in levels),
    }
