"""The local stack's identity provider (services/identity): one issuer per force, over TLS.

Started and stopped with the broker and the database. Its keys and directory secret live in
``<secrets>/issuer/``; its certificate is signed by the stack's authority, so services check
it like any other server of the stack. A force's issuer is ``https://127.0.0.1:<port>/realms/
<force>``, which the services find through CSODS_STAFF_ISSUER (a template with ``{tenant}``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.local import certificates
from deploy.local.common import (
    Progress,
    StackError,
    cmdline,
    file_lock,
    log_tail,
    pid_alive,
    port_accepts,
    port_from_env,
    read_pid,
    say,
)
from deploy.local.secrets import secrets_dir

DEFAULT_PORT = 19443
PORT_VARIABLE = "CSODS_STACK_ISSUER_PORT"
IDENTITY = "issuer"
START_TIMEOUT = 30.0


def port() -> int:
    return port_from_env(PORT_VARIABLE, DEFAULT_PORT)


def base_url() -> str:
    return f"https://127.0.0.1:{port()}"


def issuer_template() -> str:
    """Every force's issuer, as the services' CSODS_STAFF_ISSUER takes it."""
    return f"{base_url()}/realms/{{tenant}}"


def folder(root: Path) -> Path:
    """Where the issuer keeps its keys and its directory's secret."""
    return secrets_dir(root) / IDENTITY


def _state(root: Path) -> Path:
    path = root / ".stack" / "issuer"
    path.mkdir(parents=True, exist_ok=True)
    return path


def running_pid(root: Path) -> int | None:
    """The issuer's pid when this project's one runs."""
    pid = read_pid(_state(root) / "issuer.pid")
    if pid is None or not pid_alive(pid):
        return None
    return pid if "services.identity" in " ".join(cmdline(pid)) else None


def start(root: Path, progress: Progress | None = None) -> bool:
    """Start the issuer unless it runs; True when this call started it."""
    state = _state(root)
    with file_lock(state / ".lock"):
        if running_pid(root) is not None:
            say(progress, f"issuer: already running on {base_url()}")
            return False
        if port_accepts(port()):
            raise StackError(
                f"port {port()} is already in use by another process; stop it or set "
                f"{PORT_VARIABLE}"
            )
        top = secrets_dir(root)
        issued = certificates.server(folder(root), IDENTITY, certificates.authority(top))
        log = state / "issuer.log"
        command = [sys.executable, "-m", "services.identity", "--port", str(port())]
        command += ["--folder", str(folder(root)), "--certificate", str(issued.chain)]
        command += ["--key", str(issued.key)]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=root,
                start_new_session=True,
                env={**os.environ, "PYTHONPATH": str(root)},
            )
        (state / "issuer.pid").write_text(f"{process.pid}\n")
        deadline = time.monotonic() + START_TIMEOUT
        while not port_accepts(port()):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise StackError(f"the issuer did not start; end of {log}:\n{log_tail(log)}")
            time.sleep(0.1)
        say(progress, f"issuer: ready (pid {process.pid}) on {base_url()}")
        return True


def stop(root: Path, progress: Progress | None = None) -> bool:
    """Stop the issuer; True when one was running."""
    pid = running_pid(root)
    if pid is None:
        return False
    say(progress, f"issuer: stopping (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def status(root: Path) -> tuple[int | None, str]:
    return running_pid(root), f"keys in {folder(root)}, log {_state(root) / 'issuer.log'}"
