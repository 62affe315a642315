"""A process that exits is started again; one that keeps dying is left down and said so."""

from __future__ import annotations

from services.runtime.supervisor import Supervisor


class Process:
    def __init__(self) -> None:
        self.running = True
        self.returncode: int | None = None
        self.starts = 0

    def die(self, code: int) -> None:
        self.running, self.returncode = False, code

    def start(self) -> None:
        self.running, self.returncode = True, None
        self.starts += 1


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_process_that_exits_is_started_again_and_said() -> None:
    said: list[str] = []
    intake, checks = Process(), Process()
    supervisor = Supervisor({"intake@a": intake, "checks@a": checks}, say=said.append)

    assert supervisor.check() == []
    intake.die(-9)
    assert supervisor.check() == ["intake@a"]

    assert intake.running
    assert checks.starts == 0
    assert said == ["intake@a exited (code -9); started again"]
    assert supervisor.restarted() == {"intake@a": 1}


def test_a_process_that_keeps_dying_is_left_down_after_its_budget() -> None:
    said: list[str] = []
    clock = Clock()
    ops = Process()
    supervisor = Supervisor({"ops@a": ops}, say=said.append, budget=2, window=60.0, clock=clock)
    for _ in range(3):
        ops.die(1)
        supervisor.check()
        clock.now += 1.0

    assert ops.starts == 2
    assert not ops.running
    assert supervisor.given_up == {"ops@a"}
    assert said[-1] == "ops@a exited 3 times in 60 s: left down"


def test_restarts_long_ago_do_not_count_against_the_budget() -> None:
    clock = Clock()
    ops = Process()
    supervisor = Supervisor({"ops@a": ops}, say=lambda _: None, budget=1, window=60.0, clock=clock)
    ops.die(1)
    supervisor.check()
    clock.now += 61.0
    ops.die(1)

    assert supervisor.check() == ["ops@a"]
    assert supervisor.given_up == set()
