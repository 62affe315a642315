"""Subject matching on partial or false details (5.2.5): ranked candidates and a decision.

A candidate's confidence is the logistic of the evidence the rules give (evidence.py). At or
above MATCH with no close rival it is a match; otherwise, above FLOOR, a researcher must settle
it: never a silent yes or no. Nothing here reads a database: the stubs block with indexes first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.checks import MatchOutcome
from services.checks.evidence import (
    address_evidence,
    description_evidence,
    dob_evidence,
    name_evidence,
)
from services.checks.persons import Evidence, Nominal, Person, person_from

__all__ = ["Decision", "Scored", "decide", "missing_detail", "person_from", "score"]

# Confidence thresholds: at or above MATCH with no close rival is a match; between FLOOR and
# MATCH, or with a close rival, a researcher decides; below FLOOR nothing was traced.
MATCH = 0.9
FLOOR = 0.3
# Two candidates whose evidence differs by less than this are too close to choose between.
CLOSE = 1.5
# Where the logistic crosses one half: a name alone never reaches a match.
_BIAS = 7.5
MAX_CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate with its evidence and confidence."""

    nominal: Nominal
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def confidence(self) -> float:
        """The logistic of the evidence: 0 to 1."""
        return 1.0 / (1.0 + math.exp(-(self.score - _BIAS)))

    @property
    def reasons(self) -> tuple[str, ...]:
        """The names of the rules that spoke."""
        return tuple(item.rule for item in self.evidence)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a search and what supports it."""

    outcome: MatchOutcome
    candidates: tuple[Scored, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def best(self) -> Scored | None:
        """The top candidate, if any."""
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        """The top candidate's confidence; 0 when nothing was traced."""
        best = self.best
        return 0.0 if best is None or self.outcome is MatchOutcome.NO_TRACE else best.confidence


def missing_detail(person: Person) -> tuple[str, ...]:
    """What must be added before a search can identify anyone; empty when enough is known."""
    surnames = any(name.surname for name in person.names)
    forenames = any(name.forenames for name in person.names)
    if not (surnames or forenames):
        return ("a name: a surname or a forename",)
    if not surnames and person.dob is None:
        return ("a surname or a date of birth",)
    if surnames and not forenames and person.dob is None and not person.places:
        return ("a forename, a date of birth or an address",)
    return ()


def score(query: Person, nominal: Nominal) -> Scored:
    """Every rule's evidence for one candidate."""
    held = nominal.person
    evidence = [
        *name_evidence(query, held),
        *(item for item in (dob_evidence(query.dob, held.dob),) if item is not None),
        *address_evidence(query.places, held.places),
        *(
            item
            for item in (description_evidence(query.description, held.description),)
            if item is not None
        ),
    ]
    return Scored(nominal, sum(item.weight for item in evidence), tuple(evidence))


def decide(query: Person, nominals: Iterable[Nominal]) -> Decision:
    """Rank the candidates and say match, possible match (a researcher), or no trace."""
    missing = missing_detail(query)
    if missing:
        return Decision(MatchOutcome.INSUFFICIENT_DETAIL, missing=missing)
    ranked = sorted(
        (score(query, nominal) for nominal in nominals),
        key=lambda scored: (-scored.score, scored.nominal.reference),
    )
    viable = tuple(scored for scored in ranked if scored.confidence >= FLOOR)
    if not viable:
        return Decision(MatchOutcome.NO_TRACE)
    top = viable[0]
    rival = len(viable) > 1 and viable[1].score > top.score - CLOSE
    if top.confidence >= MATCH and not rival:
        return Decision(MatchOutcome.MATCH, (top,))
    # Below the threshold, or several close candidates: never a silent yes or no.
    return Decision(MatchOutcome.POSSIBLE_MATCH, viable[:MAX_CANDIDATES])
