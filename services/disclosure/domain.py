"""The rules of the outcome and closure (5.6, section 6): pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.disclosure import Outcome
from schemas.multiagency import DecisionRoute


@dataclass(frozen=True, slots=True)
class Closure:
    """How a case closes when its route allows closing without a human decision."""

    outcome: Outcome
    final_intelligence_report: str


def closure_without_decision(route: DecisionRoute, case_reference: str) -> Closure | None:
    """Close a 'no concerns' case at once; a 'concerns' case waits for the decision (5.6.14).

    5.6.1-5.6.7: 'no concerns' ends in a non-disclosure. 6.1: every closure, whatever the
    outcome, submits a final intelligence report.
    """
    if route is DecisionRoute.NO_CONCERNS:
        return Closure(
            outcome=Outcome.NO_DISCLOSURE,
            final_intelligence_report=final_intelligence_report(case_reference),
        )
    return None


def final_intelligence_report(case_reference: str) -> str:
    """The reference of a case's final intelligence report (6.1)."""
    return f"FIR-{case_reference}"
