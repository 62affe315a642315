"""The benchmark as a function: one fresh database and tenant, every phase, one document."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import cpu, fair, report
from bench.access import BenchAccess
from bench.chains import pipeline_deployment
from bench.config import BenchConfig
from bench.machine import machine_facts
from bench.phases import (
    Context,
    Sweep,
    baseline_phase,
    can_share,
    cost_phase,
    cost_rate,
    pipeline,
    sweep_phase,
)
from bench.replay import replay
from bench.report import Outcome
from bench.steps import Say
from bench.worker import CaseWorker, NoHumanSteps
from deploy.local import stack
from services.access.broker import deprovision_all
from services.access.database import deprovision_database

IDLE_SECONDS = 10.0  # the quiet window idle CPU is measured over
IDLE_SECONDS_SMOKE = 2.0


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


async def create_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _load_average() -> list[float]:
    return [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]]


def _ratio(ours: float | None, bare: float | None) -> float | None:
    return None if ours is None or not bare else round(ours / bare, 3)


def _checker_totals(sweeps: list[Sweep], cost: dict[str, Any] | None) -> dict[str, Any]:
    steps = [step for sweep in sweeps for step in sweep.steps]
    if cost is not None:
        steps += [level["step"] for level in cost["levels"]]
    return {
        "ran": all(step.verdict.ran for step in steps) and bool(steps),
        "steps_checked": len(steps),
        "lost": sum(step.verdict.lost for step in steps),
        "duplicate_effects": sum(step.verdict.duplicate_effects for step in steps),
        "redeliveries": sum(step.verdict.redeliveries for step in steps),
        "outbox_pending": sum(step.verdict.outbox_pending for step in steps),
        "steps_lag_back_to_zero": sum(1 for step in steps if step.verdict.lag_zero),
        "steps_counted": sum(1 for step in steps if step.counted),
    }


async def run_bench(
    config: BenchConfig,
    *,
    bootstrap: str,
    server_url: str,
    say: Say,
    worker: CaseWorker | None = None,
) -> Outcome:
    """Run every phase on a fresh database and tenant; write the JSON, plot and summary."""
    # `worker` answers the human steps of a case; today none are needed (see bench.worker).
    started_wall, started = datetime.now(UTC), time.monotonic()
    stamp = started_wall.strftime("%Y%m%dT%H%M%SZ")
    run_id = uuid.uuid4().hex[:8]
    tenant = config.tenant or f"bench{run_id}"
    cost_tenant = f"{tenant}-cost"
    database = f"csods_bench_{run_id}"
    log_dir = config.log_dir or stack.project_root() / ".stack" / "logs" / "bench" / stamp
    load_at_start = _load_average()
    owner_url = await create_database(server_url, database)
    say(f"database {database}, tenant {tenant}, logs {log_dir}")
    broker = BenchAccess(bootstrap)
    ctx = Context(config, broker, owner_url, log_dir, say, worker or NoHumanSteps())
    try:
        machine = await machine_facts(bootstrap=bootstrap, owner_url=owner_url)
        cost: dict[str, Any] | None = None
        async with pipeline(ctx, tenant) as target:
            swept = await sweep_phase(ctx, target)
            # What each process costs doing nothing, once the sweep has drained.
            idle = await cpu.idle_ms_per_second(
                {name: p.pid for name, p in target.processes.members.items()},
                seconds=IDLE_SECONDS_SMOKE if config.smoke else IDLE_SECONDS,
            )
            say(f"pipeline idle, CPU ms per second: {idle}")
            # The fair floor: as many hops as a pipeline case made in this very run.
            hops = await fair.measured(owner_url, tenant=tenant, parts=target.chain.parts)
            say(
                f"pipeline: {hops.per_case:.2f} records applied per case over {hops.cases} "
                f"cases ({', '.join(f'{k} {v}' for k, v in hops.claims.items())}); the "
                f"baseline makes {hops.baseline} hops"
            )
            # Few cases so far (a smoke run): the cost figure may start on the same tenant.
            rate = cost_rate(config, swept)
            if config.cost and can_share(target, config):
                cost = await cost_phase(ctx, target, rate=rate)
        baseline = (
            await baseline_phase(ctx, tenant, hops=hops.baseline) if config.baseline else None
        )
        if config.cost and cost is None:
            async with pipeline(ctx, cost_tenant) as target:
                cost = await cost_phase(ctx, target, rate=rate)
        tenants = [tenant] if cost is None or cost["tenant"] == tenant else [tenant, cost_tenant]
        say(f"replay: rebuilding from the topics of {', '.join(tenants)}")
        replayed = await replay(broker, owner_url, tenants)
    finally:
        if not config.keep:
            try:
                await cleanup(broker, server_url, database, [tenant, cost_tenant])
            except Exception as exc:  # noqa: BLE001 - the figures matter more than the tidying
                say(f"cleanup failed ({type(exc).__name__}: {exc}); drop {database} by hand")
    sweeps = [swept] + ([baseline] if baseline is not None else [])
    document: dict[str, Any] = {
        "started_at": started_wall.isoformat(),
        "wall_seconds": round(time.monotonic() - started, 1),
        "smoke": config.smoke,
        "config": config,
        "machine": machine,
        # Other work on the machine shows here; the figures are only as quiet as the machine.
        "load_average": {"start": load_at_start, "end": _load_average()},
        "database": database,
        "tenants": {"pipeline": tenant, "cost": None if cost is None else cost["tenant"]},
        "broker": _broker(ctx),
        "rule": "sustained = p99 end to end < 1 s, zero loss, zero duplicate effects, "
        "every consumer group's lag back to zero and nothing pending in an outbox",
        "latency_note": "end to end: scheduled send -> case-closed read by the observer. Each "
        "stage: from the previous stage's ce_time (the handler's clock as it processed), the "
        "first from the scheduled send; delivery: case-closed's ce_time -> read by the observer",
        "pipeline_profile": "the walking skeleton's path of the real services (no face to face, "
        "'no concerns' told by letter) with the PNC and local-intelligence stand-ins of this "
        "run answering at once (its ViSOR and INI provisioned, not asked on this path); see "
        "bench/chains.py",
        "pipeline": swept,
        "baseline": baseline,
        "idle_cpu": {
            "ms_per_second": idle,
            "seconds": IDLE_SECONDS_SMOKE if config.smoke else IDLE_SECONDS,
            "note": "CPU each pipeline process used per second with no cases sent, after the "
            "sweep drained",
        },
        "baseline_hops": {
            "hops": hops.baseline,
            "pipeline_records_applied_per_case": round(hops.per_case, 3),
            "cases": hops.cases,
            "per_process": hops.claims,
            "note": "one hop per record a service or stand-in applied for a case (its inbox "
            "claims; the ops read model watches and is not counted), measured from the "
            "pipeline of this run",
        },
        "ratio_pipeline_to_baseline": {
            "sustained_rate": _ratio(
                swept.sustained_rate, None if baseline is None else baseline.sustained_rate
            ),
            "sustained_throughout": _ratio(
                swept.sustained_throughout,
                None if baseline is None else baseline.sustained_throughout,
            ),
            "capacity": _ratio(swept.capacity, None if baseline is None else baseline.capacity),
        },
        "cost_growth": cost,
        "memory": {
            "pipeline": {"at_rate": swept.memory_at_rate, "kib": swept.memory_kib},
            "baseline": None
            if baseline is None
            else {"at_rate": baseline.memory_at_rate, "kib": baseline.memory_kib},
        },
        "replay": replayed,
        "checker": _checker_totals(sweeps, cost),
    }
    return report.write(document, results_dir=config.results_dir, stamp=stamp)


def _broker(ctx: Context) -> dict[str, Any]:
    """How every client of the run was let in, and what provisioning made for it."""
    return {
        "security": " / ".join(sorted(set(ctx.security.values()))) or None,
        "clients": ctx.security,
        "note": "the services, the stand-ins, the baseline's hops and the harness connect "
        "alike: TLS checked against the stack's authority, each as its own SCRAM principal, "
        "allowed only what its ACLs grant (the baseline's hops: the topic before them and "
        "their own); topics, principals and ACLs made by the operator before anything starts",
        "provisioned": ctx.provisioned,
    }


async def cleanup(broker: BenchAccess, server_url: str, database: str, forces: list[str]) -> None:
    """Deprovision every tenant of the forces run, then drop the run's database."""
    # Every tenant the run provisioned: its forces and their systems' stand-ins; the
    # baseline's principals and topics are the force's (`<force>.baseline-*`, `bench.<force>.*`).
    tenants = sorted({name for force in forces for name in pipeline_deployment(force).tenants()})
    await asyncio.to_thread(deprovision_all, broker.operator(), tenants, broker.store())
    await asyncio.to_thread(deprovision_database, server_url, tenants, broker.store())
    await drop_database(server_url, database)
