"""Immediate or imminent risk: action at once, at any stage (2.7, 5.1.11, 5.2.14, 5.4.6)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from schemas.base import Message
from schemas.fields import field, personal
from schemas.stages import Stage
from schemas.types import CaseReference, FreeText, Tenant


class Risk(StrEnum):
    """How near the harm is."""

    IMMEDIATE = "immediate"
    IMMINENT = "imminent"


class SafeguardingEscalationRaisedV1(Message):
    """Event: urgent action is required; existing safeguarding procedures take over now."""

    TYPE: ClassVar[str] = "csods.safeguarding.escalation-raised.v1"

    case_reference: CaseReference
    stage: Stage = field("The stage at which the risk was identified.", "initial-contact")
    risk: Risk = field("Immediate or imminent.", "immediate")
    grounds: FreeText = personal(
        "Why: what was said or found.", "Child disclosed abuse by the subject this morning."
    )
    section_47: bool = field(
        "Whether this is a section 47 enquiry for joint working with children's social care.",
        True,
    )
    childrens_social_care: Tenant | None = field(
        "The children's social care tenant to work with.", "csc-warwickshire", default=None
    )
    raised_at: AwareDatetime = field("When.", "2026-11-22T09:35:00+00:00")
