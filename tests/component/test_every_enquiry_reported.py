"""6.1: every enquiry closes with a final intelligence report, whatever the stage and route,
naming every party involved; INI keeps each one and sees one subject's requests together.

The messages are built from the published contracts' examples, as another system would."""

from __future__ import annotations

import json
from typing import Any

from schemas import topics
from schemas.disclosure import FinalIntelligenceReportV1, Outcome
from schemas.examples import example_payload
from schemas.intake import EnquiryRedirectedV1, IntelligenceSubmittedV1
from services.runtime.consumer import Verdict
from tests.component.test_disclosure_api import Build, Disclosure, arrive, case_of, d
from tests.component.test_ini_final_reports import report_from
from tests.support.records import stream_record

__all__ = ["d"]  # the disclosure fixture, used by name

APPLICANT = {
    "name": {"forenames": ["Sarah"], "surname": "Jones"},
    "date_of_birth": {"year": 1990, "month": 5, "day": 21},
    "address": {"lines": ["14 Priory Road"], "town": "Leamington Spa"},
}


async def reports_sent(d: Disclosure) -> list[tuple[str, FinalIntelligenceReportV1]]:
    """The final intelligence reports in the force's outbox, with the topic each goes to."""
    async with d.component.database.transaction(d.tenant) as tx:
        rows = await tx.conn.fetch("SELECT topic, payload FROM outbox ORDER BY id")
    return [
        (row["topic"], FinalIntelligenceReportV1.model_validate_json(row["payload"]))
        for row in rows
        if json.loads(row["payload"]).get("report_reference")
    ]


async def test_a_redirected_enquiry_closes_with_a_report_naming_its_parties_6_1(
    d: Disclosure,
) -> None:
    case = case_of(d.tenant)
    redirected = EnquiryRedirectedV1.model_validate(
        {**example_payload(EnquiryRedirectedV1), "case_reference": case, "applicant": APPLICANT}
    )
    await d.feed(stream_record(d.tenant, "intake", "enquiry-redirected", redirected, case))

    [(topic, report)] = await reports_sent(d)
    assert topic == topics.inbox("ini", d.tenant)
    assert report.outcome is Outcome.REDIRECTED
    assert report.applicant is not None
    assert report.applicant.name.surname == "Jones"
    assert report.subject == redirected.subject
    assert "subject-access" in report.summary
    view = (await d.http.get(f"/cases/{case}")).json()
    assert view["status"] == "closed"
    assert view["final_intelligence_report"] == f"FIR-{case}"


async def test_information_kept_as_intelligence_closes_with_a_report_6_1_5_2_5(
    d: Disclosure,
) -> None:
    case = case_of(d.tenant)
    kept = IntelligenceSubmittedV1.model_validate(
        {**example_payload(IntelligenceSubmittedV1), "case_reference": case}
    )
    again = stream_record(d.tenant, "intake", "intelligence-submitted", kept, case)
    await d.feed(again)

    [(_, report)] = await reports_sent(d)
    assert report.outcome is Outcome.SUBMITTED_AS_INTELLIGENCE
    assert "loitering" in report.summary
    assert report.applicant is None  # anonymous: no applicant to name, the report still goes


async def test_the_report_of_a_closed_application_names_every_party_6_1(d: Disclosure) -> None:
    case = await arrive(d, route="no-concerns")
    closed = await d.http.post(
        f"/cases/{case}/close", json={"summary": "Applicant withdrew.", "withdrawn": True}
    )
    assert closed.status_code == 200, closed.text

    [(_, report)] = await reports_sent(d)
    assert report.subject is not None
    assert report.applicant is not None
    assert report.applicant.name.surname == "Jones"
    assert [child.party for child in report.children] == ["child-1"]


async def test_ini_keeps_a_report_that_names_no_subject_6_1(component: Build, tenant: str) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    _, incoming = report_from("warwickshire", ini, 1, subject=None, outcome="redirected")
    assert await stand_in.processor.process(incoming) is Verdict.APPLIED
    async with stand_in.database.transaction(ini) as tx:
        [kept] = await tx.conn.fetch("SELECT nominal_id, report FROM final_reports")
    assert kept["nominal_id"] is None
    assert json.loads(kept["report"])["case_reference"] == "warwickshire-2026-000001"


async def test_ini_sees_one_subject_by_the_matching_rules_not_an_exact_name_6_1(
    component: Build, tenant: str
) -> None:
    ini = f"{tenant}-ini"
    stand_in = await component("ini", ini)
    known: dict[str, Any] = {
        "names": [{"forenames": ["Dorian", "Ellis"], "surname": "Quennell"}],
        "date_of_birth": {"year": 1981, "month": 4, "day": 2},
        "addresses": [{"lines": ["3 Mill Lane"], "town": "Rugby", "postcode": "CV21 2AB"}],
    }
    # The second force knows him by his first forename only, at the same address.
    glimpsed = {**known, "names": [{"forenames": ["Dorian"], "surname": "Quennell"}]}
    for number, (force, subject) in enumerate(
        (("warwickshire", known), ("cleveland", glimpsed)), start=1
    ):
        _, incoming = report_from(force, ini, number, subject=subject)
        assert await stand_in.processor.process(incoming) is Verdict.APPLIED

    async with stand_in.database.transaction(ini) as tx:
        nominals = await tx.conn.fetch("SELECT DISTINCT nominal_id FROM final_reports")
        flagged = await tx.conn.fetchval(
            "SELECT count(*) FROM outbox WHERE topic LIKE 'inbox.%.from.' || $1 || '.v1'", ini
        )
    assert len(nominals) == 1
    assert flagged == 2  # both forces told of two requests about one subject
