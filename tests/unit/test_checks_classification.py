"""Findings into 'concerns' 5.5.3 (i)-(iv) or 'no concerns' 5.5.5; the presumption kept apart."""

from __future__ import annotations

import pytest

from schemas.checks import (
    CheckResult,
    Concern,
    Finding,
    Indication,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    System,
)
from schemas.parties import RiskAnswer, RiskQuestion
from services.checks.classification import (
    classified,
    concern_of,
    concerning_behaviour,
    presumption_to_disclose,
    summarise,
)

C, K = OffenceCategory, RecordKind


def finding(kind: RecordKind, category: OffenceCategory, *, schedule_34a: bool = False) -> Finding:
    return Finding(
        kind=kind,
        category=category,
        schedule_34a=schedule_34a,
        summary="As the system holds it.",
        record_reference="REF/1",
    )


def result(
    *findings: Finding,
    party: str = "subject",
    outcome: MatchOutcome = MatchOutcome.MATCH,
    system: System = System.PNC,
) -> CheckResult:
    found = CheckResult(
        system=system, party=party, outcome=outcome, confidence=0.95, findings=findings
    )
    return classified(found)


def test_a_schedule_34a_conviction_is_a_child_sexual_conviction_with_the_presumption() -> None:
    record = finding(K.CONVICTION, C.CHILD_SEXUAL, schedule_34a=True)
    assert concern_of(record) is Concern.CHILD_SEXUAL_CONVICTION
    assert presumption_to_disclose([record])


@pytest.mark.parametrize("kind", [K.CAUTION, K.REPRIMAND, K.FINAL_WARNING])
def test_a_caution_reprimand_or_final_warning_counts_as_convicted(kind: RecordKind) -> None:
    # 4.5: 'convicted of CSO' includes cautioned, reprimanded or warned.
    record = finding(kind, C.CHILD_SEXUAL, schedule_34a=True)
    assert concern_of(record) is Concern.CHILD_SEXUAL_CONVICTION
    assert presumption_to_disclose([record])


@pytest.mark.parametrize("category", [C.SEXUAL_ADULT, C.VIOLENCE, C.DOMESTIC_ABUSE, C.DRUGS])
def test_other_relevant_convictions_raise_concerns_without_the_presumption(
    category: OffenceCategory,
) -> None:
    record = finding(K.CONVICTION, category)
    assert concern_of(record) is Concern.OTHER_RELEVANT_CONVICTION  # 5.5.3 (ii)
    assert not presumption_to_disclose([record])  # 2.5


def test_an_offence_against_a_child_not_in_schedule_34a_has_no_presumption() -> None:
    cruelty = finding(K.CONVICTION, C.VIOLENCE)
    assert concern_of(cruelty) is Concern.OTHER_RELEVANT_CONVICTION
    assert not presumption_to_disclose([cruelty])


def test_a_theft_conviction_raises_no_concern() -> None:
    assert concern_of(finding(K.CONVICTION, C.OTHER)) is None


def test_intelligence_about_sexual_or_violent_behaviour_is_relevant_intelligence() -> None:
    assert concern_of(finding(K.INTELLIGENCE, C.CHILD_SEXUAL)) is Concern.RELEVANT_INTELLIGENCE
    assert concern_of(finding(K.INTELLIGENCE, C.VIOLENCE)) is Concern.RELEVANT_INTELLIGENCE
    assert concern_of(finding(K.INTELLIGENCE, C.OTHER)) is None


def test_intelligence_never_carries_the_presumption_to_disclose() -> None:
    assert not presumption_to_disclose([finding(K.INTELLIGENCE, C.CHILD_SEXUAL)])


def test_a_visor_registration_for_a_schedule_34a_offence_is_a_child_sexual_concern() -> None:
    registration = finding(K.REGISTRATION, C.CHILD_SEXUAL, schedule_34a=True)
    assert concern_of(registration) is Concern.CHILD_SEXUAL_CONVICTION
    assert not presumption_to_disclose([registration])  # the conviction itself is on PNC


def test_grooming_disclosed_in_the_application_is_concerning_behaviour() -> None:
    grooming = RiskAnswer(
        question=RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING, answer=True
    )
    access = RiskAnswer(question=RiskQuestion.SUBJECT_HAS_UNSUPERVISED_ACCESS_NOW, answer=True)
    assert concerning_behaviour([grooming])
    assert not concerning_behaviour([access])
    summary = summarise([result()], behaviour=True)
    assert summary.concerns == (Concern.CONCERNING_BEHAVIOUR,)
    assert summary.indication is Indication.CONCERNS


def test_nothing_found_on_every_system_is_no_concerns() -> None:
    results = [
        result(outcome=MatchOutcome.NO_TRACE, system=system)
        for system in (System.PNC, System.LOCAL_INTELLIGENCE)
    ]
    results.append(result(finding(K.CONVICTION, C.OTHER), system=System.INI))
    summary = summarise(results, behaviour=False)
    assert summary.indication is Indication.NO_CONCERNS  # 5.5.5
    assert summary.concerns == ()


@pytest.mark.parametrize(
    "outcome",
    [MatchOutcome.UNAVAILABLE, MatchOutcome.POSSIBLE_MATCH, MatchOutcome.INSUFFICIENT_DETAIL],
)
def test_an_unsettled_result_is_never_no_concerns(outcome: MatchOutcome) -> None:
    results = [result(outcome=MatchOutcome.NO_TRACE), result(outcome=outcome, system=System.INI)]
    assert summarise(results, behaviour=False).indication is Indication.UNDETERMINED


def test_findings_about_the_applicant_are_not_concerns_about_the_subject() -> None:
    applicant = result(finding(K.CONVICTION, C.VIOLENCE), party="applicant")
    summary = summarise([applicant, result(outcome=MatchOutcome.NO_TRACE)], behaviour=False)
    assert summary.concerns == ()
    assert summary.indication is Indication.NO_CONCERNS
    assert applicant.findings[0].concern is Concern.OTHER_RELEVANT_CONVICTION


def test_concerns_are_listed_once_each_in_the_order_of_5_5_3() -> None:
    found = result(
        finding(K.INTELLIGENCE, C.DRUGS),
        finding(K.CONVICTION, C.VIOLENCE),
        finding(K.CONVICTION, C.CHILD_SEXUAL, schedule_34a=True),
        finding(K.CONVICTION, C.DRUGS),
    )
    summary = summarise([found], behaviour=False)
    assert summary.concerns == (
        Concern.CHILD_SEXUAL_CONVICTION,
        Concern.OTHER_RELEVANT_CONVICTION,
        Concern.RELEVANT_INTELLIGENCE,
    )
    assert summary.presumption_to_disclose
