"""Every message type by its `ce_type`: what a consumer uses to decode."""

from __future__ import annotations

from schemas.base import Message
from schemas.checks import ChecksCompletedV1, RequestChecksV1
from schemas.disclosure import CaseClosedV1
from schemas.intake import EnquiryRegisteredV1, RegisterEnquiryV1
from schemas.multiagency import ForumDecidedV1

MESSAGES: tuple[type[Message], ...] = (
    RegisterEnquiryV1,
    EnquiryRegisteredV1,
    RequestChecksV1,
    ChecksCompletedV1,
    ForumDecidedV1,
    CaseClosedV1,
)

BY_TYPE: dict[str, type[Message]] = {message.TYPE: message for message in MESSAGES}
