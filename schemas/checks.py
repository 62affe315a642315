"""Messages of the checks: PNC, ViSOR, local intelligence and INI (5.1.9, 5.2.12, 5.4.4)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from schemas.base import Message, Part
from schemas.types import CaseReference


class CheckStage(StrEnum):
    """The stage whose checks are asked for."""

    INITIAL_CONTACT = "initial-contact"  # stage 1, 5.1.9
    FACE_TO_FACE = "face-to-face"  # stage 2, 5.2.12
    FULL_RISK_ASSESSMENT = "full-risk-assessment"  # stage 4, 5.4.4


class Party(StrEnum):
    """Whom a check is about (4.3, 4.4, 4.6)."""

    APPLICANT = "applicant"
    CHILD = "child"
    SUBJECT = "subject"


class System(StrEnum):
    """The systems checked (5.4.4); foreign and CEOP checks are optional."""

    PNC = "pnc"
    VISOR = "visor"
    LOCAL_INTELLIGENCE = "local-intelligence"
    INI = "ini"


class FindingKind(StrEnum):
    """What a check found, in the terms of the decision route (5.5.3)."""

    CHILD_SEXUAL_OFFENCE = "child-sexual-offence"
    OTHER_CONVICTION = "other-conviction"
    INTELLIGENCE = "intelligence"


class RequestChecksV1(Message):
    """Command: run the checks of one stage for a case's parties."""

    TYPE: ClassVar[str] = "csods.checks.request-checks.v1"

    case_reference: CaseReference
    stage: CheckStage = Field(description="Which stage's checks.", examples=["initial-contact"])
    parties: tuple[Party, ...] = Field(
        min_length=1,
        description="The parties to check.",
        examples=[["subject", "applicant"]],
    )


class Finding(Part):
    """One thing a check found about one party."""

    system: System = Field(description="Where it was found.", examples=["pnc"])
    party: Party = Field(description="Whom it is about.", examples=["subject"])
    kind: FindingKind = Field(description="What kind of record.", examples=["intelligence"])


class ChecksCompletedV1(Message):
    """Event: the checks of one stage are complete; what they found, by system and party."""

    TYPE: ClassVar[str] = "csods.checks.checks-completed.v1"

    case_reference: CaseReference
    stage: CheckStage = Field(description="Which stage's checks.", examples=["initial-contact"])
    completed_at: AwareDatetime = Field(
        description="When the last answer arrived.", examples=["2026-11-22T10:02:00+00:00"]
    )
    systems_checked: tuple[System, ...] = Field(
        description="The systems that answered; an empty list means none was reachable.",
        examples=[["pnc", "visor", "local-intelligence", "ini"]],
    )
    findings: tuple[Finding, ...] = Field(
        default=(),
        description="What was found; empty when nothing was found.",
        examples=[[]],
    )
