"""The rules of the risk assessment and the forum (5.4.7, 5.5, 5.6.12): pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.checks import CheckResult
from schemas.multiagency import DecisionRoute, Forum


@dataclass(frozen=True, slots=True)
class Assessment:
    """The route a case takes and why."""

    route: DecisionRoute
    forum: Forum
    rationale: str


def assess(results: tuple[CheckResult, ...]) -> Assessment:
    """Categorise a case as 'concerns' or 'no concerns' from what the checks found (5.4.7).

    5.5.3: convictions, cautions or intelligence that raise child safeguarding concerns make
    'concerns'; 5.5.5: none of them makes 'no concerns'. Consultation with children's social
    care and probation, and the MAPPA route, come with the multi-agency issue.
    """
    findings = [finding for result in results for finding in result.findings]
    if findings:
        kinds = sorted({finding.category.value for finding in findings})
        return Assessment(
            route=DecisionRoute.CONCERNS,
            forum=Forum.STRATEGY_DISCUSSION,
            rationale=f"Checks found records in the categories: {', '.join(kinds)}.",
        )
    return Assessment(
        route=DecisionRoute.NO_CONCERNS,
        forum=Forum.STRATEGY_DISCUSSION,
        rationale="No conviction, caution or intelligence was found on the systems checked.",
    )
