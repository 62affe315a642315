"""The rules of the decision, delivery and closure (2.2-2.6, 5.2.8, 5.6, 6.1), one test each."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.checks import CheckResult, Finding, MatchOutcome, OffenceCategory, RecordKind, System
from schemas.disclosure import (
    DisclosureDeliveredV1,
    Extent,
    LegalTest,
    Outcome,
    TestAnswer,
)
from schemas.examples import example_payload
from schemas.multiagency import DecisionRoute
from schemas.parties import Applicant, SubjectParticulars
from services.disclosure import domain
from services.runtime.errors import RuleViolation

ALL_MET = tuple(TestAnswer(test=test, met=True, rationale="Reasoned.") for test in LegalTest)


def finding(kind: RecordKind, schedule_34a: bool, category: OffenceCategory) -> Finding:
    return Finding(
        kind=kind,
        category=category,
        schedule_34a=schedule_34a,
        summary="A record.",
        record_reference="REF/1",
    )


def decision(**changes: Any) -> None:
    arguments: dict[str, Any] = {
        "disclose": True,
        "route": DecisionRoute.CONCERNS,
        "identity_verified": True,
        "tests": ALL_MET,
        "recipients": 1,
        "extent": Extent.FULL,
        "community_risk_assessment": True,
        "forum_recommends": True,
        "likelihood_of_contact": "He has the children alone every Saturday afternoon.",
        "data_protection": "The conviction only, to the mother alone, under an undertaking.",
        **changes,
    }
    domain.check_decision(**arguments)


def test_the_presumption_applies_to_schedule_34a_convictions_with_risk_of_serious_harm() -> None:
    conviction = finding(RecordKind.CONVICTION, True, OffenceCategory.CHILD_SEXUAL)
    assert domain.presumption_to_disclose([conviction], risk_of_serious_harm=True)
    assert not domain.presumption_to_disclose([conviction], risk_of_serious_harm=False)


def test_cautions_reprimands_and_final_warnings_count_as_convictions() -> None:
    for kind in (RecordKind.CAUTION, RecordKind.REPRIMAND, RecordKind.FINAL_WARNING):
        record = finding(kind, True, OffenceCategory.CHILD_SEXUAL)
        assert domain.presumption_to_disclose([record], risk_of_serious_harm=True)


def test_no_presumption_for_other_convictions_or_intelligence() -> None:
    adult = finding(RecordKind.CONVICTION, False, OffenceCategory.SEXUAL_ADULT)
    intelligence = finding(RecordKind.INTELLIGENCE, True, OffenceCategory.CHILD_SEXUAL)
    assert not domain.presumption_to_disclose([adult, intelligence], risk_of_serious_harm=True)


def result(party: str, outcome: MatchOutcome, *findings: Finding) -> CheckResult:
    return CheckResult(
        system=System.PNC, party=party, outcome=outcome, confidence=0.9, findings=findings
    )


def test_the_presumption_rests_on_the_subjects_matched_records_only_2_4_4_5() -> None:
    """2.4, 4.5, 5.5.3: a child sexual conviction of the applicant's or a child's, or of a
    possible match nobody has settled (a namesake, 5.2.5), never makes the presumption."""
    conviction = finding(RecordKind.CONVICTION, True, OffenceCategory.CHILD_SEXUAL)
    not_the_subject = [
        result("applicant", MatchOutcome.MATCH, conviction),
        result("child-1", MatchOutcome.MATCH, conviction),
        result("subject", MatchOutcome.POSSIBLE_MATCH, conviction),
    ]
    counted = domain.presumption_findings(not_the_subject)
    assert counted == []
    assert not domain.presumption_to_disclose(counted, risk_of_serious_harm=True)
    matched = domain.presumption_findings([result("subject", MatchOutcome.MATCH, conviction)])
    assert matched == [conviction]
    assert domain.presumption_to_disclose(matched, risk_of_serious_harm=True)


def test_other_convictions_may_still_be_disclosed_without_a_presumption() -> None:
    decision()  # nothing in the rules needs a Schedule 34A finding to disclose (2.5, 5.6.13)


def test_no_disclosure_unless_all_three_tests_are_met() -> None:
    unmet = (
        *ALL_MET[:2],
        TestAnswer(
            test=LegalTest.NECESSARY_AND_PROPORTIONATE, met=False, rationale="Not proportionate."
        ),
    )
    with pytest.raises(RuleViolation, match=r"necessary-and-proportionate \(5\.6\.14\)"):
        decision(tests=unmet)
    with pytest.raises(RuleViolation, match=r"5\.6\.14"):
        decision(tests=ALL_MET[:2])


def test_no_disclosure_without_verified_identity() -> None:
    with pytest.raises(RuleViolation, match=r"5\.2\.8"):
        decision(identity_verified=False)


def test_no_disclosure_on_the_no_concerns_route() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.3"):
        decision(route=DecisionRoute.NO_CONCERNS)


def test_no_decision_before_the_forum() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.12"):
        decision(route=None)


def test_a_disclosure_names_the_person_best_placed_to_protect_the_child() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.19"):
        decision(recipients=0)


def test_a_disclosure_states_its_extent() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.14 \(iii\)"):
        decision(extent=None)


def test_whether_the_subject_is_told_is_decided_with_its_reason() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.23-5\.6\.25"):
        decision(subject_notification_reason=None)
    with pytest.raises(RuleViolation, match="subject_notification"):
        decision(subject_notification_reason="  ")


def test_a_disclosure_requires_a_community_risk_assessment() -> None:
    with pytest.raises(RuleViolation, match=r"5\.6\.26"):
        decision(community_risk_assessment=False)


def test_deciding_not_to_disclose_needs_no_tests() -> None:
    decision(disclose=False, tests=(), recipients=0, extent=None, forum_recommends=False)


def test_no_disclosure_the_forum_did_not_recommend_5_6_12() -> None:
    """5.6.12: the decision to disclose is the multi-agency forum's; a decision maker alone
    cannot disclose against its recommendation (nor where no forum recommended at all)."""
    for recommended in (False, None):
        with pytest.raises(RuleViolation, match=r"5\.6\.12") as refused:
            decision(forum_recommends=recommended)
        assert refused.value.field == "disclose"


def test_not_disclosing_against_the_forum_names_the_test_not_met_5_6_14() -> None:
    """5.6.12, 5.6.14: going against a recommendation to disclose records which stage of the
    test fails and why."""
    with pytest.raises(RuleViolation, match=r"5\.6\.14") as refused:
        decision(disclose=False, tests=ALL_MET, recipients=0, extent=None)
    assert refused.value.field == "tests"
    not_pressing = tuple(
        TestAnswer(test=a.test, met=a.test is not LegalTest.PRESSING_NEED, rationale="Reasoned.")
        for a in ALL_MET
    )
    decision(disclose=False, tests=not_pressing, recipients=0, extent=None)


def test_a_delivery_gives_the_warning() -> None:
    payload = {
        **example_payload(DisclosureDeliveredV1),
        "warning_given": False,
    }
    with pytest.raises(RuleViolation, match=r"5\.6\.21"):
        domain.check_delivery(DisclosureDeliveredV1.model_validate(payload))


def test_a_refused_undertaking_discloses_only_if_decided_so() -> None:
    base = example_payload(DisclosureDeliveredV1)
    refused = {**base, "undertaking": "refused", "disclosed_despite_refusal": False}
    went_ahead = {**refused, "disclosed_despite_refusal": True}
    assert not domain.delivered(DisclosureDeliveredV1.model_validate(refused))
    assert domain.delivered(DisclosureDeliveredV1.model_validate(went_ahead))
    assert domain.delivered(DisclosureDeliveredV1.model_validate(base))


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (domain.CaseRecord(True, Extent.FULL, 1), Outcome.DISCLOSURE),
        (domain.CaseRecord(False, None, 2), Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION),
        (domain.CaseRecord(True, Extent.PARTIAL, 0), Outcome.PARTIAL_DISCLOSURE),
        (domain.CaseRecord(False, None, 0), Outcome.NO_DISCLOSURE),
        (domain.CaseRecord(False, None, 0, withdrawn=True), Outcome.WITHDRAWN),
    ],
)
def test_outcomes_follow_the_four_case_studies(
    record: domain.CaseRecord, expected: Outcome
) -> None:
    assert domain.outcome(record) is expected


def test_the_non_disclosure_letter_says_no_information_is_not_no_risk() -> None:
    letter = domain.non_disclosure_letter(
        name="Sarah Jones", case_reference="warwickshire-2026-000001", force="warwickshire"
    )
    assert "does not mean that there is no risk" in letter
    assert "information pack" in letter
    assert "Dear Sarah Jones" in letter


def test_every_closure_has_a_final_intelligence_report() -> None:
    assert domain.final_intelligence_report("cleveland-2026-000007") == (
        "FIR-cleveland-2026-000007"
    )


def test_the_no_concerns_letter_is_held_only_for_a_home_the_subject_shares_5_6_5() -> None:
    applicant = Applicant.model_validate(
        {
            "name": {"forenames": ["Sarah"], "surname": "Jones"},
            "date_of_birth": {"year": 1990},
            "address": {"lines": ["14 Priory Road"], "town": "Leamington", "postcode": "CV32 5AA"},
        }
    )

    def living_at(*addresses: dict[str, object]) -> SubjectParticulars:
        return SubjectParticulars.model_validate(
            {"names": [{"forenames": ["Mark"], "surname": "Taylor"}], "addresses": addresses}
        )

    shared = living_at({"lines": ["14 PRIORY ROAD"], "postcode": "cv325aa"})
    same_street_elsewhere = living_at({"lines": ["14 Priory Road"], "postcode": "B1 1AA"})
    moved_out = living_at({"lines": ["3 Mill Lane"]}, {"lines": ["14 Priory Road"]})
    assert "5.6.5" in (domain.no_concerns_letter_held(applicant, shared) or "")
    assert domain.no_concerns_letter_held(applicant, same_street_elsewhere) is None
    assert domain.no_concerns_letter_held(applicant, moved_out) is None  # current address first
    assert domain.no_concerns_letter_held(applicant, living_at()) is None
    assert domain.no_concerns_letter_held(None, shared) is None


def test_a_disclosure_weighs_the_likelihood_of_contact_and_data_protection_4_7_5_6_14() -> None:
    decision()  # both recorded: the decision stands
    with pytest.raises(RuleViolation, match=r"4\.7") as contact:
        decision(likelihood_of_contact="has access")
    assert contact.value.field == "likelihood_of_contact"
    with pytest.raises(RuleViolation, match=r"5\.6\.14") as principles:
        decision(data_protection=None)
    assert principles.value.field == "data_protection"
    decision(
        disclose=False, forum_recommends=False, likelihood_of_contact=None, data_protection=None
    )
