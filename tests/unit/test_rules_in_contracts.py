"""Rules of the guidance that the contracts themselves refuse to break."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.disclosure import (
    DisclosureDecidedV1,
    DisclosureDeliveredV1,
    RepeatedRequestsFlaggedV1,
)
from schemas.examples import example_payload
from schemas.multiagency import (
    ForumScheduledV1,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from schemas.parties import (
    IdentityEvidence,
    IdentityVerification,
    PartialDate,
    SubjectParticulars,
)


def test_no_disclosure_without_all_three_tests_met() -> None:
    payload = example_payload(DisclosureDecidedV1)
    payload["tests"] = payload["tests"][:2]
    with pytest.raises(ValidationError, match="all three stages of the test"):
        DisclosureDecidedV1.model_validate(payload)


def test_a_disclosure_requires_a_community_risk_assessment() -> None:
    payload = {**example_payload(DisclosureDecidedV1), "community_risk_assessment_required": False}
    with pytest.raises(ValidationError, match=r"5\.6\.26"):
        DisclosureDecidedV1.model_validate(payload)


def test_a_disclosure_is_never_in_writing() -> None:
    payload = {**example_payload(DisclosureDeliveredV1), "written_material_left": True}
    with pytest.raises(ValidationError, match="written_material_left"):
        DisclosureDeliveredV1.model_validate(payload)


def test_a_refused_undertaking_records_whether_disclosure_went_ahead() -> None:
    payload = {**example_payload(DisclosureDeliveredV1), "undertaking": "refused"}
    with pytest.raises(ValidationError, match="refused undertaking"):
        DisclosureDeliveredV1.model_validate(payload)


def test_consultation_without_consent_records_why_it_is_necessary() -> None:
    payload = {**example_payload(RequestConsultationV1), "lawful_basis": "necessity"}
    with pytest.raises(ValidationError, match=r"5\.4\.5"):
        RequestConsultationV1.model_validate(payload)


def test_concerns_name_their_category_and_no_concerns_none() -> None:
    payload = {**example_payload(RiskAssessmentCompletedV1), "categories": []}
    with pytest.raises(ValidationError, match="at least one category"):
        RiskAssessmentCompletedV1.model_validate(payload)


def test_an_urgent_forum_is_justified() -> None:
    payload = {**example_payload(ForumScheduledV1), "urgent": True}
    with pytest.raises(ValidationError, match=r"5\.6\.27"):
        ForumScheduledV1.model_validate(payload)


def test_a_partial_date_of_birth_is_allowed_but_not_an_impossible_one() -> None:
    assert PartialDate(year=1981).complete is False
    assert PartialDate(month=7, day=14).complete is False
    with pytest.raises(ValidationError):
        PartialDate(year=2001, month=2, day=30)
    with pytest.raises(ValidationError, match="day given without month"):
        PartialDate(year=2001, day=3)


def test_a_subject_needs_only_something_that_identifies_them() -> None:
    assert SubjectParticulars(description="Drives a red van, calls himself Gaz").names == ()
    with pytest.raises(ValidationError, match="a name, an alias or a description"):
        SubjectParticulars()


def test_a_verified_identity_names_its_evidence() -> None:
    with pytest.raises(ValidationError, match="names its evidence"):
        IdentityVerification(verified=True)
    with pytest.raises(ValidationError, match="confirming agency"):
        IdentityVerification(verified=True, evidence=(IdentityEvidence.AGENCY_CONFIRMATION,))


def test_a_repeated_request_flag_lists_at_least_two_requests() -> None:
    payload = example_payload(RepeatedRequestsFlaggedV1)
    payload["requests"] = payload["requests"][1:]
    with pytest.raises(ValidationError, match="requests"):
        RepeatedRequestsFlaggedV1.model_validate(payload)


def test_a_repeated_request_flag_goes_only_to_a_force_that_made_one() -> None:
    payload = {**example_payload(RepeatedRequestsFlaggedV1), "force": "hampshire"}
    with pytest.raises(ValidationError, match=r"case_reference: .*told force.*6\.1"):
        RepeatedRequestsFlaggedV1.model_validate(payload)
