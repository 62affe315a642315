"""Messages of the full risk assessment, consultations, forums and handoffs (5.4-5.6.12, 4.9)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, model_validator

from schemas.base import Message, Part
from schemas.checks import Finding
from schemas.fields import field, offence, personal
from schemas.parties import SUBJECT_EXAMPLE, Child, SubjectParticulars
from schemas.types import CaseReference, CorrelationId, FreeText, PartyId, Tenant


class DecisionRoute(StrEnum):
    """The two decision routes of stage 5 (5.5.1)."""

    CONCERNS = "concerns"
    NO_CONCERNS = "no-concerns"


class ConcernCategory(StrEnum):
    """Why an application raises 'concerns' (5.5.3 (i)-(iv))."""

    CHILD_SEXUAL_OFFENCE_CONVICTION = "child-sexual-offence-conviction"  # (i)
    OTHER_RELEVANT_CONVICTION = "other-relevant-conviction"  # (ii)
    RELEVANT_INTELLIGENCE = "relevant-intelligence"  # (iii)
    CONCERNING_BEHAVIOUR = "concerning-behaviour"  # (iv)


class Forum(StrEnum):
    """Where the disclosure decision is made (5.6.12)."""

    MAPPA_MEETING = "mappa-meeting"
    STRATEGY_MEETING = "strategy-meeting"
    STRATEGY_DISCUSSION = "strategy-discussion"
    CASE_CONFERENCE = "case-conference"
    OTHER_PROFESSIONALS_MEETING = "other-professionals-meeting"  # the exception


class AgencyKind(StrEnum):
    """Agencies consulted for the full risk assessment (5.4.5)."""

    CHILDRENS_SOCIAL_CARE = "childrens-social-care"
    PROBATION = "probation"
    HEALTH = "health"
    EDUCATION = "education"
    OTHER = "other"


class LawfulBasis(StrEnum):
    """Why children's social care may be told (5.4.5)."""

    CONSENT = "consent"
    NECESSITY = "necessity"  # the circumstances require it without consent


class ConsultationOutcome(StrEnum):
    """How an agency answered."""

    INFORMATION_SHARED = "information-shared"
    NOTHING_KNOWN = "nothing-known"
    DECLINED_TO_SHARE = "declined-to-share"


class RiskAssessmentCompletedV1(Message):
    """Event: the full risk assessment categorised the application (5.4.7, 5.5)."""

    TYPE: ClassVar[str] = "csods.multiagency.risk-assessment-completed.v1"

    case_reference: CaseReference
    route: DecisionRoute = field("'concerns' or 'no concerns'.", "concerns")
    categories: tuple[ConcernCategory, ...] = field(
        "Why 'concerns' (5.5.3); empty for 'no concerns' (5.5.5).",
        ["child-sexual-offence-conviction"],
        default=(),
    )
    subject_meets_mappa_criteria: bool = field(
        "Whether the subject meets the MAPPA criteria, which decides the forum (5.6.12).", True
    )
    rationale: FreeText = offence(
        "The reasoning of the officer who signed the assessment off (5.4.2); where no officer "
        "did (`signed_off_by` empty: a pipeline with no person in it), the records' summary.",
        "Convicted 2009 of a Schedule 34A offence; now has access.",
    )
    completed_at: AwareDatetime = field("When.", "2026-11-28T16:00:00+00:00")
    agencies_not_answered: tuple[Tenant, ...] = field(
        "Agencies consulted that had not answered by the time asked: the assessment went "
        "ahead without them, and says so.",
        ["probation-west-midlands"],
        default=(),
    )
    agencies_declined: tuple[Tenant, ...] = field(
        "Agencies consulted that declined to share.", [], default=()
    )
    signed_off_by: str | None = personal(
        "The trained officer who signed the assessment off, answering Appendix D's questions "
        "(5.4.2, 5.4.3); empty where no person is in the pipeline.",
        "PC 4711",
        default=None,
        max_length=100,
    )

    RULES: ClassVar[tuple[str, ...]] = (
        "'concerns' needs at least one category and 'no concerns' none",
    )

    @model_validator(mode="after")
    def _categories_match_route(self) -> Self:
        if (self.route is DecisionRoute.CONCERNS) != bool(self.categories):
            raise ValueError(self.RULES[0])
        return self


class RequestConsultationV1(Message):
    """Command to an agency: share what you know to inform the risk assessment (5.4.5)."""

    TYPE: ClassVar[str] = "csods.multiagency.request-consultation.v1"

    consultation_id: CorrelationId
    asking_force: Tenant = field("The force asking; the answer goes to its inbox.", "warwickshire")
    case_reference: CaseReference
    agency_kind: AgencyKind = field("What kind of agency is asked.", "childrens-social-care")
    lawful_basis: LawfulBasis = field("Consent, or necessity without consent.", "consent")
    necessity_reason: FreeText | None = personal(
        "Why sharing without consent is necessary (5.4.5).", None, default=None
    )
    subject: SubjectParticulars = personal("Who the subject is.", SUBJECT_EXAMPLE)
    children: tuple[Child, ...] = personal("The children concerned.", [], default=())
    question: FreeText = personal(
        "What the force needs to know.", "Is the subject or the child known to you?"
    )
    respond_by: AwareDatetime = field("When the answer is needed.", "2026-11-27T17:00:00+00:00")

    RULES: ClassVar[tuple[str, ...]] = (
        "sharing without consent records why it is necessary (5.4.5)",
    )

    @model_validator(mode="after")
    def _necessity_has_reason(self) -> Self:
        if self.lawful_basis is LawfulBasis.NECESSITY and not self.necessity_reason:
            raise ValueError(self.RULES[0])
        return self


class RemindConsultationV1(Message):
    """Command to an agency: a reminder that the force still waits for its answer.

    Carries no personal data: the agency answers the request it already holds.
    """

    TYPE: ClassVar[str] = "csods.multiagency.remind-consultation.v1"

    consultation_id: CorrelationId
    asking_force: Tenant = field("The force asking; the answer goes to its inbox.", "warwickshire")
    case_reference: CaseReference
    respond_by: AwareDatetime = field("When the answer is needed.", "2026-11-27T17:00:00+00:00")
    reminded_at: AwareDatetime = field("When the reminder was sent.", "2026-11-26T17:00:00+00:00")


class ConsultationRequestedV1(Message):
    """Event: a force asked an agency for information, and on what basis."""

    TYPE: ClassVar[str] = "csods.multiagency.consultation-requested.v1"

    consultation_id: CorrelationId
    case_reference: CaseReference
    agency: Tenant = field("The agency asked.", "csc-warwickshire")
    agency_kind: AgencyKind = field("What kind of agency.", "childrens-social-care")
    lawful_basis: LawfulBasis = field("Consent or necessity.", "consent")
    necessity_reason: FreeText | None = personal("Why without consent, if so.", None, default=None)
    requested_at: AwareDatetime = field("When.", "2026-11-25T15:00:00+00:00")
    respond_by: AwareDatetime = field("When the answer is needed.", "2026-11-27T17:00:00+00:00")


class ConsultationAnsweredV1(Message):
    """Event from an agency to the asking force: what it knows, or that it will not share."""

    TYPE: ClassVar[str] = "csods.multiagency.consultation-answered.v1"

    consultation_id: CorrelationId
    case_reference: CaseReference
    agency: Tenant = field("The agency answering.", "csc-warwickshire")
    outcome: ConsultationOutcome = field("How it answered.", "information-shared")
    information: FreeText | None = offence(
        "What the agency shared.",
        "Child subject to a child protection plan since 2025.",
        default=None,
    )
    child_protection_plan: bool | None = field(
        "Whether a child concerned has an open child protection plan.", True, default=None
    )
    supervised_by_probation: bool | None = field(
        "Whether probation supervises the subject.", None, default=None
    )
    mappa_level: int | None = field(
        "The MAPPA level the subject is managed at, if any.", None, default=None, ge=1, le=3
    )
    answered_at: AwareDatetime = field("When.", "2026-11-26T11:00:00+00:00")


class ConsultationOverdueV1(Message):
    """Event: an agency has not answered by the time asked."""

    TYPE: ClassVar[str] = "csods.multiagency.consultation-overdue.v1"

    consultation_id: CorrelationId
    case_reference: CaseReference
    agency: Tenant = field("The agency that has not answered.", "probation-west-midlands")
    respond_by: AwareDatetime = field("When it was due.", "2026-11-27T17:00:00+00:00")
    noticed_at: AwareDatetime = field("When it was found overdue.", "2026-11-27T17:00:01+00:00")


class HandoffAction(StrEnum):
    """What the owning force asks the responding force to do (4.10)."""

    LOCAL_CHECKS = "local-checks"
    RISK_ASSESSMENT = "risk-assessment"
    FORUM = "forum"
    DELIVER_DISCLOSURE = "deliver-disclosure"
    # 4.10, 3.5: a child lives there; that force consults its own children's social care
    # about the child, under its area's safeguarding procedures, and returns what it learns.
    SAFEGUARDING = "safeguarding"


class HandoffRequestedV1(Message):
    """Command to a responding force: take responsibility for a party who lives there (4.10).

    Carries only what the responding force needs; the applicant stays with the owning force.
    """

    TYPE: ClassVar[str] = "csods.multiagency.handoff-requested.v1"
    ADDRESSED_TO: ClassVar[str | None] = "responding_force"

    handoff_id: CorrelationId
    owning_force: Tenant = field("The force that owns the case (4.9).", "warwickshire")
    responding_force: Tenant = field("The force asked to respond (4.10).", "cleveland")
    owning_case_reference: CaseReference
    party: PartyId = field(
        "The party handed off: the subject, or one of the children sent when the subject does "
        "not live in the responding force's area.",
        "subject",
    )
    particulars: SubjectParticulars = personal(
        "The subject: the party when `party` is 'subject', and the person the risk is about "
        "when the party is a child.",
        SUBJECT_EXAMPLE,
    )
    children: tuple[Child, ...] = personal(
        "The children of the case who live in the responding force's area, for whom it takes "
        "the safeguarding actions with its own children's social care (4.10, 3.5); `party` "
        "names one of them when the subject does not live there.",
        [],
        default=(),
    )
    actions: tuple[HandoffAction, ...] = field(
        "What is asked.", ["local-checks", "forum"], min_length=1
    )
    lawful_basis: LawfulBasis | None = field(
        "The basis on which the children sent may be shared with the responding force's "
        "children's social care (5.1.12, 5.4.5); none when no child is sent or nothing "
        "justifies sharing without consent.",
        None,
        default=None,
    )
    necessity_reason: FreeText | None = personal(
        "Why sharing the children's case without consent is necessary (5.4.5).", None, default=None
    )
    respond_by: AwareDatetime = field("When findings are needed.", "2026-12-10T17:00:00+00:00")
    closure_due_at: AwareDatetime = field(
        "The owning force's overall deadline, which it keeps.", "2027-01-06T09:30:00+00:00"
    )

    RULES: ClassVar[tuple[str, ...]] = (
        "a party other than the subject is one of the children sent (4.10)",
        "sharing without consent records why it is necessary (5.4.5)",
    )

    @model_validator(mode="after")
    def _party_is_sent(self) -> Self:
        if self.party != "subject" and self.party not in {c.party for c in self.children}:
            raise ValueError(self.RULES[0])
        if self.lawful_basis is LawfulBasis.NECESSITY and not self.necessity_reason:
            raise ValueError(self.RULES[1])
        return self


class HandoffAcceptedV1(Message):
    """Event to the owning force: the responding force took the party on, under its own case."""

    TYPE: ClassVar[str] = "csods.multiagency.handoff-accepted.v1"

    handoff_id: CorrelationId
    owning_case_reference: CaseReference
    responding_force: Tenant = field("The force that accepted.", "cleveland")
    responding_case_reference: CaseReference
    accepted_at: AwareDatetime = field("When.", "2026-11-26T09:00:00+00:00")


class HandoffDeclinedV1(Message):
    """Event to the owning force: the responding force declined, with its reason."""

    TYPE: ClassVar[str] = "csods.multiagency.handoff-declined.v1"

    handoff_id: CorrelationId
    owning_case_reference: CaseReference
    responding_force: Tenant = field("The force that declined.", "cleveland")
    reason: FreeText = personal("Why.", "The subject moved out of Cleveland in 2024.")
    declined_at: AwareDatetime = field("When.", "2026-11-26T09:00:00+00:00")


class HandoffReturnedV1(Message):
    """Event to the owning force: the responding force's findings and recommendation."""

    TYPE: ClassVar[str] = "csods.multiagency.handoff-returned.v1"

    handoff_id: CorrelationId
    owning_case_reference: CaseReference
    responding_force: Tenant = field("The force returning.", "cleveland")
    responding_case_reference: CaseReference
    findings: tuple[Finding, ...] = offence("What its local checks found.", [], default=())
    forum: Forum | None = field("The forum it held, if any.", "mappa-meeting", default=None)
    route: DecisionRoute = field("Its categorisation.", "concerns")
    recommend_disclosure: bool = field("Whether it recommends disclosure.", True)
    rationale: FreeText = offence("Why.", "MAPPA level 2; SOPO forbids unsupervised contact.")
    returned_at: AwareDatetime = field("When.", "2026-12-08T12:00:00+00:00")
    child_protection_plan: bool | None = field(
        "Whether its children's social care said a child of the handoff is subject to a child "
        "protection plan (3.5); none when it was not asked or did not say.",
        False,
        default=None,
    )


class Attendee(Part):
    """Who attended a forum or a disclosure, by agency and role."""

    agency: Tenant = field("The attendee's organisation.", "csc-warwickshire")
    role: str = field("Their role.", "social worker", max_length=80)


class Position(StrEnum):
    """An agency's position at the forum."""

    DISCLOSE = "disclose"
    DO_NOT_DISCLOSE = "do-not-disclose"
    NO_VIEW = "no-view"


class AgencyPosition(Part):
    """One agency's position and why."""

    agency: Tenant = field("The agency.", "probation-west-midlands")
    position: Position = field("Its position.", "disclose")
    rationale: FreeText | None = offence("Why.", None, default=None)


class ForumScheduledV1(Message):
    """Event: the forum that will decide was scheduled (5.6.12, 5.6.27)."""

    TYPE: ClassVar[str] = "csods.multiagency.forum-scheduled.v1"

    case_reference: CaseReference
    forum_id: CorrelationId
    forum: Forum = field("Which forum.", "mappa-meeting")
    scheduled_for: AwareDatetime = field("When it meets.", "2026-12-15T10:00:00+00:00")
    urgent: bool = field(
        "Whether an urgent meeting was convened instead of the usual (up to 28 days).", False
    )
    urgency_justification: FreeText | None = personal("Why urgent (5.6.27).", None, default=None)
    invited: tuple[Tenant, ...] = field(
        "Agencies invited.", ["csc-warwickshire", "probation-west-midlands"], default=()
    )

    RULES: ClassVar[tuple[str, ...]] = ("an urgent forum records its justification (5.6.27)",)

    @model_validator(mode="after")
    def _urgent_is_justified(self) -> Self:
        if self.urgent and not self.urgency_justification:
            raise ValueError(self.RULES[0])
        return self


class ForumDecidedV1(Message):
    """Event: the forum reached its conclusion on the case."""

    TYPE: ClassVar[str] = "csods.multiagency.forum-decided.v1"

    case_reference: CaseReference
    forum: Forum = field("The forum that decided.", "strategy-discussion")
    route: DecisionRoute = field("'concerns' or 'no concerns'.", "concerns")
    recommend_disclosure: bool = field("Whether the forum recommends disclosure.", False)
    decided_at: AwareDatetime = field("When the forum decided.", "2026-11-29T14:00:00+00:00")
    rationale: FreeText = offence(
        "Why, in the forum's words.",
        "No conviction, caution or intelligence was found on the systems checked.",
    )
    attendance: tuple[Attendee, ...] = field(
        "Who attended.", [{"agency": "warwickshire", "role": "detective sergeant"}], default=()
    )
    positions: tuple[AgencyPosition, ...] = field("Each agency's position.", [], default=())
    information_shared: FreeText | None = offence(
        "What was shared at the forum.", None, default=None
    )
    decided_by_force: Tenant | None = field(
        "The responding force whose forum decided, when the subject lives there (4.10); "
        "absent when this force's own forum decided.",
        None,
        default=None,
    )
    inform_subject: bool | None = field(
        "Whether the subject is told of the disclosure, as the forum decided when it "
        "recommended disclosure (5.6.17); empty where it recommended none.",
        False,
        default=None,
    )
    community_risk_assessment: FreeText | None = offence(
        "The forum's consideration of the risks a disclosure brings to the subject (5.6.26); "
        "given whenever it recommends disclosure.",
        None,
        default=None,
    )
    forum_met: bool = field(
        "Whether a forum met and reached this conclusion. False where nothing was found and "
        "every agency consulted answered, so the case was concluded 'no concerns' without a "
        "meeting (5.6.3): `forum` then names the forum the case would have gone to, and "
        "`attendance` is empty. Messages from before this field read as a forum that met.",
        True,
        default=True,
    )
