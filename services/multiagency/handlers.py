"""The multi-agency service's handler table: checks, particulars, answers, handoffs, closure.

Each handler is a use case taking (deps, tx, delivery); `Deps` is what app.py binds.
"""

from __future__ import annotations

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.disclosure import CaseClosedV1, HandoffCaseClosedV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.multiagency import (
    ConsultationAnsweredV1,
    HandoffAcceptedV1,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
)
from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    SafeguardingEscalationRaisedV1,
)
from services.multiagency import use_cases
from services.multiagency.use_cases import Deps
from services.runtime.handlers import HandlerTable

__all__ = ["HANDLERS", "Deps"]

HANDLERS: HandlerTable[Deps] = {
    # A stage's checks: the full risk assessment, consultations or the forum may follow.
    ChecksCompletedV1: use_cases.record_checks,
    CheckAnsweredLateV1: use_cases.record_late_answer,
    # The particulars of stage 1 (initial contact) and stage 2 (face to face).
    EnquiryRegisteredV1: use_cases.record_enquiry,
    ApplicationSubmittedV1: use_cases.record_application,
    ConsultationAnsweredV1: use_cases.record_consultation_answer,
    # Immediate risk goes to children's social care at once, and is acknowledged (2.7).
    SafeguardingEscalationRaisedV1: use_cases.record_escalation,
    ReferralAcknowledgedV1: use_cases.record_referral_acknowledged,
    # ... and another force's referral of a child who lives here goes to this area's (3.5).
    ReferImmediateRiskV1: use_cases.pass_on_referral,
    # The case closed: the agencies consulted are told how it ended (6.3).
    CaseClosedV1: use_cases.share_outcome,
    HandoffCaseClosedV1: use_cases.share_outcome_responded,
    # Another force asks this one to respond for a party who lives here (4.10) ...
    HandoffRequestedV1: use_cases.receive_handoff,
    # ... and the responding force's replies to this force's own handoffs.
    HandoffAcceptedV1: use_cases.record_handoff_accepted,
    HandoffDeclinedV1: use_cases.record_handoff_declined,
    HandoffReturnedV1: use_cases.record_handoff_returned,
}
