"""The ops rules: what each event does to a case, and when a clock warns or breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.stages import Deadline, Stage
from services.ops import domain
from services.ops.case_studies import case_study, open_cases

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def clock(
    due: datetime, *, warned: datetime | None = None, breached: datetime | None = None
) -> domain.Clock:
    return domain.Clock("warwickshire-2026-000001", Deadline.RISK_ASSESSMENT, due, warned, breached)


def test_a_clock_warns_within_its_lead_and_breaches_once_its_due_date_passes() -> None:
    due = START + timedelta(days=10)
    assert domain.alarm_for(clock(due), START) is None
    warning = domain.alarm_for(clock(due), due - timedelta(days=1))
    assert warning is not None
    assert not warning.breach
    breach = domain.alarm_for(clock(due), due)
    assert breach is not None
    assert breach.breach


def test_a_breach_is_raised_once_per_due_date() -> None:
    due = START + timedelta(days=10)
    assert domain.alarm_for(clock(due, breached=due), due + timedelta(days=3)) is None
    assert domain.alarm_for(clock(due, warned=due), due - timedelta(hours=1)) is None


def test_a_moved_deadline_can_breach_again_at_its_new_date() -> None:
    old, new = START + timedelta(days=10), START + timedelta(days=17)
    assert domain.alarm_for(clock(new, breached=old), new - timedelta(days=3)) is None
    again = domain.alarm_for(clock(new, breached=old), new)
    assert again is not None
    assert again.breach


def test_a_late_clock_breaches_without_first_warning() -> None:
    due = START + timedelta(days=10)
    alarm = domain.alarm_for(clock(due), due + timedelta(days=5))
    assert alarm is not None
    assert alarm.breach


def test_closure_stops_every_clock_and_records_the_outcome() -> None:
    closed = case_study("warwickshire", 1, start=START, case_number=1)[-1]
    change = domain.change_for(closed.message)
    assert change is not None
    assert change.case["outcome"] == "disclosure"
    assert {item.deadline for item in change.clocks if item.met_at} == set(Deadline)
    assert change.stage is Stage.OUTCOME_AND_CLOSURE


def test_a_visor_registration_marks_the_subject_a_registered_sex_offender() -> None:
    for number, registered in ((1, True), (2, False), (3, True), (4, False)):
        checks = case_study("warwickshire", number, start=START, case_number=number)[1]
        change = domain.change_for(checks.message)
        assert change is not None
        assert change.case["registered_offender"] is registered


def test_an_escalation_is_kept_with_no_grounds_and_no_personal_data() -> None:
    event = open_cases("warwickshire", now=START, first_number=1)[-1]
    change = domain.change_for(event.message)
    assert change is not None
    assert change.escalation is not None
    assert change.escalation.risk == "immediate"
    assert "abuse" not in change.note  # the grounds are personal data: never in the history


def test_every_history_note_is_free_of_payload_text() -> None:
    for number in (1, 2, 3, 4):
        for event in case_study("warwickshire", number, start=START, case_number=number):
            change = domain.change_for(event.message)
            assert change is not None
            assert "Taylor" not in change.note
            assert "Jones" not in change.note
