"""The rules of stages 1 to 3 (circular 3.7, 4.2, 5.1-5.3): pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from schemas.checks import System
from schemas.intake import (
    CONSENT_ASKED,
    NOT_TO_CONTACT,
    REDIRECT_REASON,
    SAFE_CONTACT,
    SHARING_EXPLAINED,
    ApplicantWarning,
    FaceToFaceDetails,
    InitialContactDetails,
    IntelligenceReason,
)
from schemas.parties import Consent, IdentityVerification, RiskAnswer, RiskQuestion
from schemas.safeguarding import Risk
from schemas.stages import SchemeProfile, Stage
from services.runtime.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When each stage of a case must be reached."""

    stage1_due_at: datetime
    face_to_face_due_at: datetime
    risk_assessment_due_at: datetime
    closure_due_at: datetime


# (stage 1, face to face, full risk assessment, closure), measured from the initial contact.
_TIMESCALES: dict[SchemeProfile, tuple[timedelta, timedelta, timedelta, timedelta]] = {
    # 5.1.13: stage 1 within 24 hours; 5.1.7: face to face within the next 10 days;
    # 5.4.8: stage 4 within 10 days; 5.6.27: 45 days from start to finish.
    SchemeProfile.CSODS_2010: (
        timedelta(hours=24),
        timedelta(days=10),
        timedelta(days=10),
        timedelta(days=45),
    ),
    # 2023 police guidance: checks within 24 hours, interview within 10 days, full risk
    # assessment normally within 28 days; no separate closure limit, so closure is held to 28.
    SchemeProfile.CSODS_2023: (
        timedelta(hours=24),
        timedelta(days=10),
        timedelta(days=28),
        timedelta(days=28),
    ),
    # DVDS 2023: Right to Ask and Right to Know each completed within 28 days.
    SchemeProfile.DVDS_2023: (
        timedelta(hours=24),
        timedelta(days=10),
        timedelta(days=28),
        timedelta(days=28),
    ),
}


def deadlines(profile: SchemeProfile, initial_contact_at: datetime) -> Deadlines:
    """The deadlines of a case under its scheme profile, from the initial contact."""
    stage1, face_to_face, assessment, closure = _TIMESCALES[profile]
    return Deadlines(
        stage1_due_at=initial_contact_at + stage1,
        face_to_face_due_at=initial_contact_at + face_to_face,
        risk_assessment_due_at=initial_contact_at + assessment,
        closure_due_at=initial_contact_at + closure,
    )


def case_reference(force: str, year: int, number: int) -> str:
    """The owning force's reference of its `number`th case of `year`."""
    if not 1 <= number <= 999_999:
        raise ValueError("a force numbers at most 999,999 cases a year")
    return f"{force}-{year:04d}-{number:06d}"


class Route(StrEnum):
    """Where an initial contact goes."""

    REGISTER = "register"  # a scheme application (4.2)
    REDIRECT = "redirect"  # another route: CRB check, subject access, FOI, vetting (3.7)
    INTELLIGENCE = "intelligence"  # anonymous, or no identified child (5.2.5)


@dataclass(frozen=True, slots=True)
class Triage:
    """The route of an initial contact and why."""

    route: Route
    intelligence_reason: IntelligenceReason | None = None


def triage(contact: InitialContactDetails) -> Triage:
    """Decide the route of an initial contact, checking what a registered enquiry needs."""
    if contact.redirect_to is not None:
        # 3.7, 4.2: the scheme does not replace these routes; not counted as an application.
        if not contact.redirect_reason:
            raise RuleViolation("redirect_reason", REDIRECT_REASON)
        return Triage(Route.REDIRECT)
    if contact.anonymous:
        # 5.2.5: an anonymous informant does not qualify; their information is intelligence.
        return Triage(Route.INTELLIGENCE, IntelligenceReason.ANONYMOUS_APPLICANT)
    if not contact.children_identified:
        # 5.2.5: without specific children it is not part of the scheme.
        return Triage(Route.INTELLIGENCE, IntelligenceReason.NO_IDENTIFIED_CHILD)
    require_safe_contact(contact)
    require_consent_asked(contact.consent)
    return Triage(Route.REGISTER)


def require_safe_contact(contact: InitialContactDetails) -> None:
    """5.1.6, 5.2.5: how, where and when it is safe to make contact, and where not."""
    if contact.contact is None:
        raise RuleViolation("contact", SAFE_CONTACT)
    if not contact.contact.not_to_contact:
        raise RuleViolation("contact.not_to_contact", NOT_TO_CONTACT)


def require_consent_asked(consent: Consent | None) -> None:
    """5.1.12: consent is sought, and it is explained that sharing may happen without it."""
    if consent is None:
        raise RuleViolation("consent", CONSENT_ASKED)
    if not consent.told_sharing_may_happen_without_consent:
        raise RuleViolation("consent.told_sharing_may_happen_without_consent", SHARING_EXPLAINED)


@dataclass(frozen=True, slots=True)
class Escalation:
    """Urgent action required now (2.7, 5.1.11, 5.2.14)."""

    risk: Risk
    section_47: bool
    grounds: str


# Answers that mean harm to a child is happening or about to: act at once, jointly with
# children's social care as a section 47 enquiry (5.1.11).
_IMMEDIATE = {
    RiskQuestion.CHILD_HAS_DISCLOSED_HARM,
    RiskQuestion.CHILD_SHOWS_SIGNS_OF_HARM,
    RiskQuestion.THREATS_OR_VIOLENCE,
}


def escalation(
    answers: tuple[RiskAnswer, ...], applicant_at_risk: bool | None, stage: Stage
) -> Escalation | None:
    """Any positive answer raises a safeguarding escalation, at whatever stage (2.7, 5.1.11)."""
    positive = [answer.question for answer in answers if answer.answer]
    if applicant_at_risk:
        positive.append(RiskQuestion.APPLICANT_AT_RISK_FROM_SUBJECT)
    if not positive:
        return None
    child_at_risk = [
        question
        for question in positive
        if question is not RiskQuestion.APPLICANT_AT_RISK_FROM_SUBJECT
    ]
    risk = Risk.IMMEDIATE if set(positive) & _IMMEDIATE else Risk.IMMINENT
    grounds = f"At {stage.value}: " + ", ".join(sorted(question.value for question in positive))
    return Escalation(risk=risk, section_47=bool(child_at_risk), grounds=grounds)


REQUIRED_WARNINGS: frozenset[ApplicantWarning] = frozenset(ApplicantWarning)


def check_face_to_face(details: FaceToFaceDetails) -> None:
    """5.2.4, 5.2.9-5.2.11: every warning is given and acknowledged; contact stays safe."""
    missing = sorted(warning.value for warning in REQUIRED_WARNINGS - set(details.warnings_given))
    if missing:
        raise RuleViolation("warnings_given", f"not given: {', '.join(missing)} (5.2.4-5.2.11)")
    if not details.warnings_acknowledged:
        raise RuleViolation("warnings_acknowledged", "the applicant acknowledges the warnings")
    if not details.contact.not_to_contact:
        raise RuleViolation(
            "contact.not_to_contact",
            "record where or how contact must not be made, or 'none' (5.2.5)",
        )


def face_to_face_is_application(details: FaceToFaceDetails) -> bool:
    """5.2.5: without an identified child the information is intelligence, not an application."""
    return bool(details.children)


def disclosure_possible(identity: IdentityVerification | None) -> bool:
    """5.2.8: no disclosure can be made without verified identity; checks may still go on."""
    return identity is not None and identity.verified


# 5.1.9: PNC, ViSOR (if the subject has a ViSOR marker on PNC) and local intelligence.
STAGE_ONE_SYSTEMS: tuple[System, ...] = (System.PNC, System.VISOR, System.LOCAL_INTELLIGENCE)
# 5.2.12: the same again, and INI must be completed at this stage.
STAGE_TWO_SYSTEMS: tuple[System, ...] = (*STAGE_ONE_SYSTEMS, System.INI)


def parties_known(*, applicant: bool, children: tuple[str, ...], subject: bool) -> tuple[str, ...]:
    """The parties that can be checked: 5.1.9 checks the applicant, each child and the subject."""
    return (
        *(("subject",) if subject else ()),
        *(("applicant",) if applicant else ()),
        *children,
    )
