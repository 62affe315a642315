"""One fault under load: a fresh force, its services, the load offered while the fault acts,
then the checker's reading of the topics and the databases."""

from __future__ import annotations

import asyncio
import random
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.checker import Verdict, check
from bench.faults.kinds import Fault, Pace, Scene
from bench.faults.offer import Offered, offer
from bench.load import schedule, start_producer
from bench.phases import Context, pipeline
from bench.steps import Target


@dataclass(frozen=True)
class FaultContext(Context):
    """The bench's context, with the settings a fault gives the services it runs."""

    extra_env: Mapping[str, str] = field(default_factory=dict)

    def service_env(self, tenant: str) -> Mapping[str, str]:
        """The services' usual environment, then the fault's own settings."""
        return {**super().service_env(tenant), **self.extra_env}


@dataclass(frozen=True)
class Run:
    """What every fault of one run shares."""

    base: Context
    root: Path  # the stack's state folder
    pace: Pace
    rate: float
    drain_timeout: float
    rng: random.Random


def tenant_name() -> str:
    """A fresh force for each fault, so no fault's cases mix with another's."""
    return f"fault{uuid.uuid4().hex[:8]}"


async def run_fault(run: Run, fault: Fault, tenant: str) -> dict[str, Any]:
    """Offer cases while `fault` acts; report what the checker found."""
    window = fault.window(run.pace)
    ctx = FaultContext(
        config=run.base.config,
        broker=run.base.broker,
        owner_url=run.base.owner_url,
        log_dir=run.base.log_dir / fault.name,
        say=run.base.say,
        extra_env=fault.env(run.pace),
    )
    run.base.say(f"{fault.name}: {fault.what} ({tenant}, {run.rate:g} cases/s for {window:g} s)")
    async with pipeline(ctx, tenant) as target:
        scene = Scene(
            target=target,
            root=run.root,
            pace=run.pace,
            window=window,
            rng=run.rng,
            say=run.base.say,
            service_env=ctx.service_env(tenant),
            log_dir=ctx.log_dir,
        )
        if fault.prepare is not None:
            await fault.prepare(scene)
        times = schedule(run.rate, window, start=time.time() + 0.5)
        scene.began = times[0]
        chain = target.chain
        sender = target.broker.of(tenant, chain.sender)  # the online form's own principal
        load = asyncio.create_task(
            offer(
                lambda: start_producer(sender),
                topic=chain.entry,
                tenant=tenant,
                times=times,
                give_up_after=run.drain_timeout,
            )
        )
        error = None
        try:
            await fault.act(scene)
        except Exception as exc:  # noqa: BLE001 - reported as the fault's result, not hidden
            error = f"{type(exc).__name__}: {exc}"
            scene.note(f"the fault itself failed: {error}")
            traceback.print_exc()
        cleared = time.time()
        offered = await load
        return await _verdict(run, fault, target, scene, offered, cleared=cleared, error=error)


async def _verdict(
    run: Run,
    fault: Fault,
    target: Target,
    scene: Scene,
    offered: Offered,
    *,
    cleared: float,
    error: str | None,
) -> dict[str, Any]:
    chain, observer = target.chain, target.observer
    cases = offered.cases
    target.ledger.extend(cases)
    loaded = time.time()
    drained = await observer.wait_for(
        [case.correlation for case in cases], chain.final.type, within=run.drain_timeout
    )
    lag, _ = await target.lag.wait_zero(within=run.drain_timeout if drained is not None else 5.0)
    verdict = await check(
        access=target.watcher,
        owner_url=target.owner_url,
        chain=chain,
        cases=cases,
        tenant_cases=target.tenant_cases,
        lag=lag,
    )
    closes = {
        case.correlation: seen.arrived
        for case in cases
        if (seen := observer.seen(case.correlation, chain.final.type)) is not None
    }
    # Recovered: every case sent before the fault cleared has closed.
    before = [closes.get(case.correlation) for case in cases if case.sent <= cleared]
    recovered = (
        None
        if any(at is None for at in before)
        else round(max([cleared, *(at for at in before if at is not None)]) - cleared, 1)
    )
    result = {
        "fault": fault.name,
        "what": fault.what,
        "tenant": chain.tenant,
        "window_s": scene.window,
        "rate": run.rate,
        "cases": len(cases),
        "closed": len(closes),
        "lost": verdict.lost,
        "duplicate_effects": verdict.duplicate_effects,
        "duplicate_events": verdict.redeliveries,
        "outbox_left": verdict.outbox_pending,
        "lag": sum(verdict.lag.values()),
        "writes_refused": offered.refused,
        "refusals": offered.refusals,
        "not_taken": offered.not_taken,
        "producers": offered.producers,
        "recovered_after_s": recovered,
        "drained_after_load_s": None if drained is None else round(drained, 1),
        "checked_after_load_s": round(time.time() - loaded, 1),
        "events": scene.events,
        "error": error,
        "verdict": verdict,
    }
    result["passed"] = passed(fault, result, verdict)
    return result


def passed(fault: Fault, result: Mapping[str, Any], verdict: Verdict) -> bool:
    """Every case terminal, none lost, no effect twice, nothing left behind, no fault error,
    and no write refused unless the fault took every broker away."""
    return (
        result["error"] is None
        and result["not_taken"] == 0
        and result["closed"] == result["cases"]
        and verdict.clean
        and (fault.writes_may_fail or result["writes_refused"] == 0)
    )
