"""Process, port and package helpers shared by the Kafka and PostgreSQL launchers."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

# Debian packages are installed by at most one thread at a time (apt holds a global lock anyway),
# and the package lists are refreshed once per process, not once per component.
_apt_lock = threading.Lock()
_apt_updated = False


class StackError(RuntimeError):
    """A local stack component could not be installed, started or stopped."""


def say(progress: Progress | None, message: str) -> None:
    """Log a progress message and pass it to the caller's callback, if any."""
    log.info("%s", message)
    if progress is not None:
        progress(message)


def port_from_env(variable: str, default: int) -> int:
    """Read a TCP port from the environment, falling back to the default."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65534:
        raise StackError(f"{variable}={raw!r} is not a TCP port number")
    return int(raw)


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether something accepts TCP connections on host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def is_root() -> bool:
    """Tell whether this process runs as root (and so may install Debian packages)."""
    return os.geteuid() == 0


def sha256_short(text: str, length: int = 12) -> str:
    """A short stable hex digest of a string, for folder names."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def apt_candidate(*names: str) -> str | None:
    """Return the first package name that Debian's lists can install, or None."""
    for name in names:
        result = subprocess.run(
            ["apt-cache", "policy", name], capture_output=True, text=True, check=False
        )
        for line in result.stdout.splitlines():
            key, _, value = line.strip().partition(":")
            if key == "Candidate" and value.strip() not in ("", "(none)"):
                return name
    return None


def apt_update(progress: Progress | None) -> None:
    """Refresh Debian's package lists once per process (apt-cache needs it too)."""
    global _apt_updated  # noqa: PLW0603  (one refresh per process is the point)
    with _apt_lock:
        if _apt_updated:
            return
        say(progress, "apt-get update")
        run_checked(["apt-get", "update"], "apt-get update")
        _apt_updated = True


def apt_install(packages: list[str], progress: Progress | None) -> None:
    """Install Debian packages non-interactively (the caller checked that we are root)."""
    apt_update(progress)
    with _apt_lock:
        say(progress, f"apt-get install -y {' '.join(packages)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run_checked(["apt-get", "install", "-y", *packages], "apt-get install", env=env)


def ensure_npm(progress: Progress | None, *, needed_for: str) -> None:
    """Make sure npm is on PATH: Debian's Node.js and npm when we are root, else say how."""
    if shutil.which("npm"):
        return
    if not is_root():
        raise StackError(f"{needed_for} needs Node.js and npm: sudo apt-get install npm")
    apt_install(["nodejs", "npm"], progress)


def run_checked(
    cmd: list[str],
    what: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    given: str | None = None,
) -> str:
    """Run a command to completion; on failure raise StackError with the end of its output.

    `given` is its standard input (what must not be on a command line); else it has none.
    """
    if shutil.which(cmd[0]) is None and not Path(cmd[0]).is_file():
        raise StackError(f"{what}: {cmd[0]} is not installed")
    # No stdin unless given: nothing run here may stop to ask a question.
    result = subprocess.run(
        cmd,
        input=given,
        stdin=subprocess.DEVNULL if given is None else None,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-30:])
        raise StackError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return output


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, or a note that it does not exist."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file, so two processes never start one component twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cmdline(pid: int) -> list[str]:
    """The argument vector of a running process, or [] if it is gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def pid_alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may itself hold spaces.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def wait_reaped(pid: int, timeout: float) -> bool:
    """Wait until a dead process's zombie is reaped; True when its pid is gone or alive again."""
    # Some init processes (this sandbox's, minimal container inits) reap orphans only now and then;
    # until they do, kill(pid, 0) still succeeds and servers take the zombie for a live owner.
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and not pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def find_pids(match: Callable[[list[str]], bool]) -> list[int]:
    """Pids of live processes whose argument vector satisfies match."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            args = cmdline(int(entry.name))
            if args and match(args):
                found.append(int(entry.name))
    return [pid for pid in found if pid_alive(pid)]


def read_pid(path: Path) -> int | None:
    """The pid stored in the first line of a pid file, if any."""
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def spawn_detached(cmd: list[str], log_file: Path, cwd: Path) -> int:
    """Start a long-running server in its own session with output to log_file; return its pid."""
    # sh starts the server in the background and exits at once, so the server is re-parented to
    # init: it outlives this Python process and leaves no zombie or Popen object behind here.
    # In dash a backgrounded simple command is exec'ed in the forked child, so $! is its pid.
    script = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
    result = subprocess.run(
        ["sh", "-c", script, "sh", str(log_file), *cmd],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        start_new_session=True,
    )
    pid = result.stdout.strip()
    if result.returncode != 0 or not pid.isdigit():
        raise StackError(f"could not start {cmd[0]}: {result.stderr.strip()}")
    return int(pid)


def terminate(pid: int, grace_seconds: float) -> None:
    """SIGTERM one process, wait for it to exit, then SIGKILL it if it is still there."""
    terminate_all([pid], grace_seconds)


def terminate_all(pids: Sequence[int], grace_seconds: float) -> None:
    """SIGTERM every process at once, wait for them together, then SIGKILL any still there.

    Together, so a cluster's nodes shut down in one grace period rather than one each.
    """
    alive = list(pids)
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 10.0)):
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if pid_alive(pid)]
            time.sleep(0.1)
        alive = [pid for pid in alive if pid_alive(pid)]
        if not alive:
            return
        if sig == signal.SIGTERM:
            log.warning("pids %s ignored SIGTERM for %.0f s, sending SIGKILL", alive, grace_seconds)
    raise StackError(f"pids {alive} survived SIGKILL")
