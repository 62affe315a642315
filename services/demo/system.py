"""The whole system on one machine: each force's four services and every stand-in."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from deploy.local import stack
from services.access.grants import Agency, Deployment
from services.access.operator import provision_deployment
from services.runtime.supervisor import ServiceProcess, Supervisor

# The four forces of the 2009 pilot (press release note 2; circular 1.2).
PILOT_FORCES: tuple[str, ...] = ("warwickshire", "cleveland", "hampshire", "cambridgeshire")
# Each force's probation region (services/multiagency/areas.py holds the same map).
PROBATION: Mapping[str, str] = {
    "warwickshire": "probation-west-midlands",
    "cleveland": "probation-north-east",
    "hampshire": "probation-south-central",
    "cambridgeshire": "probation-east-of-england",
}
WITH_HTTP = frozenset({"intake", "multiagency", "disclosure", "ops"})
# A force's people's front doors: web processes in front of its services (architecture §7).
WEB = ("casework", "portal")

Say = Callable[[str], None]


def bring_up(
    console: Console, provisioned: Deployment, what: str
) -> tuple[Say, stack.StackAddresses, list[str]]:
    """Start the local stack and provision `provisioned` on it (the broker refuses whatever
    is not provisioned: topics, principals, ACLs); return how to say progress, the stack's
    addresses and the components this call started."""

    def say(text: str) -> None:
        console.print(f"[dim]{text}[/dim]")

    addresses, started = stack.up(progress=say)
    made, logins = provision_deployment(provisioned)
    say(
        f"provisioned {what}: {made.principals} principals, {made.acls} ACLs, "
        f"{logins} database logins"
    )
    return say, addresses, started


@dataclass(frozen=True)
class Part:
    """One process of the system: a runnable name serving one tenant."""

    name: str
    tenant: str

    @property
    def label(self) -> str:
        """How progress and logs name it."""
        return f"{self.name}@{self.tenant}"


def plan(forces: Iterable[str] = PILOT_FORCES) -> list[Part]:
    """Every process the forces need: their services, national systems, agencies."""
    chosen = list(forces)
    parts = [
        Part(service, force)
        for force in chosen
        for service in ("intake", "checks", "multiagency", "disclosure", "ops")
    ]
    parts += [Part(system, system) for system in ("pnc", "visor", "ini")]
    parts += [Part("local-intelligence", f"{force}-intel") for force in chosen]
    parts += [Part("childrens-social-care", f"csc-{force}") for force in chosen]
    parts += [Part("probation", region) for region in sorted({PROBATION[f] for f in chosen})]
    parts += [Part(web, force) for force in chosen for web in WEB]  # after the services
    return parts


def deployment(forces: Iterable[str] = PILOT_FORCES) -> Deployment:
    """The tenants of a plan, for provisioning: each agency serves the forces of its area."""
    chosen = tuple(forces)
    agencies = [Agency(system, system) for system in ("pnc", "visor", "ini")]
    agencies += [Agency(f"{force}-intel", "local-intelligence", (force,)) for force in chosen]
    agencies += [Agency(f"csc-{force}", "childrens-social-care", (force,)) for force in chosen]
    regions = sorted({PROBATION[force] for force in chosen if force in PROBATION})
    agencies += [
        Agency(region, "probation", tuple(f for f in chosen if PROBATION.get(f) == region))
        for region in regions
    ]
    return Deployment(chosen, tuple(agencies))


# Below Linux's ephemeral range (32768-60999), which every outgoing connection draws from:
# a port picked there can be taken by some client's connection before its server binds it.
_PORT_RANGE = (20_000, 32_000)
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nobody listens on now, outside the ephemeral range, never handed out twice."""
    for _ in range(1000):
        port = random.randrange(*_PORT_RANGE)  # noqa: S311 - a port, not a secret
        if port in _HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORT_RANGE[0]}-{_PORT_RANGE[1]}")


@dataclass
class LocalSystem:
    """Starts, watches and stops the processes of a plan."""

    parts: list[Part]
    env: Mapping[str, str]
    log_dir: Path
    processes: dict[Part, ServiceProcess] = field(default_factory=dict)
    ports: dict[tuple[str, str], int] = field(default_factory=dict)
    supervisor: Supervisor | None = None

    def start(
        self,
        *,
        stalled_after: float = 180.0,
        on_ready: Callable[[Part], None] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """Start every part, then wait until each has its subscribers running.

        The wait is bounded by progress, not by a total: it gives up only when no part has
        become ready for `stalled_after` seconds (a slow machine takes longer, not forever).
        """
        for part in self.parts:
            extra: dict[str, str] = {}
            command: tuple[str, ...] = ()
            if part.name in WITH_HTTP or part.name in WEB:
                port = free_port()
                self.ports[(part.name, part.tenant)] = port
                extra["CSODS_HTTP_PORT"] = str(port)
            if part.name in WEB:
                command = (part.name, "serve", "--force", part.tenant, "--port", str(port))
                extra |= {
                    f"CSODS_CASEWORK_{service.upper()}_URL": self.url(service, part.tenant)
                    for service in ("intake", "multiagency", "disclosure", "ops")
                }
            process = ServiceProcess(
                part.name,
                part.tenant,
                self.log_dir / f"{part.label}.log",
                {**self.env, **extra},
                command=command,
            )
            process.start()
            self.processes[part] = process
        progressed = time.monotonic()
        for part, process in self.processes.items():
            left = progressed + stalled_after - time.monotonic()
            process.wait_for_event("service_ready", timeout=max(1.0, left))
            progressed = time.monotonic()
            if on_ready is not None:
                on_ready(part)
        # From now on a process that dies is started again, as an orchestrator would.
        self.supervisor = Supervisor(
            {part.label: process for part, process in self.processes.items()},
            say=say or (lambda _text: None),
        )
        self.supervisor.start()

    def url(self, service: str, force: str) -> str:
        """The base URL of a force's service API."""
        return f"http://127.0.0.1:{self.ports[(service, force)]}"

    def dead(self) -> list[Part]:
        """Parts whose process has exited."""
        return [part for part, process in self.processes.items() if not process.running]

    def stop(self) -> None:
        """SIGTERM every process, then wait for each."""
        if self.supervisor is not None:
            self.supervisor.stop()  # stopped on purpose: not to be started again
        for process in self.processes.values():
            if process.running:
                process.stop(timeout=30)
