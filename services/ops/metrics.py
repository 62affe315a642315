"""Prometheus metrics of the ops service, rendered fresh at each scrape from the read model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.ops.domain import STAGES
from services.ops.monitor import Snapshot
from services.ops.views import Board


class _Figures(Collector):
    """The figures of one scrape, already read."""

    def __init__(self, boards: Sequence[Board], snapshot: Snapshot, now: datetime) -> None:
        self._boards, self._snapshot, self._now = boards, snapshot, now

    def collect(self) -> Iterator[Metric]:
        cases = GaugeMetricFamily(
            "csods_ops_open_cases", "Open cases by stage.", labels=["force", "stage"]
        )
        at_risk = GaugeMetricFamily(
            "csods_ops_deadlines_at_risk", "Clocks within their warning lead.", labels=["force"]
        )
        escalations = GaugeMetricFamily(
            "csods_ops_escalations_open",
            "Immediate-risk escalations on open cases.",
            labels=["force"],
        )
        breaches = CounterMetricFamily(
            "csods_ops_deadline_breaches", "Deadline breaches raised.", labels=["force", "deadline"]
        )
        for board in self._boards:
            for stage in STAGES:
                cases.add_metric([board.force, stage.value], board.stages.get(stage.value, 0))
            at_risk.add_metric([board.force], len(board.at_risk))
            escalations.add_metric([board.force], len(board.escalations))
            for deadline, count in sorted(board.breaches_raised.items()):
                breaches.add_metric([board.force, deadline], count)
        yield from (cases, at_risk, escalations, breaches)
        yield from self._streams()

    def _streams(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "csods_consumer_lag_messages", "Records not yet consumed.", labels=["group", "topic"]
        )
        lag_seconds = GaugeMetricFamily(
            "csods_consumer_lag_seconds",
            "Age of the oldest record not yet consumed.",
            labels=["group", "topic"],
        )
        for row in self._snapshot.lag:
            lag.add_metric([row.group, row.topic], row.messages)
            if row.seconds is not None:  # unknown: a topic the ops principal may not read
                lag_seconds.add_metric([row.group, row.topic], row.seconds)
        backlog = GaugeMetricFamily(
            "csods_outbox_backlog", "Outbox rows not yet published.", labels=["service", "force"]
        )
        oldest = GaugeMetricFamily(
            "csods_outbox_oldest_seconds",
            "Age of the oldest unpublished outbox row.",
            labels=["service", "force"],
        )
        for pending in self._snapshot.backlog:
            backlog.add_metric([pending.schema, pending.force], pending.pending)
            waited = (self._now - pending.oldest_at).total_seconds() if pending.oldest_at else 0.0
            oldest.add_metric([pending.schema, pending.force], max(0.0, waited))
        letters = GaugeMetricFamily(
            "csods_dead_letters", "Records on the dead-letter topic.", labels=["force", "consumer"]
        )
        for force, counts in sorted(self._snapshot.dead_letters.items()):
            for consumer, count in sorted(counts.items()):
                letters.add_metric([force, consumer], count)
        errors = GaugeMetricFamily("csods_ops_monitor_errors", "Parts of the streams not read.")
        errors.add_metric([], len(self._snapshot.errors))
        yield from (lag, lag_seconds, backlog, oldest, letters, errors)


def render(boards: Sequence[Board], snapshot: Snapshot, *, now: datetime) -> bytes:
    """The exposition text of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(boards, snapshot, now))
    return generate_latest(registry)
