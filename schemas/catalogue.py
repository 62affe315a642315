"""The topic map: every topic, who writes it, who reads it, what it carries, how long it keeps.

Names follow architecture §3 (`schemas.topics`); a test pins the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from schemas import checks, deadlines, disclosure, intake, multiagency, safeguarding, topics
from schemas.base import Message

SERVICES = ("intake", "checks", "multiagency", "disclosure", "ops")
# An inbox per (receiver, sender): the broker lets only the sender its name names write it.
THE_SENDER = "the sender it names"
AGENCY_SYSTEM = "agency system"


class Owner(StrEnum):
    """Whose tenant a topic belongs to."""

    FORCE = "force"
    AGENCY = "agency"
    ANY = "any"  # every tenant has one


class Kind(StrEnum):
    """The three kinds of topic (architecture §3)."""

    STREAM = "stream"  # tenant-private: only its tenant reads or writes it
    INBOX = "inbox"  # one per (receiver, sender): only the sender writes, only the owner reads
    DEAD_LETTERS = "dead-letters"
    REPLAYS = "replays"  # the force's ops team sends dead letters back to their consumer


# Streams are the case record the ops read model is rebuilt from: kept for a year and a
# quarter, long enough for annual figures and any case still open. Inboxes are transport.
STREAM_RETENTION = timedelta(days=455)
INBOX_RETENTION = timedelta(days=30)
DEAD_LETTER_RETENTION = timedelta(days=90)


@dataclass(frozen=True)
class TopicSpec:
    """One topic, named per tenant."""

    pattern: str
    kind: Kind
    owner: Owner
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    messages: tuple[type[Message], ...]
    description: str
    retention: timedelta
    key: str = "case reference"
    partitions: int = 3

    def name(self, tenant: str, sender: str | None = None) -> str:
        """The topic's name for one tenant (an inbox's also names its sender)."""
        if self.kind is Kind.INBOX:
            if sender is None:
                raise ValueError(f"{self.pattern} names its sender: name(tenant, sender)")
            return self.pattern.format(tenant=tenant, sender=sender)
        return self.pattern.format(tenant=tenant)

    def consumers_of(self, message: type[Message]) -> tuple[str, ...]:
        """Who reads one message type here (on an inbox, each type has its own reader)."""
        return _INBOX_READERS.get(message, self.consumers)

    def producers_of(self, message: type[Message]) -> tuple[str, ...]:
        """Who writes one message type here."""
        return _INBOX_WRITERS.get(message, self.producers)


def _stream(  # noqa: PLR0917 - a table of topics reads best positionally
    service: str,
    event: str,
    message: type[Message],
    consumers: tuple[str, ...],
    description: str,
    producers: tuple[str, ...] | None = None,
) -> TopicSpec:
    return TopicSpec(
        pattern=f"cso.{{tenant}}.{service}.{event}.v1",
        kind=Kind.STREAM,
        owner=Owner.FORCE,
        producers=producers or (service,),
        consumers=consumers,
        messages=(message,),
        description=description,
        retention=STREAM_RETENTION,
    )


_INBOX_READERS: dict[type[Message], tuple[str, ...]] = {
    intake.RegisterEnquiryV1: ("intake",),
    checks.CheckAnsweredV1: ("checks",),
    multiagency.ConsultationAnsweredV1: ("multiagency",),
    multiagency.HandoffRequestedV1: ("multiagency",),
    multiagency.HandoffAcceptedV1: ("multiagency",),
    multiagency.HandoffDeclinedV1: ("multiagency",),
    multiagency.HandoffReturnedV1: ("multiagency",),
    checks.CheckQueryV1: (AGENCY_SYSTEM,),
    multiagency.RequestConsultationV1: (AGENCY_SYSTEM,),
    multiagency.RemindConsultationV1: (AGENCY_SYSTEM,),
    disclosure.FinalIntelligenceReportV1: (AGENCY_SYSTEM,),
    disclosure.RepeatedRequestsFlaggedV1: ("disclosure",),
    safeguarding.ReferImmediateRiskV1: (AGENCY_SYSTEM, "multiagency"),
    safeguarding.ReferralAcknowledgedV1: ("multiagency",),
    disclosure.CaseOutcomeV1: (AGENCY_SYSTEM,),
    disclosure.HandoffCaseClosedV1: ("multiagency",),
}

# Who writes each message to an inbox, for the documents integrators read.
ONLINE_PORTAL = "online portal"
_INBOX_WRITERS: dict[type[Message], tuple[str, ...]] = {
    intake.RegisterEnquiryV1: (ONLINE_PORTAL,),
    checks.CheckAnsweredV1: (AGENCY_SYSTEM,),
    multiagency.ConsultationAnsweredV1: (AGENCY_SYSTEM,),
    multiagency.HandoffRequestedV1: ("multiagency",),
    multiagency.HandoffAcceptedV1: ("multiagency",),
    multiagency.HandoffDeclinedV1: ("multiagency",),
    multiagency.HandoffReturnedV1: ("multiagency",),
    checks.CheckQueryV1: ("checks",),
    multiagency.RequestConsultationV1: ("multiagency",),
    multiagency.RemindConsultationV1: ("multiagency",),
    disclosure.FinalIntelligenceReportV1: ("disclosure",),
    disclosure.RepeatedRequestsFlaggedV1: (AGENCY_SYSTEM,),
    safeguarding.ReferImmediateRiskV1: ("multiagency",),
    safeguarding.ReferralAcknowledgedV1: (AGENCY_SYSTEM, "multiagency"),
    disclosure.CaseOutcomeV1: ("multiagency",),
    disclosure.HandoffCaseClosedV1: ("multiagency",),
}

# The agency systems, by the runnable that plays each: what it reads on its inboxes and what
# it answers on the asking force's. Provisioning grants each exactly these (architecture §5).
AGENCY_SYSTEMS: dict[str, tuple[tuple[type[Message], ...], tuple[type[Message], ...]]] = {
    "pnc": ((checks.CheckQueryV1,), (checks.CheckAnsweredV1,)),
    "visor": ((checks.CheckQueryV1,), (checks.CheckAnsweredV1,)),
    "local-intelligence": ((checks.CheckQueryV1,), (checks.CheckAnsweredV1,)),
    "ini": (
        (checks.CheckQueryV1, disclosure.FinalIntelligenceReportV1),
        (checks.CheckAnsweredV1, disclosure.RepeatedRequestsFlaggedV1),
    ),
    "childrens-social-care": (
        (
            multiagency.RequestConsultationV1,
            multiagency.RemindConsultationV1,
            safeguarding.ReferImmediateRiskV1,
            disclosure.CaseOutcomeV1,
        ),
        (multiagency.ConsultationAnsweredV1, safeguarding.ReferralAcknowledgedV1),
    ),
    "probation": (
        (
            multiagency.RequestConsultationV1,
            multiagency.RemindConsultationV1,
            disclosure.CaseOutcomeV1,
        ),
        (multiagency.ConsultationAnsweredV1,),
    ),
}
# The force's own online portal (the Single Online Home form) writes its enquiries.
PORTAL = "portal"
INBOX_PATTERN = "inbox.{tenant}.from.{sender}.v1"

FORCE_INBOX = TopicSpec(
    pattern=INBOX_PATTERN,
    kind=Kind.INBOX,
    owner=Owner.FORCE,
    producers=(THE_SENDER,),
    consumers=("intake", "checks", "multiagency", "disclosure"),
    messages=(
        intake.RegisterEnquiryV1,
        checks.CheckAnsweredV1,
        multiagency.ConsultationAnsweredV1,
        multiagency.HandoffRequestedV1,
        multiagency.HandoffAcceptedV1,
        multiagency.HandoffDeclinedV1,
        multiagency.HandoffReturnedV1,
        disclosure.RepeatedRequestsFlaggedV1,
        safeguarding.ReferralAcknowledgedV1,
        safeguarding.ReferImmediateRiskV1,
        disclosure.HandoffCaseClosedV1,
    ),
    description=(
        "A force's inbox from one sender: online-portal enquiries (from the force itself), "
        "answers from national systems and agencies, children's social care's acknowledgement "
        "of a referral of immediate risk, handoffs between forces (and the closure of a case "
        "handed off), referrals of immediate risk to a child who lives in the receiving "
        "force's area, and INI's "
        "flags on subjects of several requests. Only the sender named in the topic may "
        "write to it, so the topic proves who sent each record."
    ),
    retention=INBOX_RETENTION,
)

AGENCY_INBOX = TopicSpec(
    pattern=INBOX_PATTERN,
    kind=Kind.INBOX,
    owner=Owner.AGENCY,
    producers=("checks", "multiagency", "disclosure"),
    consumers=(AGENCY_SYSTEM,),
    messages=(
        checks.CheckQueryV1,
        multiagency.RequestConsultationV1,
        multiagency.RemindConsultationV1,
        disclosure.FinalIntelligenceReportV1,
        safeguarding.ReferImmediateRiskV1,
        disclosure.CaseOutcomeV1,
    ),
    description=(
        "An agency's or national system's inbox from one force: check queries (PNC, ViSOR, "
        "INI, local intelligence), consultation requests and the outcome of the cases "
        "consulted on (children's social care, probation), referrals of immediate risk "
        "(children's social care) and final intelligence reports (INI). Only that force "
        "may write to it."
    ),
    retention=INBOX_RETENTION,
)

DEAD_LETTERS = TopicSpec(
    pattern="dlq.{tenant}.v1",
    kind=Kind.DEAD_LETTERS,
    owner=Owner.ANY,
    producers=("intake", "checks", "multiagency", "disclosure", "ops"),
    consumers=("ops",),
    messages=(),
    description=(
        "Records a consumer could not apply: the original headers, plus dlq_reason, "
        "dlq_topic, dlq_partition, dlq_offset, dlq_consumer, dlq_time, dlq_sealed and "
        "dlq_key headers; the original bytes sealed with AES-256-GCM under the tenant's "
        "key dlq_key (12-byte nonce first), bound to 'dlq|tenant|topic|partition|offset'."
    ),
    retention=DEAD_LETTER_RETENTION,
)

STREAMS: tuple[TopicSpec, ...] = (
    _stream(
        "intake",
        "enquiry-registered",
        intake.EnquiryRegisteredV1,
        ("checks", "multiagency", "ops"),
        "Initial contacts registered as cases, with their deadlines (5.1).",
    ),
    _stream(
        "intake",
        "enquiry-redirected",
        intake.EnquiryRedirectedV1,
        ("ops", "disclosure"),
        "Enquiries sent to another route (3.7); disclosure closes them with a final "
        "intelligence report (6.1).",
    ),
    _stream(
        "intake",
        "intelligence-submitted",
        intake.IntelligenceSubmittedV1,
        ("ops", "disclosure"),
        "Information submitted as intelligence instead of an application (5.2.5); disclosure "
        "closes it with a final intelligence report (6.1).",
    ),
    _stream(
        "intake",
        "application-submitted",
        intake.ApplicationSubmittedV1,
        ("checks", "multiagency", "disclosure", "ops"),
        "Face-to-face applications completed (5.2).",
    ),
    _stream(
        "intake",
        "information-pack-given",
        intake.InformationPackGivenV1,
        ("ops",),
        "Information packs given (5.3).",
    ),
    _stream(
        "intake",
        "request-checks",
        checks.RequestChecksV1,
        ("checks",),
        "Intake asking for the checks of stages 1 and 2 (5.1.9, 5.2.12).",
    ),
    _stream(
        "multiagency",
        "request-checks",
        checks.RequestChecksV1,
        ("checks",),
        "The full risk assessment asking for the checks of stage 4 (5.4.4).",
    ),
    _stream(
        "checks",
        "checks-requested",
        checks.ChecksRequestedV1,
        ("ops",),
        "Checks asked of each system.",
    ),
    _stream(
        "checks",
        "checks-completed",
        checks.ChecksCompletedV1,
        ("multiagency", "disclosure", "ops"),
        "Every system's result for every party of a stage.",
    ),
    _stream(
        "checks",
        "check-answered-late",
        checks.CheckAnsweredLateV1,
        ("multiagency", "disclosure", "ops"),
        "A system's answer that came after its stage's checks completed without it: weighed "
        "by the risk assessment or the forum not yet decided, and kept with the findings.",
    ),
    _stream(
        "safeguarding",
        "escalation-raised",
        safeguarding.SafeguardingEscalationRaisedV1,
        ("multiagency", "ops"),
        "Immediate or imminent risk (2.7), raised at any stage: by intake from the applicant's "
        "answers, by multi-agency from the checks' findings or by any member of staff; "
        "multi-agency refers it to the area's children's social care at once (5.1.11, 5.4.6).",
        producers=("intake", "multiagency"),
    ),
    _stream(
        "multiagency",
        "referral-overdue",
        safeguarding.ReferralOverdueV1,
        ("ops",),
        "Referrals of immediate risk children's social care did not acknowledge in time: "
        "chased, and shown to the force's duty officer (2.7).",
    ),
    _stream(
        "multiagency",
        "settle-match",
        checks.SettleMatchV1,
        ("checks",),
        "A researcher's settling of a possible match (5.4.4): the checks ask for the record "
        "settled on, or read the check as no trace, and pass it on as a late answer.",
    ),
    _stream(
        "multiagency",
        "risk-assessment-completed",
        multiagency.RiskAssessmentCompletedV1,
        ("ops",),
        "The full risk assessment's categorisation (5.4.7).",
    ),
    _stream(
        "multiagency",
        "consultation-requested",
        multiagency.ConsultationRequestedV1,
        ("ops",),
        "Agencies asked, and on what basis (5.4.5).",
    ),
    _stream(
        "multiagency",
        "consultation-overdue",
        multiagency.ConsultationOverdueV1,
        ("ops",),
        "Agencies that did not answer in time.",
    ),
    _stream(
        "multiagency",
        "forum-scheduled",
        multiagency.ForumScheduledV1,
        ("ops",),
        "Forums scheduled (5.6.12, 5.6.27).",
    ),
    _stream(
        "multiagency",
        "forum-decided",
        multiagency.ForumDecidedV1,
        ("disclosure", "ops"),
        "The forum's conclusion, handed to the disclosure service.",
    ),
    _stream(
        "disclosure",
        "disclosure-decided",
        disclosure.DisclosureDecidedV1,
        ("ops",),
        "Disclosure decisions with the three-stage test (5.6.14).",
    ),
    _stream(
        "disclosure",
        "disclosure-delivered",
        disclosure.DisclosureDeliveredV1,
        ("ops",),
        "Disclosures delivered in person (5.6.21).",
    ),
    _stream(
        "disclosure",
        "non-disclosure-communicated",
        disclosure.NonDisclosureCommunicatedV1,
        ("ops",),
        "'No concerns' communicated (5.6.1-5.6.7).",
    ),
    _stream(
        "disclosure",
        "protective-action-recorded",
        disclosure.ProtectiveActionRecordedV1,
        ("ops",),
        "Protective action taken.",
    ),
    _stream(
        "disclosure",
        "case-closed",
        disclosure.CaseClosedV1,
        ("ops", "multiagency"),
        "Closed cases with their final intelligence report (6.1); multi-agency tells the "
        "agencies it consulted how each ended (6.3).",
    ),
    _stream(
        "ops", "deadline-warning", deadlines.DeadlineWarningV1, ("ops",), "Deadlines about to pass."
    ),
    _stream(
        "ops",
        "deadline-breached",
        deadlines.DeadlineBreachedV1,
        ("ops",),
        "Deadlines passed: re-triage required.",
    ),
    _stream(
        "ops",
        "timescale-deviation-recorded",
        deadlines.TimescaleDeviationRecordedV1,
        ("ops",),
        "Deadlines moved with a justification (5.4.8).",
    ),
)

REPLAYS = TopicSpec(
    pattern="replay.{tenant}.v1",
    kind=Kind.REPLAYS,
    owner=Owner.FORCE,
    producers=("ops",),
    consumers=("intake", "checks", "multiagency", "disclosure", "ops"),
    messages=(),
    description=(
        "Dead letters the force's ops team sends back, each to the one consumer that refused "
        "it (header csods_replay_consumer), read as if from its original topic "
        "(csods_replay_topic): the sender checks of that topic apply again."
    ),
    retention=DEAD_LETTER_RETENTION,
)

TOPICS: tuple[TopicSpec, ...] = (*STREAMS, FORCE_INBOX, AGENCY_INBOX, DEAD_LETTERS, REPLAYS)


def spec_for(topic: str) -> TopicSpec | None:
    """The spec a topic name was built from (inboxes resolve to the force inbox's)."""
    if topic.startswith("inbox."):
        return FORCE_INBOX if topics.sender_of(topic) is not None else None
    for spec in TOPICS:
        before, _, after = spec.pattern.partition("{tenant}")
        middle = topic.removeprefix(before).removesuffix(after)
        if topic.startswith(before) and topic.endswith(after) and "." not in middle and middle:
            return spec
    return None


def stream(service: str, event: str) -> TopicSpec:
    """The stream a service writes an event to."""
    pattern = f"cso.{{tenant}}.{service}.{event}.v1"
    for spec in STREAMS:
        if spec.pattern == pattern:
            return spec
    raise KeyError(f"no stream {pattern}")


def sent_to_inboxes(party: str) -> tuple[tuple[TopicSpec, type[Message]], ...]:
    """The messages a service (or an agency system) sends to other tenants' inboxes."""
    return tuple(
        (spec, message)
        for spec in (FORCE_INBOX, AGENCY_INBOX)
        for message in spec.messages
        if party in spec.producers_of(message)
    )


def produced_by(service: str) -> tuple[TopicSpec, ...]:
    """The force-owned topics a service writes."""
    return tuple(spec for spec in STREAMS if service in spec.producers)


def consumed_by(service: str) -> tuple[TopicSpec, ...]:
    """The topics a service reads."""
    return tuple(
        spec for spec in (*STREAMS, FORCE_INBOX, DEAD_LETTERS, REPLAYS) if service in spec.consumers
    )


def inbox_types_for(service: str) -> frozenset[str]:
    """The message types on a force's inbox that `service` handles."""
    return frozenset(
        message.TYPE
        for message in FORCE_INBOX.messages
        if service in FORCE_INBOX.consumers_of(message)
    )


def inbox_types_for_others(service: str) -> frozenset[str]:
    """The message types on a force's inbox that sibling services handle: acked, unread."""
    return frozenset(message.TYPE for message in FORCE_INBOX.messages) - inbox_types_for(service)
