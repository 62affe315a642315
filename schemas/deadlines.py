"""Messages of the clocks: warnings, breaches and justified deviations (section 5, 5.4.8)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime

from schemas.base import Message
from schemas.fields import field, personal
from schemas.stages import Deadline
from schemas.types import CaseReference, FreeText


class DeadlineWarningV1(Message):
    """Event: a case's deadline is close."""

    TYPE: ClassVar[str] = "csods.ops.deadline-warning.v1"

    case_reference: CaseReference
    deadline: Deadline = field("Which clock.", "risk-assessment")
    due_at: AwareDatetime = field("When it falls due.", "2026-12-02T09:30:00+00:00")
    warned_at: AwareDatetime = field("When the warning was raised.", "2026-12-01T09:30:00+00:00")


class DeadlineBreachedV1(Message):
    """Event: a case's deadline passed; the case must be re-triaged with a justification."""

    TYPE: ClassVar[str] = "csods.ops.deadline-breached.v1"

    case_reference: CaseReference
    deadline: Deadline = field("Which clock.", "risk-assessment")
    due_at: AwareDatetime = field("When it fell due.", "2026-12-02T09:30:00+00:00")
    breached_at: AwareDatetime = field("When the breach was noticed.", "2026-12-02T09:30:01+00:00")
    retriage_required: Literal[True] = field("A delayed case is re-triaged (section 5).", True)


class TimescaleDeviationRecordedV1(Message):
    """Event: a deadline was moved, with the justification the guidance asks for (5.4.8)."""

    TYPE: ClassVar[str] = "csods.ops.timescale-deviation-recorded.v1"

    case_reference: CaseReference
    deadline: Deadline = field("Which clock.", "risk-assessment")
    previous_due_at: AwareDatetime = field("The old deadline.", "2026-12-02T09:30:00+00:00")
    new_due_at: AwareDatetime = field("The new deadline.", "2026-12-09T09:30:00+00:00")
    justification: FreeText = personal(
        "Why: e.g. applicant on holiday, awaiting a foreign enquiry (5.4.8).",
        "Awaiting a foreign enquiry from Poland.",
    )
    recorded_at: AwareDatetime = field("When.", "2026-12-01T11:00:00+00:00")
