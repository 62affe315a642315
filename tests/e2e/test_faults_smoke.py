"""The fault suite's smoke, as an operator runs it: `csods faults --smoke` on a three-broker
stack of its own, every fault once, and its record says nothing was lost or done twice."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from bench.faults.kinds import FAULTS
from deploy.local import issuer, kafka, postgres
from deploy.local.common import port_accepts


def free_ports(count: int) -> int:
    """The first of `count` free ports in a row."""
    for _ in range(200):
        base = random.randrange(30_000, 40_000, count)
        if not any(port_accepts(port) for port in range(base, base + count)):
            return base
    raise AssertionError(f"no {count} free ports in a row")


def test_every_fault_once_leaves_every_case_closed_once(tmp_path: Path) -> None:
    base = free_ports(12)  # three brokers of three ports each, the database, the issuer
    env = {
        **os.environ,
        kafka.PORT_VARIABLE: str(base),
        postgres.PORT_VARIABLE: str(base + 9),
        issuer.PORT_VARIABLE: str(base + 10),
    }
    results = tmp_path / "results"
    command = [sys.executable, "-m", "services", "faults", "--smoke", "--brokers", "3"]
    command += ["--state", str(tmp_path / "stack")]  # a stack of its own, then stopped
    done = subprocess.run(
        [*command, "--results-dir", str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (record,) = results.glob("faults-*-smoke.json")
    document = json.loads(record.read_text())
    assert document["brokers"] == 3
    by_name = {result["fault"]: result for result in document["faults"]}
    assert list(by_name) == [fault.name for fault in FAULTS]
    for name, result in by_name.items():
        assert result["passed"], name
        assert result["cases"] > 0, name
        assert result["closed"] == result["cases"], name
        assert result["lost"] == 0, name
        assert result["duplicate_effects"] == 0, name
        assert result["outbox_left"] == 0, name
        assert result["lag"] == 0, name
        assert result["events"], f"{name}: the fault did nothing"
        assert result["recovered_after_s"] is not None, name
    assert by_name["one-broker-down"]["writes_refused"] == 0
    assert "| sigkill-random " in done.stdout.replace("│", "|")
