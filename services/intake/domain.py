"""The rules of stages 1 to 3 (circular 5.1-5.3): pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.stages import SchemeProfile


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When each stage of a case must be reached."""

    stage1_due_at: datetime
    risk_assessment_due_at: datetime
    closure_due_at: datetime


# (stage 1, full risk assessment, closure), measured from the initial contact.
_TIMESCALES: dict[SchemeProfile, tuple[timedelta, timedelta, timedelta]] = {
    # 5.1.13: stage 1 within 24 hours; 5.4.8: stage 4 within 10 days;
    # 5.6.27: 45 days from start to finish.
    SchemeProfile.CSODS_2010: (timedelta(hours=24), timedelta(days=10), timedelta(days=45)),
    # 2023 police guidance: checks within 24 hours, full risk assessment normally within
    # 28 days; it sets no separate closure limit, so closure is held to the same 28 days.
    SchemeProfile.CSODS_2023: (timedelta(hours=24), timedelta(days=28), timedelta(days=28)),
    # DVDS 2023: Right to Ask and Right to Know each completed within 28 days.
    SchemeProfile.DVDS_2023: (timedelta(hours=24), timedelta(days=28), timedelta(days=28)),
}


def deadlines(profile: SchemeProfile, initial_contact_at: datetime) -> Deadlines:
    """The deadlines of a case under its scheme profile, from the initial contact."""
    stage1, assessment, closure = _TIMESCALES[profile]
    return Deadlines(
        stage1_due_at=initial_contact_at + stage1,
        risk_assessment_due_at=initial_contact_at + assessment,
        closure_due_at=initial_contact_at + closure,
    )


def case_reference(force: str, year: int, number: int) -> str:
    """The owning force's reference of its `number`th case of `year`."""
    if not 1 <= number <= 999_999:
        raise ValueError("a force numbers at most 999,999 cases a year")
    return f"{force}-{year:04d}-{number:06d}"
