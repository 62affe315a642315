"""The ops HTTP API: the dashboard, its charts, case histories, recorded deviations.

Open only to the force's ops and public protection teams, signed in through the force's
issuer; /metrics is served on the metrics port (`create_metrics_app`), not here.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import AwareDatetime, BaseModel, Field

from schemas.stages import Deadline
from services.ops import dashboard, metrics, mi, use_cases, views
from services.ops.monitor import Monitor
from services.runtime.browser_sign_in import install_browser_sign_in
from services.runtime.clock import Clock
from services.runtime.http import REFUSALS, STRICT, CaseRef, install_problem_handlers
from services.runtime.metrics import process_metrics
from services.runtime.reads import audited, install_read_audit
from services.runtime.service import HttpContext
from services.runtime.settings import Settings
from services.runtime.staff import Issuer, Role, allow, install_sign_in
from services.runtime.unit_of_work import Database

MI_DAYS = 365


class DeviationRequest(BaseModel):
    """A clock moved with the justification the guidance asks for (5.4.8)."""

    model_config = STRICT
    deadline: Deadline
    new_due_at: AwareDatetime
    justification: str = Field(min_length=1, max_length=8000)


class DeviationRecordedView(BaseModel):
    """The id of the TimescaleDeviationRecordedV1 published."""

    message_id: str


# Who may look at a force's board, clocks, lag and dead letters: its ops team and its public
# protection team, never another force's.
WATCHERS = (Role.OPS, Role.PUBLIC_PROTECTION)
# The work list shows stages and clocks only, never what the checks found: every member of
# the force's staff may see it. A case's history is for those who may see its checks (5.1.9).
WORKERS = (Role.OPS, Role.INITIAL_CONTACT, Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)
READERS = (Role.OPS, Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)


def create_app(context: HttpContext) -> FastAPI:
    """The API of one force's ops instance (settings from the CSODS_* environment)."""
    settings = Settings(tenant=context.tenant)
    return create_dashboard(
        force=context.tenant,
        database=context.database,
        clock=context.clock,
        settings=settings,
        issuer=context.issuer,
    )


def create_metrics_app(context: HttpContext) -> FastAPI:
    """/metrics on the metrics port: the process's and the read model's, no case in a label."""
    settings = Settings(tenant=context.tenant)
    monitor = Monitor(settings, [context.tenant], context.clock)
    app = FastAPI(title=f"csods ops metrics: {context.tenant}", docs_url=None, redoc_url=None)

    @app.get("/metrics")
    async def scrape() -> Response:
        """Prometheus metrics: cases, clocks, breaches, lag, outbox backlog, dead letters."""
        now = context.clock.now()
        async with context.database.transaction(context.tenant) as tx:
            board = await views.board(tx, now=now)
        text = metrics.render([board], await monitor.snapshot(), now=now)
        return Response(process_metrics() + text, media_type=CONTENT_TYPE_LATEST)

    return app


def create_dashboard(
    *, force: str, database: Database, clock: Clock, settings: Settings, issuer: Issuer | None
) -> FastAPI:
    """The dashboard and API over one force's read model, open to its watchers only."""
    app = FastAPI(
        title=f"csods ops: {force}",
        version="1.0.0",
        description="Deadlines, management information, lag and dead letters.",
    )
    monitor = Monitor(settings, [force], clock)
    install_problem_handlers(app)
    install_sign_in(app, force=force, issuer=issuer)
    install_read_audit(app, actor="ops", database=database, clock=clock)
    install_browser_sign_in(app, force=force, issuer=issuer, roles=WATCHERS)
    watcher = allow(*WATCHERS)

    @app.get("/", response_class=HTMLResponse, dependencies=[watcher])
    async def page() -> str:
        """The dashboard: reloads itself every few seconds."""
        now = clock.now()
        start = (now - timedelta(days=MI_DAYS)).date().isoformat()
        async with database.transaction(force) as tx:
            board = await views.board(tx, now=now)
        return dashboard.page(
            [board],
            await monitor.snapshot(),
            now=now,
            chart_query=f"from={start}&to={now.date().isoformat()}",
        )

    @app.get("/charts/{force}.png", dependencies=[watcher])
    async def chart(
        force: str,
        start: Annotated[str | None, Query(alias="from")] = None,
        end: Annotated[str | None, Query(alias="to")] = None,
    ) -> Response:
        """One force's MI chart: enquiries, applications and disclosures by month."""
        now = clock.now()
        first = _day(start) if start else now - timedelta(days=MI_DAYS)
        last = _day(end) + timedelta(days=1) if end else now
        async with database.transaction(force) as tx:
            figures = await mi.figures(tx, start=first, end=last, now=now)
        with tempfile.TemporaryDirectory() as folder:
            try:
                path = await asyncio.to_thread(mi.chart, Path(folder) / "chart.png", figures)
            except mi.ChartsNotInstalled as exc:
                raise HTTPException(503, str(exc)) from exc
            return Response(path.read_bytes(), media_type="image/png")

    @app.get("/forces/{force}/board", responses=REFUSALS, dependencies=[watcher])
    async def board(force: str) -> views.Board:
        """One force's board as data."""
        async with database.transaction(force) as tx:
            return await views.board(tx, now=clock.now())

    @app.get("/forces/{force}/work-list", responses=REFUSALS, dependencies=[allow(*WORKERS)])
    async def work_list(
        force: str,
        *,
        stage: str | None = None,
        state: Annotated[
            str | None, Query(alias="clock", pattern="^(breached|at risk|due|none)$")
        ] = None,
        due_before: AwareDatetime | None = None,
        immediate_risk: bool = False,
        case: Annotated[list[str] | None, Query(max_length=500)] = None,
    ) -> list[views.WorkItem]:
        """The open cases, immediate risk first, then by their nearest clock; `case` narrows
        it to those cases (a member of staff's own, say)."""
        async with database.transaction(force) as tx:
            return await views.work_list(
                tx,
                now=clock.now(),
                stage=stage,
                clock=state,
                due_before=due_before,
                immediate_risk=immediate_risk,
                cases=case,
            )

    @app.get(
        "/forces/{force}/cases/{case_reference}",
        responses=REFUSALS,
        dependencies=[audited(*READERS)],
    )
    async def history(force: str, case_reference: CaseRef) -> list[dict[str, object]]:
        """A case's history in the read model, in words without personal data.

        Every read is written to the audit log with who read it and why (DPA 2018 s.62).
        """
        async with database.transaction(force) as tx:
            found = await views.history(tx, case_reference=case_reference)
        if not found:
            raise HTTPException(404, "no such case")
        return found

    # Moving a clock is the public protection team's call, in the force whose case it is.
    @app.post(
        "/forces/{force}/cases/{case_reference}/deviations",
        status_code=201,
        responses=REFUSALS,
        dependencies=[allow(Role.PUBLIC_PROTECTION)],
    )
    async def deviate(
        force: str, case_reference: CaseRef, request: DeviationRequest
    ) -> DeviationRecordedView:
        """Move a clock with a justification (5.4.8), e.g. after a breach and a re-triage."""
        try:
            async with database.transaction(force) as tx:
                message_id = await use_cases.record_deviation(
                    tx,
                    case_reference=case_reference,
                    deadline=request.deadline,
                    new_due_at=request.new_due_at,
                    justification=request.justification,
                    clock=clock,
                )
        except use_cases.CaseNotFound as exc:
            raise HTTPException(404, "no such clock") from exc
        return DeviationRecordedView(message_id=str(message_id))

    return app


def _day(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError as exc:
        raise HTTPException(422, "dates are YYYY-MM-DD") from exc
