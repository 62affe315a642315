"""Where the CPU went during a step: each process under test, the harness, the whole machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
HARNESS = "harness"


def process_seconds(pid: int) -> float | None:
    """User plus system CPU seconds a live process has used."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        text = Path(f"/proc/{pid}/stat").read_text()
        # The command name may hold spaces: fields are counted after its closing parenthesis.
        fields = text.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    return None


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine since boot (idle and iowait not busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])  # guest time is already inside user time
    return total - values[3] - values[4], total


@dataclass
class CpuMeter:
    """CPU used between `start` and `stop` by named processes and by the machine."""

    pids: Mapping[str, Sequence[int]]
    _before: dict[str, float] = field(default_factory=dict)
    _machine: tuple[int, int] = (0, 0)

    def start(self) -> None:
        """Note the counters now."""
        self._before = self._sample()
        self._machine = machine_ticks()

    def stop(self, *, cases: int) -> dict[str, object]:
        """CPU milliseconds per case of each process, and how busy the machine was."""
        after = self._sample()
        busy, total = machine_ticks()
        per_case = {
            name: round((after[name] - before) * 1000 / max(cases, 1), 3)
            for name, before in self._before.items()
            if name in after
        }
        spent = total - self._machine[1]
        return {
            "ms_per_case": per_case,
            "machine_busy": round((busy - self._machine[0]) / spent, 3) if spent else None,
            "load_average": Path("/proc/loadavg").read_text().split()[:3],
        }

    def _sample(self) -> dict[str, float]:
        found = {HARNESS: sum(os.times()[:2])}
        for name, group in self.pids.items():
            seconds = [process_seconds(pid) for pid in group]
            # A process that exited in between takes its CPU with it: count what is left.
            found[name] = sum(value for value in seconds if value is not None)
        return found


async def idle_ms_per_second(pids: Mapping[str, int], *, seconds: float) -> dict[str, float]:
    """CPU milliseconds per second each process uses over `seconds` with no work sent."""
    before = {name: process_seconds(pid) for name, pid in pids.items()}
    await asyncio.sleep(seconds)
    after = {name: process_seconds(pid) for name, pid in pids.items()}
    return {
        name: round((spent - start) * 1000 / seconds, 2)
        for name, start in before.items()
        if start is not None and (spent := after.get(name)) is not None
    }
