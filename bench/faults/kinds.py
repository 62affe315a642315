"""The faults, one at a time: what each does to the running system, and when it clears.

Each fault acts while the load is offered and returns once it has cleared (every process it
killed is started again, as a supervisor would, unless the fault is that one stays dead).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.steps import Say, Target
from deploy.local import kafka, postgres
from services.runtime.supervisor import ServiceProcess


@dataclass(frozen=True)
class Pace:
    """How long faults last: a full run's, or the smoke's few seconds."""

    window: float  # seconds the load is offered
    kill_gap: tuple[float, float]  # seconds between random kills
    broker_down: float  # one of three brokers down
    stand_in_retry: float  # the checks' first wait before they ask a silent system again
    stand_in_absent: float  # how long the stand-in stays away: several of those waits
    outage: float  # seconds the whole broker or the database stays down


FULL = Pace(
    window=60.0,
    kill_gap=(3.0, 8.0),
    broker_down=60.0,
    stand_in_retry=2.0,
    stand_in_absent=30.0,
    outage=10.0,
)
SMOKE = Pace(
    window=12.0,
    kill_gap=(2.0, 4.0),
    broker_down=10.0,
    stand_in_retry=1.0,
    stand_in_absent=8.0,
    outage=3.0,
)


@dataclass
class Scene:
    """A fault's view of the system under load: its processes, the stack, the clock."""

    target: Target
    root: Path  # the stack's state: its brokers and its database server
    pace: Pace
    window: float  # seconds the load is offered while this fault acts
    rng: random.Random
    say: Say
    service_env: Mapping[str, str]
    log_dir: Path
    began: float = field(default_factory=time.time)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def members(self) -> dict[str, ServiceProcess]:
        """The services and stand-ins running, by name."""
        found = self.target.processes.members
        return {name: p for name, p in found.items() if isinstance(p, ServiceProcess)}

    def note(self, what: str) -> None:
        """Record what the fault did, seconds after the load began."""
        at = round(time.time() - self.began, 1)
        self.events.append({"at_s": at, "what": what})
        self.say(f"  +{at:5.1f}s {what}")

    async def until(self, fraction: float) -> None:
        """Sleep until `fraction` of the load window has passed."""
        await asyncio.sleep(max(0.0, self.began + fraction * self.window - time.time()))

    async def kill(self, name: str) -> int:
        """SIGKILL one process (no warning, no cleanup); its pid."""
        process = self.members[name]
        pid = process.pid
        await asyncio.to_thread(process.kill)
        return pid

    async def kill_and_restart(self, name: str) -> None:
        """SIGKILL one process, then start it again at once, as its supervisor would."""
        pid = await self.kill(name)
        self.note(f"SIGKILL {name} (pid {pid}); restarted")
        self.members[name].start()


Act = Callable[[Scene], Awaitable[None]]
Prepare = Callable[[Scene], Awaitable[None]]


@dataclass(frozen=True)
class Fault:
    """One fault: its name, what it does, what it needs and the act itself."""

    name: str
    what: str
    act: Act
    brokers: int = 1  # the fewest brokers the fault makes sense on
    env: Callable[[Pace], Mapping[str, str]] = lambda _pace: {}
    prepare: Prepare | None = None
    # Only a fault that takes every broker away may make the broker refuse a write.
    writes_may_fail: bool = False
    # The load lasts the pace's window, or longer where the fault itself lasts longer.
    window: Callable[[Pace], float] = lambda pace: pace.window


async def _random_kills(scene: Scene) -> None:
    end = scene.began + scene.window
    while True:
        await asyncio.sleep(scene.rng.uniform(*scene.pace.kill_gap))
        if time.time() >= end:
            return
        await scene.kill_and_restart(scene.rng.choice(sorted(scene.members)))


REPLICA = "checks-2"


async def _second_replica(scene: Scene) -> None:
    tenant = scene.target.chain.tenant
    replica = ServiceProcess(
        "checks", tenant, scene.log_dir / f"{tenant}-{REPLICA}.log", scene.service_env
    )
    replica.start()
    scene.target.processes.members[REPLICA] = replica
    await asyncio.to_thread(replica.wait_for_event, "service_ready", timeout=90.0)
    scene.note("a second checks replica joined the group")


async def _replica_killed(scene: Scene) -> None:
    await scene.until(1 / 3)
    pid = await scene.kill("checks")
    scene.note(f"SIGKILL checks replica 1 (pid {pid}); not restarted")


def _kill_nodes(scene: Scene, nodes: list[int]) -> None:
    pids = kafka.running_pids(scene.root)
    for node in nodes:
        pid = pids.get(node)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            scene.note(f"kill -9 broker node {node} (pid {pid})")


async def _brokers_killed(scene: Scene) -> None:
    await scene.until(1 / 3)
    _kill_nodes(scene, list(kafka.running_pids(scene.root)))
    await asyncio.sleep(scene.pace.outage)
    await asyncio.to_thread(kafka.start, scene.root)
    scene.note("every broker started again and the cluster is whole")


async def _one_broker_down(scene: Scene) -> None:
    await scene.until(1 / 4)
    _kill_nodes(scene, [scene.rng.choice(sorted(kafka.running_pids(scene.root)))])
    await asyncio.sleep(scene.pace.broker_down)
    await asyncio.to_thread(kafka.start, scene.root)
    scene.note("the node started again and the cluster is whole")


async def _database_crashed(scene: Scene) -> None:
    await scene.until(1 / 3)
    await asyncio.to_thread(postgres.stop, scene.root, immediate=True)
    scene.note("PostgreSQL stopped with -m immediate")
    await asyncio.sleep(scene.pace.outage)
    await asyncio.to_thread(postgres.start, scene.root)
    scene.note("PostgreSQL started (recovered from its WAL)")


async def _stand_in_absent(scene: Scene) -> None:
    await scene.until(1 / 4)
    pid = await scene.kill("pnc")
    scene.note(f"SIGKILL the PNC stand-in (pid {pid}), away for {scene.pace.stand_in_absent:g} s")
    await asyncio.sleep(scene.pace.stand_in_absent)
    scene.members["pnc"].start()
    scene.note("the PNC stand-in started again")


def _short_waits(pace: Pace) -> Mapping[str, str]:
    # The checks ask a silent system again after the retry wait, doubling it each time, until
    # the stage's answer wait ends (hours in production, 5.1.13). The stand-in stays away for
    # several retries and comes back before that end: every case then completes as usual.
    # Past that end a stage completes with the system 'unavailable' and the case goes to its
    # forum, where a person decides (5.4.4): not a fault, and the suite decides for nobody.
    return {
        "CSODS_CHECKS_RETRY_SECONDS": str(pace.stand_in_retry),
        "CSODS_CHECKS_ANSWER_WAIT_SECONDS": str(pace.stand_in_absent * 6),
        "CSODS_CHECKS_SWEEP_SECONDS": "1",
    }


FAULTS: tuple[Fault, ...] = (
    Fault(
        "sigkill-random",
        "SIGKILL of a random service or stand-in every few seconds, each restarted",
        _random_kills,
    ),
    Fault(
        "replica-killed",
        "two checks replicas in one group; one SIGKILLed and left dead",
        _replica_killed,
        prepare=_second_replica,
    ),
    Fault(
        "brokers-kill-9",
        "kill -9 of every broker, then started again",
        _brokers_killed,
        writes_may_fail=True,
    ),
    Fault(
        "one-broker-down",
        "one broker of three down under load, then started again",
        _one_broker_down,
        brokers=3,
        window=lambda pace: max(pace.window, pace.broker_down * 1.5),
    ),
    Fault(
        "postgres-immediate",
        "PostgreSQL stopped with -m immediate, then started",
        _database_crashed,
    ),
    Fault(
        "stand-in-absent",
        "the PNC stand-in gone for several of the checks' waits, asked again meanwhile",
        _stand_in_absent,
        env=_short_waits,
        window=lambda pace: max(pace.window, pace.stand_in_absent * 1.5),
    ),
)


def chosen(names: list[str] | None) -> tuple[Fault, ...]:
    """The faults named (all when none are), in the suite's order."""
    if not names:
        return FAULTS
    known = {fault.name: fault for fault in FAULTS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"no such fault {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(fault for fault in FAULTS if fault.name in names)
