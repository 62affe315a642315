"""The rules of the full risk assessment and the forum (5.4, 5.5, 5.6.12, 5.6.27): pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

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
    AgencyPosition,
    Attendee,
    ConcernCategory,
    ConsultationOutcome,
    DecisionRoute,
    Forum,
    LawfulBasis,
)
from schemas.parties import Address, Child, RiskAnswer, RiskQuestion, SubjectParticulars
from schemas.safeguarding import Risk
from schemas.stages import Stage
from services.runtime.errors import RuleViolation

# 4.5: "convicted" covers cautions, reprimands and warnings too; a ViSOR registration or an
# order such as a SOPO presupposes a conviction.
_CONVICTION_LIKE = frozenset(
    {
        RecordKind.CONVICTION,
        RecordKind.CAUTION,
        RecordKind.REPRIMAND,
        RecordKind.FINAL_WARNING,
        RecordKind.REGISTRATION,
        RecordKind.ORDER,
    }
)
# 5.5.3 (ii): "other convictions relevant to safeguarding children".
_OTHER_RELEVANT = frozenset(
    {
        OffenceCategory.SEXUAL_ADULT,
        OffenceCategory.VIOLENCE,
        OffenceCategory.DRUGS,
        OffenceCategory.DOMESTIC_ABUSE,
    }
)
# 5.5.3 (iv): concerning behaviour now displayed by the subject or the child.
_BEHAVIOUR = frozenset(
    {
        RiskQuestion.CHILD_HAS_DISCLOSED_HARM,
        RiskQuestion.CHILD_SHOWS_SIGNS_OF_HARM,
        RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING,
    }
)
_CATEGORY_TEXT = {
    ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION: "(i) a conviction for a child sexual offence",
    ConcernCategory.OTHER_RELEVANT_CONVICTION: "(ii) another conviction relevant to safeguarding",
    ConcernCategory.RELEVANT_INTELLIGENCE: "(iii) intelligence relevant to safeguarding",
    ConcernCategory.CONCERNING_BEHAVIOUR: "(iv) concerning behaviour now displayed",
}

# 5.4.4: the checks are to establish "all available information known to police" on the
# subject. A system that did not answer, a possible match no researcher has settled, or
# particulars too thin to search on leave a gap, and 5.5.5's 'no concerns' ("no other
# intelligence held by the police") cannot be said across a gap: no information is not no
# risk (5.6.6), so a person decides at a forum (5.6.12). The checks call these undetermined too.
_UNSETTLED_CHECK = {
    MatchOutcome.UNAVAILABLE: "no answer from",
    MatchOutcome.POSSIBLE_MATCH: "a possible match no researcher has settled on",
    MatchOutcome.INSUFFICIENT_DETAIL: "too little detail to search",
}

# 5.6.27: a MAPPA meeting may take up to 28 days; no forum is given longer.
FORUM_LONGEST = timedelta(days=28)
# 5.6.27: 7 days are left after the forum for disclosure and closure.
AFTER_FORUM = timedelta(days=7)
# How long each forum usually takes to convene; all are maximums (5.6.27).
USUAL_NOTICE: dict[Forum, timedelta] = {
    Forum.MAPPA_MEETING: timedelta(days=10),
    Forum.CASE_CONFERENCE: timedelta(days=10),
    Forum.STRATEGY_MEETING: timedelta(days=3),
    Forum.STRATEGY_DISCUSSION: timedelta(days=1),
    Forum.OTHER_PROFESSIONALS_MEETING: timedelta(days=5),
}
SHORTEST_NOTICE = timedelta(hours=2)
# The checks service classifies a late answer's records into the concerns of 5.5.3 (i)-(iii).
_LATE_CONCERN = {
    Concern.CHILD_SEXUAL_CONVICTION: ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION,
    Concern.OTHER_RELEVANT_CONVICTION: ConcernCategory.OTHER_RELEVANT_CONVICTION,
    Concern.RELEVANT_INTELLIGENCE: ConcernCategory.RELEVANT_INTELLIGENCE,
    Concern.CONCERNING_BEHAVIOUR: ConcernCategory.CONCERNING_BEHAVIOUR,
}


class ConsultationStatus(StrEnum):
    """Where a consultation stands."""

    REQUESTED = "requested"
    ANSWERED = "answered"
    OVERDUE = "overdue"  # not answered by the time asked: the case goes on without it


class HandoffStatus(StrEnum):
    """Where a handoff to a responding force stands (4.10)."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RETURNED = "returned"
    OVERDUE = "overdue"


class Decision(StrEnum):
    """How the forum's conclusion is reached once the risk assessment is complete."""

    # 5.5.5 with every check settled and every answer in: no forum needed
    NO_CONCERNS_AT_ONCE = "no-concerns-at-once"
    RESPONDING_FORUM = "responding-forum"  # 4.10: the responding force's forum decided
    FORUM = "forum"  # 5.6.12: this force convenes one


class LateEffect(StrEnum):
    """What a system's late answer does to its case, by where the case stands."""

    # 5.4.4: the assessment is still to be completed; it weighs the answer then.
    AWAITS_ASSESSMENT = "awaits-assessment"
    # 5.6.12: a forum is convened and has not decided; what it weighs is revised.
    REVISES_ASSESSMENT = "revises-assessment"
    # 6.2: kept on the record; what was decided stands.
    AFTER_DECISION = "after-decision"


@dataclass(frozen=True, slots=True)
class LateAnswer:
    """A system's answer that came after its stage's checks were completed without it."""

    stage: Stage
    result: CheckResult
    concerns: tuple[Concern, ...] = ()  # about the subject, as the checks service classified


@dataclass(frozen=True, slots=True)
class SharingDecision:
    """Whether an agency is consulted and on what lawful basis; the reason is always kept."""

    consult: bool
    basis: LawfulBasis | None
    reason: str


@dataclass(frozen=True, slots=True)
class AgencyAnswer:
    """A consultation as it stands."""

    agency: str
    kind: AgencyKind
    status: ConsultationStatus
    outcome: ConsultationOutcome | None = None
    child_protection_plan: bool | None = None
    supervised_by_probation: bool | None = None
    mappa_level: int | None = None

    @property
    def settled(self) -> bool:
        """Answered, or overdue: either way the case may go on."""
        return self.status is not ConsultationStatus.REQUESTED


@dataclass(frozen=True, slots=True)
class HandoffResult:
    """A handoff as it stands, with what the responding force returned."""

    responding_force: str
    party: str
    status: HandoffStatus
    route: DecisionRoute | None = None
    forum: Forum | None = None
    recommend_disclosure: bool | None = None
    findings: tuple[Finding, ...] = ()
    child_protection_plan: bool | None = None  # what its children's social care said (3.5)

    @property
    def settled(self) -> bool:
        """Returned, declined or overdue: the owning force may go on."""
        return self.status in (
            HandoffStatus.RETURNED,
            HandoffStatus.DECLINED,
            HandoffStatus.OVERDUE,
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome of the full risk assessment and what happens next."""

    route: DecisionRoute
    categories: tuple[ConcernCategory, ...]
    meets_mappa: bool
    forum: Forum
    decision: Decision
    rationale: str
    not_answered: tuple[str, ...] = ()
    declined: tuple[str, ...] = ()
    responding: HandoffResult | None = None
    checks_incomplete: tuple[str, ...] = ()


def ready_for_assessment(
    *,
    checks_stage: Stage | None,
    has_application: bool,
    has_enquiry: bool,
    await_application: bool,
) -> bool:
    """Whether the full risk assessment can start (5.4.4, 5.4.5)."""
    if checks_stage is None:
        return False
    if has_application:
        # 5.4.4: the checks revisited for stage 4; 5.4.5 needs the enquiry's consent.
        return checks_stage is Stage.FULL_RISK_ASSESSMENT and has_enquiry
    # No application on record: the checks that completed last are all there is to weigh.
    return not await_application or checks_stage is Stage.FULL_RISK_ASSESSMENT


def later_stage(stage: Stage, than: Stage | None) -> bool:
    """Whether `stage` comes at or after `than` in the process (5.1-5.6)."""
    order = list(Stage)
    return than is None or order.index(stage) >= order.index(than)


def late_effect(*, assessed: bool, decided: bool) -> LateEffect:
    """What a late answer does: weighed by the assessment, revises it for the forum, or neither."""
    if decided:
        return LateEffect.AFTER_DECISION
    return LateEffect.REVISES_ASSESSMENT if assessed else LateEffect.AWAITS_ASSESSMENT


def weighed_late(late: Iterable[LateAnswer], *, stage: Stage | None) -> tuple[LateAnswer, ...]:
    """The late answers weighed with the checks of `stage`: that stage's and earlier ones'."""
    if stage is None:
        return ()
    return tuple(answer for answer in late if later_stage(stage, answer.stage))


def with_late_answers(
    results: Sequence[CheckResult], late: Iterable[LateAnswer], *, stage: Stage | None
) -> tuple[CheckResult, ...]:
    """The checks of `stage` with the late answers that complete them (5.4.4).

    A late answer of the same stage takes the place of its system's 'unavailable' result
    for that party, or of a possible match a researcher settled. 5.4.4 revisits the
    information of the earlier stages, so what an earlier stage's late answer found is
    weighed too; its silence or no trace adds nothing the later stage's own checks of that
    system do not say.
    """
    merged = list(results)
    for answer in weighed_late(late, stage=stage):
        late_result = answer.result
        if answer.stage is not stage:
            if late_result.findings:
                merged.append(late_result)
            continue
        key = (late_result.system, late_result.party)
        at = next((i for i, r in enumerate(merged) if (r.system, r.party) == key), None)
        if at is None:
            merged.append(late_result)
        elif merged[at].outcome in (MatchOutcome.UNAVAILABLE, MatchOutcome.POSSIBLE_MATCH):
            merged[at] = late_result
    return tuple(merged)


def concerning_behaviour(answers: Iterable[RiskAnswer]) -> bool:
    """Whether the applicant reported behaviour of 5.5.3 (iv)."""
    return any(answer.answer is True and answer.question in _BEHAVIOUR for answer in answers)


def subject_findings(results: Iterable[CheckResult]) -> tuple[Finding, ...]:
    """The subject's records: matches and possible matches (5.2.5: details may be false)."""
    found = (MatchOutcome.MATCH, MatchOutcome.POSSIBLE_MATCH)
    return tuple(
        finding
        for result in results
        if result.party == "subject" and result.outcome in found
        for finding in result.findings
    )


def lives_with_a_child(
    subject: SubjectParticulars | None,
    children: Iterable[Child],
    applicant_home: Address | None,
) -> bool:
    """Whether the subject's current address is the home of a child of the case: the child's
    own address, or the applicant's where the child has none of its own (4.6, 5.1.6)."""
    if subject is None or not subject.addresses:
        return False
    current = subject.addresses[0]
    for child in children:
        home = child.address or applicant_home
        if home is not None and home.same_home(current):
            return True
    return False


def imminent_risk_in_checks(
    results: Iterable[CheckResult],
    *,
    subject: SubjectParticulars | None,
    children: Sequence[Child],
    applicant_home: Address | None,
) -> str | None:
    """5.4.6, 5.6.11: the grounds of imminent risk the checks themselves show, or None.

    A record matched to the subject (not a possible match: 5.2.5) of a conviction or caution
    for a child sexual offence (Schedule 34A, 4.5), while the subject lives where a child of
    the case lives, calls for action at once with children's social care; it does not wait
    for the risk assessment or the forum. Any other finding is weighed by a person at stage 4.
    """
    systems = sorted(
        {
            result.system.value
            for result in results
            if result.party == "subject" and result.outcome is MatchOutcome.MATCH
            for finding in result.findings
            if finding.schedule_34a and finding.kind in _CONVICTION_LIKE
        }
    )
    if not systems or not lives_with_a_child(subject, children, applicant_home):
        return None
    return (
        f"The checks ({', '.join(systems)}) matched the subject to a conviction or caution for "
        "a child sexual offence (Schedule 34A), and the subject lives where a child of the "
        "case lives (5.4.6, 5.6.11)."
    )


def incomplete_subject_checks(results: Sequence[CheckResult]) -> tuple[str, ...]:
    """What keeps the subject's checks from being complete (5.4.4); empty when nothing does."""
    about_subject = [result for result in results if result.party == "subject"]
    if not about_subject:
        return ("the subject was checked on no system",)
    gaps = []
    for outcome, words in _UNSETTLED_CHECK.items():
        systems = sorted({r.system.value for r in about_subject if r.outcome is outcome})
        if systems:
            gaps.append(f"{words} {', '.join(systems)}")
    return tuple(gaps)


def categorise(findings: Iterable[Finding], *, behaviour: bool) -> tuple[ConcernCategory, ...]:
    """The 5.5.3 categories the subject's records and the reported behaviour fall in."""
    found: set[ConcernCategory] = set()
    for finding in findings:
        child_sexual = finding.category is OffenceCategory.CHILD_SEXUAL or finding.schedule_34a
        if finding.kind in _CONVICTION_LIKE and child_sexual:
            found.add(ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION)  # (i)
        elif finding.kind in _CONVICTION_LIKE and finding.category in _OTHER_RELEVANT:
            found.add(ConcernCategory.OTHER_RELEVANT_CONVICTION)  # (ii)
        elif finding.kind is RecordKind.INTELLIGENCE and (
            child_sexual or finding.category in _OTHER_RELEVANT
        ):
            found.add(ConcernCategory.RELEVANT_INTELLIGENCE)  # (iii)
    if behaviour:
        found.add(ConcernCategory.CONCERNING_BEHAVIOUR)  # (iv)
    return tuple(category for category in ConcernCategory if category in found)


def childrens_social_care_sharing(
    *, consent: bool | None, categories: Sequence[ConcernCategory]
) -> SharingDecision:
    """5.4.5: children's social care with consent, or without it where the circumstances require."""
    if consent:
        return SharingDecision(True, LawfulBasis.CONSENT, "5.4.5: the applicant consented")
    if categories:
        return SharingDecision(
            True,
            LawfulBasis.NECESSITY,
            "5.4.5: consulted without consent because the circumstances require it: "
            + "; ".join(_CATEGORY_TEXT[category] for category in categories),
        )
    return SharingDecision(
        False, None, "5.4.5: no consent, and nothing found makes sharing without it necessary"
    )


NECESSITY_REASON_LEAST = 20  # a sentence that says why, not a word that ticks a box


def check_sharing(*, basis: LawfulBasis, consent: bool | None, reason: str) -> None:
    """5.1.12, 5.4.5: staff share a case on the basis the applicant's answers allow.

    Consent is a basis only where the applicant gave it at the initial contact (5.1.12); without
    it an agency may be consulted only where the circumstances require it, and the reason that
    they do is written down (it is audited with the sharing)."""
    if basis is LawfulBasis.CONSENT and not consent:
        raise RuleViolation(
            "lawful_basis",
            "the applicant did not consent to sharing with other agencies (5.1.12); consult on "
            "necessity, stating why the circumstances require it (5.4.5)",
        )
    if basis is LawfulBasis.NECESSITY and len(reason.strip()) < NECESSITY_REASON_LEAST:
        raise RuleViolation(
            "reason",
            "sharing without consent records why the circumstances require it, in a sentence "
            f"of at least {NECESSITY_REASON_LEAST} characters (5.4.5)",
        )


def probation_sharing(*, consent: bool | None, findings: Sequence[Finding]) -> SharingDecision:
    """5.4.5: probation 'where appropriate': when the subject has a record it may manage."""
    if not any(finding.kind in _CONVICTION_LIKE for finding in findings):
        return SharingDecision(False, None, "5.4.5: nothing found that probation would manage")
    if consent:
        return SharingDecision(True, LawfulBasis.CONSENT, "5.4.5: the applicant consented")
    return SharingDecision(
        True,
        LawfulBasis.NECESSITY,
        "5.4.5: the subject has a record probation may manage; needed to assess the risk",
    )


def childrens_sharing(
    *, consent: bool | None, findings: Sequence[Finding], behaviour: bool
) -> SharingDecision:
    """Whether the children's case may go to children's social care, and why (5.4.5)."""
    categories = categorise(findings, behaviour=behaviour)
    return childrens_social_care_sharing(consent=consent, categories=categories)


def shared_by_owning_force(basis: LawfulBasis | None, reason: str | None) -> SharingDecision:
    """The basis the owning force recorded for a child it handed off (4.10, 5.4.5)."""
    if basis is None:
        return SharingDecision(
            False, None, "5.4.5: the owning force recorded no basis to share the children's case"
        )
    return SharingDecision(
        True,
        basis,
        reason
        if basis is LawfulBasis.NECESSITY and reason
        else "5.4.5: the applicant consented, as the owning force recorded (4.10)",
    )


def consultations(
    *,
    childrens_social_care: str,
    probation: str,
    children: bool,
    handed_off: bool,
    consent: bool | None,
    findings: Sequence[Finding],
    behaviour: bool,
    children_shared: SharingDecision | None = None,
) -> tuple[tuple[str, AgencyKind, SharingDecision], ...]:
    """The agencies stage 4 weighs consulting (5.4.5), each with the decision and its reason:
    children's social care where there are children, probation unless the subject was handed
    off (4.10: the responding force takes the subject to its own probation). A responding
    force asks about the children on the basis the owning force sent (`children_shared`)."""
    weighed = []
    if children:
        sharing = children_shared or childrens_sharing(
            consent=consent, findings=findings, behaviour=behaviour
        )
        weighed.append((childrens_social_care, AgencyKind.CHILDRENS_SOCIAL_CARE, sharing))
    if not handed_off:
        sharing = probation_sharing(consent=consent, findings=findings)
        weighed.append((probation, AgencyKind.PROBATION, sharing))
    return tuple(weighed)


def meets_mappa_criteria(findings: Iterable[Finding], *, mappa_levels: Iterable[int]) -> bool:
    """MAPPA manages registered sexual and violent offenders (press release note 6)."""
    registered = any(finding.kind is RecordKind.REGISTRATION for finding in findings)
    return registered or any(level >= 1 for level in mappa_levels)


def choose_forum(*, meets_mappa: bool, child_protection_plan: bool, behaviour: bool) -> Forum:
    """5.6.12: MAPPA for MAPPA subjects; otherwise safeguarding children procedures."""
    if meets_mappa:
        return Forum.MAPPA_MEETING
    if child_protection_plan:
        return Forum.CASE_CONFERENCE  # the child's plan is already reviewed in conference
    if behaviour:
        return Forum.STRATEGY_MEETING  # behaviour now displayed: a possible section 47 enquiry
    return Forum.STRATEGY_DISCUSSION


def consultation_deadlines(
    now: datetime, *, window: timedelta, risk_assessment_due_at: datetime | None
) -> tuple[datetime, datetime]:
    """When an agency's answer is due, and when it is reminded (halfway)."""
    respond_by = now + window
    if risk_assessment_due_at is not None and risk_assessment_due_at < respond_by:
        # 5.4.8: within stage 4's limit, but never less time than an agency could manage.
        respond_by = max(risk_assessment_due_at, now + window / 4)
    return respond_by, now + (respond_by - now) / 2


def answered_in_time(answered_at: datetime, respond_by: datetime) -> bool:
    """6.3: an agency's answer is in time by when it was sent, however late it is read."""
    return answered_at <= respond_by


def handoff_respond_by(now: datetime, *, closure_due_at: datetime | None) -> datetime:
    """When the owning force needs the responding force's findings (it keeps the deadline)."""
    if closure_due_at is None:
        return now + FORUM_LONGEST
    # 5.6.27: 7 days for disclosure and closure, and 3 for the owning force to weigh them.
    return max(closure_due_at - AFTER_FORUM - timedelta(days=3), now + timedelta(days=1))


def forum_latest(
    *, closure_due_at: datetime | None, respond_by: datetime | None
) -> datetime | None:
    """The latest a forum may meet: before the owning force's deadline allows for what follows."""
    if respond_by is not None:
        return respond_by - timedelta(days=1)
    return None if closure_due_at is None else closure_due_at - AFTER_FORUM


def forum_date(forum: Forum, *, now: datetime, latest: datetime | None) -> datetime:
    """When a forum is scheduled: its usual notice, sooner if the deadline needs it."""
    proposed = now + USUAL_NOTICE[forum]
    if latest is not None:
        proposed = min(proposed, latest)
    return max(proposed, now + SHORTEST_NOTICE)


def check_schedule(
    forum: Forum,
    *,
    now: datetime,
    scheduled_for: datetime,
    urgent: bool,
    urgency_justification: str | None,
    exception_reason: str | None,
) -> None:
    """Refuse a forum schedule that breaks 5.6.12 or 5.6.27."""
    if scheduled_for <= now:
        raise RuleViolation("scheduled_for", "a forum is scheduled for a time to come")
    if scheduled_for > now + FORUM_LONGEST:
        raise RuleViolation("scheduled_for", "5.6.27: a forum meets within 28 days")
    if urgent and not urgency_justification:
        raise RuleViolation("urgency_justification", "5.6.27: an urgent forum records why")
    if forum is Forum.OTHER_PROFESSIONALS_MEETING and not exception_reason:
        raise RuleViolation("exception_reason", "5.6.12: other meetings are the exception; say why")


def check_decision(
    *,
    force: str,
    attending: Sequence[str],
    positions: Sequence[str],
    route: DecisionRoute,
    recommend_disclosure: bool,
    inform_subject: bool | None = None,
    community_risk_assessment: str | None = None,
) -> None:
    """Refuse a forum conclusion that is not multi-agency or not consistent (5.6.12, 5.6.3);
    a forum that recommends disclosure decides whether the subject is told (5.6.17) and
    considers the risks the disclosure brings to the subject (5.6.26)."""
    if not any(agency != force for agency in attending):
        raise RuleViolation("attendance", "5.6.12: the decision is a multi-agency one")
    absent = sorted(set(positions) - set(attending))
    if absent:
        raise RuleViolation("positions", f"{', '.join(absent)} did not attend the forum")
    if recommend_disclosure and route is DecisionRoute.NO_CONCERNS:
        raise RuleViolation("recommend_disclosure", "5.6.3: 'no concerns' leads to non-disclosure")
    if not recommend_disclosure:
        return
    if inform_subject is None:
        raise RuleViolation(
            "inform_subject",
            "5.6.17: the forum that recommends disclosure decides whether the subject is told",
        )
    if len((community_risk_assessment or "").strip()) < NECESSITY_REASON_LEAST:
        raise RuleViolation(
            "community_risk_assessment",
            "5.6.26: the forum that recommends disclosure considers, in a sentence at least, "
            "the risks the disclosure brings to the subject",
        )


def assess(
    results: Sequence[CheckResult] = (),
    *,
    behaviour: bool = False,
    answers: Sequence[AgencyAnswer] = (),
    handoffs: Sequence[HandoffResult] = (),
    late: Sequence[LateAnswer] = (),
) -> Assessment:
    """Categorise the application (5.4.7, 5.5.3, 5.5.5) and say how the forum is reached.

    It weighs the checks (5.4.4), the behaviour reported (5.5.3 (iv)), what the agencies
    consulted said (5.4.5) and what responding forces returned (4.10). `results` already
    hold the late answers weighed (`with_late_answers`); `late` names them, and adds the
    concerns the checks service found in them.
    """
    returned = [h for h in handoffs if h.status is HandoffStatus.RETURNED]
    subject_returns = [h for h in returned if h.party == "subject"]
    findings = subject_findings(results) + tuple(
        finding for handoff in subject_returns for finding in handoff.findings
    )
    found = set(categorise(findings, behaviour=behaviour))
    if any(_agency_concern(answer) for answer in answers) or any(
        h.route is DecisionRoute.CONCERNS for h in returned
    ):
        found.add(ConcernCategory.RELEVANT_INTELLIGENCE)  # (iii) known to another agency
    # 5.5.3 (i)-(iii): what the checks service found in a late answer is a concern here too.
    found.update(_LATE_CONCERN[concern] for answer in late for concern in answer.concerns)
    categories = tuple(category for category in ConcernCategory if category in found)
    route = DecisionRoute.CONCERNS if categories else DecisionRoute.NO_CONCERNS
    levels = [answer.mappa_level for answer in answers if answer.mappa_level]
    meets_mappa = meets_mappa_criteria(findings, mappa_levels=levels) or any(
        h.forum is Forum.MAPPA_MEETING for h in subject_returns
    )
    forum = choose_forum(
        meets_mappa=meets_mappa,
        child_protection_plan=any(a.child_protection_plan for a in answers)
        or any(h.child_protection_plan for h in returned),
        behaviour=behaviour,
    )
    not_answered = tuple(
        sorted(a.agency for a in answers if a.status is ConsultationStatus.OVERDUE)
    )
    declined = tuple(
        sorted(a.agency for a in answers if a.outcome is ConsultationOutcome.DECLINED_TO_SHARE)
    )
    responding = next(
        (h for h in subject_returns if h.forum is not None and h.route is route), None
    )
    handoffs_complete = all(h.status is HandoffStatus.RETURNED for h in handoffs)
    incomplete = incomplete_subject_checks(results)
    if responding is not None:
        decision = Decision.RESPONDING_FORUM  # 4.10: where the subject lives, that force decides
    elif (
        route is DecisionRoute.NO_CONCERNS
        and not (not_answered or declined or incomplete)
        and handoffs_complete
    ):
        decision = Decision.NO_CONCERNS_AT_ONCE
    else:
        # 5.4.4, 5.5.5, 5.6.12: concerns, or 'no concerns' not established on every check
        # and answer, are for a multi-agency forum to weigh.
        decision = Decision.FORUM
    return Assessment(
        route=route,
        categories=categories,
        meets_mappa=meets_mappa,
        forum=responding.forum if responding and responding.forum else forum,
        decision=decision,
        rationale=_rationale(results, findings, categories, not_answered, declined, handoffs, late),
        not_answered=not_answered,
        declined=declined,
        responding=responding,
        checks_incomplete=incomplete,
    )


def reassess_for_forum(
    results: Sequence[CheckResult],
    *,
    late: Sequence[LateAnswer],
    behaviour: bool,
    answers: Sequence[AgencyAnswer],
    handoffs: Sequence[HandoffResult],
    scheduled: Forum | None,
) -> Assessment:
    """The assessment a convened forum weighs once late answers came (5.4.4, 5.5.3, 5.6.12).

    Its route, concerns and rationale follow the late answers: a late conviction makes the
    case one of 'concerns' (5.5.3), and a late no trace that closes the gap leaves 'no
    concerns' to be confirmed by the forum. The forum still decides: once convened, the
    decision is a multi-agency one (5.6.12), never the service's at once.
    """
    revised = assess(results, behaviour=behaviour, answers=answers, handoffs=handoffs, late=late)
    rationale = revised.rationale
    if scheduled is not None and revised.forum is not scheduled:
        rationale += (
            f" With the late answers the subject's case points to a {revised.forum.value}"
            f" (5.6.12); the {scheduled.value} scheduled stands unless staff move it."
        )
    return replace(revised, decision=Decision.FORUM, responding=None, rationale=rationale)


def _agency_concern(answer: AgencyAnswer) -> bool:
    if answer.outcome is not ConsultationOutcome.INFORMATION_SHARED:
        return False
    return bool(
        answer.child_protection_plan or answer.supervised_by_probation or answer.mappa_level
    )


def _rationale(  # noqa: PLR0917 - the parts of one sentence
    results: Sequence[CheckResult],
    findings: Sequence[Finding],
    categories: Sequence[ConcernCategory],
    not_answered: Sequence[str],
    declined: Sequence[str],
    handoffs: Sequence[HandoffResult],
    late: Sequence[LateAnswer],
) -> str:
    parts = [
        "Concerns (5.5.3): " + "; ".join(_CATEGORY_TEXT[c] for c in categories) + "."
        if categories
        else "No conviction, caution or intelligence was found on the systems checked."
    ]
    if findings:
        kinds = sorted({finding.category.value for finding in findings})
        parts.append(f"Records found in the categories: {', '.join(kinds)}.")
    incomplete = incomplete_subject_checks(results)
    if incomplete:
        parts.append(
            f"The subject's checks are incomplete (5.4.4): {'; '.join(incomplete)}; "
            "'no concerns' (5.5.5) cannot rest on them, so a forum decides (5.6.12)."
        )
    if any(r.outcome is MatchOutcome.POSSIBLE_MATCH for r in results):
        parts.append("Possible matches are counted until a researcher confirms them.")
    if not_answered:
        parts.append(f"No answer by the time asked from: {', '.join(not_answered)}.")
    if declined:
        parts.append(f"Declined to share: {', '.join(declined)}.")
    for handoff in handoffs:
        outcome = handoff.route.value if handoff.route else handoff.status.value
        parts.append(f"Responding force {handoff.responding_force}: {outcome}.")
    if late:
        answered = ", ".join(
            f"{a.result.system.value} on the {a.result.party} at {a.stage.value}"
            f" ({a.result.outcome.value})"
            for a in late
        )
        parts.append(f"Answered after the checks were completed, and weighed (5.4.4): {answered}.")
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When and how a forum meets."""

    forum: Forum
    scheduled_for: datetime
    urgent: bool = False
    urgency_justification: str | None = None
    exception_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Conclusion:
    """What the forum concluded, who attended, what was shared, and each agency's position."""

    route: DecisionRoute
    recommend_disclosure: bool
    rationale: str
    attendance: tuple[Attendee, ...]
    positions: tuple[AgencyPosition, ...] = ()
    information_shared: str | None = None
    inform_subject: bool | None = None  # 5.6.17, when recommending disclosure
    community_risk_assessment: str | None = None  # 5.6.26, when recommending disclosure


@dataclass(frozen=True, slots=True)
class Escalation:
    """Immediate or imminent risk a member of staff sees, at the stage they see it (2.7, 5.4.6)."""

    stage: Stage
    risk: Risk
    grounds: str
    section_47: bool = True


def check_escalation(raised: Escalation) -> None:
    """2.7: children's social care act on the grounds at once, so they say what was said or
    found in at least a sentence, never a bare word like 'urgent'."""
    if len(raised.grounds.strip()) < NECESSITY_REASON_LEAST:
        raise RuleViolation(
            "grounds",
            "an escalation says what was said or found, in a sentence of at least "
            f"{NECESSITY_REASON_LEAST} characters, for children's social care to act on (2.7)",
        )


class AppendixD(StrEnum):
    """The questions the officer who signs off the full risk assessment answers (5.4.1-5.4.7,
    Appendix D's decision making guide, each from the paragraph it keeps)."""

    REVISITED = "revisited"
    RECORDS = "records"
    AGENCIES = "agencies"
    CONTACT = "contact"
    IMMEDIATE_RISK = "immediate-risk"
    CATEGORISATION = "categorisation"


APPENDIX_D_QUESTIONS: dict[AppendixD, str] = {
    AppendixD.REVISITED: (
        "What did the initial contact and the face to face establish, revisited now (5.4.4)?"
    ),
    AppendixD.RECORDS: (
        "What do PNC, ViSOR, local intelligence and INI hold on each party, is every possible "
        "match settled, and what gaps remain (5.4.4)?"
    ),
    AppendixD.AGENCIES: (
        "What did children's social care, probation and any other agency consulted share, "
        "and who did not answer (5.4.5)?"
    ),
    AppendixD.CONTACT: (
        "What access does the subject have to the child or children, and how likely is actual "
        "contact (4.6, 4.7)?"
    ),
    AppendixD.IMMEDIATE_RISK: (
        "Is urgent action needed for an immediate or imminent risk of harm to a child; if so, "
        "was it raised with children's social care (5.4.6)?"
    ),
    AppendixD.CATEGORISATION: (
        "Does the application raise 'concerns' (5.5.3 (i)-(iv)) or 'no concerns' (5.5.5), "
        "and on what (5.4.7)?"
    ),
}


@dataclass(frozen=True, slots=True)
class SignOff:
    """A trained officer's sign-off of the full risk assessment (5.4.2, 5.4.3, 5.4.7)."""

    route: DecisionRoute
    categories: tuple[ConcernCategory, ...]
    answers: dict[AppendixD, str]
    rationale: str
    reason_for_change: str | None = None


def signed_off(proposal: Assessment, signed: SignOff) -> Assessment:
    """5.4.2-5.4.7: the officer's categorisation stands, not the system's proposal.

    Every Appendix D question is answered. The officer may categorise otherwise than the
    records suggest, saying why in a sentence; a case so changed goes to a multi-agency forum
    (5.6.12), never decided at once. The rationale is the officer's own, followed by what the
    records show, for the forum to weigh both.
    """
    for question, text in APPENDIX_D_QUESTIONS.items():
        if not signed.answers.get(question, "").strip():
            raise RuleViolation(
                f"answers.{question.value}",
                f"every Appendix D question is answered before sign-off (5.4.2): {text}",
            )
    if (signed.route is DecisionRoute.CONCERNS) != bool(signed.categories):
        raise RuleViolation(
            "categories",
            "'concerns' names at least one of 5.5.3 (i)-(iv); 'no concerns' names none (5.5.5)",
        )
    changed = (signed.route, set(signed.categories)) != (
        proposal.route,
        set(proposal.categories),
    )
    if changed and len((signed.reason_for_change or "").strip()) < NECESSITY_REASON_LEAST:
        raise RuleViolation(
            "reason_for_change",
            "a categorisation other than the records show says why, in a sentence of at least "
            f"{NECESSITY_REASON_LEAST} characters (5.4.7)",
        )
    records = f"What the records show: {proposal.rationale}"
    if not changed:
        return replace(proposal, rationale=f"{signed.rationale} {records}")
    return replace(
        proposal,
        route=signed.route,
        categories=tuple(c for c in ConcernCategory if c in set(signed.categories)),
        decision=Decision.FORUM,
        responding=None,
        rationale=f"{signed.rationale} Categorised otherwise than the records show, because: "
        f"{signed.reason_for_change} {records}",
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """A researcher's settling of a possible match: the candidate who is the person, or none
    (`record_reference` None), and why (5.4.4, 5.2.5)."""

    system: System
    party: str
    record_reference: str | None
    reason: str


def check_settlement(results: Sequence[CheckResult], settled: Settlement) -> None:
    """5.4.4: only a possible match the checks hold is settled, on one of its candidates, and
    the researcher says in a sentence what they compared."""
    held = next(
        (r for r in results if (r.system, r.party) == (settled.system, settled.party)), None
    )
    if held is None or held.outcome is not MatchOutcome.POSSIBLE_MATCH:
        raise RuleViolation(
            "system",
            f"the {settled.system.value} check of the {settled.party} holds no possible match "
            "to settle (5.4.4)",
        )
    candidates = {candidate.record_reference for candidate in held.candidates}
    if settled.record_reference is not None and settled.record_reference not in candidates:
        raise RuleViolation(
            "record_reference", "settle on one of the possible match's candidates, or none"
        )
    if len(settled.reason.strip()) < NECESSITY_REASON_LEAST:
        raise RuleViolation(
            "reason",
            "a settled match says what was compared, in a sentence of at least "
            f"{NECESSITY_REASON_LEAST} characters (5.4.4)",
        )
