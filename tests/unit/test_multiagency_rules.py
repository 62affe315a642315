"""The rules of the full risk assessment, the forum and the handoff (4.10, 5.4-5.6.27)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from schemas.checks import (
    CheckResult,
    Concern,
    Finding,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    System,
)
from schemas.multiagency import (
    AgencyKind,
    ConcernCategory,
    ConsultationOutcome,
    DecisionRoute,
    Forum,
    LawfulBasis,
)
from schemas.parties import (
    Address,
    Child,
    PartialDate,
    PersonName,
    Relationship,
    RiskAnswer,
    RiskQuestion,
    SubjectParticulars,
)
from schemas.stages import Stage
from services.multiagency import domain
from services.multiagency.areas import Area, Directory, postcode_area
from services.multiagency.domain import (
    AgencyAnswer,
    Assessment,
    ConsultationStatus,
    Decision,
    HandoffResult,
    HandoffStatus,
    LateAnswer,
    LateEffect,
)
from services.multiagency.stubs import seeding
from services.multiagency.stubs.agency import AgencyBehaviour
from services.multiagency.stubs.matching import Person, matches
from services.runtime.errors import RuleViolation

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def found(
    kind: RecordKind = RecordKind.CONVICTION,
    category: OffenceCategory = OffenceCategory.CHILD_SEXUAL,
    *,
    schedule_34a: bool | None = None,
) -> Finding:
    return Finding(
        kind=kind,
        category=category,
        schedule_34a=category is OffenceCategory.CHILD_SEXUAL
        if schedule_34a is None
        else schedule_34a,
        summary="A record.",
        record_reference="REF/1",
    )


def result(
    *findings: Finding,
    party: str = "subject",
    outcome: MatchOutcome | None = None,
    system: System = System.PNC,
) -> CheckResult:
    return CheckResult(
        system=system,
        party=party,
        outcome=outcome or (MatchOutcome.MATCH if findings else MatchOutcome.NO_TRACE),
        confidence=0.9 if findings else 0.0,
        findings=findings,
    )


def csc(status: ConsultationStatus = ConsultationStatus.ANSWERED, **answer: object) -> AgencyAnswer:
    return AgencyAnswer(
        "csc-warwickshire",
        AgencyKind.CHILDRENS_SOCIAL_CARE,
        status,
        **answer,  # type: ignore[arg-type]
    )


def probation(**answer: object) -> AgencyAnswer:
    return AgencyAnswer(
        "probation-west-midlands",
        AgencyKind.PROBATION,
        ConsultationStatus.ANSWERED,
        **answer,  # type: ignore[arg-type]
    )


# 5.4.5: children's social care, with consent or by necessity


def test_csc_consulted_with_consent() -> None:
    sharing = domain.childrens_social_care_sharing(consent=True, categories=())
    assert sharing.consult
    assert sharing.basis is LawfulBasis.CONSENT


def test_csc_consulted_without_consent_records_the_necessity() -> None:
    sharing = domain.childrens_social_care_sharing(
        consent=False, categories=(ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION,)
    )
    assert sharing.consult
    assert sharing.basis is LawfulBasis.NECESSITY
    assert sharing.reason.startswith("5.4.5")
    assert "child sexual offence" in sharing.reason


def test_csc_not_consulted_without_consent_when_nothing_makes_it_necessary() -> None:
    sharing = domain.childrens_social_care_sharing(consent=False, categories=())
    assert not sharing.consult
    assert sharing.basis is None
    assert "5.4.5" in sharing.reason


def test_probation_consulted_where_the_subject_has_a_record_it_may_manage() -> None:
    assert domain.probation_sharing(consent=True, findings=(found(),)).consult
    without = domain.probation_sharing(consent=False, findings=(found(RecordKind.ORDER),))
    assert without.basis is LawfulBasis.NECESSITY


def test_probation_not_consulted_about_intelligence_alone() -> None:
    intelligence = found(RecordKind.INTELLIGENCE, OffenceCategory.VIOLENCE)
    assert not domain.probation_sharing(consent=True, findings=(intelligence,)).consult
    assert not domain.probation_sharing(consent=True, findings=()).consult


@pytest.mark.parametrize(
    ("children", "handed_off", "weighed"),
    [
        (True, False, ["csc-a", "probation-a"]),
        (True, True, ["csc-a"]),  # 4.10: the responding force takes the subject to probation
        (False, False, ["probation-a"]),
        (False, True, []),
    ],
)
def test_stage4_weighs_the_agencies_the_case_calls_for(
    children: bool, handed_off: bool, weighed: list[str]
) -> None:
    consulted = domain.consultations(
        childrens_social_care="csc-a",
        probation="probation-a",
        children=children,
        handed_off=handed_off,
        consent=True,
        findings=(found(),),
        behaviour=False,
    )
    assert [agency for agency, _, _ in consulted] == weighed
    assert all(
        sharing.consult and sharing.basis is LawfulBasis.CONSENT for *_, sharing in consulted
    )


# 5.5.3 and 5.5.5: 'concerns' and 'no concerns'


@pytest.mark.parametrize(
    ("finding", "category"),
    [
        (found(RecordKind.CONVICTION), ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION),
        (found(RecordKind.CAUTION), ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION),
        (
            found(RecordKind.CONVICTION, OffenceCategory.DOMESTIC_ABUSE),
            ConcernCategory.OTHER_RELEVANT_CONVICTION,
        ),
        (
            found(RecordKind.INTELLIGENCE, OffenceCategory.SEXUAL_ADULT),
            ConcernCategory.RELEVANT_INTELLIGENCE,
        ),
    ],
)
def test_concerns_fall_in_the_categories_of_5_5_3(
    finding: Finding, category: ConcernCategory
) -> None:
    assessment = domain.assess((result(finding),))
    assert assessment.route is DecisionRoute.CONCERNS
    assert assessment.categories == (category,)


def test_concerning_behaviour_now_is_a_concern_without_any_record() -> None:
    answers = (
        RiskAnswer(question=RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING, answer=True),
    )
    assert domain.concerning_behaviour(answers)
    assessment = domain.assess((result(),), behaviour=True)
    assert assessment.categories == (ConcernCategory.CONCERNING_BEHAVIOUR,)
    assert assessment.forum is Forum.STRATEGY_MEETING


def test_an_irrelevant_conviction_or_the_applicant_s_record_is_not_a_concern() -> None:
    theft = found(RecordKind.CONVICTION, OffenceCategory.OTHER)
    applicant = result(found(), party="applicant")
    assessment = domain.assess((result(theft), applicant))
    assert assessment.route is DecisionRoute.NO_CONCERNS
    assert assessment.decision is Decision.NO_CONCERNS_AT_ONCE


def test_a_possible_match_counts_until_a_researcher_confirms_it() -> None:
    assessment = domain.assess((result(found(), outcome=MatchOutcome.POSSIBLE_MATCH),))
    assert assessment.route is DecisionRoute.CONCERNS
    assert "researcher" in assessment.rationale


# 5.4.4 and 5.5.5: 'no concerns' only on complete checks; no information is not no risk


@pytest.mark.parametrize(
    "system", [System.PNC, System.VISOR, System.INI, System.LOCAL_INTELLIGENCE]
)
def test_no_concerns_is_never_decided_at_once_while_a_system_has_not_answered(
    system: System,
) -> None:
    silent = result(outcome=MatchOutcome.UNAVAILABLE, system=system)
    others = tuple(result(system=other) for other in System if other is not system)
    assessment = domain.assess((silent, *others))
    assert assessment.route is DecisionRoute.NO_CONCERNS  # nothing found: a forum weighs it
    assert assessment.decision is Decision.FORUM
    assert assessment.checks_incomplete == (f"no answer from {system.value}",)
    assert f"no answer from {system.value}" in assessment.rationale
    assert "5.4.4" in assessment.rationale


def test_a_possible_match_no_researcher_has_settled_goes_to_a_forum() -> None:
    theft = found(RecordKind.CONVICTION, OffenceCategory.OTHER)
    unsettled = result(theft, outcome=MatchOutcome.POSSIBLE_MATCH, system=System.PNC)
    assessment = domain.assess((unsettled, result(system=System.LOCAL_INTELLIGENCE)))
    assert assessment.route is DecisionRoute.NO_CONCERNS
    assert assessment.decision is Decision.FORUM
    assert "a possible match no researcher has settled on pnc" in assessment.rationale


def test_too_little_detail_to_search_the_subject_goes_to_a_forum() -> None:
    thin = result(outcome=MatchOutcome.INSUFFICIENT_DETAIL, system=System.LOCAL_INTELLIGENCE)
    assessment = domain.assess((result(), thin))
    assert assessment.decision is Decision.FORUM
    assert "too little detail to search local-intelligence" in assessment.rationale


def test_a_subject_checked_on_no_system_is_never_no_concerns_at_once() -> None:
    assessment = domain.assess(answers=(csc(outcome=ConsultationOutcome.NOTHING_KNOWN),))
    assert assessment.decision is Decision.FORUM
    assert assessment.checks_incomplete == ("the subject was checked on no system",)


def test_no_concerns_at_once_when_every_subject_system_answered_or_was_not_required() -> None:
    not_required = result(outcome=MatchOutcome.NOT_REQUIRED, system=System.VISOR)  # 5.1.9
    silent_for_applicant = result(
        outcome=MatchOutcome.UNAVAILABLE, system=System.INI, party="applicant"
    )
    assessment = domain.assess(
        (result(), not_required, result(system=System.LOCAL_INTELLIGENCE), silent_for_applicant)
    )
    assert assessment.checks_incomplete == ()
    assert assessment.decision is Decision.NO_CONCERNS_AT_ONCE
    assert "incomplete" not in assessment.rationale


def test_concerns_with_a_silent_system_still_go_to_a_forum_saying_what_is_missing() -> None:
    silent = result(outcome=MatchOutcome.UNAVAILABLE, system=System.VISOR)
    assessment = domain.assess((result(found()), silent))
    assert assessment.route is DecisionRoute.CONCERNS
    assert assessment.decision is Decision.FORUM
    assert "no answer from visor" in assessment.rationale


# 5.4.4, 5.6.12: answers that came after the checks were completed without them

FRA = Stage.FULL_RISK_ASSESSMENT


def late(
    *findings: Finding,
    stage: Stage = FRA,
    system: System = System.PNC,
    concerns: tuple[Concern, ...] = (),
) -> LateAnswer:
    return LateAnswer(stage=stage, result=result(*findings, system=system), concerns=concerns)


def test_a_late_answer_takes_the_place_of_its_system_s_silence_in_its_stage() -> None:
    silent = result(outcome=MatchOutcome.UNAVAILABLE)
    checks = (silent, result(system=System.LOCAL_INTELLIGENCE))
    merged = domain.with_late_answers(checks, [late(found())], stage=FRA)
    assert [(r.system, r.outcome) for r in merged] == [
        (System.PNC, MatchOutcome.MATCH),
        (System.LOCAL_INTELLIGENCE, MatchOutcome.NO_TRACE),
    ]
    assert domain.incomplete_subject_checks(merged) == ()


def test_a_late_answer_never_replaces_an_answer_its_system_gave_in_time() -> None:
    in_time = result(found())
    merged = domain.with_late_answers((in_time,), [late()], stage=FRA)
    assert merged == (in_time,)


def test_what_an_earlier_stage_s_late_answer_found_is_weighed_with_the_later_checks() -> None:
    # 5.4.4: stage 4 revisits what the initial contact and face to face stages found.
    earlier = late(found(), stage=Stage.INITIAL_CONTACT)
    silent_earlier = late(stage=Stage.INITIAL_CONTACT, system=System.INI)
    merged = domain.with_late_answers((result(),), [earlier, silent_earlier], stage=FRA)
    assert merged == (result(), earlier.result)


def test_a_late_answer_of_a_later_stage_waits_for_that_stage_s_checks() -> None:
    stage4 = late(found())
    assert domain.weighed_late([stage4], stage=Stage.INITIAL_CONTACT) == ()
    assert domain.weighed_late([stage4], stage=None) == ()
    assert domain.with_late_answers((result(),), [stage4], stage=Stage.INITIAL_CONTACT) == (
        result(),
    )


@pytest.mark.parametrize(
    ("assessed", "decided", "effect"),
    [
        (False, False, LateEffect.AWAITS_ASSESSMENT),
        (True, False, LateEffect.REVISES_ASSESSMENT),
        (True, True, LateEffect.AFTER_DECISION),
    ],
)
def test_a_late_answer_is_weighed_until_the_forum_decides_and_only_kept_after(
    assessed: bool, decided: bool, effect: LateEffect
) -> None:
    assert domain.late_effect(assessed=assessed, decided=decided) is effect


def reassessed(checks: tuple[CheckResult, ...], answer: LateAnswer) -> Assessment:
    """The assessment revised for a strategy discussion already scheduled."""
    return domain.reassess_for_forum(
        checks,
        late=(answer,),
        behaviour=False,
        answers=(),
        handoffs=(),
        scheduled=Forum.STRATEGY_DISCUSSION,
    )


def test_a_late_conviction_makes_the_forum_weigh_concerns() -> None:
    # 5.5.3 (i): PNC was silent at the assessment; its late answer holds a conviction.
    answer = late(found(), concerns=(Concern.CHILD_SEXUAL_CONVICTION,))
    checks = domain.with_late_answers(
        (result(outcome=MatchOutcome.UNAVAILABLE), result(system=System.LOCAL_INTELLIGENCE)),
        [answer],
        stage=FRA,
    )
    revised = reassessed(checks, answer)
    assert revised.route is DecisionRoute.CONCERNS
    assert revised.categories == (ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION,)
    assert revised.decision is Decision.FORUM
    assert revised.checks_incomplete == ()
    assert "Answered after the checks were completed" in revised.rationale
    assert "pnc on the subject at full-risk-assessment (match)" in revised.rationale


def test_a_late_no_trace_that_closes_the_gap_still_leaves_the_decision_to_the_forum() -> None:
    # 5.6.12: once convened, the decision is a multi-agency one, not the service's at once.
    answer = late()
    checks = domain.with_late_answers(
        (result(outcome=MatchOutcome.UNAVAILABLE),), [answer], stage=FRA
    )
    revised = reassessed(checks, answer)
    assert revised.route is DecisionRoute.NO_CONCERNS
    assert revised.checks_incomplete == ()
    assert revised.decision is Decision.FORUM


def test_the_concerns_the_checks_found_in_a_late_answer_are_weighed() -> None:
    # The checks service classifies each late answer (5.5.3 (i)-(iii)); the forum sees it.
    order = found(RecordKind.ORDER, OffenceCategory.OTHER)
    answer = late(order, concerns=(Concern.OTHER_RELEVANT_CONVICTION,))
    assessment = domain.assess((answer.result,), late=(answer,))
    assert ConcernCategory.OTHER_RELEVANT_CONVICTION in assessment.categories
    assert assessment.route is DecisionRoute.CONCERNS


def test_a_late_registration_points_to_a_mappa_meeting_and_the_scheduled_forum_stands() -> None:
    # 5.6.12: MAPPA for subjects who meet its criteria; staff move the forum, not the service.
    answer = late(found(RecordKind.REGISTRATION), system=System.VISOR)
    checks = domain.with_late_answers(
        (result(), result(outcome=MatchOutcome.UNAVAILABLE, system=System.VISOR)),
        [answer],
        stage=FRA,
    )
    revised = reassessed(checks, answer)
    assert revised.meets_mappa
    assert revised.forum is Forum.MAPPA_MEETING
    assert "points to a mappa-meeting (5.6.12)" in revised.rationale
    assert "the strategy-discussion scheduled stands" in revised.rationale


# 5.6.12: the forum


def test_mappa_meeting_when_subject_meets_mappa_criteria() -> None:
    registered = domain.assess((result(found(RecordKind.REGISTRATION)),))
    assert registered.meets_mappa
    assert registered.forum is Forum.MAPPA_MEETING
    managed = domain.assess(
        (result(found(RecordKind.CONVICTION, OffenceCategory.VIOLENCE)),),
        answers=(probation(outcome=ConsultationOutcome.INFORMATION_SHARED, mappa_level=1),),
    )
    assert managed.forum is Forum.MAPPA_MEETING


def test_case_conference_when_a_child_has_a_protection_plan() -> None:
    assessment = domain.assess(
        answers=(csc(outcome=ConsultationOutcome.INFORMATION_SHARED, child_protection_plan=True),)
    )
    assert assessment.route is DecisionRoute.CONCERNS
    assert assessment.forum is Forum.CASE_CONFERENCE


def test_strategy_discussion_for_other_concerns() -> None:
    assessment = domain.assess((result(found(RecordKind.INTELLIGENCE, OffenceCategory.DRUGS)),))
    assert assessment.forum is Forum.STRATEGY_DISCUSSION
    assert assessment.decision is Decision.FORUM


def test_other_professionals_meeting_only_by_exception() -> None:
    for meets_mappa in (True, False):
        for plan in (True, False):
            for behaviour in (True, False):
                forum = domain.choose_forum(
                    meets_mappa=meets_mappa, child_protection_plan=plan, behaviour=behaviour
                )
                assert forum is not Forum.OTHER_PROFESSIONALS_MEETING
    with pytest.raises(RuleViolation, match=r"5\.6\.12"):
        domain.check_schedule(
            Forum.OTHER_PROFESSIONALS_MEETING,
            now=NOW,
            scheduled_for=NOW + timedelta(days=2),
            urgent=False,
            urgency_justification=None,
            exception_reason=None,
        )


def test_no_concerns_decided_at_once_only_when_every_answer_is_in() -> None:
    nothing = (result(),)
    at_once = domain.assess(nothing, answers=(csc(outcome=ConsultationOutcome.NOTHING_KNOWN),))
    assert at_once.decision is Decision.NO_CONCERNS_AT_ONCE
    overdue = domain.assess(nothing, answers=(csc(ConsultationStatus.OVERDUE),))
    assert overdue.route is DecisionRoute.NO_CONCERNS
    assert overdue.not_answered == ("csc-warwickshire",)
    assert overdue.decision is Decision.FORUM
    declined = domain.assess(nothing, answers=(csc(outcome=ConsultationOutcome.DECLINED_TO_SHARE),))
    assert declined.declined == ("csc-warwickshire",)
    assert declined.decision is Decision.FORUM


# 4.10: where the subject lives, that force's forum decides


def test_the_responding_forces_forum_decides_where_the_subject_lives() -> None:
    returned = HandoffResult(
        "cleveland",
        "subject",
        HandoffStatus.RETURNED,
        route=DecisionRoute.CONCERNS,
        forum=Forum.MAPPA_MEETING,
        recommend_disclosure=True,
        findings=(found(RecordKind.REGISTRATION),),
    )
    assessment = domain.assess(handoffs=(returned,))
    assert assessment.decision is Decision.RESPONDING_FORUM
    assert assessment.responding == returned
    assert assessment.forum is Forum.MAPPA_MEETING


def test_a_declined_handoff_leaves_the_decision_to_a_forum_of_the_owning_force() -> None:
    declined = HandoffResult("cleveland", "subject", HandoffStatus.DECLINED)
    assessment = domain.assess(handoffs=(declined,))
    assert assessment.decision is Decision.FORUM


def test_the_subject_is_handed_to_the_force_where_they_live() -> None:
    directory = Directory()
    stockton = Address(lines=("1 High St",), town="Stockton-on-Tees")
    assert directory.force_for(stockton) == "cleveland"
    assert directory.force_for(Address(lines=("1 Long Rd",), postcode="cv32 5aa")) == (
        "warwickshire"
    )
    assert directory.force_for(Address(lines=("1 Rue",), town="Lyon")) is None
    assert postcode_area("SO14 7DU") == "SO"
    assert directory.area("cleveland").probation == "probation-north-east"
    assert directory.area("atlantis").childrens_social_care == "csc-atlantis"
    extended = directory.with_areas([Area("atlantis", "csc-a", "probation-a", frozenset({"QA"}))])
    assert extended.knows("atlantis")
    assert not directory.knows("atlantis")


# 5.4.8 and 5.6.27: deadlines


def test_a_consultation_is_due_within_stage_4_and_reminded_halfway() -> None:
    respond_by, remind_at = domain.consultation_deadlines(
        NOW, window=timedelta(days=3), risk_assessment_due_at=NOW + timedelta(days=10)
    )
    assert respond_by == NOW + timedelta(days=3)
    assert remind_at == NOW + timedelta(days=1, hours=12)
    short, _ = domain.consultation_deadlines(
        NOW, window=timedelta(days=3), risk_assessment_due_at=NOW + timedelta(days=1)
    )
    assert short == NOW + timedelta(days=1)  # 5.4.8
    floor, _ = domain.consultation_deadlines(
        NOW, window=timedelta(days=4), risk_assessment_due_at=NOW - timedelta(days=1)
    )
    assert floor == NOW + timedelta(days=1)  # never a deadline already passed


def test_mappa_meeting_within_28_days_unless_urgent_with_justification() -> None:
    def schedule(days: float, *, urgent: bool = False, why: str | None = None) -> None:
        domain.check_schedule(
            Forum.MAPPA_MEETING,
            now=NOW,
            scheduled_for=NOW + timedelta(days=days),
            urgent=urgent,
            urgency_justification=why,
            exception_reason=None,
        )

    schedule(28)
    with pytest.raises(RuleViolation, match=r"5\.6\.27"):
        schedule(28.5)
    with pytest.raises(RuleViolation, match=r"5\.6\.27"):
        schedule(1, urgent=True)
    schedule(1, urgent=True, why="The subject moves in on Friday.")
    with pytest.raises(RuleViolation, match="to come"):
        schedule(-1)


def test_a_forum_leaves_seven_days_for_disclosure_and_closure() -> None:
    closure = NOW + timedelta(days=12)
    latest = domain.forum_latest(closure_due_at=closure, respond_by=None)
    assert latest == closure - timedelta(days=7)
    when = domain.forum_date(Forum.MAPPA_MEETING, now=NOW, latest=latest)
    assert when == NOW + timedelta(days=5)  # sooner than MAPPA's usual notice
    assert domain.forum_date(Forum.STRATEGY_DISCUSSION, now=NOW, latest=latest) == (
        NOW + timedelta(days=1)
    )
    late = domain.forum_date(Forum.CASE_CONFERENCE, now=NOW, latest=NOW - timedelta(days=1))
    assert late == NOW + domain.SHORTEST_NOTICE  # never in the past


def test_the_owning_force_keeps_the_deadline_of_a_handoff() -> None:
    closure = NOW + timedelta(days=45)
    respond_by = domain.handoff_respond_by(NOW, closure_due_at=closure)
    assert respond_by == closure - timedelta(days=10)
    assert domain.forum_latest(closure_due_at=closure, respond_by=respond_by) == (
        respond_by - timedelta(days=1)
    )


def test_the_forum_decision_is_multi_agency() -> None:
    with pytest.raises(RuleViolation, match="multi-agency"):
        domain.check_decision(
            force="warwickshire",
            attending=["warwickshire"],
            positions=[],
            route=DecisionRoute.CONCERNS,
            recommend_disclosure=True,
        )
    with pytest.raises(RuleViolation, match="did not attend"):
        domain.check_decision(
            force="warwickshire",
            attending=["warwickshire", "csc-warwickshire"],
            positions=["probation-west-midlands"],
            route=DecisionRoute.CONCERNS,
            recommend_disclosure=True,
        )
    with pytest.raises(RuleViolation, match=r"5\.6\.3"):
        domain.check_decision(
            force="warwickshire",
            attending=["warwickshire", "csc-warwickshire"],
            positions=[],
            route=DecisionRoute.NO_CONCERNS,
            recommend_disclosure=True,
        )


# 5.4.4: when the assessment starts


def test_the_assessment_waits_for_the_checks_of_stage_4_once_there_is_an_application() -> None:
    def ready(stage: Stage | None, *, application: bool, enquiry: bool = True) -> bool:
        return domain.ready_for_assessment(
            checks_stage=stage,
            has_application=application,
            has_enquiry=enquiry,
            await_application=False,
        )

    assert not ready(None, application=False)
    assert ready(Stage.INITIAL_CONTACT, application=False)  # the walking skeleton
    assert not ready(Stage.INITIAL_CONTACT, application=True)
    assert ready(Stage.FULL_RISK_ASSESSMENT, application=True)
    assert not ready(Stage.FULL_RISK_ASSESSMENT, application=True, enquiry=False)  # no consent yet
    assert not domain.ready_for_assessment(
        checks_stage=Stage.INITIAL_CONTACT,
        has_application=False,
        has_enquiry=True,
        await_application=True,
    )
    assert domain.later_stage(Stage.FULL_RISK_ASSESSMENT, Stage.INITIAL_CONTACT)
    assert not domain.later_stage(Stage.INITIAL_CONTACT, Stage.FULL_RISK_ASSESSMENT)


# The stand-ins


def test_an_agency_finds_a_person_by_name_and_year_of_birth() -> None:
    mark = Person("Mark John", "Taylor", 1981)
    assert matches((PersonName(forenames=("mark",), surname="TAYLOR"),), None, mark)
    assert matches((PersonName(surname="Taylor"),), None, mark)
    assert not matches((PersonName(forenames=("Mark",), surname="Tailor"),), None, mark)
    assert not matches(
        (PersonName(forenames=("Mark",), surname="Taylor"),), PartialDate(year=1990), mark
    )


def test_the_same_seed_gives_the_same_records() -> None:
    first = seeding.records("probation", seed=7, count=20)
    assert first == seeding.records("probation", seed=7, count=20)
    assert first != seeding.records("probation", seed=8, count=20)


def test_silence_can_be_a_share_of_consultations_and_is_stable() -> None:
    behaviour = AgencyBehaviour(silence_rate=0.5)
    ids = [uuid4() for _ in range(400)]
    silent = [behaviour.silent_for(consultation) for consultation in ids]
    assert 120 < sum(silent) < 280
    assert silent == [behaviour.silent_for(consultation) for consultation in ids]
    assert not any(AgencyBehaviour().silent_for(consultation) for consultation in ids)


def test_a_subject_lives_with_a_child_at_the_childs_home_or_the_applicants_4_6() -> None:
    home = Address(lines=("14 Priory Road",), town="Testbury", postcode="QA2 2BB")
    same = Address(lines=("14 priory road.",), postcode="qa22bb")
    away = Address(lines=("3 Mill Lane",), postcode="QA1 1AA")
    child = Child(
        party="child-1",
        name=PersonName(forenames=("Amy",), surname="Jones"),
        relationship_to_applicant=Relationship.PARENT,
        relationship_verified=True,
    )
    elsewhere = child.model_copy(update={"address": away})

    def subject(*at: Address) -> SubjectParticulars:
        return SubjectParticulars(
            names=(PersonName(forenames=("Mark",), surname="T"),), addresses=at
        )

    assert domain.lives_with_a_child(subject(same), [child], home)
    assert domain.lives_with_a_child(subject(away), [elsewhere], home)
    assert not domain.lives_with_a_child(subject(away), [child], home)
    assert not domain.lives_with_a_child(subject(away, same), [child], home)  # a former address
    assert not domain.lives_with_a_child(subject(), [child], home)


def test_imminent_risk_rests_on_a_matched_schedule_34a_record_at_a_childs_home_5_4_6() -> None:
    home = Address(lines=("14 Priory Road",), postcode="QA2 2BB")
    child = Child(
        party="child-1",
        name=PersonName(forenames=("Amy",), surname="Jones"),
        relationship_to_applicant=Relationship.PARENT,
        relationship_verified=True,
    )
    subject = SubjectParticulars(
        names=(PersonName(forenames=("Mark",), surname="T"),), addresses=(home,)
    )

    def grounds(*results: CheckResult) -> str | None:
        return domain.imminent_risk_in_checks(
            results, subject=subject, children=[child], applicant_home=home
        )

    assert "Schedule 34A" in (grounds(result(found())) or "")
    assert grounds(result(found(), outcome=MatchOutcome.POSSIBLE_MATCH)) is None
    assert grounds(result(found(category=OffenceCategory.VIOLENCE))) is None
    assert grounds(result(found(), party="applicant")) is None
    assert grounds(result(found(kind=RecordKind.INTELLIGENCE))) is None


def test_the_officers_categorisation_stands_and_a_change_goes_to_a_forum_5_4_2_5_4_7() -> None:
    proposal = domain.assess([result()])  # nothing found: 'no concerns' at once
    assert proposal.decision is Decision.NO_CONCERNS_AT_ONCE
    answers = dict.fromkeys(domain.AppendixD, "Considered.")

    def signed(**changes: object) -> domain.SignOff:
        fields: dict[str, object] = {
            "route": DecisionRoute.NO_CONCERNS,
            "categories": (),
            "answers": answers,
            "rationale": "Nothing on any system.",
            **changes,
        }
        return domain.SignOff(**fields)  # type: ignore[arg-type]

    confirmed = domain.signed_off(proposal, signed())
    assert confirmed.decision is Decision.NO_CONCERNS_AT_ONCE
    assert confirmed.rationale.startswith("Nothing on any system. What the records show:")

    with pytest.raises(RuleViolation) as unanswered:
        domain.signed_off(proposal, signed(answers={**answers, domain.AppendixD.CONTACT: " "}))
    assert unanswered.value.field == "answers.contact"
    concerns = {
        "route": DecisionRoute.CONCERNS,
        "categories": (ConcernCategory.CONCERNING_BEHAVIOUR,),
    }
    with pytest.raises(RuleViolation) as unexplained:
        domain.signed_off(proposal, signed(**concerns))
    assert unexplained.value.field == "reason_for_change"
    changed = domain.signed_off(
        proposal, signed(**concerns, reason_for_change="The applicant describes grooming.")
    )
    assert (changed.route, changed.decision) == (DecisionRoute.CONCERNS, Decision.FORUM)
