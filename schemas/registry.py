"""Every message type by its `ce_type`: what a consumer uses to decode."""

from __future__ import annotations

from schemas import checks, deadlines, disclosure, intake, multiagency, safeguarding
from schemas.base import Message

MESSAGES: tuple[type[Message], ...] = (
    intake.RegisterEnquiryV1,
    intake.EnquiryRegisteredV1,
    intake.EnquiryRedirectedV1,
    intake.IntelligenceSubmittedV1,
    intake.ApplicationSubmittedV1,
    intake.InformationPackGivenV1,
    checks.RequestChecksV1,
    checks.ChecksRequestedV1,
    checks.CheckQueryV1,
    checks.CheckAnsweredV1,
    checks.ChecksCompletedV1,
    checks.CheckAnsweredLateV1,
    checks.SettleMatchV1,
    safeguarding.SafeguardingEscalationRaisedV1,
    safeguarding.ReferralOverdueV1,
    safeguarding.ReferImmediateRiskV1,
    safeguarding.ReferralAcknowledgedV1,
    multiagency.RiskAssessmentCompletedV1,
    multiagency.RequestConsultationV1,
    multiagency.RemindConsultationV1,
    multiagency.ConsultationRequestedV1,
    multiagency.ConsultationAnsweredV1,
    multiagency.ConsultationOverdueV1,
    multiagency.HandoffRequestedV1,
    multiagency.HandoffAcceptedV1,
    multiagency.HandoffDeclinedV1,
    multiagency.HandoffReturnedV1,
    multiagency.ForumScheduledV1,
    multiagency.ForumDecidedV1,
    disclosure.DisclosureDecidedV1,
    disclosure.DisclosureDeliveredV1,
    disclosure.NonDisclosureCommunicatedV1,
    disclosure.ProtectiveActionRecordedV1,
    disclosure.FinalIntelligenceReportV1,
    disclosure.CaseOutcomeV1,
    disclosure.HandoffCaseClosedV1,
    disclosure.RepeatedRequestsFlaggedV1,
    disclosure.CaseClosedV1,
    deadlines.DeadlineWarningV1,
    deadlines.DeadlineBreachedV1,
    deadlines.TimescaleDeviationRecordedV1,
)

BY_TYPE: dict[str, type[Message]] = {message.TYPE: message for message in MESSAGES}
