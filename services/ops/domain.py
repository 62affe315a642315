"""What each event means for the ops read model, and when a clock warns or breaches: no I/O."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schemas import checks, deadlines, disclosure, intake, multiagency, safeguarding
from schemas.base import Message
from schemas.stages import Deadline, Stage

STAGES: tuple[Stage, ...] = tuple(Stage)
_RANKS: dict[Stage, int] = {stage: rank for rank, stage in enumerate(STAGES, start=1)}


def stage_rank(stage: Stage) -> int:
    """A stage's place in the process, 1 to 6 (5.1-5.6)."""
    return _RANKS[stage]


def stage_of(rank: int) -> Stage | None:
    """The stage at a rank, none before the first."""
    return STAGES[rank - 1] if 1 <= rank <= len(STAGES) else None


# How long before a clock falls due its warning is raised. Not set by the guidance: long
# enough for a supervisor to act within a working day (24 hours) or a working week.
WARNING_LEAD: dict[Deadline, timedelta] = {
    Deadline.STAGE_ONE: timedelta(hours=4),
    Deadline.RISK_ASSESSMENT: timedelta(days=2),
    Deadline.CLOSURE: timedelta(days=5),
}


@dataclass(frozen=True, slots=True)
class Escalation:
    """An immediate or imminent risk raised (2.7): identifiers and categories only."""

    stage: str
    risk: str
    section_47: bool
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class ClockChange:
    """What an event does to one of a case's clocks."""

    deadline: Deadline
    due_at: datetime | None = None  # set at registration, from the scheme profile
    met_at: datetime | None = None  # the stage it measures was reached
    moved_to: datetime | None = None  # a justified deviation (5.4.8) ...
    moved_at: datetime | None = None  # ... recorded then
    warned_for: datetime | None = None  # a warning raised for this due date
    breached_for: datetime | None = None  # a breach raised for this due date ...
    breached_at: datetime | None = None  # ... noticed then


@dataclass(frozen=True, slots=True)
class CaseChange:
    """What one event does to one case; every field is merged order-independently."""

    case_reference: str
    occurred_at: datetime
    note: str
    stage: Stage | None = None
    case: dict[str, Any] = field(default_factory=dict)  # columns of `cases` set by it
    clocks: tuple[ClockChange, ...] = ()
    escalation: Escalation | None = None


_ALL_CLOCKS = tuple(Deadline)


def _met(at: datetime, *clocks: Deadline) -> tuple[ClockChange, ...]:
    return tuple(ClockChange(clock, met_at=at) for clock in clocks)


@functools.singledispatch
def change_for(message: Message) -> CaseChange | None:
    """The change an event makes to its case; none for a type the read model does not keep.

    One projection per message type, each registered below (architecture §6).
    """
    return None


@change_for.register
def _enquiry_registered(message: intake.EnquiryRegisteredV1) -> CaseChange:
    due = {
        Deadline.STAGE_ONE: message.stage1_due_at,
        Deadline.RISK_ASSESSMENT: message.risk_assessment_due_at,
        Deadline.CLOSURE: message.closure_due_at,
    }
    return CaseChange(
        message.case_reference,
        message.registered_at,
        f"enquiry registered ({message.channel.value}, {message.scheme_profile.value})",
        Stage.INITIAL_CONTACT,
        {
            "contact_at": message.received_at,
            "scheme_profile": message.scheme_profile.value,
            "channel": message.channel.value,
        },
        tuple(ClockChange(clock, due_at=at) for clock, at in due.items()),
    )


@change_for.register
def _enquiry_redirected(message: intake.EnquiryRedirectedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.redirected_at,
        f"enquiry redirected to {message.route.value} (3.7)",
        Stage.INITIAL_CONTACT,
        {"contact_at": message.redirected_at, "ended_at": message.redirected_at},
    )


@change_for.register
def _intelligence_submitted(message: intake.IntelligenceSubmittedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.submitted_at,
        f"submitted as intelligence: {message.reason.value} (5.2.5)",
        Stage.INITIAL_CONTACT,
        {"contact_at": message.submitted_at, "ended_at": message.submitted_at},
    )


@change_for.register
def _application_submitted(message: intake.ApplicationSubmittedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.seen_at,
        "application made face to face",
        Stage.FACE_TO_FACE,
        {"applied_at": message.seen_at},
        _met(message.seen_at, Deadline.STAGE_ONE),
    )


@change_for.register
def _information_pack_given(message: intake.InformationPackGivenV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.given_at,
        f"information pack given ({message.format.value})",
        Stage.EMPOWERMENT,
        {"pack_given_at": message.given_at},
    )


@change_for.register
def _checks_requested(message: checks.ChecksRequestedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.requested_at,
        f"checks requested at {message.stage.value}: "
        + ", ".join(system.value for system in message.systems),
        message.stage,
    )


@change_for.register
def _check_answered_late(message: checks.CheckAnsweredLateV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.answered_at,
        f"late answer from {message.result.system.value}",
        message.stage,
        {"registered_offender": _registered(message.result)},
    )


@change_for.register
def _safeguarding_escalation_raised(
    message: safeguarding.SafeguardingEscalationRaisedV1,
) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.raised_at,
        f"{message.risk.value} risk escalated at {message.stage.value} (2.7)",
        message.stage,
        {"escalations": 1},
        escalation=Escalation(
            message.stage.value, message.risk.value, message.section_47, message.raised_at
        ),
    )


@change_for.register
def _referral_overdue(message: safeguarding.ReferralOverdueV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.overdue_at,
        f"referral of {message.risk.value} risk to {message.agency} not acknowledged in time: "
        "chased (2.7)",
    )


@change_for.register
def _consultation_requested(message: multiagency.ConsultationRequestedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.requested_at,
        "agency consulted (5.4.5)",
        Stage.FULL_RISK_ASSESSMENT,
    )


@change_for.register
def _consultation_overdue(message: multiagency.ConsultationOverdueV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.noticed_at,
        "consultation overdue",
        Stage.FULL_RISK_ASSESSMENT,
    )


@change_for.register
def _risk_assessment_completed(message: multiagency.RiskAssessmentCompletedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.completed_at,
        f"full risk assessment completed: {message.route.value} (5.4.7)",
        Stage.DECISION,
        {"assessed_at": message.completed_at},
        _met(message.completed_at, Deadline.STAGE_ONE, Deadline.RISK_ASSESSMENT),
    )


@change_for.register
def _forum_scheduled(message: multiagency.ForumScheduledV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.scheduled_for,
        f"{message.forum.value} scheduled" + (" (urgent)" if message.urgent else ""),
        Stage.DECISION,
    )


@change_for.register
def _forum_decided(message: multiagency.ForumDecidedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.decided_at,
        (
            f"{message.forum.value} decided: {message.route.value}"
            if message.forum_met
            else f"concluded without a forum: {message.route.value} (5.6.3)"
        ),
        Stage.DECISION,
        {"decided_at": message.decided_at},
    )


@change_for.register
def _disclosure_decided(message: disclosure.DisclosureDecidedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.decided_at,
        "decided to disclose" if message.disclose else "decided not to disclose",
        Stage.OUTCOME_AND_CLOSURE,
        {"decided_at": message.decided_at},
    )


@change_for.register
def _disclosure_delivered(message: disclosure.DisclosureDeliveredV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.delivered_at,
        f"disclosure delivered in person, undertaking {message.undertaking.value}",
        Stage.OUTCOME_AND_CLOSURE,
        {"disclosed_at": message.delivered_at},
    )


@change_for.register
def _non_disclosure_communicated(message: disclosure.NonDisclosureCommunicatedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.communicated_at,
        f"no disclosure communicated by {message.method.value}",
        Stage.OUTCOME_AND_CLOSURE,
    )


@change_for.register
def _protective_action_recorded(message: disclosure.ProtectiveActionRecordedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.recorded_at,
        "protective action: " + ", ".join(action.value for action in message.actions),
        Stage.OUTCOME_AND_CLOSURE,
    )


@change_for.register
def _case_closed(message: disclosure.CaseClosedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.closed_at,
        f"closed: {message.outcome.value} (6.1)",
        Stage.OUTCOME_AND_CLOSURE,
        {
            "closed_at": message.closed_at,
            "ended_at": message.closed_at,
            "outcome": message.outcome.value,
        },
        _met(message.closed_at, *_ALL_CLOCKS),
    )


@change_for.register
def _deadline_warning(message: deadlines.DeadlineWarningV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.warned_at,
        f"deadline {message.deadline.value} due {message.due_at.isoformat()}: warning",
        clocks=(ClockChange(message.deadline, warned_for=message.due_at),),
    )


@change_for.register
def _deadline_breached(message: deadlines.DeadlineBreachedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.breached_at,
        f"deadline {message.deadline.value} breached: re-triage required",
        clocks=(
            ClockChange(
                message.deadline,
                breached_for=message.due_at,
                breached_at=message.breached_at,
            ),
        ),
    )


@change_for.register
def _timescale_deviation_recorded(message: deadlines.TimescaleDeviationRecordedV1) -> CaseChange:
    return CaseChange(
        message.case_reference,
        message.recorded_at,
        f"deadline {message.deadline.value} moved to {message.new_due_at.isoformat()}"
        " with a justification (5.4.8)",
        clocks=(
            ClockChange(
                message.deadline, moved_to=message.new_due_at, moved_at=message.recorded_at
            ),
        ),
    )


def _registered(result: checks.CheckResult) -> bool:
    """Whether a result shows the subject registered on ViSOR (the Annual Data Requirement)."""
    return (
        result.system is checks.System.VISOR
        and result.party == "subject"
        and any(finding.kind is checks.RecordKind.REGISTRATION for finding in result.findings)
    )


@change_for.register
def _checks_completed(message: checks.ChecksCompletedV1) -> CaseChange:
    indication = message.indication.value if message.indication else "undetermined"
    # 5.1.13: stage 1 ends with the initial checks, within 24 hours.
    clocks = (
        _met(message.completed_at, Deadline.STAGE_ONE)
        if message.stage is Stage.INITIAL_CONTACT
        else ()
    )
    return CaseChange(
        message.case_reference,
        message.completed_at,
        f"checks completed at {message.stage.value}: {indication}"
        + (" (partial)" if message.partial else ""),
        message.stage,
        {"registered_offender": any(_registered(result) for result in message.results)},
        clocks,
    )


@dataclass(frozen=True, slots=True)
class Clock:
    """One clock of one open case as the read model holds it."""

    case_reference: str
    deadline: Deadline
    due_at: datetime
    warned_for: datetime | None
    breached_for: datetime | None


@dataclass(frozen=True, slots=True)
class Alarm:
    """A warning or a breach to raise now."""

    clock: Clock
    breach: bool


def alarm_for(clock: Clock, now: datetime) -> Alarm | None:
    """Breach once a clock's due date has passed, warn shortly before; each once per due date."""
    if now >= clock.due_at:
        if clock.breached_for is None or clock.breached_for < clock.due_at:
            return Alarm(clock, breach=True)
        return None
    if now >= clock.due_at - WARNING_LEAD[clock.deadline] and (
        clock.warned_for is None or clock.warned_for < clock.due_at
    ):
        return Alarm(clock, breach=False)
    return None
