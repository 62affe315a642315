"""INI keeps each force's final intelligence report against the subject (6.1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from schemas import topics
from schemas.disclosure import FinalIntelligenceReportV1
from schemas.envelope import first_envelope, source_of
from schemas.examples import example_payload
from services.runtime.consumer import Record, Verdict
from tests.component.conftest import Component
from tests.support.records import record

Build = Callable[..., Awaitable[Component]]


def report_from(force: str, ini: str, number: int) -> tuple[FinalIntelligenceReportV1, Record]:
    case = f"{force}-2026-{number:06d}"
    report = FinalIntelligenceReportV1.model_validate(
        {
            **example_payload(FinalIntelligenceReportV1),
            "force": force,
            "case_reference": case,
            "report_reference": f"FIR-{case}",
        }
    )
    envelope = first_envelope(
        type=report.TYPE,
        source=source_of(force, "disclosure"),
        subject=case,
        time=report.closed_at,
    )
    return report, record(topics.inbox(ini), value=report.to_json(), headers=envelope.to_headers())


async def test_reports_from_two_forces_land_on_one_subject(component: Build, tenant: str) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    for number, force in enumerate(("warwickshire", "cleveland"), start=1):
        _, incoming = report_from(force, ini, number)
        assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    async with stand_in.database.transaction(ini) as tx:
        rows = await tx.conn.fetch(
            "SELECT nominal_id, summary FROM records WHERE tenant = $1 ORDER BY reference", ini
        )
    assert len(rows) == 2
    assert rows[0]["nominal_id"] == rows[1]["nominal_id"]  # one subject, two requests
    assert {"cleveland" in rows[0]["summary"], "warwickshire" in rows[1]["summary"]} == {True}
