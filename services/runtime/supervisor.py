"""Service processes started and stopped from Python: for the demo and the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


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
