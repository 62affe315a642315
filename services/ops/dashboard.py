"""The dashboard page: plain HTML that reloads itself, one section per thing ops watch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from services.ops.domain import STAGES
from services.ops.monitor import Snapshot
from services.ops.views import Board

REFRESH_SECONDS = 10

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.2rem;color:#1d2330;background:#f6f7f9}
h1{font-size:1.3rem;margin:0 0 .2rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;background:#fff;font-size:.85rem}
td,th{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:left}
th{background:#eceff4}.n{text-align:right}.alert{background:#fde2e1;border-color:#e0a3a0}
.warn{background:#fff4d6}.muted{color:#6b7280}.grid{display:flex;gap:1.5rem;flex-wrap:wrap}
img{background:#fff;border:1px solid #d5d9e0}
"""


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, testid: str, css: str = ""
) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}" class="muted">none</td></tr>'
    return f'<table data-testid="{testid}" class="{css}"><tr>{head}</tr>{body}</table>'


def _cell(value: object) -> str:
    if isinstance(value, tuple):  # (text, testid)
        text, testid = value
        return f'<td data-testid="{escape(str(testid))}">{escape(str(text))}</td>'
    if isinstance(value, datetime):
        return f"<td>{value:%Y-%m-%d %H:%M}</td>"
    if isinstance(value, int | float):
        return f'<td class="n">{value}</td>'
    return f"<td>{escape(str(value))}</td>"


def page(boards: Sequence[Board], snapshot: Snapshot, *, now: datetime, chart_query: str) -> str:
    """The whole dashboard for the forces served."""
    forces = [board.force for board in boards]
    escalations = [(board.force, item) for board in boards for item in board.escalations]
    sections = [
        "<h2>Immediate or imminent risk (2.7)</h2>",
        _table(
            ["force", "case", "risk", "stage", "section 47", "raised"],
            (
                (
                    force,
                    (item.case_reference, f"escalation-{item.case_reference}"),
                    item.risk,
                    item.stage,
                    "yes" if item.section_47 else "no",
                    item.raised_at,
                )
                for force, item in escalations
            ),
            testid="escalations",
            css="alert" if escalations else "",
        ),
        "<h2>Open cases by stage</h2>",
        _table(
            ["stage", *forces],
            [
                (
                    stage.value,
                    *(
                        (board.stages.get(stage.value, 0), f"stage-{board.force}-{stage.value}")
                        for board in boards
                    ),
                )
                for stage in STAGES
            ]
            + [("ended", *((board.ended, f"ended-{board.force}") for board in boards))],
            testid="stages",
        ),
        "<h2>Deadline breaches: re-triage, and a recorded justification (section 6)</h2>",
        _table(
            ["force", "case", "clock", "due", "breached", "stage", "justified"],
            (
                (
                    board.force,
                    (view.case_reference, f"breach-{view.case_reference}-{view.deadline}"),
                    view.deadline,
                    view.due_at,
                    view.breached_at or "",
                    view.stage,
                    "yes" if view.justified else "no",
                )
                for board in boards
                for view in board.breaches
            ),
            testid="breaches",
        ),
        "<h2>Deadlines at risk</h2>",
        _table(
            ["force", "case", "clock", "due", "stage"],
            (
                (
                    board.force,
                    (view.case_reference, f"risk-{view.case_reference}-{view.deadline}"),
                    view.deadline,
                    view.due_at,
                    view.stage,
                )
                for board in boards
                for view in board.at_risk
            ),
            testid="at-risk",
            css="warn",
        ),
        "<h2>Consumer lag</h2>",
        _table(
            ["group", "topic", "messages", "seconds"],
            (
                (
                    lag.group,
                    lag.topic,
                    (lag.messages, f"lag-{lag.group}-{lag.topic}"),
                    "-" if lag.seconds is None else round(lag.seconds, 1),
                )
                for lag in snapshot.lag
            ),
            testid="lag",
        ),
        "<h2>Outbox backlog</h2>",
        _table(
            ["service", "force", "pending", "oldest"],
            (
                (
                    row.schema,
                    row.force,
                    (row.pending, f"outbox-{row.schema}-{row.force}"),
                    row.oldest_at or "",
                )
                for row in snapshot.backlog
            ),
            testid="outbox",
        ),
        "<h2>Dead letters</h2>",
        _table(
            ["force", "consumer", "records"],
            (
                (force, consumer, (count, f"dead-{force}-{consumer}"))
                for force, counts in sorted(snapshot.dead_letters.items())
                for consumer, count in sorted(counts.items())
            ),
            testid="dead-letters",
        ),
        _table(
            ["force", "ref", "consumer", "type", "reason"],
            (
                (line.force, line.ref, line.consumer, line.type, line.reason)
                for line in snapshot.recent
            ),
            testid="recent-dead-letters",
        ),
        "<h2>Management information</h2>",
        '<div class="grid">'
        + "".join(
            f'<img data-testid="chart-{escape(force)}" alt="MI chart for {escape(force)}"'
            f' src="charts/{escape(force)}.png?{escape(chart_query)}" width="560">'
            for force in forces
        )
        + "</div>",
    ]
    errors = "".join(f'<p class="alert">{escape(error)}</p>' for error in snapshot.errors)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        f"<title>csods ops: {escape(', '.join(forces))}</title><style>{_STYLE}</style></head>"
        f"<body><h1>csods ops: {escape(', '.join(forces))}</h1>"
        f'<p class="muted" data-testid="as-of">as of {now:%Y-%m-%d %H:%M:%S} UTC; '
        f"reloads every {REFRESH_SECONDS} s</p>{errors}{''.join(sections)}</body></html>"
    )
