"""`csods faults`: every fault, one at a time, on a stack of the suite's own; a JSON record
under bench/results/ and a table of what each fault left: lost, twice, behind, recovered."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.access import BenchAccess
from bench.config import RESULTS, BenchConfig
from bench.faults.kinds import FULL, SMOKE, Fault, chosen
from bench.faults.runner import Run, run_fault, tenant_name
from bench.harness import cleanup, create_database, drop_database
from bench.machine import machine_facts
from bench.phases import Context
from bench.report import plain, shown
from bench.steps import Say
from deploy.local import issuer, kafka, postgres, stack
from services.runtime.logs import configure_logging

# The suite's stack sits beside the developer's, on ports of its own, so a fault never
# strikes the stack the tests and the demo use (a port given in the environment wins).
PORTS = {
    kafka.PORT_VARIABLE: "19192",
    postgres.PORT_VARIABLE: "15532",
    issuer.PORT_VARIABLE: "19543",
}


@dataclass(frozen=True)
class Options:
    """What a run offers: which faults, on how many brokers, at what rate."""

    faults: tuple[Fault, ...]
    brokers: int
    rate: float
    smoke: bool
    seed: int
    drain_timeout: float
    results_dir: Path
    keep: bool
    state: Path | None


def parse(args: Sequence[str]) -> Options:
    """Read `csods faults` flags."""
    parser = argparse.ArgumentParser(
        prog="csods faults",
        description="Offer whole cases while one fault at a time strikes; check what is left.",
    )
    parser.add_argument("--smoke", action="store_true", help="seconds-long faults and load")
    parser.add_argument("--only", help="comma-separated faults to run (default: every one)")
    parser.add_argument(
        "--brokers", type=int, choices=kafka.BROKER_COUNTS, default=3, help="default 3"
    )
    parser.add_argument("--rate", type=float, help="cases a second offered (default 3; smoke 2)")
    parser.add_argument("--seed", type=int, help="the random choices' seed (default: random)")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="seconds the cases may take to close"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--keep", action="store_true", help="keep the database, topics, stack")
    parser.add_argument("--state", type=Path, help="the suite's stack folder (.stack/faults)")
    flags = parser.parse_args(list(args))
    names = [name.strip() for name in (flags.only or "").split(",") if name.strip()]
    return Options(
        faults=chosen(names),
        brokers=flags.brokers,
        rate=flags.rate or (2.0 if flags.smoke else 3.0),
        smoke=flags.smoke,
        seed=flags.seed if flags.seed is not None else random.randrange(1 << 30),  # noqa: S311 - a seed to replay
        drain_timeout=flags.drain_timeout,
        results_dir=flags.results_dir,
        keep=flags.keep,
        state=flags.state,
    )


def suite_root(given: Path | None = None) -> Path:
    """Where the suite's stack keeps its state: .stack/faults/ in the project by default."""
    root = (given or stack.project_root() / ".stack" / "faults").resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def _brokers_as_asked(root: Path, brokers: int, say: Say) -> None:
    """The suite's cluster holds nothing worth keeping: made anew with another node count."""
    formatted = kafka.formatted_brokers(root)
    if formatted is not None and formatted != brokers:
        kafka.stop(root, progress=say)
        shutil.rmtree(kafka.paths(root).state)
        say(f"kafka: the suite's cluster had {formatted} node(s); made anew with {brokers}")


def _use_stack(addresses: stack.StackAddresses) -> None:
    """Point everything this process starts or asks at the suite's stack."""
    os.environ.update(addresses.client_env())
    os.environ.update(
        {
            "CSODS_KAFKA_ADMIN_BOOTSTRAP": addresses.kafka_admin_bootstrap,
            "CSODS_KAFKA_ADMIN_CERTIFICATE_FILE": str(addresses.kafka_admin_certificate),
            "CSODS_KAFKA_ADMIN_KEY_FILE": str(addresses.kafka_admin_key),
        }
    )


def main(args: list[str]) -> int:
    """Run the suite and print its table; 0 when every fault run left nothing wrong."""
    options = parse(args)
    configure_logging(json=False, level="warning")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    console = Console()
    began = time.monotonic()

    def say(text: str) -> None:
        stamp = f"{time.monotonic() - began:7.1f}s"
        console.print(f"[dim]{stamp} {escape(text)}[/dim]", highlight=False)

    for variable, value in PORTS.items():
        os.environ.setdefault(variable, value)
    os.environ[kafka.BROKERS_VARIABLE] = str(options.brokers)
    root = suite_root(options.state)
    _brokers_as_asked(root, options.brokers, say)
    addresses, started = stack.up(root, progress=say)
    _use_stack(addresses)
    try:
        document = asyncio.run(_suite(options, root, addresses, say))
    finally:
        if started and not options.keep:
            stack.down(root, only=started, progress=say)
    path = _write(document, options)
    Console(width=max(console.width, 150)).print(_table(document["faults"]))
    console.print(f"results: {shown(path)}", highlight=False)
    ran = [result for result in document["faults"] if not result.get("not_run")]
    return 0 if ran and all(result["passed"] for result in ran) else 1


async def _suite(
    options: Options, root: Path, addresses: stack.StackAddresses, say: Say
) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    database = f"csods_faults_{run_id}"
    server_url = addresses.database_url
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    owner_url = await create_database(server_url, database)
    broker = BenchAccess(addresses.kafka_bootstrap)
    log_dir = stack.project_root() / ".stack" / "logs" / "faults" / stamp
    config = BenchConfig(partitions=3, warmup_cases=2, drain_timeout=options.drain_timeout)
    base = Context(config, broker, owner_url, log_dir, say)
    pace = SMOKE if options.smoke else FULL
    rng = random.Random(options.seed)  # noqa: S311 - which process and when, not secrecy
    run = Run(base, root, pace, options.rate, options.drain_timeout, rng)
    load_at_start = os.getloadavg()
    results: list[dict[str, Any]] = []
    tenants: list[str] = []
    say(f"faults on {options.brokers} broker(s); database {database}; logs {shown(log_dir)}")
    try:
        machine = await machine_facts(bootstrap=addresses.kafka_bootstrap, owner_url=owner_url)
        for fault in options.faults:
            if fault.brokers > options.brokers:
                results.append(_not_run(fault, f"needs {fault.brokers} brokers (--brokers 3)"))
                continue
            tenant = tenant_name()
            tenants.append(tenant)
            try:
                results.append(await run_fault(run, fault, tenant))
            except Exception as exc:  # noqa: BLE001 - one fault's failure is its result
                say(f"{fault.name}: the run failed: {type(exc).__name__}: {exc}")
                results.append(_failed(fault, tenant, f"{type(exc).__name__}: {exc}"))
            say(f"{fault.name}: {'passed' if results[-1].get('passed') else 'FAILED'}")
    finally:
        if not options.keep:
            try:
                await cleanup(broker, server_url, database, tenants)
            except Exception as exc:  # noqa: BLE001 - the results matter more than the tidying
                say(f"cleanup failed ({type(exc).__name__}: {exc}); drop {database} by hand")
                await drop_database(server_url, database)
    return {
        "started_at": datetime.now(UTC).isoformat(),
        "stamp": stamp,
        "smoke": options.smoke,
        "seed": options.seed,
        "brokers": options.brokers,
        "pace": pace,
        "rate": options.rate,
        "machine": machine,
        "load_average": {"start": list(load_at_start), "end": list(os.getloadavg())},
        "rule": "passed = every case offered closed, 0 lost, 0 duplicate effects, nothing "
        "left in an outbox, every group's lag back to zero, the fault itself ran, and no "
        "write refused unless the fault took every broker away",
        "faults": results,
    }


def _not_run(fault: Fault, why: str) -> dict[str, Any]:
    return {"fault": fault.name, "what": fault.what, "not_run": why, "passed": None}


def _failed(fault: Fault, tenant: str, error: str) -> dict[str, Any]:
    return {
        "fault": fault.name,
        "what": fault.what,
        "tenant": tenant,
        "error": error,
        "passed": False,
    }


def _write(document: dict[str, Any], options: Options) -> Path:
    data = plain(document)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    name = f"faults-{document['stamp']}{'-smoke' if options.smoke else ''}.json"
    path = options.results_dir / name
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return path


COLUMNS = (
    ("cases", "offered"),
    ("closed", "closed"),
    ("lost", "lost"),
    ("duplicate_effects", "dup effects"),
    ("duplicate_events", "dup events"),
    ("outbox_left", "outbox left"),
    ("lag", "lag"),
    ("writes_refused", "refused"),
    ("recovered_after_s", "recovered s"),
)


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="faults, one at a time")
    table.add_column("fault")
    for _, heading in COLUMNS:
        table.add_column(heading, justify="right")
    table.add_column("result")
    for result in results:
        if result.get("not_run"):
            table.add_row(result["fault"], *("" for _ in COLUMNS), f"not run: {result['not_run']}")
            continue
        cells = ["" if result.get(key) is None else str(result[key]) for key, _ in COLUMNS]
        verdict = "passed" if result["passed"] else f"FAILED {result.get('error') or ''}".strip()
        table.add_row(result["fault"], *cells, verdict)
    return table
