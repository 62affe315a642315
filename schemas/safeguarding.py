"""Immediate or imminent risk: action at once, at any stage (2.7, 5.1.11, 5.2.14, 5.4.6)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from schemas.base import Message
from schemas.fields import field, personal
from schemas.parties import Child
from schemas.stages import Stage
from schemas.types import CaseReference, CorrelationId, FreeText, Tenant


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


class ReferImmediateRiskV1(Message):
    """Command from a force to its area's children's social care: a child may be at immediate
    or imminent risk, so the two act on it together now (2.7, 5.1.11; a section 47 enquiry
    under the Children Act 1989 where a child is at risk). The agency acknowledges it by
    `acknowledge_by`; until then the force chases it."""

    TYPE: ClassVar[str] = "csods.safeguarding.refer-immediate-risk.v1"

    referral_id: CorrelationId
    referring_force: Tenant = field("The force that refers.", "warwickshire")
    case_reference: CaseReference
    stage: Stage = field("The stage at which the risk was identified.", "initial-contact")
    risk: Risk = field("Immediate or imminent.", "immediate")
    grounds: FreeText = personal(
        "Why: what was said or found.", "Child disclosed abuse by the subject this morning."
    )
    section_47: bool = field("Whether a child is at risk, for a section 47 enquiry.", True)
    children: tuple[Child, ...] = personal(
        "The children concerned, as far as the force knows them yet (none at first contact).",
        [],
        default=(),
    )
    acknowledge_by: AwareDatetime = field(
        "When the force needs the agency's acknowledgement.", "2026-11-22T10:35:00+00:00"
    )
    referred_at: AwareDatetime = field("When.", "2026-11-22T09:35:00+00:00")


class ReferralResponse(StrEnum):
    """What children's social care does with a referral of immediate risk."""

    STRATEGY_DISCUSSION = "strategy-discussion"  # with the police, now
    SECTION_47_ENQUIRY = "section-47-enquiry"
    ALREADY_ALLOCATED = "already-allocated"  # the child's own social worker acts


class ReferralAcknowledgedV1(Message):
    """Event from children's social care to the referring force: it has the referral and acts."""

    TYPE: ClassVar[str] = "csods.safeguarding.referral-acknowledged.v1"

    referral_id: CorrelationId
    case_reference: CaseReference
    agency: Tenant = field("The agency acknowledging.", "csc-warwickshire")
    response: ReferralResponse = field("What it does now.", "strategy-discussion")
    acknowledged_at: AwareDatetime = field("When.", "2026-11-22T09:50:00+00:00")


class ReferralOverdueV1(Message):
    """Event: children's social care did not acknowledge a referral of immediate or imminent
    risk by the time asked; the force chases it now, on the duty officer's board (2.7)."""

    TYPE: ClassVar[str] = "csods.safeguarding.referral-overdue.v1"

    referral_id: CorrelationId
    case_reference: CaseReference
    agency: Tenant = field("The agency that has not acknowledged.", "csc-warwickshire")
    risk: Risk = field("Immediate or imminent.", "immediate")
    acknowledge_by: AwareDatetime = field(
        "When it was to be acknowledged by.", "2026-11-22T10:35:00+00:00"
    )
    overdue_at: AwareDatetime = field("When the force noticed.", "2026-11-22T10:35:05+00:00")
