"""The bench harness runs end to end at tiny rates and writes every figure; no timing asserted."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

from bench.config import RESULTS, SMOKE, BenchConfig
from bench.harness import run_bench
from bench.report import plain
from services.catalogue import SERVICES
from tests.support.stack import FoundStack

LATENCY_POINTS = ("count", "missing", "p50", "p99", "p999", "max", "mean")


def assert_latency(latency: dict[str, Any]) -> None:
    assert set(LATENCY_POINTS) <= set(latency)
    assert latency["count"] > 0
    assert latency["missing"] == 0
    for point in ("p50", "p99", "p999"):
        assert isinstance(latency[point], int | float)


def assert_sweep(sweep: dict[str, Any], stages: list[str]) -> None:
    assert [step["rate"] for step in sweep["steps"]] == sorted(SMOKE.rates)
    for step in sweep["steps"]:
        assert step["cases"] == round(step["rate"] * SMOKE.duration)
        assert_latency(step["end_to_end"])
        assert list(step["stages"]) == [*stages, "delivery"]
        for latency in step["stages"].values():
            assert_latency(latency)
        verdict = step["verdict"]
        assert verdict["ran"]
        assert verdict["lost"] == 0
        assert verdict["duplicate_effects"] == 0
        assert verdict["lag_zero"]
        assert step["counted"]
        assert isinstance(step["cpu"]["ms_per_case"], dict)
    assert isinstance(sweep["sustained_rate"], int | float)
    assert isinstance(sweep["sustained_throughout"], int | float)
    assert sweep["memory_kib"]
    assert all(values["VmHWM"] > 0 for values in sweep["memory_kib"].values())


def test_the_smoke_bench_writes_every_figure_and_loses_nothing(
    stack: FoundStack, tenant: str, tmp_path: Path
) -> None:
    config = dataclasses.replace(
        SMOKE, tenant=tenant, results_dir=tmp_path / "results", log_dir=tmp_path / "logs"
    )

    outcome = asyncio.run(
        run_bench(
            config,
            bootstrap=stack.kafka_bootstrap,
            server_url=stack.database_url,
            say=lambda _: None,
        )
    )

    data = json.loads(outcome.json_path.read_text())
    assert data == outcome.document
    assert outcome.plot_path.read_bytes().startswith(b"\x89PNG")
    assert data["smoke"] is True
    for fact in ("nproc", "memory_gib", "cpu_model", "python", "kafka", "postgresql"):
        assert data["machine"][fact], fact

    assert_sweep(data["pipeline"], list(SERVICES))
    assert set(SERVICES) <= set(data["memory"]["pipeline"]["kib"])  # and the stand-ins
    # The fair baseline makes as many hops as the pipeline applied records per case: more
    # than one per service, since the checks ask stand-ins and hear back.
    # Each pipeline process's idle CPU is measured, a figure per process.
    idle = data["idle_cpu"]["ms_per_second"]
    assert set(SERVICES) <= set(idle)
    assert all(value >= 0 for value in idle.values())
    hops = data["baseline_hops"]
    assert hops["hops"] == round(hops["pipeline_records_applied_per_case"])
    assert hops["hops"] > len([s for s in SERVICES if s != "ops"])
    assert {"intake", "checks", "multiagency", "disclosure", "pnc"} <= set(hops["per_process"])
    assert "ops" not in hops["per_process"]
    assert_sweep(data["baseline"], [f"hop{hop}" for hop in range(1, hops["hops"] + 1)])
    ratios = {"sustained_rate", "sustained_throughout", "capacity"}
    assert set(data["ratio_pipeline_to_baseline"]) == ratios

    cost = data["cost_growth"]
    assert [level["closed_before"] for level in cost["levels"]] == list(SMOKE.cost_levels)
    assert all(level["warmup_cases"] == SMOKE.warmup_cases for level in cost["levels"])
    assert all(level["step"]["counted"] for level in cost["levels"])
    assert isinstance(cost["p99_ratio"], int | float)
    assert cost["levels"][-1]["seeded_rows"]["intake.enquiries"] > 0

    plain = data["replay"]["plain_read"]
    assert plain["events"] > 0
    assert isinstance(plain["events_per_second"], int | float)
    # The ops projection is used when present; either way the figure says which it is.
    assert isinstance(data["replay"]["ops_rebuild"]["available"], bool)

    checker = data["checker"]
    assert checker["ran"]
    assert checker["steps_checked"] == 2 * len(SMOKE.rates) + len(SMOKE.cost_levels)
    assert checker["lost"] == 0
    assert checker["duplicate_effects"] == 0
    assert checker["steps_lag_back_to_zero"] == checker["steps_checked"]
    assert "pipeline sustained" in outcome.summary


def test_results_record_paths_from_the_project_root_not_the_machine() -> None:
    recorded = plain({"config": BenchConfig(), "file": RESULTS / "20261122T000000Z.json"})

    assert recorded["config"]["results_dir"] == "bench/results"
    assert recorded["file"] == "bench/results/20261122T000000Z.json"
