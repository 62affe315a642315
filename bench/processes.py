"""The OS processes under test: the services of one tenant, or the baseline's hops."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from services.runtime.supervisor import ServiceProcess, terminate

HOP_READY = "hop_ready"


class Process(Protocol):
    """What the harness needs of a process: a name, a pid, a way to stop it."""

    @property
    def pid(self) -> int:
        """The process id."""

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """Stop it; return its exit code."""


@dataclass
class HopProcess:
    """One baseline hop in its own OS process, as each service is."""

    hop: int
    args: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        """Start the hop; it writes its readiness and failures to `log_path`."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline_hop", *self.args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        if self._process is None:
            raise RuntimeError(f"hop {self.hop} was never started")
        return self._process.pid

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Block until the hop says its partitions are assigned."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if HOP_READY in self.log_path.read_text(errors="replace"):
                return
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise TimeoutError(f"baseline hop {self.hop} not ready; log tail:\n{tail}")

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        code = terminate(self._process, timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


@dataclass
class ProcessSet:
    """Processes started together and stopped together, by name."""

    members: dict[str, Process] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every member (each by its own pid), all at the same time."""

        def stop_one(process: Process) -> None:
            with contextlib.suppress(Exception):
                process.stop(timeout=30)

        # Each waits for its own graceful shutdown; one after another would add them up.
        with ThreadPoolExecutor(max_workers=max(1, len(self.members))) as pool:
            list(pool.map(stop_one, self.members.values()))


def start_services(
    parts: Sequence[tuple[str, str]],
    *,
    env: Mapping[str, str],
    log_dir: Path,
    timeout: float = 90.0,
) -> ProcessSet:
    """Start services and stand-ins, (name, tenant) each, and wait until each one consumes."""
    started = ProcessSet()
    services: list[ServiceProcess] = []
    try:
        for name, tenant in parts:
            process = ServiceProcess(name, tenant, log_dir / f"{tenant}-{name}.log", env)
            process.start()
            started.members[name] = process
            services.append(process)
        for service in services:
            service.wait_for_event("service_ready", timeout=timeout)
    except BaseException:
        started.stop()
        raise
    return started


def start_hops(
    tenant: str,
    *,
    hops: int,
    env: Mapping[str, str],
    dsn: str,
    log_dir: Path,
    timeout: float = 60.0,
) -> ProcessSet:
    """Start the baseline's hops, one process each, and wait until each one consumes."""
    # `env` is a service process's client environment: each hop connects as its own principal.
    started = ProcessSet()
    try:
        each = []
        for hop in range(1, hops + 1):
            args = ["--dsn", dsn, "--tenant", tenant, "--hop", str(hop)]
            process = HopProcess(hop, args, log_dir / f"{tenant}-hop{hop}.log", env)
            process.start()
            started.members[f"hop{hop}"] = process
            each.append(process)
        for process in each:
            process.wait_ready(timeout=timeout)
    except BaseException:
        started.stop()
        raise
    return started


def reset_peak_memory(pid: int) -> bool:
    """Reset a process's peak resident size (VmHWM), so a step's peak is its own."""
    # Linux 4.0+: writing 5 to clear_refs resets the peak RSS; only our own children.
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS (resident now) of a process, in KiB."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = int(value.split()[0])
    return found
