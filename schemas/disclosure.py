"""Messages of the outcome and closure (stage 6, section 6)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from schemas.base import Message
from schemas.multiagency import DecisionRoute
from schemas.types import CaseReference


class Outcome(StrEnum):
    """How a case ended, in the four categories of the 2009 case studies."""

    DISCLOSURE = "disclosure"
    DISCLOSURE_PARTIAL = "partial-disclosure"
    NO_DISCLOSURE_PROTECTIVE_ACTION = "no-disclosure-protective-action"
    NO_DISCLOSURE = "no-disclosure"


class CaseClosedV1(Message):
    """Event: a case is closed and its final intelligence report submitted (6.1)."""

    TYPE: ClassVar[str] = "csods.disclosure.case-closed.v1"

    case_reference: CaseReference
    route: DecisionRoute = Field(description="The decision route taken.", examples=["concerns"])
    outcome: Outcome = Field(description="How the case ended.", examples=["no-disclosure"])
    closed_at: AwareDatetime = Field(
        description="When the case was closed.", examples=["2026-12-01T16:00:00+00:00"]
    )
    final_intelligence_report: str = Field(
        min_length=1,
        max_length=64,
        description="The reference of the final intelligence report on the force's system (6.1).",
        examples=["FIR-warwickshire-2026-000042"],
    )
