"""The rules of stages 1 to 3 (3.7, 4.2, 5.1-5.3), one test each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.examples import example_payload
from schemas.intake import FaceToFaceDetails, InitialContactDetails, IntelligenceReason
from schemas.parties import IdentityVerification, RiskAnswer, RiskQuestion, SubjectParticulars
from schemas.safeguarding import Risk
from schemas.stages import SchemeProfile, Stage
from services.intake import domain
from services.intake.domain import Route
from services.runtime.errors import RuleViolation

CONTACT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def contact(**changes: Any) -> InitialContactDetails:
    payload = example_payload(InitialContactDetails)
    payload["contact"] = {**payload["contact"], "not_to_contact": "Never the home landline"}
    return InitialContactDetails.model_validate({**payload, **changes})


def face_to_face(**changes: Any) -> FaceToFaceDetails:
    payload = example_payload(FaceToFaceDetails)
    payload["contact"] = {**payload["contact"], "not_to_contact": "none"}
    return FaceToFaceDetails.model_validate({**payload, **changes})


def test_a_request_for_another_route_is_redirected_not_registered() -> None:
    triage = domain.triage(
        contact(redirect_to="subject-access", redirect_reason="Wants their own record")
    )
    assert triage.route is Route.REDIRECT


def test_a_redirect_records_its_reason() -> None:
    with pytest.raises(RuleViolation, match="redirect_reason"):
        domain.triage(contact(redirect_to="freedom-of-information"))


def test_an_anonymous_applicant_becomes_an_intelligence_submission() -> None:
    triage = domain.triage(contact(anonymous=True, contact=None, consent=None))
    assert triage == domain.Triage(Route.INTELLIGENCE, IntelligenceReason.ANONYMOUS_APPLICANT)


def test_no_identified_child_becomes_an_intelligence_submission() -> None:
    triage = domain.triage(contact(children_identified=False))
    assert triage.intelligence_reason is IntelligenceReason.NO_IDENTIFIED_CHILD


def test_safe_contact_arrangements_are_mandatory() -> None:
    with pytest.raises(RuleViolation, match=r"^contact: how, where and when"):
        domain.triage(contact(contact=None))


def test_where_not_to_make_contact_is_recorded() -> None:
    payload = example_payload(InitialContactDetails)
    with pytest.raises(RuleViolation, match=r"contact\.not_to_contact"):
        domain.triage(InitialContactDetails.model_validate(payload))


def test_consent_is_asked_and_sharing_without_it_explained() -> None:
    with pytest.raises(RuleViolation, match=r"^consent: "):
        domain.triage(contact(consent=None))
    unexplained = {
        "to_share_with_agencies": False,
        "told_sharing_may_happen_without_consent": False,
    }
    with pytest.raises(RuleViolation, match="told_sharing_may_happen_without_consent"):
        domain.triage(contact(consent=unexplained))
    refused = {"to_share_with_agencies": False, "told_sharing_may_happen_without_consent": True}
    assert domain.triage(contact(consent=refused)).route is Route.REGISTER


def test_any_positive_risk_answer_escalates_at_once() -> None:
    answers = (RiskAnswer(question=RiskQuestion.CHILD_HAS_DISCLOSED_HARM, answer=True),)
    found = domain.escalation(answers, applicant_at_risk=False, stage=Stage.INITIAL_CONTACT)
    assert found is not None
    assert found.risk is Risk.IMMEDIATE
    assert found.section_47


def test_an_applicant_at_risk_escalates_without_a_section_47() -> None:
    found = domain.escalation((), applicant_at_risk=True, stage=Stage.FACE_TO_FACE)
    assert found is not None
    assert found.risk is Risk.IMMINENT
    assert not found.section_47
    assert found.grounds.startswith("At face-to-face")


def test_no_and_unknown_answers_do_not_escalate() -> None:
    answers = (
        RiskAnswer(question=RiskQuestion.THREATS_OR_VIOLENCE, answer=False),
        RiskAnswer(question=RiskQuestion.CHILD_SHOWS_SIGNS_OF_HARM, answer=None),
    )
    assert domain.escalation(answers, applicant_at_risk=None, stage=Stage.INITIAL_CONTACT) is None


def test_every_warning_is_given_and_acknowledged_at_the_face_to_face() -> None:
    domain.check_face_to_face(face_to_face())
    with pytest.raises(RuleViolation, match="subject-may-be-told"):
        domain.check_face_to_face(face_to_face(warnings_given=["use-only-to-safeguard"]))
    with pytest.raises(RuleViolation, match="warnings_acknowledged"):
        domain.check_face_to_face(face_to_face(warnings_acknowledged=False))


def test_without_verified_identity_checks_go_on_but_no_disclosure_is_possible() -> None:
    assert domain.disclosure_possible(IdentityVerification(verified=True, evidence=("passport",)))
    assert not domain.disclosure_possible(IdentityVerification(verified=False))
    assert not domain.disclosure_possible(None)


def test_a_face_to_face_without_a_child_is_intelligence() -> None:
    assert domain.face_to_face_is_application(face_to_face())
    assert not domain.face_to_face_is_application(face_to_face(children=[]))


def test_subject_particulars_may_be_partial() -> None:
    assert SubjectParticulars(description="Calls himself Gaz, drives a red van").names == ()
    assert domain.triage(contact(subject={"aliases": [{"forenames": ["Gaz"]}]})).route is (
        Route.REGISTER
    )


def test_stage_one_in_24_hours_and_the_face_to_face_in_10_days() -> None:
    due = domain.deadlines(SchemeProfile.CSODS_2010, CONTACT)
    assert due.stage1_due_at - CONTACT == timedelta(hours=24)
    assert due.face_to_face_due_at - CONTACT == timedelta(days=10)


def test_stage_one_checks_cover_pnc_visor_and_local_intelligence_and_stage_two_adds_ini() -> None:
    assert {system.value for system in domain.STAGE_ONE_SYSTEMS} == {
        "pnc",
        "visor",
        "local-intelligence",
    }
    assert set(domain.STAGE_TWO_SYSTEMS) - set(domain.STAGE_ONE_SYSTEMS) == {"ini"}


def test_the_parties_checked_are_those_known() -> None:
    assert domain.parties_known(applicant=True, children=("child-1",), subject=True) == (
        "subject",
        "applicant",
        "child-1",
    )
    assert domain.parties_known(applicant=False, children=(), subject=True) == ("subject",)
