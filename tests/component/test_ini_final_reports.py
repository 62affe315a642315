"""INI keeps each force's final intelligence report against the subject (6.1), and tells every
force concerned when one subject has several requests on record."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from schemas import topics
from schemas.disclosure import FinalIntelligenceReportV1, RepeatedRequestsFlaggedV1
from schemas.envelope import first_envelope, source_of
from schemas.examples import example_payload
from services.runtime.consumer import Record, Verdict
from tests.component.conftest import Component
from tests.support.records import record

Build = Callable[..., Awaitable[Component]]


def report_from(
    force: str, ini: str, number: int, **changes: Any
) -> tuple[FinalIntelligenceReportV1, Record]:
    case = f"{force}-2026-{number:06d}"
    report = FinalIntelligenceReportV1.model_validate(
        {
            **example_payload(FinalIntelligenceReportV1),
            "force": force,
            "case_reference": case,
            "report_reference": f"FIR-{case}",
            **changes,
        }
    )
    envelope = first_envelope(
        type=report.TYPE,
        source=source_of(force, "disclosure"),
        subject=case,
        time=report.closed_at,
    )
    return report, record(
        topics.inbox(ini, force), value=report.to_json(), headers=envelope.to_headers()
    )


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


async def flags_sent(stand_in: Component, ini: str) -> list[tuple[str, dict[str, Any]]]:
    """The repeated-request flags INI has put in its outbox: (topic, payload)."""
    async with stand_in.database.transaction(ini) as tx:
        rows = await tx.conn.fetch(
            "SELECT topic, header_names, header_values, payload FROM outbox"
            " WHERE tenant = $1 ORDER BY id",
            ini,
        )
    return [
        (row["topic"], json.loads(row["payload"]))
        for row in rows
        if dict(zip(row["header_names"], row["header_values"], strict=True))["ce_type"]
        == RepeatedRequestsFlaggedV1.TYPE.encode()
    ]


async def test_one_request_about_a_subject_flags_no_one(component: Build, tenant: str) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    _, incoming = report_from("warwickshire", ini, 1)
    assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    assert await flags_sent(stand_in, ini) == []


async def test_a_subject_with_several_requests_is_flagged_to_every_force_concerned(
    component: Build, tenant: str
) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    for number, force in enumerate(("cleveland", "warwickshire", "cleveland"), start=1):
        _, incoming = report_from(force, ini, number)
        assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    sent = await flags_sent(stand_in, ini)
    # The second report flags both forces; the third flags them again with all three listed.
    assert [topic for topic, _ in sent] == [
        topics.inbox("cleveland", ini),
        topics.inbox("warwickshire", ini),
        topics.inbox("cleveland", ini),
        topics.inbox("warwickshire", ini),
    ]
    latest = {flag["force"]: flag for _, flag in sent[2:]}
    assert latest["cleveland"]["case_reference"] == "cleveland-2026-000003"  # its latest case
    assert latest["warwickshire"]["case_reference"] == "warwickshire-2026-000002"
    assert [r["case_reference"] for r in latest["cleveland"]["requests"]] == [
        "cleveland-2026-000001",
        "warwickshire-2026-000002",
        "cleveland-2026-000003",
    ]
    assert len({flag["subject_reference"] for _, flag in sent}) == 1  # one subject
    for _, flag in sent:
        RepeatedRequestsFlaggedV1.model_validate(flag)  # a valid contract, as each force reads


async def test_a_report_received_twice_flags_once(component: Build, tenant: str) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    _, first = report_from("cleveland", ini, 1)
    _, second = report_from("warwickshire", ini, 2)
    _, again = report_from("warwickshire", ini, 2)  # the same report, sent anew (a new ce_id)
    for incoming in (first, second, again):
        assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    assert len(await flags_sent(stand_in, ini)) == 2


async def test_requests_about_different_subjects_are_not_flagged(
    component: Build, tenant: str
) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    other = {"names": [{"forenames": ["Peter"], "surname": "Holloway"}]}
    _, first = report_from("cleveland", ini, 1)
    _, second = report_from("warwickshire", ini, 2, subject=other)
    for incoming in (first, second):
        assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    assert await flags_sent(stand_in, ini) == []
