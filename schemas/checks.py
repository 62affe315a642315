"""Messages of the checks: PNC, ViSOR, local intelligence, INI (5.1.9, 5.2.12, 5.4.4).

A force's checks service asks each national system on that system's inbox and gets the
answer on its own; the system answers from its own records.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from schemas.base import Message, Part
from schemas.fields import field, offence, personal
from schemas.parties import SUBJECT_EXAMPLE, PartialDate, SubjectParticulars
from schemas.stages import Stage
from schemas.types import CaseReference, CorrelationId, FreeText, PartyId, Tenant


class System(StrEnum):
    """The systems checked (5.1.9, 5.2.12, 5.4.4); foreign and CEOP checks are optional."""

    PNC = "pnc"
    VISOR = "visor"
    LOCAL_INTELLIGENCE = "local-intelligence"
    INI = "ini"
    FOREIGN = "foreign"
    CEOP = "ceop"


class MatchOutcome(StrEnum):
    """What a search for a person found (5.2.5: details may be partial or false)."""

    MATCH = "match"
    POSSIBLE_MATCH = "possible-match"  # needs a researcher: never a silent yes or no
    NO_TRACE = "no-trace"
    UNAVAILABLE = "unavailable"  # the system did not answer in time
    INSUFFICIENT_DETAIL = "insufficient-detail"  # no usable identifying detail: see `missing`
    NOT_REQUIRED = "not-required"  # 5.1.9: ViSOR only when PNC shows a ViSOR marker


class RecordKind(StrEnum):
    """What kind of record was found (4.5)."""

    CONVICTION = "conviction"
    CAUTION = "caution"
    REPRIMAND = "reprimand"
    FINAL_WARNING = "final-warning"
    INTELLIGENCE = "intelligence"
    REGISTRATION = "registration"  # on ViSOR, with its managing force
    ORDER = "order"  # e.g. a SOPO with conditions


class OffenceCategory(StrEnum):
    """The categories the decision route weighs (5.5.3)."""

    CHILD_SEXUAL = "child-sexual"  # Schedule 34A, 4.5
    SEXUAL_ADULT = "sexual-adult"
    VIOLENCE = "violence"
    DOMESTIC_ABUSE = "domestic-abuse"
    DRUGS = "drugs"
    OTHER = "other"


class Concern(StrEnum):
    """The 'concerns' of 5.5.3 (i)-(iv); a finding with none of them raises no concern (5.5.5)."""

    CHILD_SEXUAL_CONVICTION = "child-sexual-conviction"  # (i): the presumption to disclose
    OTHER_RELEVANT_CONVICTION = "other-relevant-conviction"  # (ii)
    RELEVANT_INTELLIGENCE = "relevant-intelligence"  # (iii)
    CONCERNING_BEHAVIOUR = "concerning-behaviour"  # (iv): disclosed in the application itself


class Indication(StrEnum):
    """What the checks of a stage indicate for the decision route (5.4.7, 5.5)."""

    CONCERNS = "concerns"  # 5.5.3
    NO_CONCERNS = "no-concerns"  # 5.5.5, on every system checked
    UNDETERMINED = "undetermined"  # a system unavailable, or a match a researcher must settle


class RiskLevel(StrEnum):
    """The risk level ViSOR records for a registered offender."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very-high"


class Finding(Part):
    """One record a system holds about one party."""

    kind: RecordKind = field("What kind of record.", "conviction")
    category: OffenceCategory = field("The category of offending or concern.", "child-sexual")
    schedule_34a: bool = field(
        "Whether the offence is listed in Schedule 34A of the Criminal Justice Act 2003 (4.5).",
        True,
    )
    recorded_on: PartialDate | None = field("When it was recorded.", {"year": 2009}, default=None)
    summary: str = offence(
        "What the record says, as the system holds it.",
        "Sexual assault on a child under 13, 2009; 3 years' imprisonment.",
        min_length=1,
        max_length=4000,
    )
    grading: str | None = field(
        "Intelligence grading, where the record is intelligence.", "B2", default=None
    )
    record_reference: str = field(
        "The system's own reference of the record.", "PNC/09/123456X", max_length=64
    )
    concern: Concern | None = field(
        "Which concern of 5.5.3 (i)-(iii) the record raises, set by the asking force's checks "
        "service; none when it raises no child safeguarding concern.",
        "child-sexual-conviction",
        default=None,
    )
    managing_force: Tenant | None = field(
        "ViSOR: the force managing the registered offender.", "warwickshire", default=None
    )
    mappa_category: int | None = field("ViSOR: MAPPA category 1-3.", 1, default=None, ge=1, le=3)
    mappa_level: int | None = field(
        "ViSOR: MAPPA management level 1-3.", 1, default=None, ge=1, le=3
    )
    risk_level: RiskLevel | None = field("ViSOR: the assessed risk level.", "high", default=None)
    conditions: tuple[str, ...] = offence(
        "Conditions of an order, e.g. a SOPO's prohibitions.",
        ["No unsupervised contact with any child under 16."],
        default=(),
    )


class Candidate(Part):
    """A person a search found who may be the one asked about: for a researcher to settle."""

    record_reference: str = field(
        "The system's own reference of the candidate.", "PNC/04/771203K", max_length=64
    )
    confidence: float = field("How likely this is the person, 0 to 1.", 0.74, ge=0.0, le=1.0)
    reasons: tuple[str, ...] = field(
        "The matching rules that agreed or disagreed, by name.",
        ["surname-phonetic", "dob-day-month-swapped"],
        default=(),
    )


class CheckResult(Part):
    """What one system said about one party."""

    system: System = field("The system asked.", "pnc")
    party: PartyId
    outcome: MatchOutcome = field("What the search found.", "match")
    confidence: float = field(
        "How sure the match is, 0 to 1; 0 for no trace.", 0.97, ge=0.0, le=1.0
    )
    findings: tuple[Finding, ...] = offence("The records of the matched person.", [], default=())
    visor_marker: bool | None = field(
        "PNC: whether the matched person carries a ViSOR marker (5.1.9).", True, default=None
    )
    candidates: tuple[Candidate, ...] = field(
        "Ranked candidates when the outcome is a possible match: a researcher must settle it.",
        [],
        default=(),
    )
    missing: tuple[str, ...] = field(
        "What identifying detail is missing, when the outcome is insufficient detail.",
        ["date of birth or address"],
        default=(),
    )


class PartyParticulars(Part):
    """What a requester knows of one party, sent with a request for checks."""

    party: PartyId
    particulars: SubjectParticulars = personal("Who the party is.", SUBJECT_EXAMPLE)


class RequestChecksV1(Message):
    """Command: run the checks of one stage for a case's parties."""

    TYPE: ClassVar[str] = "csods.checks.request-checks.v1"

    case_reference: CaseReference
    stage: Stage = field("Which stage's checks.", "initial-contact")
    parties: tuple[PartyId, ...] = field(
        "The parties to check.", ["subject", "applicant", "child-1"], min_length=1
    )
    systems: tuple[System, ...] = field(
        "The systems to ask; empty means the stage's minimum (5.1.9, 5.2.12, 5.4.4).",
        ["pnc", "visor", "local-intelligence"],
        default=(),
    )
    particulars: tuple[PartyParticulars, ...] = personal(
        "The parties' particulars, when the checks service has no other source for them: "
        "e.g. a responding force checking the subject of a handoff (4.10).",
        [],
        default=(),
    )


class ChecksRequestedV1(Message):
    """Event: the checks of a stage were asked of each system."""

    TYPE: ClassVar[str] = "csods.checks.checks-requested.v1"

    case_reference: CaseReference
    stage: Stage = field("Which stage's checks.", "initial-contact")
    systems: tuple[System, ...] = field("The systems asked.", ["pnc", "visor"], min_length=1)
    parties: tuple[PartyId, ...] = field("The parties checked.", ["subject"], min_length=1)
    requested_at: AwareDatetime = field("When.", "2026-11-22T09:31:00+00:00")
    due_at: AwareDatetime = field("When every answer is needed by.", "2026-11-23T09:30:00+00:00")


class CheckQueryV1(Message):
    """Command to a national or force system: search for a person and return their records."""

    TYPE: ClassVar[str] = "csods.checks.check-query.v1"

    query_id: CorrelationId
    asking_force: Tenant = field("The force asking; the answer goes to its inbox.", "warwickshire")
    case_reference: CaseReference
    system: System = field("The system asked.", "pnc")
    party: PartyId
    particulars: SubjectParticulars = personal(
        "What is known of the person to search for.", SUBJECT_EXAMPLE
    )
    record_reference: str | None = field(
        "A record a researcher settled on as the person, out of a possible match (5.4.4): the "
        "system answers with that record as the match. Empty for a search.",
        None,
        default=None,
        max_length=64,
    )


class CheckAnsweredV1(Message):
    """Event from a system to the asking force: what it holds about the person searched."""

    TYPE: ClassVar[str] = "csods.checks.check-answered.v1"

    query_id: CorrelationId
    case_reference: CaseReference
    system: System = field("The system answering.", "pnc")
    answered_by: Tenant = field("The tenant that runs the system.", "pnc")
    result: CheckResult = offence(
        "The result of the search.",
        {"system": "pnc", "party": "subject", "outcome": "no-trace", "confidence": 0.0},
    )
    answered_at: AwareDatetime = field("When.", "2026-11-22T09:31:02+00:00")


class ChecksCompletedV1(Message):
    """Event: the checks of one stage are complete: every system's result for every party."""

    TYPE: ClassVar[str] = "csods.checks.checks-completed.v1"

    case_reference: CaseReference
    stage: Stage = field("Which stage's checks.", "initial-contact")
    completed_at: AwareDatetime = field(
        "When the last answer arrived or the wait ended.", "2026-11-22T10:02:00+00:00"
    )
    results: tuple[CheckResult, ...] = offence(
        "Each system's result for each party; a system that did not answer is 'unavailable'.",
        [{"system": "pnc", "party": "subject", "outcome": "no-trace", "confidence": 0.0}],
        default=(),
    )
    partial: bool = field(
        "Whether some system did not answer before the wait ended: its results are "
        "'unavailable' and a late answer follows as CheckAnsweredLateV1.",
        False,
        default=False,
    )
    indication: Indication | None = field(
        "What the results indicate about the subject (5.5.3, 5.5.5).", "no-concerns", default=None
    )
    concerns: tuple[Concern, ...] = field(
        "The concerns of 5.5.3 (i)-(iv) found about the subject.", [], default=()
    )
    presumption_to_disclose: bool = field(
        "Whether the subject has a conviction, caution, reprimand or final warning for a "
        "Schedule 34A offence (2.4, 3.1, 4.5); other concerns carry no presumption (2.5).",
        False,
        default=False,
    )


class CheckAnsweredLateV1(Message):
    """Event: a system answered after its stage's checks were completed without it."""

    TYPE: ClassVar[str] = "csods.checks.check-answered-late.v1"

    case_reference: CaseReference
    stage: Stage = field("Which stage's checks it belongs to.", "initial-contact")
    result: CheckResult = offence(
        "The late result, classified.",
        {"system": "pnc", "party": "subject", "outcome": "no-trace", "confidence": 0.0},
    )
    answered_at: AwareDatetime = field("When the answer came.", "2026-11-22T14:02:00+00:00")
    completed_at: AwareDatetime = field(
        "When the stage's checks were completed without it.", "2026-11-22T13:31:00+00:00"
    )
    concerns: tuple[Concern, ...] = field(
        "The concerns of 5.5.3 (i)-(iii) the late result raises about the subject.", [], default=()
    )


class SettleMatchV1(Message):
    """Command from the full risk assessment to the force's checks: a researcher settled a
    possible match (5.4.4: fill any gaps; 5.2.5: details may be false). The candidate settled
    on is asked for as the match, or, where none of the candidates is the person, the check
    reads as no trace. Either way the result comes as a late answer of its stage."""

    TYPE: ClassVar[str] = "csods.checks.settle-match.v1"

    case_reference: CaseReference
    stage: Stage = field("The stage whose check held the possible match.", "full-risk-assessment")
    system: System = field("The system whose answer was a possible match.", "pnc")
    party: PartyId
    record_reference: str | None = field(
        "The candidate settled on as the person; empty when none of them is.",
        "PNC/09/123456X",
        default=None,
        max_length=64,
    )
    reason: FreeText = personal(
        "What the researcher compared, and found.",
        "Same date of birth and home address as the application; middle name matches.",
    )
    settled_at: AwareDatetime = field("When.", "2026-11-27T11:00:00+00:00")
