"""Service processes started and stopped from Python: for the demo and the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol


def terminate(process: subprocess.Popen[bytes] | None, *, timeout: float) -> int | None:
    """SIGTERM a child, then SIGKILL if it does not stop in time; its exit code (None: none)."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@dataclass
class ServiceProcess:
    """One service of one tenant running as its own OS process, logging JSON to a file."""

    service: str
    tenant: str
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    # The `csods` command it runs, when it is not a service (`run SERVICE --tenant TENANT`):
    # the staff application and the public form are web processes of their own.
    command: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    _log_start: int = 0  # events before this offset belong to an earlier run

    def start(self) -> None:
        """Start the process; its logs go to `log_path`."""
        if self.running:
            raise RuntimeError(f"{self.service} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log_start = self._log.tell()
        environment = {**os.environ, **self.env, "CSODS_LOG_JSON": "true"}
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services",
                *(self.command or ("run", self.service, "--tenant", self.tenant)),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The process id."""
        if self._process is None:
            raise RuntimeError(f"{self.service} was never started")
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code, once exited."""
        return None if self._process is None else self._process.poll()

    def events(self) -> list[dict[str, Any]]:
        """The JSON log events this run wrote so far (non-JSON lines are skipped)."""
        if not self.log_path.exists():
            return []
        with self.log_path.open("rb") as log_file:
            log_file.seek(self._log_start)
            text = log_file.read().decode(errors="replace")
        found = []
        for line in text.splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def wait_for_event(self, name: str, *, timeout: float = 60.0, count: int = 1) -> None:
        """Block until the log holds `count` events called `name`, or fail with the log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for event in self.events() if event.get("event") == name) >= count:
                return
            if self._process is not None and self._process.poll() is not None and name != "exit":
                break
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace").splitlines()[-30:]
        raise TimeoutError(f"{self.service}: no {name!r} event; log tail:\n" + "\n".join(tail))

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop in time; return the exit code."""
        code = terminate(self._process, timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def kill(self) -> None:
        """SIGKILL: the process dies without any chance to clean up."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


class Supervised(Protocol):
    """What a supervisor needs of a process: whether it runs, how it ended, a way to start."""

    @property
    def running(self) -> bool:
        """Whether the process is alive."""

    @property
    def returncode(self) -> int | None:
        """Its exit code, once exited."""

    def start(self) -> None:
        """Start it (again)."""


class Supervisor:
    """Starts again any process that exits while it watches, as an orchestrator would; a
    process that keeps dying is given up after `budget` restarts within `window` seconds."""

    def __init__(
        self,
        processes: Mapping[str, Supervised],
        *,
        say: Callable[[str], None],
        every: float = 1.0,
        budget: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._processes = processes
        self._say = say
        self._every = every
        self._budget = budget
        self._window = window
        self._clock = clock
        self._restarts: dict[str, list[float]] = {}
        self.given_up: set[str] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> list[str]:
        """Start again each process found dead; the names started."""
        started = []
        now = self._clock()
        for name, process in self._processes.items():
            if process.running or name in self.given_up or process.returncode is None:
                continue
            recent = [at for at in self._restarts.get(name, []) if now - at < self._window]
            if len(recent) >= self._budget:
                self.given_up.add(name)
                times = len(recent) + 1
                self._say(f"{name} exited {times} times in {self._window:.0f} s: left down")
                continue
            code = process.returncode
            process.start()
            self._restarts[name] = [*recent, now]
            started.append(name)
            self._say(f"{name} exited (code {code}); started again")
        return started

    def restarted(self) -> dict[str, int]:
        """How many times each process was started again (none: absent)."""
        return {name: len(times) for name, times in self._restarts.items() if times}

    def start(self) -> None:
        """Watch in a thread of its own until stopped."""

        def watch() -> None:
            while not self._stopping.wait(self._every):
                self.check()

        self._thread = threading.Thread(target=watch, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the processes are stopped on purpose)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
