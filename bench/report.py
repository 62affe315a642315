"""The run's outputs: every figure as JSON, a latency plot, and a short text summary."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local.stack import project_root


@dataclass(frozen=True)
class Outcome:
    """What a run produced: the document and where its files are."""

    document: dict[str, Any]
    json_path: Path
    plot_path: Path
    summary: str


def shown(path: Path) -> str:
    """A path as the results record it: from the project root, so no machine's layout shows."""
    # Outside the project (a test's temporary folder) it stays absolute: never checked in.
    resolved = path.resolve()
    root = project_root()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


def plain(value: Any) -> Any:
    """Dataclasses, paths and tuples turned into what JSON holds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, Path):
        return shown(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write(document: Mapping[str, Any], *, results_dir: Path, stamp: str) -> Outcome:
    """Write `<stamp>[-smoke].json` and `.png` under `results_dir`; return them and the summary."""
    data = plain(document)
    results_dir.mkdir(parents=True, exist_ok=True)
    name = f"{stamp}-smoke" if data.get("smoke") else stamp
    json_path = results_dir / f"{name}.json"
    plot_path = results_dir / f"{name}.png"
    data["files"] = {"json": shown(json_path), "plot": shown(plot_path)}
    plot(data, plot_path)
    json_path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return Outcome(data, json_path, plot_path, summary(data))


def plot(data: Mapping[str, Any], path: Path) -> None:
    """p50 and p99 end to end against offered rate, pipeline and baseline, log-log."""
    import matplotlib  # noqa: PLC0415 - heavy, and only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    for chain, colour in (("pipeline", "tab:blue"), ("baseline", "tab:orange")):
        sweep = data.get(chain)
        if not sweep:
            continue
        steps = sweep["steps"]
        for point, style in (("p50", "--"), ("p99", "-")):
            rates = [s["rate"] for s in steps if s["end_to_end"][point] is not None]
            values = [s["end_to_end"][point] for s in steps if s["end_to_end"][point] is not None]
            axes.plot(rates, values, style, marker="o", color=colour, label=f"{chain} {point}")
    axes.axhline(1000, color="grey", linewidth=0.8, linestyle=":", label="1 s rule (p99)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    rates = sorted(
        {s["rate"] for c in ("pipeline", "baseline") for s in (data.get(c) or {}).get("steps", [])}
    )
    axes.set_xticks(rates, [f"{rate:g}" for rate in rates])
    axes.minorticks_off()
    axes.set_xlabel("offered rate (cases/s)")
    axes.set_ylabel("end-to-end latency from scheduled send (ms)")
    machine = data["machine"]
    axes.set_title(
        f"csods bench{' SMOKE' if data['smoke'] else ''} {data['started_at'][:19]}:"
        f" {machine['nproc']} CPUs, "
        f"Kafka {machine['kafka']}, PostgreSQL {machine['postgresql']}",
        fontsize=9,
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _latency(latency: Mapping[str, Any]) -> str:
    return f"{_ms(latency['p50'])} / {_ms(latency['p99'])} / {_ms(latency['p999'])}"


def _steps_table(data: Mapping[str, Any]) -> list[str]:
    by_rate: dict[float, dict[str, Any]] = {}
    for chain in ("pipeline", "baseline"):
        for step in (data.get(chain) or {}).get("steps", []):
            by_rate.setdefault(step["rate"], {})[chain] = step
    lines = ["  rate/s | pipeline p50 / p99 / p99.9 ms      | baseline p50 / p99 / p99.9 ms"]
    for rate in sorted(by_rate):
        cells = []
        for chain in ("pipeline", "baseline"):
            step = by_rate[rate].get(chain)
            if step is None:
                cells.append(f"{'(not run)':34}")
                continue
            mark = "ok" if step["sustained"] else ("p99>1s" if step["counted"] else "NOT COUNTED")
            cells.append(f"{_latency(step['end_to_end']) + '  ' + mark:34}")
        lines.append(f"  {rate:>6g} | {cells[0]} | {cells[1]}")
    return lines


def _stages(sweep: Mapping[str, Any]) -> str:
    steps = [s for s in sweep["steps"] if s["rate"] == sweep["memory_at_rate"]] or sweep["steps"]
    if not steps:
        return "  (no steps)"
    step = steps[0]
    parts = [
        f"{label} {_ms(lat['p50'])}/{_ms(lat['p99'])}" for label, lat in step["stages"].items()
    ]
    return f"  at {step['rate']:g}/s, p50/p99 ms: " + ", ".join(parts)


def _memory(memory: Mapping[str, Any] | None) -> str:
    if not memory or not memory["kib"]:
        return "-"
    parts = [
        f"{name} {values.get('VmHWM', 0) / 1024:,.0f} MiB" for name, values in memory["kib"].items()
    ]
    return f"at {memory['at_rate']:g}/s: " + ", ".join(parts)


def _capacity(sweep: Mapping[str, Any]) -> str:
    if sweep["capacity"] is None:
        return "not reached by the rates offered"
    return f"{sweep['capacity']} cases/s closed at saturation"


# Issue 16's targets, printed beside each figure; never a test's pass mark.
TARGETS: dict[str, float] = {
    "cases_per_second": 36,
    "ratio": 0.7,
    "cost_p99_ratio": 1.2,
    "rebuild_events_per_second": 20_000,
    "idle_ms_per_second": 2,
}


def summary(data: Mapping[str, Any]) -> str:
    """A short plain-text account of every figure."""
    machine, pipeline, baseline = data["machine"], data["pipeline"], data.get("baseline")
    ratio = data["ratio_pipeline_to_baseline"]
    lines = [
        f"csods bench{' (SMOKE: tiny rates, figures not meaningful)' if data['smoke'] else ''}"
        f" - {data['started_at'][:19]}Z, wall {data['wall_seconds']:.0f} s",
        f"machine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB;"
        f" Python {machine['python']}, Kafka {machine['kafka']},"
        f" PostgreSQL {machine['postgresql']}; commit {str(machine['commit'])[:12]}",
        f"load average (1, 5, 15 min) before the run {data['load_average']['start']}, after"
        f" {data['load_average']['end']} ({machine['nproc']} CPUs): load before the run is other"
        " work, which competes with every figure below",
        f"broker: {data['broker']['security']}, for the pipeline, the baseline and the"
        " harness alike (each client its own provisioned principal)",
        f"rule: {data['rule']}",
        f"pipeline sustained: {pipeline['sustained_rate']:g} cases/s"
        f" ({pipeline['sustained_throughout']:g} with no lower rate failing)"
        f" (capacity {_capacity(pipeline)}) [target: at least {TARGETS['cases_per_second']}]",
    ]
    hops = data.get("baseline_hops")
    if hops:
        lines.append(
            f"fair baseline: {hops['hops']} hops, as the pipeline applied"
            f" {hops['pipeline_records_applied_per_case']} records per case over"
            f" {hops['cases']:,} cases in this run"
        )
    if baseline:
        lines += [
            f"baseline sustained: {baseline['sustained_rate']:g} cases/s"
            f" ({baseline['sustained_throughout']:g} with no lower rate failing)"
            f" (capacity {_capacity(baseline)})",
            f"ratio pipeline/baseline: {ratio['sustained_rate']} by sustained rate"
            f" ({ratio['sustained_throughout']} with no lower rate failing; as fine as the rate"
            f" ladder), {ratio['capacity']} by capacity"
            f" [target: at least {TARGETS['ratio']}]",
        ]
    lines += ["end to end, from each case's scheduled send to case-closed observed:"]
    lines += _steps_table(data)
    lines += ["pipeline stages (ce_time deltas; delivery = case-closed stamped -> observed):"]
    lines.append(_stages(pipeline))
    cost = data.get("cost_growth")
    if cost:
        low, high = cost["levels"][0], cost["levels"][-1]
        lines.append(
            f"cost growth at {cost['rate']:g}/s: p99 {_ms(low['step']['end_to_end']['p99'])} ms"
            f" with {low['closed_before']:,} closed cases,"
            f" {_ms(high['step']['end_to_end']['p99'])} ms with {high['closed_before']:,};"
            f" ratio p99 {cost['p99_ratio']}, p50 {cost['p50_ratio']}, each step"
            f" {high['step']['cases']:,} cases"
            f" (seeding {high['seed_seconds']:.0f} s) [target: p99 ratio at most"
            f" {TARGETS['cost_p99_ratio']}]"
        )
        lines.append(
            f"  CPU per case: services and stand-ins {low['cpu_ms_per_case']} ->"
            f" {high['cpu_ms_per_case']} ms (ratio {cost['cpu_ratio']}), PostgreSQL"
            f" {low['postgres_cpu_ms_per_case']} -> {high['postgres_cpu_ms_per_case']} ms"
            f" (ratio {cost['postgres_cpu_ratio']})"
        )
        scans = high["step"]["table_scans"][:3]
        if scans:
            listed = ", ".join(f"{s['table']} {s['rows_read_per_case']:,}" for s in scans)
            lines.append(f"  rows read by whole-table scans per case at the top level: {listed}")
    idle = data.get("idle_cpu")
    if idle:
        listed = ", ".join(f"{k} {v}" for k, v in idle["ms_per_second"].items())
        lines.append(
            f"idle CPU, ms per second over {idle['seconds']:g} s with no cases: {listed}"
            f" [target: at most {TARGETS['idle_ms_per_second']} per service process]"
        )
    memory = data["memory"]
    lines.append(f"peak RSS (VmHWM) pipeline {_memory(memory['pipeline'])}")
    if memory.get("baseline"):
        lines.append(f"peak RSS (VmHWM) baseline {_memory(memory['baseline'])}")
    ops, plain = data["replay"]["ops_rebuild"], data["replay"]["plain_read"]
    if ops["available"]:
        lines.append(
            f"replay, ops read model rebuild: {ops['events']:,} events in {ops['seconds']} s ="
            f" {ops['events_per_second']} events/s [target: at least"
            f" {TARGETS['rebuild_events_per_second']:,}]"
        )
    else:
        lines.append(f"replay, ops read model rebuild: not available ({ops['reason']})")
    lines.append(
        f"replay, plain read: {plain['events']:,} events at {plain['events_per_second']}"
        f" events/s ({plain['seconds']} s with connecting) [{plain['label']}]"
    )
    checker = data["checker"]
    lines.append(
        f"checker: {checker['steps_checked']} steps checked; lost {checker['lost']},"
        f" duplicate effects {checker['duplicate_effects']}, redeliveries"
        f" {checker['redeliveries']}, outbox pending {checker['outbox_pending']},"
        f" lag back to zero in {checker['steps_lag_back_to_zero']}/{checker['steps_checked']}"
    )
    lines.append(f"files: {data['files']['json']} and {data['files']['plot']}")
    return "\n".join(lines)
