"""Management information per force and period, in the form of the 2009 press release."""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.disclosure import Outcome
from schemas.stages import Deadline
from services.runtime.unit_of_work import Transaction

# The four categories of the 2009 case studies, in the press release's order (note 7).
CASE_STUDY_OUTCOMES: tuple[tuple[Outcome, str], ...] = (
    (Outcome.DISCLOSURE, "Disclosure (case study 1)"),
    (Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION, "No disclosure, protective action (case study 2)"),
    (Outcome.PARTIAL_DISCLOSURE, "Partial disclosure (case study 3)"),
    (Outcome.NO_DISCLOSURE, "No disclosure (case study 4)"),
    (Outcome.WITHDRAWN, "Withdrawn"),
)
# Each stage's time: from the column that starts it to the one that ends it.
STAGE_SPANS: tuple[tuple[str, str, str], ...] = (
    ("Initial contact to application (stages 1-2)", "contact_at", "applied_at"),
    ("Application to full risk assessment (stage 4)", "applied_at", "assessed_at"),
    ("Full risk assessment to decision (stage 5)", "assessed_at", "decided_at"),
    ("Decision to closure (stage 6)", "decided_at", "closed_at"),
    ("Initial contact to closure", "contact_at", "closed_at"),
)


@dataclass(frozen=True, slots=True)
class StageTime:
    """How long one stage took, over the cases that finished it in the period."""

    stage: str
    cases: int
    median: timedelta | None
    worst: timedelta | None


@dataclass(frozen=True, slots=True)
class ClockTally:
    """How one clock fared over the deadlines that fell due in the period."""

    deadline: Deadline
    met: int
    missed: int
    pending: int


@dataclass(frozen=True, slots=True)
class Figures:
    """One force's figures for one period (or the overall figures, force = 'overall')."""

    force: str
    start: datetime
    end: datetime
    enquiries: int
    applications: int
    disclosures: int
    outcomes: dict[Outcome, int]
    registered_offenders: int  # the Annual Data Requirement since 2021
    stage_times: tuple[StageTime, ...]
    clocks: tuple[ClockTally, ...]
    months: tuple[
        tuple[str, int, int, int], ...
    ] = ()  # (YYYY-MM, enquiries, applications, disclosures)


def _within(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end


def _stage_time(name: str, spans: Sequence[timedelta]) -> StageTime:
    ordered = sorted(spans)
    return StageTime(
        name,
        len(ordered),
        statistics.median_low(ordered) if ordered else None,
        ordered[-1] if ordered else None,
    )


def _clock_tally(
    deadline: Deadline,
    clocks: Sequence[dict[str, Any]],
    start: datetime,
    end: datetime,
    now: datetime,
) -> ClockTally:
    met = missed = pending = 0
    for clock in clocks:
        due, reached, ended = clock["due_at"], clock["met_at"], clock["ended_at"]
        if clock["deadline"] != deadline.value or not _within(due, start, end):
            continue
        if reached is not None:
            met += reached <= due
            missed += reached > due
        elif ended is not None and ended <= due:
            continue  # the case ended before the clock mattered
        elif due <= now:
            missed += 1
        else:
            pending += 1
    return ClockTally(deadline, met, missed, pending)


def tally(
    force: str,
    cases: Sequence[dict[str, Any]],
    clocks: Sequence[dict[str, Any]],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Figures:
    """The figures of one force from its cases and clocks: a pure function."""
    outcomes = dict.fromkeys(Outcome, 0)
    for case in cases:
        if _within(case["closed_at"], start, end) and case["outcome"]:
            outcomes[Outcome(case["outcome"])] += 1
    months: dict[str, list[int]] = {}
    for case in cases:
        for index, column in enumerate(("contact_at", "applied_at", "disclosed_at")):
            if _within(case[column], start, end):
                months.setdefault(case[column].strftime("%Y-%m"), [0, 0, 0])[index] += 1
    return Figures(
        force=force,
        start=start,
        end=end,
        enquiries=sum(_within(case["contact_at"], start, end) for case in cases),
        applications=sum(_within(case["applied_at"], start, end) for case in cases),
        disclosures=sum(_within(case["disclosed_at"], start, end) for case in cases),
        outcomes=outcomes,
        registered_offenders=sum(
            _within(case["contact_at"], start, end) and case["registered_offender"]
            for case in cases
        ),
        stage_times=tuple(
            _stage_time(
                name,
                [
                    case[last] - case[first]
                    for case in cases
                    if case[first] is not None and _within(case[last], start, end)
                ],
            )
            for name, first, last in STAGE_SPANS
        ),
        clocks=tuple(_clock_tally(deadline, clocks, start, end, now) for deadline in Deadline),
        months=tuple((month, *counts) for month, counts in sorted(months.items())),  # type: ignore[misc]
    )


def _worst(spans: Iterable[timedelta | None]) -> timedelta | None:
    known = [span for span in spans if span is not None]
    return max(known) if known else None


def overall(figures: Sequence[Figures], *, start: datetime, end: datetime) -> Figures:
    """The overall figures: counts added up; times and clocks left to each force."""
    return Figures(
        force="overall",
        start=start,
        end=end,
        enquiries=sum(each.enquiries for each in figures),
        applications=sum(each.applications for each in figures),
        disclosures=sum(each.disclosures for each in figures),
        outcomes={outcome: sum(each.outcomes[outcome] for each in figures) for outcome in Outcome},
        registered_offenders=sum(each.registered_offenders for each in figures),
        stage_times=tuple(
            StageTime(
                name,
                sum(each.stage_times[index].cases for each in figures),
                None,  # medians do not add up: each force's is in its own block
                _worst(each.stage_times[index].worst for each in figures),
            )
            for index, (name, _, _) in enumerate(STAGE_SPANS)
        ),
        clocks=tuple(
            ClockTally(
                deadline,
                sum(each.clocks[index].met for each in figures),
                sum(each.clocks[index].missed for each in figures),
                sum(each.clocks[index].pending for each in figures),
            )
            for index, deadline in enumerate(Deadline)
        ),
    )


async def figures(tx: Transaction, *, start: datetime, end: datetime, now: datetime) -> Figures:
    """One force's figures for the period [start, end), read from its read model."""
    cases = [
        dict(row)
        for row in await tx.conn.fetch(
            "SELECT contact_at, applied_at, assessed_at, decided_at, disclosed_at, closed_at,"
            " outcome, registered_offender FROM cases WHERE tenant = $1",
            tx.tenant,
        )
    ]
    clocks = [
        dict(row)
        for row in await tx.conn.fetch(
            "SELECT d.deadline, COALESCE(d.moved_due_at, d.registered_due_at) AS due_at,"
            " d.met_at, c.ended_at FROM deadlines d JOIN cases c USING (tenant, case_reference)"
            " WHERE d.tenant = $1",
            tx.tenant,
        )
    ]
    return tally(tx.tenant, cases, clocks, start=start, end=end, now=now)


def days(span: timedelta | None) -> str:
    """A duration in days to one decimal, or a dash."""
    return "-" if span is None else f"{span.total_seconds() / 86400:.1f}"


def lines(each: Figures) -> list[tuple[str, str]]:
    """One force's block of the table: (label, value) rows, the press release's first."""
    rows = [
        ("Total number of enquiries", str(each.enquiries)),
        ("Total number of applications", str(each.applications)),
        ("Total number of disclosures", str(each.disclosures)),
        *(
            (f"Outcome: {label}", str(each.outcomes[outcome]))
            for outcome, label in CASE_STUDY_OUTCOMES
        ),
        ("Concerning registered sex offenders", str(each.registered_offenders)),
    ]
    rows += [
        (f"{time.stage}: median / worst days", f"{days(time.median)} / {days(time.worst)}")
        for time in each.stage_times
    ]
    rows += [
        (
            f"Deadline {clock.deadline.value}: met / missed / pending",
            f"{clock.met} / {clock.missed} / {clock.pending}",
        )
        for clock in each.clocks
    ]
    return rows


def write_csv(path: Path, table: Sequence[Figures]) -> None:
    """One row per force (and the overall figures), one column per figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["force", "from", "to", *(label for label, _ in lines(table[-1]))])
        for each in table:
            writer.writerow(
                [each.force, each.start.date().isoformat(), each.end.date().isoformat()]
                + [value for _, value in lines(each)]
            )


class ChartsNotInstalled(RuntimeError):  # noqa: N818 - what is missing
    """matplotlib is an extra: `pip install 'csods[charts]'`."""


def chart(path: Path, each: Figures) -> Path:
    """A PNG of one force's enquiries, applications and disclosures month by month."""
    try:
        import matplotlib  # noqa: PLC0415 - heavy, and only the chart needs it
    except ImportError as exc:
        raise ChartsNotInstalled("charts need matplotlib: pip install 'csods[charts]'") from exc

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    months = [month for month, *_ in each.months] or [each.start.strftime("%Y-%m")]
    series = [
        [enquiries for _, enquiries, _, _ in each.months] or [0],
        [applications for _, _, applications, _ in each.months] or [0],
        [disclosures for _, _, _, disclosures in each.months] or [0],
    ]
    figure, axes = pyplot.subplots(figsize=(7, 3.2), dpi=100)
    for values, label in zip(series, ("enquiries", "applications", "disclosures"), strict=True):
        axes.plot(months, values, marker="o", label=label)
    axes.set_title(f"{each.force}: {each.start.date()} to {each.end.date()}")
    axes.set_ylabel("cases")
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return path
