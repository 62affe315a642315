"""Findings sorted into the 'concerns' of 5.5.3 (i)-(iv), or 'no concerns' (5.5.5): pure.

The presumption to disclose exists only for convictions, cautions, reprimands and final
warnings for a Schedule 34A offence (2.4, 3.1, 4.5); everything else that raises a concern is
disclosed, if at all, without that presumption (2.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from schemas.checks import (
    CheckResult,
    Concern,
    Finding,
    Indication,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
)
from schemas.parties import RiskAnswer, RiskQuestion

# 4.5: 'convicted' for the scheme includes cautioned, reprimanded or warned.
CONVICTED = frozenset(
    {RecordKind.CONVICTION, RecordKind.CAUTION, RecordKind.REPRIMAND, RecordKind.FINAL_WARNING}
)
# 5.5.3 (ii) and (iii): sexual offending, violence, drugs or domestic abuse are relevant to
# safeguarding children; theft or motoring offences are not, by themselves.
RELEVANT = frozenset(
    {
        OffenceCategory.CHILD_SEXUAL,
        OffenceCategory.SEXUAL_ADULT,
        OffenceCategory.VIOLENCE,
        OffenceCategory.DOMESTIC_ABUSE,
        OffenceCategory.DRUGS,
    }
)
# 5.5.3 (iv): behaviour disclosed in the application itself.
CONCERNING_ANSWERS = frozenset(
    {
        RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING,
        RiskQuestion.CHILD_HAS_DISCLOSED_HARM,
        RiskQuestion.CHILD_SHOWS_SIGNS_OF_HARM,
    }
)
_ORDER = tuple(Concern)
_UNSETTLED = frozenset(
    {MatchOutcome.POSSIBLE_MATCH, MatchOutcome.UNAVAILABLE, MatchOutcome.INSUFFICIENT_DETAIL}
)


def concern_of(finding: Finding) -> Concern | None:
    """Which concern of 5.5.3 one record raises, if any."""
    if finding.kind in CONVICTED:
        if finding.schedule_34a:
            return Concern.CHILD_SEXUAL_CONVICTION  # (i), 4.5
        return Concern.OTHER_RELEVANT_CONVICTION if finding.category in RELEVANT else None  # (ii)
    if finding.kind in (RecordKind.REGISTRATION, RecordKind.ORDER):
        # On ViSOR only because of sexual or violent offending, which is itself (i) or (ii).
        if finding.schedule_34a:
            return Concern.CHILD_SEXUAL_CONVICTION
        return Concern.OTHER_RELEVANT_CONVICTION
    if finding.category in RELEVANT:
        return Concern.RELEVANT_INTELLIGENCE  # (iii)
    return None


def classified(result: CheckResult) -> CheckResult:
    """A result with each finding's concern set."""
    findings = tuple(f.model_copy(update={"concern": concern_of(f)}) for f in result.findings)
    return result.model_copy(update={"findings": findings})


def presumption_to_disclose(findings: Iterable[Finding]) -> bool:
    """2.4, 3.1, 4.5: convicted, cautioned, reprimanded or warned for a Schedule 34A offence."""
    return any(f.kind in CONVICTED and f.schedule_34a for f in findings)


def concerning_behaviour(answers: Iterable[RiskAnswer]) -> bool:
    """5.5.3 (iv): the application discloses grooming, or harm disclosed by or seen in a child."""
    return any(a.answer is True and a.question in CONCERNING_ANSWERS for a in answers)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a stage's results say about the subject."""

    indication: Indication
    concerns: tuple[Concern, ...]
    presumption_to_disclose: bool


def concerns_in(results: Sequence[CheckResult]) -> tuple[Concern, ...]:
    """The concerns the subject's records raise, in the order of 5.5.3."""
    found = {f.concern for r in results if r.party == "subject" for f in r.findings}
    return tuple(concern for concern in _ORDER if concern in found)


def summarise(results: Sequence[CheckResult], *, behaviour: bool) -> Summary:
    """'Concerns' (5.5.3), 'no concerns' (5.5.5), or undetermined while anything is unsettled."""
    about_subject = [r for r in results if r.party == "subject"]
    concerns = concerns_in(about_subject)
    if behaviour:
        concerns = (*concerns, Concern.CONCERNING_BEHAVIOUR)
    presumption = presumption_to_disclose(f for r in about_subject for f in r.findings)
    if concerns:
        indication = Indication.CONCERNS
    elif not about_subject or any(r.outcome in _UNSETTLED for r in about_subject):
        # A system that did not answer, or a match a researcher must settle, is never a no.
        indication = Indication.UNDETERMINED
    else:
        indication = Indication.NO_CONCERNS
    return Summary(indication, concerns, presumption)
