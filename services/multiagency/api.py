"""Staff's HTTP API of the multi-agency service: follow a case, consult, schedule, decide.

Human decisions are commands here (architecture §7): the full risk assessment signed off
by a trained officer with Appendix D's answers (5.4.2), another agency consulted (5.4.5),
the forum scheduled or moved (5.6.12, 5.6.27), and the forum's conclusion recorded with its
attendance, the information shared and each agency's position. One app serves one force;
the runtime serves it beside the subscribers when CSODS_HTTP_PORT is set.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel, Field

from schemas.checks import CheckResult, Concern, MatchOutcome, System
from schemas.multiagency import (
    AgencyKind,
    AgencyPosition,
    Attendee,
    ConcernCategory,
    DecisionRoute,
    Forum,
    LawfulBasis,
)
from schemas.safeguarding import ReferralResponse, Risk
from schemas.stages import Stage
from schemas.types import FreeText, Tenant
from services.multiagency import domain, use_cases
from services.multiagency.config import Context, MultiagencyConfig, context_of
from services.multiagency.domain import LateEffect
from services.multiagency.store import ForumRecord
from services.runtime.http import REFUSALS, STRICT, CaseRef, install_problem_handlers
from services.runtime.reads import audited, install_case_acts, install_my_cases, install_read_audit
from services.runtime.service import HttpContext
from services.runtime.staff import ANY_STAFF, Role, allow, install_sign_in


class ConsultationRequest(BaseModel):
    """Ask another agency that can inform the risk assessment (5.4.5)."""

    model_config = STRICT

    agency: Tenant
    agency_kind: AgencyKind
    lawful_basis: LawfulBasis
    reason: FreeText = Field(description="Why it is shared, and on what basis (audited).")
    question: FreeText | None = None


class SignOffRequest(BaseModel):
    """A trained officer's sign-off of the full risk assessment (5.4.2, 5.4.3, Appendix D)."""

    model_config = STRICT

    route: DecisionRoute = Field(description="The officer's categorisation (5.4.7).")
    categories: list[ConcernCategory] = Field(
        default_factory=list, description="Which of 5.5.3 (i)-(iv); none for 'no concerns'."
    )
    answers: dict[domain.AppendixD, FreeText] = Field(
        description="The answer to each Appendix D question (GET .../risk-assessment lists them)."
    )
    rationale: FreeText = Field(description="The officer's reasoning, for the forum (5.4.7).")
    reason_for_change: FreeText | None = Field(
        default=None, description="Why, where the categorisation differs from the records'."
    )


class SettlementRequest(BaseModel):
    """A researcher settles a possible match the checks found (5.4.4, 5.2.5)."""

    model_config = STRICT

    system: System
    party: str = Field(min_length=1, max_length=40, description="The party checked.")
    record_reference: str | None = Field(
        default=None,
        max_length=64,
        description="The candidate who is the person; empty when none of them is.",
    )
    reason: FreeText = Field(description="What was compared, and found.")


class AssessmentView(BaseModel):
    """The full risk assessment: what the records show, and the officer's sign-off."""

    state: str
    route: DecisionRoute | None
    categories: list[ConcernCategory]
    rationale: str | None = Field(description="The records' summary, until an officer signs.")
    proposed_route: DecisionRoute | None = Field(
        description="What the records showed, where the officer categorised otherwise."
    )
    signed_off_at: datetime | None
    signed_off_by: str | None
    questions: dict[domain.AppendixD, str] = Field(
        description="Appendix D's questions, each answered at sign-off (5.4.2)."
    )


class ForumRequest(BaseModel):
    """Schedule or move the case's forum."""

    model_config = STRICT

    forum: Forum
    scheduled_for: AwareDatetime
    urgent: bool = False
    urgency_justification: FreeText | None = None
    exception_reason: FreeText | None = Field(
        default=None, description="Why an other professionals meeting (5.6.12)."
    )


class DecisionRequest(BaseModel):
    """What the forum concluded, who attended, what was shared, each agency's position."""

    model_config = STRICT

    route: DecisionRoute
    recommend_disclosure: bool
    rationale: FreeText
    attendance: list[Attendee] = Field(min_length=1)
    positions: list[AgencyPosition] = Field(default_factory=list)
    information_shared: FreeText | None = None
    inform_subject: bool | None = Field(
        default=None,
        description="Whether the subject is told of the disclosure (5.6.17): the forum's "
        "call whenever it recommends disclosure.",
    )
    community_risk_assessment: FreeText | None = Field(
        default=None,
        description="The risks a disclosure brings to the subject, as the forum considered "
        "them (5.6.26): needed whenever it recommends disclosure.",
    )


class EscalationRequest(BaseModel):
    """Immediate or imminent risk seen by a member of staff, at any stage (2.7, 5.4.6, 5.6.11)."""

    model_config = STRICT

    stage: Stage = Field(description="The stage at which the risk was identified.")
    risk: Risk
    grounds: FreeText = Field(description="What was said or found, for children's social care.")
    section_47: bool = Field(
        default=True, description="Whether a child is at risk, for a section 47 enquiry."
    )


class ReferralView(BaseModel):
    """A referral of immediate or imminent risk to children's social care, as staff follow it."""

    referral_id: UUID
    agency: str
    stage: Stage | None
    risk: Risk
    section_47: bool
    referred_at: datetime
    acknowledge_by: datetime
    acknowledged_at: datetime | None
    response: ReferralResponse | None
    chased_at: datetime | None = Field(
        description="When the deadline passed unacknowledged and the referral was chased."
    )


class ConsultationView(BaseModel):
    """A consultation as staff follow it."""

    consultation_id: UUID
    agency: str
    agency_kind: AgencyKind
    lawful_basis: LawfulBasis
    status: str
    outcome: str | None
    respond_by: datetime
    answered_at: datetime | None = Field(description="When the agency sent its answer.")
    answered_in_time: bool | None = Field(
        description="Whether it was sent by the time asked, however late it was read (6.3)."
    )
    answer_effect: str | None = Field(
        description="What the answer did: weighed by the assessment, revised what the forum "
        "weighs, or joined the case after the decision, for review (6.2, 6.3)."
    )


class HandoffView(BaseModel):
    """A handoff as staff follow it."""

    handoff_id: UUID
    role: str
    owning_force: str
    responding_force: str
    owning_case_reference: str
    responding_case_reference: str | None
    party: str = Field(description="Who was handed off: the subject, or a child (4.10, 3.5).")
    actions: list[str] = Field(description="What the responding force was asked to do.")
    status: str
    respond_by: datetime
    case_closed_at: datetime | None = Field(
        default=None, description="Responding side: when the owning force closed the case (6.3)."
    )


class ForumView(BaseModel):
    """The case's forum."""

    forum_id: UUID
    forum: Forum
    scheduled_for: datetime
    urgent: bool
    decided_at: datetime | None
    route: DecisionRoute | None


class LateAnswerView(BaseModel):
    """A system's answer that came after its stage's checks completed without it (5.4.4)."""

    stage: Stage
    system: System
    party: str
    outcome: MatchOutcome
    concerns: list[Concern]
    answered_at: datetime
    checks_completed_at: datetime
    recorded_at: datetime
    effect: LateEffect


class CaseView(BaseModel):
    """A case: states, dates and identifiers, never particulars."""

    case_reference: str
    role: str
    state: str
    owning_force: str | None
    owning_case_reference: str | None
    closure_due_at: datetime | None
    route: DecisionRoute | None
    categories: list[str]
    consultations: list[ConsultationView]
    handoffs: list[HandoffView]
    forum: ForumView | None
    late_answers: list[LateAnswerView]
    assessment_revised_at: datetime | None
    referrals: list[ReferralView]
    checks_stage: Stage | None = Field(
        default=None, description="The stage whose checks the assessment weighs."
    )
    checks_completed_at: datetime | None = None
    checks: list[CheckResult] = Field(
        default_factory=list,
        description="What each system said about each party: for the team and the decision "
        "maker, never initial-contact staff (5.1.9); possible matches await a researcher.",
    )


def create_app(http: HttpContext, force: Context | None = None) -> FastAPI:
    """The multi-agency API of one force, on the service's pool and clock."""
    context = force or context_of(MultiagencyConfig())
    tenant, db, clock = http.tenant, http.database, http.clock
    app = FastAPI(
        title=f"csods multi-agency: {tenant}",
        version="1.0.0",
        description="The full risk assessment, the forum and cross-force handoff, for staff.",
    )
    install_problem_handlers(app)
    install_sign_in(app, force=http.tenant, issuer=http.issuer)
    install_read_audit(app, actor="multiagency", database=http.database, clock=http.clock)
    # The team and decision makers; each read on record with who and why.
    readers = [audited(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)]
    team = [allow(Role.PUBLIC_PROTECTION)]  # the public protection team (5.2.3, 5.4.3)
    refused = REFUSALS
    install_my_cases(app, roles=(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER))
    install_case_acts(app, roles=(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER))

    @app.get("/cases/{case_reference}", responses=refused, dependencies=readers)
    async def get_case(case_reference: CaseRef) -> CaseView:
        """A case's state, consultations, handoffs, assessment and forum."""
        async with db.transaction(tenant) as tx:
            view = await use_cases.view_case(tx, case_reference=case_reference)
        return _case_out(view)

    @app.post(
        "/cases/{case_reference}/consultations",
        status_code=201,
        responses=refused,
        dependencies=team,
    )
    async def consult(case_reference: CaseRef, body: ConsultationRequest) -> dict[str, UUID]:
        """Consult another agency that can inform the risk assessment (5.4.5)."""
        async with db.transaction(tenant) as tx:
            consultation_id = await use_cases.request_consultation(
                tx,
                case_reference=case_reference,
                agency=body.agency,
                kind=body.agency_kind,
                basis=body.lawful_basis,
                reason=body.reason,
                question=body.question,
                clock=clock,
                context=context,
            )
        return {"consultation_id": consultation_id}

    @app.post(
        "/cases/{case_reference}/escalations",
        status_code=202,
        responses=refused,
        dependencies=[allow(*ANY_STAFF)],
    )
    async def escalate(case_reference: CaseRef, body: EscalationRequest) -> dict[str, str]:
        """Raise immediate or imminent risk now: it is referred to children's social care at
        once, whatever the stage (2.7, 5.4.6, 5.6.11)."""
        raised = domain.Escalation(
            stage=body.stage, risk=body.risk, grounds=body.grounds, section_47=body.section_47
        )
        async with db.transaction(tenant) as tx:
            await use_cases.raise_escalation(
                tx, case_reference=case_reference, raised=raised, clock=clock
            )
        return {"case_reference": case_reference, "risk": body.risk.value}

    @app.get("/cases/{case_reference}/risk-assessment", responses=refused, dependencies=readers)
    async def get_assessment(case_reference: CaseRef) -> AssessmentView:
        """The assessment the records show, Appendix D's questions, and any sign-off."""
        async with db.transaction(tenant) as tx:
            view = await use_cases.view_case(tx, case_reference=case_reference)
        return _assessment_out(view)

    @app.post(
        "/cases/{case_reference}/risk-assessment/sign-off",
        status_code=201,
        responses=refused,
        dependencies=team,
    )
    async def sign_off(case_reference: CaseRef, body: SignOffRequest) -> AssessmentView:
        """Sign the full risk assessment off as the trained officer who did it (5.4.2, 5.4.3):
        the case goes on to its forum, or to its conclusion (5.4.7, 5.6.12)."""
        signed = domain.SignOff(
            route=body.route,
            categories=tuple(body.categories),
            answers=dict(body.answers),
            rationale=body.rationale,
            reason_for_change=body.reason_for_change,
        )
        async with db.transaction(tenant) as tx:
            await use_cases.sign_off_assessment(
                tx, case_reference=case_reference, signed=signed, clock=clock, context=context
            )
            view = await use_cases.view_case(tx, case_reference=case_reference)
        return _assessment_out(view)

    @app.post(
        "/cases/{case_reference}/possible-matches",
        status_code=202,
        responses=refused,
        dependencies=team,
    )
    async def settle(case_reference: CaseRef, body: SettlementRequest) -> dict[str, str]:
        """Settle a possible match: the record is asked for as the match, or the check reads
        as no trace; the assessment weighs it when it comes (5.4.4)."""
        settled = domain.Settlement(
            system=body.system,
            party=body.party,
            record_reference=body.record_reference,
            reason=body.reason,
        )
        async with db.transaction(tenant) as tx:
            await use_cases.settle_possible_match(
                tx, case_reference=case_reference, settled=settled, clock=clock
            )
        return {"case_reference": case_reference, "system": body.system.value}

    @app.put("/cases/{case_reference}/forum", responses=refused, dependencies=team)
    async def schedule(case_reference: CaseRef, body: ForumRequest) -> ForumView:
        """Schedule or move the forum (5.6.12; 5.6.27: within 28 days, urgent if justified)."""
        plan = domain.Schedule(
            forum=body.forum,
            scheduled_for=body.scheduled_for,
            urgent=body.urgent,
            urgency_justification=body.urgency_justification,
            exception_reason=body.exception_reason,
        )
        async with db.transaction(tenant) as tx:
            record = await use_cases.schedule_forum(
                tx, case_reference=case_reference, plan=plan, clock=clock, context=context
            )
        return ForumView(**_forum_fields(record))

    @app.post(
        "/cases/{case_reference}/forum/decision",
        status_code=201,
        responses=refused,
        dependencies=readers,
    )
    async def decide(case_reference: CaseRef, body: DecisionRequest) -> dict[str, str]:
        """Record the forum's conclusion; it goes to disclosure, or back to the owning force."""
        conclusion = domain.Conclusion(
            route=body.route,
            recommend_disclosure=body.recommend_disclosure,
            rationale=body.rationale,
            attendance=tuple(body.attendance),
            positions=tuple(body.positions),
            information_shared=body.information_shared,
            inform_subject=body.inform_subject,
            community_risk_assessment=body.community_risk_assessment,
        )
        async with db.transaction(tenant) as tx:
            await use_cases.record_forum_decision(
                tx, case_reference=case_reference, conclusion=conclusion, clock=clock
            )
        return {"case_reference": case_reference, "route": body.route.value}

    return app


def _forum_fields(record: ForumRecord) -> dict[str, object]:
    return {
        "forum_id": record.forum_id,
        "forum": record.forum,
        "scheduled_for": record.scheduled_for,
        "urgent": record.urgent,
        "decided_at": record.decided_at,
        "route": record.route,
    }


def _assessment_out(view: use_cases.CaseView) -> AssessmentView:
    stored = view.assessment or {}
    route, proposed = stored.get("route"), stored.get("proposed_route")
    return AssessmentView(
        state=view.case.state,
        route=DecisionRoute(str(route)) if route else None,
        categories=[ConcernCategory(str(c)) for c in stored.get("categories") or []],
        rationale=stored.get("rationale"),
        proposed_route=DecisionRoute(str(proposed)) if proposed and proposed != route else None,
        signed_off_at=stored.get("signed_off_at"),
        signed_off_by=stored.get("signed_off_by"),
        questions=dict(domain.APPENDIX_D_QUESTIONS),
    )


def _case_out(view: use_cases.CaseView) -> CaseView:
    case, assessment = view.case, view.assessment or {}
    route = assessment.get("route")
    return CaseView(
        case_reference=case.case_reference,
        role=case.role,
        state=case.state,
        checks_stage=case.checks_stage,
        checks_completed_at=case.checks_completed_at,
        checks=list(case.checks_results),
        owning_force=case.owning_force,
        owning_case_reference=case.owning_case_reference,
        closure_due_at=case.closure_due_at,
        route=DecisionRoute(str(route)) if route else None,
        categories=[str(category) for category in assessment.get("categories") or []],
        consultations=[
            ConsultationView(
                consultation_id=c.consultation_id,
                agency=c.agency,
                agency_kind=c.kind,
                lawful_basis=c.basis,
                status=c.status.value,
                outcome=c.answer.outcome.value if c.answer.outcome else None,
                respond_by=c.respond_by,
                answered_at=c.answered_at,
                answered_in_time=(
                    domain.answered_in_time(c.answered_at, c.respond_by) if c.answered_at else None
                ),
                answer_effect=c.effect.value if c.effect else None,
            )
            for c in view.consultations
        ],
        handoffs=[
            HandoffView(
                handoff_id=h.handoff_id,
                role=h.role,
                owning_force=h.owning_force,
                responding_force=h.responding_force,
                owning_case_reference=h.owning_case_reference,
                responding_case_reference=h.responding_case_reference,
                party=h.party,
                actions=[action.value for action in h.actions],
                status=h.status.value,
                respond_by=h.respond_by,
                case_closed_at=h.case_closed_at,
            )
            for h in view.handoffs
        ],
        forum=ForumView(**_forum_fields(view.forum)) if view.forum else None,
        late_answers=[
            LateAnswerView(
                stage=r.answer.stage,
                system=r.answer.result.system,
                party=r.answer.result.party,
                outcome=r.answer.result.outcome,
                concerns=list(r.answer.concerns),
                answered_at=r.answered_at,
                checks_completed_at=r.checks_completed_at,
                recorded_at=r.recorded_at,
                effect=r.effect,
            )
            for r in view.late_answers
        ],
        assessment_revised_at=assessment.get("revised_at"),
        referrals=[
            ReferralView(
                referral_id=r.referral_id,
                agency=r.agency,
                stage=r.stage,
                risk=r.risk,
                section_47=r.section_47,
                referred_at=r.referred_at,
                acknowledge_by=r.acknowledge_by,
                acknowledged_at=r.acknowledged_at,
                response=r.response,
                chased_at=r.overdue_at,
            )
            for r in view.referrals
        ],
    )
