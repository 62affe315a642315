"""Messages of stages 1 to 3: initial contact, face to face, empowerment (circular 5.1-5.3)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from schemas.base import Message, Part
from schemas.fields import field, personal
from schemas.parties import (
    SUBJECT_EXAMPLE,
    Applicant,
    Child,
    Consent,
    ContactArrangements,
    IdentityVerification,
    RiskAnswer,
    SubjectParticulars,
)
from schemas.stages import SchemeProfile
from schemas.types import CaseReference, FreeText, SubmissionId, Tenant

_CONTACT = {"how": "mobile-phone", "where": "07700 900123", "when": "Weekdays 09:00-15:00"}
_CONSENT = {"to_share_with_agencies": True, "told_sharing_may_happen_without_consent": True}
_RISK = [{"question": "subject-has-unsupervised-access-now", "answer": False}]


class Channel(StrEnum):
    """How the initial contact reached the police (5.1.2)."""

    STATION = "station"
    STREET = "street"
    INCIDENT = "incident"
    TELEPHONE = "telephone"
    ONLINE_PORTAL = "online-portal"


class OtherRoute(StrEnum):
    """Requests the scheme does not replace (3.7, 5.1.7)."""

    CRIMINAL_RECORDS_CHECK = "criminal-records-check"
    SUBJECT_ACCESS = "subject-access"
    FREEDOM_OF_INFORMATION = "freedom-of-information"
    VETTING_AND_BARRING = "vetting-and-barring"


class IntelligenceReason(StrEnum):
    """Why information became an intelligence submission, not an application (5.2.5, 5.2.8)."""

    ANONYMOUS_APPLICANT = "anonymous-applicant"
    NO_IDENTIFIED_CHILD = "no-identified-child"
    IDENTITY_NOT_VERIFIED = "identity-not-verified"


class ApplicantWarning(StrEnum):
    """The warnings and explanations given at the face to face (5.2.4, 5.2.9-5.2.11)."""

    FALSE_INFORMATION_MAY_BE_PROSECUTED = "false-information-may-be-prosecuted"  # 5.2.4
    CONFIDENTIALITY_PENDING_OUTCOME = "confidentiality-pending-outcome"  # 5.2.9
    SUBJECT_MAY_BE_TOLD = "subject-may-be-told"  # 5.2.9
    EVIDENCE_OF_OFFENCE_ENDS_CONFIDENTIALITY = "evidence-of-offence-ends-confidentiality"  # 5.2.10
    USE_ONLY_TO_SAFEGUARD = "use-only-to-safeguard"  # 5.2.11
    UNDERTAKING_WILL_BE_REQUIRED = "undertaking-will-be-required"  # 5.2.11


# The rules the force's intake keeps for an initial contact it registers as an enquiry: the
# contract lists them (`x-rules`), and a refusal gives one of them word for word.
REDIRECT_REASON = "a redirected enquiry records why (3.7)"
SAFE_CONTACT = "how, where and when it is safe to make contact is required (5.1.6)"
NOT_TO_CONTACT = "record where or how contact must not be made, or 'none' (5.1.6)"
CONSENT_ASKED = "the applicant's consent to sharing is asked (5.1.12)"
SHARING_EXPLAINED = (
    "it must be explained that sharing may happen without consent if a child is at risk (5.1.12)"
)


class InitialContactDetails(Part):
    """What is taken at the initial contact (5.1, Appendix B), whichever way it arrives."""

    RULES: ClassVar[tuple[str, ...]] = (
        f"redirect_reason: {REDIRECT_REASON}",
        f"contact: {SAFE_CONTACT}, unless redirected, anonymous or with no identified child",
        f"contact.not_to_contact: {NOT_TO_CONTACT}, unless redirected, anonymous or with no "
        "identified child",
        f"consent: {CONSENT_ASKED}, unless redirected, anonymous or with no identified child",
        f"consent.told_sharing_may_happen_without_consent: {SHARING_EXPLAINED}, unless "
        "redirected, anonymous or with no identified child",
    )

    channel: Channel = field("How the initial contact was made (5.1.2).", "online-portal")
    received_at: AwareDatetime = field(
        "When the force received the contact; stage 1's 24 hours run from here.",
        "2026-11-22T09:30:00+00:00",
    )
    scheme_profile: SchemeProfile = field(
        "Whose timescales apply to the case.", "csods-2010", default=SchemeProfile.CSODS_2010
    )
    anonymous: bool = field(
        "The person will not give their particulars: not an application (5.2.5).",
        False,
        default=False,
    )
    contact: ContactArrangements | None = personal(
        "How, where and when it is safe to make contact (5.1.6); absent only if anonymous.",
        _CONTACT,
        default=None,
    )
    consent: Consent | None = field(
        "Consent to share with other agencies (5.1.12).", _CONSENT, default=None
    )
    applicant_at_risk: bool | None = field(
        "Whether the applicant considers themselves at risk from the subject (5.1.7).",
        False,
        default=None,
    )
    immediate_risk: tuple[RiskAnswer, ...] = personal(
        "The immediate-risk checklist as far as it could be completed (5.1.8, 5.1.10).",
        _RISK,
        default=(),
    )
    subject: SubjectParticulars | None = personal(
        "What the person knows of the subject.", SUBJECT_EXAMPLE, default=None
    )
    children_identified: bool = field(
        "Whether specific children are identified (5.2.5).", True, default=True
    )
    request: FreeText | None = personal(
        "The enquiry in the person's words.",
        "My new partner is babysitting my daughter; I want to know if he is safe.",
        default=None,
    )
    applicant: Applicant | None = personal(
        "The applicant's particulars, when given at first contact.", None, default=None
    )
    children: tuple[Child, ...] = personal(
        "The children concerned, when given at first contact.", [], default=()
    )
    redirect_to: OtherRoute | None = field(
        "Set when the request is really another route (3.7): it is redirected, not registered.",
        None,
        default=None,
    )
    redirect_reason: FreeText | None = personal("Why it is that route.", None, default=None)


class RegisterEnquiryV1(InitialContactDetails, Message):
    """Command: register an initial contact with a force (stage 1, 5.1).

    Sent to the force's inbox by the online portal or another front-desk system.
    """

    TYPE: ClassVar[str] = "csods.intake.register-enquiry.v1"
    ADDRESSED_TO: ClassVar[str | None] = "force"

    submission_id: SubmissionId
    force: Tenant = field(
        "The force the enquiry is made to: the owning force (4.9).", "warwickshire"
    )


class EnquiryRegisteredV1(Message):
    """Event: an initial contact was registered as a case with its deadlines (5.1)."""

    TYPE: ClassVar[str] = "csods.intake.enquiry-registered.v1"

    case_reference: CaseReference
    submission_id: SubmissionId | None = field(
        "The sending system's id, when the enquiry came as a message.",
        "portal-7f3c9a1e",
        default=None,
    )
    channel: Channel = field("How the initial contact was made.", "station")
    received_at: AwareDatetime = field(
        "When the force received the contact.", "2026-11-22T09:30:00+00:00"
    )
    registered_at: AwareDatetime = field(
        "When the case was registered.", "2026-11-22T09:30:05+00:00"
    )
    scheme_profile: SchemeProfile = field("Whose timescales apply.", "csods-2010")
    stage1_due_at: AwareDatetime = field(
        "Stage 1 (initial contact and initial checks) must end by then (5.1.13).",
        "2026-11-23T09:30:00+00:00",
    )
    risk_assessment_due_at: AwareDatetime = field(
        "The full risk assessment must be reached by then (5.4.8).", "2026-12-02T09:30:00+00:00"
    )
    closure_due_at: AwareDatetime = field(
        "The whole case must be closed by then (5.6.27).", "2027-01-06T09:30:00+00:00"
    )
    contact: ContactArrangements = personal("Safe contact arrangements (5.1.6).", _CONTACT)
    consent: Consent = field("Consent to share with other agencies (5.1.12).", _CONSENT)
    applicant_at_risk: bool | None = field(
        "Whether the applicant considers themselves at risk from the subject.", False
    )
    immediate_risk: tuple[RiskAnswer, ...] = personal(
        "The immediate-risk checklist answers (5.1.8).", _RISK
    )
    subject: SubjectParticulars | None = personal(
        "What is known of the subject so far.", SUBJECT_EXAMPLE, default=None
    )
    face_to_face_due_at: AwareDatetime | None = field(
        "The face-to-face meeting must take place by then (5.1.7: within 10 days).",
        "2026-12-02T09:30:00+00:00",
        default=None,
    )
    applicant: Applicant | None = personal(
        "The applicant's particulars, if given at first contact.", None, default=None
    )
    children: tuple[Child, ...] = personal(
        "The children concerned, if given at first contact.", [], default=()
    )


class EnquiryRedirectedV1(Message):
    """Event: the enquiry belongs to another route and was sent there, not registered (3.7)."""

    TYPE: ClassVar[str] = "csods.intake.enquiry-redirected.v1"

    case_reference: CaseReference
    route: OtherRoute = field("The route the person was sent to.", "subject-access")
    reason: FreeText = personal(
        "Why it is that route and not the scheme.", "Asked for their own police record."
    )
    redirected_at: AwareDatetime = field("When.", "2026-11-22T09:40:00+00:00")

    applicant: Applicant | None = personal(
        "The applicant's particulars, as far as given (6.1: the final intelligence report names "
        "every party).",
        None,
        default=None,
    )
    subject: SubjectParticulars | None = personal(
        "What is known of the subject, if anyone (6.1).", SUBJECT_EXAMPLE, default=None
    )
    children: tuple[Child, ...] = personal("The children named, if any (6.1).", [], default=())


class IntelligenceSubmittedV1(Message):
    """Event: the information was submitted as intelligence instead of an application (5.2.5)."""

    TYPE: ClassVar[str] = "csods.intake.intelligence-submitted.v1"

    case_reference: CaseReference
    reason: IntelligenceReason = field("Why it is not an application.", "anonymous-applicant")
    summary: FreeText = personal(
        "What was reported.", "Caller reports a man loitering near the school gates."
    )
    submitted_at: AwareDatetime = field("When.", "2026-11-22T10:00:00+00:00")

    applicant: Applicant | None = personal(
        "The applicant's particulars, as far as given (6.1: the final intelligence report names "
        "every party).",
        None,
        default=None,
    )
    subject: SubjectParticulars | None = personal(
        "What is known of the subject, if anyone (6.1).", SUBJECT_EXAMPLE, default=None
    )
    children: tuple[Child, ...] = personal("The children named, if any (6.1).", [], default=())


class FaceToFaceDetails(Part):
    """What is taken at the face-to-face meeting (5.2, Appendix C)."""

    seen_at: AwareDatetime = field("When the applicant was seen.", "2026-11-25T14:00:00+00:00")
    applicant: Applicant = personal(
        "The applicant's particulars (5.2.5).",
        {
            "name": {"forenames": ["Sarah"], "surname": "Jones"},
            "date_of_birth": {"year": 1990, "month": 5, "day": 21},
            "address": {"lines": ["14 Priory Road"], "town": "Leamington Spa"},
        },
    )
    identity: IdentityVerification = personal(
        "How identity was verified (5.2.6, 5.2.7).",
        {"verified": True, "evidence": ["passport"]},
    )
    children: tuple[Child, ...] = personal(
        "The children concerned and the applicant's relationship to each (5.2.5).",
        [
            {
                "party": "child-1",
                "name": {"forenames": ["Amy"], "surname": "Jones"},
                "relationship_to_applicant": "parent",
                "relationship_verified": True,
            }
        ],
    )
    subject: SubjectParticulars = personal(
        "Everything known of the subject (5.2.5).", SUBJECT_EXAMPLE
    )
    contact: ContactArrangements = personal("Safe contact arrangements (5.2.5).", _CONTACT)
    warnings_given: tuple[ApplicantWarning, ...] = field(
        "The warnings given (5.2.4, 5.2.9-5.2.11).",
        [
            "false-information-may-be-prosecuted",
            "confidentiality-pending-outcome",
            "subject-may-be-told",
            "evidence-of-offence-ends-confidentiality",
            "use-only-to-safeguard",
            "undertaking-will-be-required",
        ],
    )
    warnings_acknowledged: bool = field("Whether the applicant acknowledged them.", True)
    immediate_risk: tuple[RiskAnswer, ...] = personal(
        "The risk questions revisited at the face to face (5.2.12).", _RISK, default=()
    )


class ApplicationSubmittedV1(FaceToFaceDetails, Message):
    """Event: the face-to-face application was completed (stage 2, 5.2)."""

    TYPE: ClassVar[str] = "csods.intake.application-submitted.v1"

    case_reference: CaseReference
    children: tuple[Child, ...] = personal(
        "The children concerned and the applicant's relationship to each (5.2.5).",
        [
            {
                "party": "child-1",
                "name": {"forenames": ["Amy"], "surname": "Jones"},
                "relationship_to_applicant": "parent",
                "relationship_verified": True,
            }
        ],
        min_length=1,
    )


class PackFormat(StrEnum):
    """How the information pack was given (5.3)."""

    PAPER = "paper"
    ONLINE = "online"


class InformationPackGivenV1(Message):
    """Event: the applicant was given the information pack (stage 3, 5.3)."""

    TYPE: ClassVar[str] = "csods.intake.information-pack-given.v1"

    case_reference: CaseReference
    given_at: AwareDatetime = field("When.", "2026-11-25T14:45:00+00:00")
    format: PackFormat = field("Paper or online.", "paper")
