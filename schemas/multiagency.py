"""Messages of the full risk assessment and the decision forum (5.4, 5.6.12)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from schemas.base import Message
from schemas.types import CaseReference


class DecisionRoute(StrEnum):
    """The two decision routes of stage 5 (5.5.1)."""

    CONCERNS = "concerns"
    NO_CONCERNS = "no-concerns"


class Forum(StrEnum):
    """Where the decision is made (5.6.12)."""

    MAPPA_MEETING = "mappa-meeting"
    STRATEGY_MEETING = "strategy-meeting"
    STRATEGY_DISCUSSION = "strategy-discussion"
    CASE_CONFERENCE = "case-conference"


class ForumDecidedV1(Message):
    """Event: the forum decided the route of a case."""

    TYPE: ClassVar[str] = "csods.multiagency.forum-decided.v1"

    case_reference: CaseReference
    forum: Forum = Field(description="The forum that decided.", examples=["strategy-discussion"])
    route: DecisionRoute = Field(description="'concerns' or 'no concerns'.", examples=["concerns"])
    decided_at: AwareDatetime = Field(
        description="When the forum decided.", examples=["2026-11-29T14:00:00+00:00"]
    )
    rationale: str = Field(
        max_length=4000,
        description="Why, in the forum's words; no personal data beyond the case's own.",
        examples=["No convictions, cautions or intelligence found on any system checked."],
    )
