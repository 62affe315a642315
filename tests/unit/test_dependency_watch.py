"""A dependency gone away is a warning after a few seconds, an error after a minute and every
minute after, each saying how long; its return is said once; a blip is not said at all."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from structlog.testing import capture_logs

from services.runtime.watch import DependencyWatch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def said(logs: list[MutableMapping[str, Any]]) -> list[tuple[str, str, float]]:
    return [(e["log_level"], e["event"], e["gone_seconds"]) for e in logs if "dependency" in e]


def probe_for(watch: DependencyWatch, clock: Clock, answers: list[bool]) -> None:
    for answered in answers:
        watch.observe("broker", answered=answered)
        clock.now += 2.0


def test_a_broker_gone_is_a_warning_then_an_error_each_minute_then_its_return() -> None:
    clock = Clock()
    watch = DependencyWatch({}, clock=clock)
    with capture_logs() as logs:
        probe_for(watch, clock, [False] * 64 + [True])  # probed every 2 s, back after 128 s

    assert said(logs) == [
        ("warning", "dependency_unreachable", 6.0),
        ("error", "dependency_unreachable", 66.0),
        ("error", "dependency_unreachable", 126.0),
        ("info", "dependency_back", 128.0),
    ]


def test_a_probe_failing_for_less_than_the_warning_says_nothing() -> None:
    clock = Clock()
    watch = DependencyWatch({}, clock=clock)
    with capture_logs() as logs:
        probe_for(watch, clock, [False, False, True, False, True])

    assert said(logs) == []
    assert watch.gone() == {}


def test_gone_tells_each_dependency_missing_and_for_how_long() -> None:
    clock = Clock()
    watch = DependencyWatch({}, clock=clock)
    watch.observe("database", answered=False)
    clock.now += 7.5
    watch.observe("broker", answered=True)
    assert watch.gone() == {"database": 7.5}
