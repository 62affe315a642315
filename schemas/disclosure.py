"""Messages of the decision, its delivery, and closure (5.6, section 6)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, model_validator

from schemas.base import Message, Part
from schemas.fields import field, offence, personal
from schemas.multiagency import Attendee, DecisionRoute
from schemas.parties import Applicant, Child, PersonName, SubjectParticulars
from schemas.types import CaseReference, CorrelationId, FreeText, Tenant


class LegalTest(StrEnum):
    """The three-stage test that must be met before any disclosure (5.6.14)."""

    POWER_TO_DISCLOSE = "power-to-disclose"  # (i)
    PRESSING_NEED = "pressing-need"  # (ii)
    NECESSARY_AND_PROPORTIONATE = "necessary-and-proportionate"  # (iii), Article 8


class TestAnswer(Part):
    """One stage of the test, answered with its rationale."""

    __test__ = False  # not a pytest test class, despite the name

    test: LegalTest = field("Which stage of the test.", "pressing-need")
    met: bool = field("Whether it is met.", True)
    rationale: FreeText = offence(
        "Why.", "The subject has unsupervised access to a 6-year-old at weekends."
    )


class RecipientRelationship(StrEnum):
    """Who receives the disclosure: the person best placed to protect the child (4.3, 5.6.19)."""

    APPLICANT = "applicant"
    OTHER_PARENT = "other-parent"
    GUARDIAN = "guardian"
    CARER = "carer"
    THIRD_PARTY = "third-party"  # under MAPPA, section 327A CJA 2003


class Recipient(Part):
    """The person a disclosure is made to, who may not be the applicant."""

    relationship: RecipientRelationship = field("Who they are to the child.", "applicant")
    name: PersonName = personal("Their name.", {"forenames": ["Sarah"], "surname": "Jones"})


class Extent(StrEnum):
    """How much is disclosed (5.6.14 (iii); case study 3)."""

    FULL = "full"
    PARTIAL = "partial"


class SubjectNotification(Part):
    """Whether the subject is told, or discloses themselves, and why (5.6.17, 5.6.23-5.6.25)."""

    inform_subject: bool = field("Whether the subject is told of the disclosure.", False)
    self_disclosure: bool = field("Whether the subject discloses themselves.", False)
    reason: FreeText = personal(
        "Why, from the assessment of risk.", "Telling him could put the applicant at risk."
    )


class DecisionDetails(Part):
    """The disclosure decision as the forum and the decision maker record it (5.6)."""

    disclose: bool = field("Whether a disclosure will be made.", True)
    tests: tuple[TestAnswer, ...] = offence(
        "The three-stage test, each stage answered (5.6.14).",
        [
            {
                "test": "power-to-disclose",
                "met": True,
                "rationale": "Necessary to protect a child.",
            },
            {"test": "pressing-need", "met": True, "rationale": "Unsupervised weekend access."},
            {
                "test": "necessary-and-proportionate",
                "met": True,
                "rationale": "Risk to the child outweighs the subject's Article 8 rights.",
            },
        ],
        default=(),
    )
    recipient: Recipient | None = personal(
        "Who receives it (5.6.19).",
        {"relationship": "applicant", "name": {"forenames": ["Sarah"], "surname": "Jones"}},
        default=None,
    )
    other_recipients: tuple[Recipient, ...] = personal(
        "Anyone else it is made to, e.g. the carer of case study 3.", [], default=()
    )
    extent: Extent | None = field("Full or partial.", "full", default=None)
    content: FreeText | None = offence(
        "What will be disclosed.",
        "Convicted in 2009 of a sexual offence against a child.",
        default=None,
    )
    subject_notification: SubjectNotification | None = personal(
        "Whether the subject is told (5.6.23-5.6.25).",
        {"inform_subject": False, "self_disclosure": False, "reason": "Risk to the applicant."},
        default=None,
    )
    community_risk_assessment_required: bool = field(
        "Whether a community risk assessment is required (5.6.26: always, when disclosing).", True
    )
    likelihood_of_contact: FreeText | None = offence(
        "How likely actual contact between the subject and the child is, and why that is "
        "enough for the test (4.7); given whenever disclosing.",
        "He stays at the family home most weekends and collects the child from school.",
        default=None,
    )
    data_protection: FreeText | None = offence(
        "How the disclosure accords with the data protection principles: only what is "
        "needed, to whom it is needed, kept confidential (5.6.14); given whenever disclosing.",
        "Only the conviction and its date, to the mother alone, under a signed undertaking.",
        default=None,
    )


class DisclosureDecidedV1(DecisionDetails, Message):
    """Event: whether to disclose, what, to whom, and whether the subject is told (5.6)."""

    TYPE: ClassVar[str] = "csods.disclosure.disclosure-decided.v1"

    case_reference: CaseReference
    decided_at: AwareDatetime = field("When.", "2026-12-01T10:00:00+00:00")

    RULES: ClassVar[tuple[str, ...]] = (
        "a disclosure needs all three stages of the test met (5.6.14)",
        "a disclosure records its recipient, extent, content and whether the subject is told",
        "a disclosure requires a community risk assessment (5.6.26)",
    )

    @model_validator(mode="after")
    def _complete_when_disclosing(self) -> Self:
        if not self.disclose:
            return self
        answered = {answer.test for answer in self.tests if answer.met}
        if answered != set(LegalTest):
            raise ValueError(self.RULES[0])
        needed = ("recipient", "extent", "content", "subject_notification")
        if any(getattr(self, name) is None for name in needed):
            raise ValueError(self.RULES[1])
        if not self.community_risk_assessment_required:
            raise ValueError(self.RULES[2])
        return self


class Undertaking(StrEnum):
    """The recipient's undertaking of confidentiality (5.6.21)."""

    SIGNED = "signed"
    REFUSED = "refused"


class DeliveryDetails(Part):
    """How a disclosure was delivered, as the officer records it (5.6.21, 5.6.22)."""

    in_person: Literal[True] = field("A disclosure is only ever made in person (5.6.21).", True)
    written_material_left: Literal[False] = field(
        "Nothing written is ever sent or left with the recipient (5.6.22).", False
    )
    warning_given: bool = field(
        "Whether the warning of 5.6.21 was given: use only to safeguard, legal proceedings.",
        True,
    )
    undertaking: Undertaking = field("Signed or refused.", "signed")
    disclosed_despite_refusal: bool | None = field(
        "When refused: whether the disclosure still went ahead (5.6.21).", None, default=None
    )
    verbatim: FreeText = offence(
        "What was said, word for word; retained by the police (5.6.9, 5.6.22).",
        "Mr Taylor was convicted in 2009 of a sexual offence against a child.",
    )
    attendees: tuple[Attendee, ...] = field(
        "Who was present; children's services are recommended (5.6.20).",
        [{"agency": "csc-warwickshire", "role": "social worker"}],
    )


class DisclosureDeliveredV1(DeliveryDetails, Message):
    """Event: the disclosure was delivered in person; what was said is kept verbatim (5.6.21)."""

    TYPE: ClassVar[str] = "csods.disclosure.disclosure-delivered.v1"

    case_reference: CaseReference
    delivered_at: AwareDatetime = field("When.", "2026-12-03T15:00:00+00:00")

    RULES: ClassVar[tuple[str, ...]] = (
        "a refused undertaking records whether disclosure went ahead, and only a refused one",
    )

    @model_validator(mode="after")
    def _refusal_has_decision(self) -> Self:
        refused = self.undertaking is Undertaking.REFUSED
        if refused != (self.disclosed_despite_refusal is not None):
            raise ValueError(self.RULES[0])
        return self


class NonDisclosureMethod(StrEnum):
    """How 'no information to disclose' was conveyed (5.6.4, 5.6.5)."""

    VISIT = "visit"
    LETTER = "letter"


class NonDisclosureCommunicatedV1(Message):
    """Event: the applicant was told there is nothing to disclose, with safeguarding advice."""

    TYPE: ClassVar[str] = "csods.disclosure.non-disclosure-communicated.v1"

    case_reference: CaseReference
    method: NonDisclosureMethod = field("A visit (best practice) or a letter.", "visit")
    safeguarding_advice_given: bool = field("Whether the advice of 5.6.7 was given.", True)
    told_no_information_is_not_no_risk: Literal[True] = field(
        "The applicant was told that no information does not mean no risk (5.6.6).", True
    )
    letter_reference: str | None = field(
        "The letter's reference, when by letter.", None, default=None, max_length=64
    )
    communicated_at: AwareDatetime = field("When.", "2026-12-03T15:00:00+00:00")


class ProtectiveAction(StrEnum):
    """Action taken to protect a child, with or without a disclosure (case studies 1, 2, 4)."""

    SAFEGUARDING_ADVICE = "safeguarding-advice"
    CHILD_PROTECTION_REFERRAL = "child-protection-referral"
    SUBJECT_WARNED = "subject-warned"
    LICENCE_OR_ORDER_ENFORCED = "licence-or-order-enforced"
    OTHER = "other"


class ProtectiveActionRecordedV1(Message):
    """Event: protective action was taken for a child."""

    TYPE: ClassVar[str] = "csods.disclosure.protective-action-recorded.v1"

    case_reference: CaseReference
    actions: tuple[ProtectiveAction, ...] = field(
        "What was done.", ["child-protection-referral"], min_length=1
    )
    description: FreeText = offence(
        "What and why.", "Referred to children's social care; subject's contact now supervised."
    )
    recorded_at: AwareDatetime = field("When.", "2026-12-03T16:00:00+00:00")


class Outcome(StrEnum):
    """How a case ended: the four categories of the 2009 case studies, or withdrawn."""

    DISCLOSURE = "disclosure"  # case study 1
    NO_DISCLOSURE_PROTECTIVE_ACTION = "no-disclosure-protective-action"  # case study 2
    PARTIAL_DISCLOSURE = "partial-disclosure"  # case study 3
    NO_DISCLOSURE = "no-disclosure"  # case study 4
    WITHDRAWN = "withdrawn"
    REDIRECTED = "redirected"  # 3.7: another route, closed at the initial contact (6.1)
    SUBMITTED_AS_INTELLIGENCE = "submitted-as-intelligence"  # 5.2.5: no application (6.1)


class FinalIntelligenceReportV1(Message):
    """Command to INI: the final intelligence report of a closed case, retrievable by every
    force, so that many requests about one subject can be seen together (6.1)."""

    TYPE: ClassVar[str] = "csods.disclosure.final-intelligence-report.v1"

    report_reference: str = field(
        "The report's reference.", "FIR-warwickshire-2026-000042", min_length=1, max_length=100
    )
    force: Tenant = field("The force that closed the case.", "warwickshire")
    case_reference: CaseReference
    subject: SubjectParticulars | None = personal(
        "Who the request was about.",
        {"names": [{"forenames": ["Mark"], "surname": "Taylor"}], "date_of_birth": {"year": 1981}},
        default=None,
    )
    route: DecisionRoute | None = field("The decision route, if reached.", "concerns", default=None)
    outcome: Outcome = field("How the case ended.", "disclosure")
    summary: FreeText = offence(
        "The request, outcome and parties, as the force records them (6.1).",
        "Application by a parent about a family friend; disclosure made; SOPO breach charged.",
    )
    closed_at: AwareDatetime = field("When the case closed.", "2026-12-05T16:00:00+00:00")
    applicant: Applicant | None = personal(
        "Who asked, as far as the force knows (6.1: details of all parties involved).",
        None,
        default=None,
    )
    children: tuple[Child, ...] = personal(
        "The children the request was about (6.1: all parties).", [], default=()
    )


class RequestOnRecord(Part):
    """One disclosure request INI holds against a subject: a force's final intelligence report."""

    force: Tenant = field("The force that made the request and closed it.", "cleveland")
    case_reference: CaseReference
    outcome: Outcome = offence("How that case ended.", "no-disclosure")
    closed_at: AwareDatetime = field("When that case closed.", "2026-09-14T11:00:00+00:00")


class RepeatedRequestsFlaggedV1(Message):
    """Notice from INI to a force: the subject of one of its cases has had several disclosure
    requests made about them, by this force or by others (6.1: patterns where a subject has
    many requests made against them, to help safeguard children).

    Every force that made one of the requests is told, each on its own inbox, whenever a new
    report lands on the subject; each notice lists every request on record.
    """

    TYPE: ClassVar[str] = "csods.disclosure.repeated-requests-flagged.v1"
    ADDRESSED_TO: ClassVar[str | None] = "force"

    force: Tenant = field(
        "The force told: one that made a request about the subject.", "warwickshire"
    )
    case_reference: CaseReference = field(
        "The told force's most recent case about the subject.",
        "warwickshire-2026-000042",
    )
    subject_reference: str = personal(
        "INI's reference for the subject, the same in every force's notice.",
        "INI/000812",
        min_length=1,
        max_length=100,
    )
    requests: tuple[RequestOnRecord, ...] = field(
        "Every request on record about the subject, oldest first.",
        [
            {
                "force": "cleveland",
                "case_reference": "cleveland-2026-000007",
                "outcome": "no-disclosure",
                "closed_at": "2026-09-14T11:00:00+00:00",
            },
            {
                "force": "warwickshire",
                "case_reference": "warwickshire-2026-000042",
                "outcome": "disclosure",
                "closed_at": "2026-12-05T16:00:00+00:00",
            },
        ],
        min_length=2,
        max_length=1000,
    )
    flagged_at: AwareDatetime = field("When INI raised the flag.", "2026-12-05T16:00:02+00:00")

    RULES: ClassVar[tuple[str, ...]] = (
        "case_reference: must be one of the told force's own requests listed (6.1)",
    )

    @model_validator(mode="after")
    def _told_force_made_a_request(self) -> Self:
        own = [r for r in self.requests if r.force == self.force]
        if not any(r.case_reference == self.case_reference for r in own):
            raise ValueError(self.RULES[0])
        return self


class CaseClosedV1(Message):
    """Event: a case is closed and its final intelligence report submitted (6.1)."""

    TYPE: ClassVar[str] = "csods.disclosure.case-closed.v1"

    case_reference: CaseReference
    route: DecisionRoute | None = field(
        "The decision route taken, if the case reached one.", "concerns", default=None
    )
    outcome: Outcome = field("How the case ended.", "no-disclosure")
    closed_at: AwareDatetime = field("When the case was closed.", "2026-12-01T16:00:00+00:00")
    final_intelligence_report: str = field(
        "The reference of the final intelligence report on the force's system (6.1).",
        "FIR-warwickshire-2026-000042",
        min_length=1,
        max_length=100,
    )


class CaseOutcomeV1(Message):
    """Notice from a force to an agency it consulted on a case: how the case ended, so that what
    came to light is shared with the agencies concerned and they can act on it (6.3). It names
    the route and the outcome only, never what was disclosed or to whom (5.6.22)."""

    TYPE: ClassVar[str] = "csods.disclosure.case-outcome.v1"

    consultation_id: CorrelationId
    force: Tenant = field(
        "The force that consulted the agency and closed the case.", "warwickshire"
    )
    agency: Tenant = field("The agency told.", "csc-warwickshire")
    case_reference: CaseReference
    route: DecisionRoute | None = field(
        "The decision route taken, if the case reached one.", "concerns", default=None
    )
    outcome: Outcome = field("How the case ended.", "no-disclosure-protective-action")
    closed_at: AwareDatetime = field("When the case was closed.", "2026-12-01T16:00:00+00:00")


class HandoffCaseClosedV1(Message):
    """Notice from the owning force to a force that responded for a party of the case: the
    case closed, so that the agencies that force consulted learn how it ended too (6.3, 4.10).
    The route and the outcome only, never what was disclosed or to whom (5.6.22)."""

    TYPE: ClassVar[str] = "csods.disclosure.handoff-case-closed.v1"
    ADDRESSED_TO: ClassVar[str | None] = "responding_force"

    handoff_id: CorrelationId
    owning_force: Tenant = field("The force that owned and closed the case.", "warwickshire")
    responding_force: Tenant = field("The force that responded for a party.", "cleveland")
    owning_case_reference: CaseReference
    responding_case_reference: CaseReference
    route: DecisionRoute | None = field(
        "The decision route taken, if the case reached one.", "concerns", default=None
    )
    outcome: Outcome = field("How the case ended.", "disclosure")
    closed_at: AwareDatetime = field("When the case was closed.", "2026-12-01T16:00:00+00:00")
