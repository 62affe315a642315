"""The rules of the decision, its delivery and closure (2.2-2.6, 4.8, 5.5, 5.6, 6): pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.checks import CheckResult, Finding, MatchOutcome, RecordKind
from schemas.disclosure import (
    DeliveryDetails,
    DisclosureDeliveredV1,
    Extent,
    LegalTest,
    Outcome,
    TestAnswer,
    Undertaking,
)
from schemas.multiagency import DecisionRoute
from schemas.parties import Applicant, SubjectParticulars
from services.runtime.errors import RuleViolation

# 4.5: convicted of a CSO means convicted, cautioned, reprimanded or warned.
_CONVICTION_KINDS = {
    RecordKind.CONVICTION,
    RecordKind.CAUTION,
    RecordKind.REPRIMAND,
    RecordKind.FINAL_WARNING,
}


def presumption_findings(results: Iterable[CheckResult]) -> list[Finding]:
    """2.4, 4.5, 5.5.3: the records the presumption may rest on are the subject's alone, from
    a match; the applicant's and the children's records, and a possible match nobody has
    settled (it may be a namesake, 5.2.5), never count towards it."""
    return [
        finding
        for result in results
        if result.party == "subject" and result.outcome is MatchOutcome.MATCH
        for finding in result.findings
    ]


def presumption_to_disclose(findings: Iterable[Finding], *, risk_of_serious_harm: bool) -> bool:
    """2.2, 2.4: presume disclosure only for a Schedule 34A conviction (or caution, reprimand,
    final warning) where the subject poses a risk of serious harm. Other convictions and
    intelligence may still be disclosed, without a presumption (2.5, 5.6.13)."""
    child_sexual = any(
        finding.schedule_34a and finding.kind in _CONVICTION_KINDS for finding in findings
    )
    return child_sexual and risk_of_serious_harm


ENOUGH_WORDS = 20  # a sentence that says why, not a word that ticks a box


def check_decision(
    *,
    disclose: bool,
    route: DecisionRoute | None,
    identity_verified: bool | None,
    tests: tuple[TestAnswer, ...],
    recipients: int,
    extent: Extent | None,
    community_risk_assessment: bool,
    forum_recommends: bool | None,
    subject_notification_reason: str | None = "recorded",
    inform_subject: bool | None = None,
    forum_inform_subject: bool | None = None,
    likelihood_of_contact: str | None,
    data_protection: str | None,
) -> None:
    """Refuse a decision that breaks a rule, naming the rule's paragraph."""
    if route is None:
        raise RuleViolation("case_reference", "no forum has decided this case yet (5.6.12)")
    if not disclose:
        _check_against_the_forum(forum_recommends=forum_recommends, tests=tests)
        return
    if not forum_recommends:
        raise RuleViolation(
            "disclose",
            "the multi-agency forum did not recommend disclosure; the decision to disclose "
            "is the forum's, and only it may revisit it (5.6.12)",
        )
    if route is not DecisionRoute.CONCERNS:
        raise RuleViolation("disclose", "a 'no concerns' case ends in non-disclosure (5.6.3)")
    if not identity_verified:
        raise RuleViolation(
            "disclose", "no disclosure without verification of the applicant's identity (5.2.8)"
        )
    met = {answer.test for answer in tests if answer.met and answer.rationale.strip()}
    missing = [test.value for test in LegalTest if test not in met]
    if missing:
        raise RuleViolation(
            "tests",
            f"all three tests must be met with a rationale; not met: {', '.join(missing)} (5.6.14)",
        )
    if recipients == 0:
        raise RuleViolation("recipient", "the person best placed to protect the child (5.6.19)")
    if extent is None:
        raise RuleViolation("extent", "full or partial: only what is needed (5.6.14 (iii))")
    _check_what_was_weighed(
        subject_notification_reason=subject_notification_reason,
        likelihood_of_contact=likelihood_of_contact,
        data_protection=data_protection,
        inform_subject=inform_subject,
        forum_inform_subject=forum_inform_subject,
        community_risk_assessment=community_risk_assessment,
    )


def _check_what_was_weighed(
    *,
    subject_notification_reason: str | None,
    likelihood_of_contact: str | None,
    data_protection: str | None,
    inform_subject: bool | None,
    forum_inform_subject: bool | None,
    community_risk_assessment: bool,
) -> None:
    """What a disclosure records having weighed: the subject's notification and its reason
    (5.6.17, 5.6.23-5.6.25), the likelihood of contact (4.7), the data protection principles
    (5.6.14), the forum's decision on telling the subject, the community risk assessment."""
    if not (subject_notification_reason or "").strip():
        raise RuleViolation(
            "subject_notification",
            "whether the subject is told, or self-discloses, is decided with its reason "
            "(5.6.17, 5.6.23-5.6.25)",
        )
    if len((likelihood_of_contact or "").strip()) < ENOUGH_WORDS:
        raise RuleViolation(
            "likelihood_of_contact",
            "whether the likelihood of actual contact is enough for disclosure is considered "
            "and recorded, in a sentence at least (4.7)",
        )
    if len((data_protection or "").strip()) < ENOUGH_WORDS:
        raise RuleViolation(
            "data_protection",
            "how the disclosure accords with the data protection principles is recorded, in "
            "a sentence at least (5.6.14)",
        )
    if forum_inform_subject is not None and inform_subject is not forum_inform_subject:
        told = "told" if forum_inform_subject else "not told"
        raise RuleViolation(
            "subject_notification.inform_subject",
            f"the forum decided the subject is {told} of the disclosure; that is the forum's "
            "decision, not the decision maker's (5.6.17)",
        )
    if not community_risk_assessment:
        raise RuleViolation(
            "community_risk_assessment_required",
            "a community risk assessment whenever a disclosure is made (5.6.26)",
        )


def _check_against_the_forum(*, forum_recommends: bool | None, tests: Iterable[TestAnswer]) -> None:
    """5.6.12, 5.6.14: not disclosing where the forum recommended disclosure records which
    stage of the test is not met, and why; a bare 'no' against the forum is refused."""
    if not forum_recommends:
        return
    if not any(not answer.met and answer.rationale.strip() for answer in tests):
        raise RuleViolation(
            "tests",
            "the forum recommended disclosure: a decision not to disclose names the stage of "
            "the test that is not met, with its rationale (5.6.12, 5.6.14)",
        )


def check_delivery(delivery: DeliveryDetails) -> None:
    """5.6.21: in person, with the warning; a refused undertaking needs a decision."""
    if not delivery.warning_given:
        raise RuleViolation(
            "warning_given", "the warning of 5.6.21 is given with every disclosure (5.6.21)"
        )
    refused = delivery.undertaking is Undertaking.REFUSED
    if refused and delivery.disclosed_despite_refusal is None:
        raise RuleViolation(
            "disclosed_despite_refusal",
            "a refused undertaking records whether the disclosure still went ahead (5.6.21)",
        )
    if not refused and delivery.disclosed_despite_refusal is not None:
        raise RuleViolation(
            "disclosed_despite_refusal", "is recorded only when the undertaking was refused"
        )


def delivered(delivery: DisclosureDeliveredV1) -> bool:
    """Whether the disclosure was actually made (5.6.21: refused undertaking, then decided)."""
    return delivery.undertaking is Undertaking.SIGNED or bool(delivery.disclosed_despite_refusal)


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What closure needs to know of a case."""

    disclosed: bool
    extent: Extent | None
    protective_actions: int
    withdrawn: bool = False


def outcome(record: CaseRecord) -> Outcome:
    """The case's outcome in the four categories of the 2009 case studies, or withdrawn."""
    if record.withdrawn:
        return Outcome.WITHDRAWN
    if record.disclosed:
        return (
            Outcome.PARTIAL_DISCLOSURE if record.extent is Extent.PARTIAL else (Outcome.DISCLOSURE)
        )
    if record.protective_actions:
        return Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION
    return Outcome.NO_DISCLOSURE


def final_intelligence_report(case_reference: str) -> str:
    """The reference of a case's final intelligence report (6.1)."""
    return f"FIR-{case_reference}"


NON_DISCLOSURE_LETTER = """\
Dear {name},

Child Sex Offender Disclosure Scheme: your application {case_reference}

Thank you for your application. We have completed our checks and, on the information you gave
us, there is no information that we can disclose to you.

This does not mean that there is no risk to your child. Please keep in mind the advice in the
information pack you were given: know who your child spends time with, listen to your child,
and watch for behaviour that worries you. If you have any concern about the safety or welfare
of a child in future, contact us on 101, or 999 in an emergency, or your local children's
social care team.

Yours sincerely,
Public Protection Unit, {force}
"""


def no_concerns_letter_held(
    applicant: Applicant | None, subject: SubjectParticulars | None
) -> str | None:
    """5.6.5, 5.1.6: why a 'no concerns' letter may not go to the applicant's home unattended.

    The applicant may be asking about someone they live with, without that person knowing: a
    letter at a home the subject shares may tell them of the enquiry. Then an officer conveys
    'no concerns' in the safe way the applicant gave, and records it; None when a letter may go.
    """
    if applicant is None or subject is None or not subject.addresses:
        return None
    if applicant.address.same_home(subject.addresses[0]):  # the subject's current address
        return (
            "the subject lives at the applicant's address, so a letter there may tell them of "
            "the enquiry: an officer conveys 'no concerns' in the safe way recorded (5.6.5, 5.1.6)"
        )
    return None


def non_disclosure_letter(*, name: str, case_reference: str, force: str) -> str:
    """The 'no concerns' letter of 5.6.5-5.6.7: nothing to disclose, and safeguarding advice.

    It says that no information does not mean no risk (5.6.6) and points back to the
    information pack (5.6.7). It is never used for a disclosure (5.6.22).
    """
    return NON_DISCLOSURE_LETTER.format(
        name=name, case_reference=case_reference, force=force.replace("-", " ").title()
    )
