"""The rules of the checks (5.1.9, 5.2.12, 5.4.4): pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from enum import StrEnum

from schemas.checks import CheckResult, MatchOutcome, System
from schemas.parties import Applicant, Child, SubjectParticulars
from schemas.stages import Stage

# 5.1.9: PNC, ViSOR (if the subject has a ViSOR marker on PNC) and local force intelligence.
_STAGE_ONE = (System.PNC, System.VISOR, System.LOCAL_INTELLIGENCE)
# 5.2.12: the same revisited, and INI checks must be completed at this stage.
# 5.4.4: PNC, ViSOR, local intelligence and INI again at the full risk assessment.
_STAGE_TWO_AND_LATER = (*_STAGE_ONE, System.INI)
MINIMUM: Mapping[Stage, tuple[System, ...]] = {
    Stage.INITIAL_CONTACT: _STAGE_ONE,
    Stage.FACE_TO_FACE: _STAGE_TWO_AND_LATER,
}
# Foreign enquiries (through ACRO) and CEOP checks are discretionary: made only when asked.
OPTIONAL = (System.FOREIGN, System.CEOP)

# The tenants that run the national systems; local intelligence is each force's own.
_NATIONAL_TENANTS: Mapping[System, str] = {
    System.PNC: "pnc",
    System.VISOR: "visor",
    System.INI: "ini",
    System.CEOP: "ceop",
    System.FOREIGN: "acro",
}

# Which of intake's events brings the particulars a stage's checks are built from.
SOURCE_OF_STAGE: Mapping[Stage, str] = {
    Stage.INITIAL_CONTACT: "enquiry-registered",  # 5.1: what the applicant knows so far
    Stage.FACE_TO_FACE: "application-submitted",  # 5.2.5, 5.2.13: gaps filled at the interview
}


def particulars_to_come(stage: Stage, sources: Collection[str]) -> bool:
    """Whether intake's application, with more parties' particulars, is still to arrive for
    a stage-4 check of this force's own case (its enquiry is here, its application not yet).
    A responding force's case has no intake events: its request carries who to check."""
    if stage is not Stage.FULL_RISK_ASSESSMENT:
        return False
    return SOURCE_OF_STAGE[Stage.INITIAL_CONTACT] in sources and (
        SOURCE_OF_STAGE[Stage.FACE_TO_FACE] not in sources
    )


RETRY_CAP = 8  # a silent system is asked again after 1, 2, 4, 8, 8... times the first wait


class Status(StrEnum):
    """Where one query to one system about one party stands."""

    AWAITING_PARTICULARS = "awaiting-particulars"
    AWAITING_MARKER = "awaiting-marker"  # ViSOR at stages 1 and 2: asked only after PNC
    SENT = "sent"
    ANSWERED = "answered"
    NOT_REQUIRED = "not-required"
    INSUFFICIENT = "insufficient"  # nothing known of the party to search on
    UNAVAILABLE = "unavailable"  # no answer before the stage's wait ended

    @property
    def settled(self) -> bool:
        """Whether the stage no longer waits on this query."""
        return self in _SETTLED


_SETTLED = frozenset(
    {Status.ANSWERED, Status.NOT_REQUIRED, Status.INSUFFICIENT, Status.UNAVAILABLE}
)


def systems_for(stage: Stage, requested: Sequence[System]) -> tuple[System, ...]:
    """The systems a stage asks: never fewer than its minimum, plus any asked for."""
    minimum = MINIMUM.get(stage, _STAGE_TWO_AND_LATER)
    return (*minimum, *(system for system in dict.fromkeys(requested) if system not in minimum))


def visor_needs_marker(stage: Stage) -> bool:
    """5.1.9 and 5.2.12: ViSOR only where PNC shows a marker; at stage 4 it is always asked."""
    return stage in MINIMUM


def first_status(stage: Stage, system: System) -> Status:
    """The status a new query starts in."""
    if system is System.VISOR and visor_needs_marker(stage):
        return Status.AWAITING_MARKER
    return Status.AWAITING_PARTICULARS


def visor_after_pnc(pnc: CheckResult) -> Status:
    """Whether PNC's answer calls for a ViSOR check on the same party (5.1.9)."""
    if pnc.outcome is MatchOutcome.MATCH:
        return Status.AWAITING_PARTICULARS if pnc.visor_marker else Status.NOT_REQUIRED
    if pnc.outcome is MatchOutcome.POSSIBLE_MATCH:
        return Status.AWAITING_PARTICULARS  # a marker cannot be ruled out: ask
    return Status.NOT_REQUIRED


def system_tenant(system: System, *, force: str, overrides: Mapping[str, str]) -> str:
    """The tenant whose inbox a system's queries go to."""
    if system.value in overrides:
        return overrides[system.value]
    if system is System.LOCAL_INTELLIGENCE:
        return f"{force}-intel"  # each force's own, visible only to it
    return _NATIONAL_TENANTS[system]


def retry_delay(attempts: int, first: timedelta) -> timedelta:
    """How long to wait after the `attempts`th sending before sending again."""
    return first * min(1 << max(attempts - 1, 0), RETRY_CAP)


def closing_status(status: Status) -> Status:
    """What an unsettled query becomes when its stage's wait ends."""
    if status is Status.AWAITING_PARTICULARS:
        return Status.INSUFFICIENT  # nothing to search on arrived in time
    return Status.UNAVAILABLE  # sent and unanswered, or PNC never said whether there is a marker


def closed_result(*, system: System, party: str, status: Status) -> CheckResult:
    """The result of a query that has no answer: never a silent no."""
    if status is Status.NOT_REQUIRED:
        return CheckResult(
            system=system, party=party, outcome=MatchOutcome.NOT_REQUIRED, confidence=0.0
        )
    if status is Status.INSUFFICIENT:
        return CheckResult(
            system=system,
            party=party,
            outcome=MatchOutcome.INSUFFICIENT_DETAIL,
            confidence=0.0,
            missing=(f"particulars of the {party}: none given",),
        )
    return CheckResult(system=system, party=party, outcome=MatchOutcome.UNAVAILABLE, confidence=0.0)


def applicant_particulars(applicant: Applicant) -> SubjectParticulars:
    """The applicant's own particulars as a search asks for them."""
    return SubjectParticulars(
        names=(applicant.name,),
        date_of_birth=applicant.date_of_birth,
        addresses=(applicant.address,),
    )


def child_particulars(child: Child) -> SubjectParticulars:
    """A child's particulars as a search asks for them."""
    return SubjectParticulars(
        names=(child.name,),
        date_of_birth=child.date_of_birth,
        addresses=(child.address,) if child.address else (),
    )
