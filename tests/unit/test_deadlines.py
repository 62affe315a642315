"""Stage deadlines from the scheme profile (5.1.13, 5.4.8, 5.6.27)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.stages import SchemeProfile
from services.intake.domain import case_reference, deadlines

CONTACT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_stage_one_within_24_hours_assessment_10_days_closure_45_days_under_2010() -> None:
    due = deadlines(SchemeProfile.CSODS_2010, CONTACT)
    assert due.stage1_due_at - CONTACT == timedelta(hours=24)
    assert due.risk_assessment_due_at - CONTACT == timedelta(days=10)
    assert due.closure_due_at - CONTACT == timedelta(days=45)


@pytest.mark.parametrize("profile", [SchemeProfile.CSODS_2023, SchemeProfile.DVDS_2023])
def test_full_risk_assessment_within_28_days_under_the_2023_guidance(
    profile: SchemeProfile,
) -> None:
    due = deadlines(profile, CONTACT)
    assert due.stage1_due_at - CONTACT == timedelta(hours=24)
    assert due.risk_assessment_due_at - CONTACT == timedelta(days=28)


def test_case_reference_names_force_year_and_number() -> None:
    assert case_reference("warwickshire", 2026, 42) == "warwickshire-2026-000042"
    with pytest.raises(ValueError, match="999,999"):
        case_reference("warwickshire", 2026, 1_000_000)
