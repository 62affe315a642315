"""Messages of stages 1 to 3: initial contact, face to face, empowerment (circular 5.1-5.3)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from schemas.base import Message
from schemas.types import CaseReference, SubmissionId, Tenant


class Channel(StrEnum):
    """How the initial contact reached the police (5.1.2)."""

    STATION = "station"
    STREET = "street"
    INCIDENT = "incident"
    TELEPHONE = "telephone"
    ONLINE_PORTAL = "online-portal"


class SchemeProfile(StrEnum):
    """The guidance whose timescales a case runs under (DESIGN.md section 6)."""

    CSODS_2010 = "csods-2010"
    CSODS_2023 = "csods-2023"
    DVDS_2023 = "dvds-2023"


class RegisterEnquiryV1(Message):
    """Command: register an initial contact with a force (stage 1, 5.1).

    Sent to the force's inbox by the online portal or another front desk system.
    """

    TYPE: ClassVar[str] = "csods.intake.register-enquiry.v1"

    submission_id: SubmissionId
    force: Tenant = Field(
        description="The force the enquiry is made to: the owning force (4.9).",
        examples=["warwickshire"],
    )
    channel: Channel = Field(
        description="How the initial contact was made (5.1.2).", examples=["online-portal"]
    )
    received_at: AwareDatetime = Field(
        description="When the force received the contact; stage 1's 24 hours run from here.",
        examples=["2026-11-22T09:30:00+00:00"],
    )
    scheme_profile: SchemeProfile = Field(
        default=SchemeProfile.CSODS_2010,
        description="Whose timescales apply to the case.",
        examples=["csods-2010"],
    )


class EnquiryRegisteredV1(Message):
    """Event: an initial contact was registered as a case with its deadlines (5.1)."""

    TYPE: ClassVar[str] = "csods.intake.enquiry-registered.v1"

    case_reference: CaseReference
    submission_id: SubmissionId
    channel: Channel = Field(description="How the initial contact was made.", examples=["station"])
    registered_at: AwareDatetime = Field(
        description="When the case was registered.", examples=["2026-11-22T09:30:05+00:00"]
    )
    scheme_profile: SchemeProfile = Field(
        description="Whose timescales apply.", examples=["csods-2010"]
    )
    stage1_due_at: AwareDatetime = Field(
        description="Stage 1 (initial contact and initial checks) must end by then (5.1.13).",
        examples=["2026-11-23T09:30:00+00:00"],
    )
    risk_assessment_due_at: AwareDatetime = Field(
        description="The full risk assessment must be reached by then (5.4.8).",
        examples=["2026-12-02T09:30:00+00:00"],
    )
    closure_due_at: AwareDatetime = Field(
        description="The whole case must be closed by then (5.6.27).",
        examples=["2027-01-06T09:30:00+00:00"],
    )

