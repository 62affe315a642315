"""The skeleton's decision route and closure (5.5.3, 5.5.5, 6.1)."""

from __future__ import annotations

from schemas.checks import CheckResult, Finding, MatchOutcome, OffenceCategory, RecordKind, System
from schemas.multiagency import DecisionRoute
from services.multiagency.domain import assess


def test_no_findings_means_no_concerns() -> None:
    assert assess(()).route is DecisionRoute.NO_CONCERNS


def test_any_finding_means_concerns() -> None:
    finding = Finding(
        kind=RecordKind.INTELLIGENCE,
        category=OffenceCategory.VIOLENCE,
        schedule_34a=False,
        summary="Reported for assaulting a partner, 2024; no further action.",
        record_reference="INT/24/0001",
    )
    result = CheckResult(
        system=System.LOCAL_INTELLIGENCE,
        party="subject",
        outcome=MatchOutcome.MATCH,
        confidence=0.95,
        findings=(finding,),
    )
    assessment = assess((result,))
    assert assessment.route is DecisionRoute.CONCERNS
    assert "violence" in assessment.rationale
