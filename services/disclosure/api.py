"""The disclosure HTTP API for the decision and delivery roles of one force.

No route produces written material about a disclosure: a disclosure is only ever made in
person (5.6.21, 5.6.22). The only letter is the 'no concerns' letter of 5.6.5.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from schemas.disclosure import (
    DecisionDetails,
    DeliveryDetails,
    NonDisclosureMethod,
    ProtectiveAction,
    RequestOnRecord,
)
from schemas.types import FreeText
from services.disclosure import flags, use_cases
from services.disclosure.store import CaseRow, FlagRow
from services.runtime.errors import WrongStage
from services.runtime.http import REFUSALS, STRICT, CaseRef, install_problem_handlers
from services.runtime.reads import audited, install_case_acts, install_my_cases, install_read_audit
from services.runtime.service import HttpContext
from services.runtime.staff import Role, allow, install_sign_in
from services.runtime.unit_of_work import Transaction


class DecisionRequest(DecisionDetails):
    """The decision as the decision maker records it (5.6)."""

    model_config = STRICT


class DeliveryRequest(DeliveryDetails):
    """The delivery as the officer records it (5.6.21)."""

    model_config = STRICT


class NonDisclosureRequest(BaseModel):
    """How 'nothing to disclose' was told: a visit, or the template letter (5.6.4, 5.6.5)."""

    model_config = STRICT
    method: NonDisclosureMethod


class ProtectiveActionRequest(BaseModel):
    """Action taken to protect a child."""

    model_config = STRICT
    actions: tuple[ProtectiveAction, ...] = Field(min_length=1)
    description: FreeText


class SubjectToldRequest(BaseModel):
    """The subject was told in person, with information about the scheme (5.6.25)."""

    model_config = STRICT
    in_person: Literal[True] = Field(description="A subject is only ever told in person.")
    scheme_information_given: Literal[True] = Field(
        description="Information about the scheme and its implications for the subject."
    )


class CloseRequest(BaseModel):
    """Closing a case: every case closes, whatever stage it stops at (6.1)."""

    model_config = STRICT
    withdrawn: bool = False
    summary: FreeText


class CaseView(BaseModel):
    """A case's disclosure record."""

    case_reference: str
    status: str
    route: str | None
    forum_recommends_disclosure: bool | None
    presumption_to_disclose: bool
    identity_verified: bool | None
    disclosed: bool
    extent: str | None
    protective_actions: int
    protective_actions_taken: list[str] = Field(description="The kinds of action taken.")
    subject_told_at: datetime | None = Field(
        description="When the subject was told in person, where the decision was to tell him."
    )
    recipients: list[str] = Field(
        description="To whom a disclosure goes, by relationship (never names): 5.5.4, 5.6.19."
    )
    outcome: str | None
    final_intelligence_report: str | None
    closed_at: datetime | None
    no_concerns_letter_held: str | None = Field(
        description="Why a 'no concerns' letter is not sent to the applicant's home and an "
        "officer conveys it instead (5.6.5, 5.1.6); absent where a letter may go."
    )


class RepeatedRequestsView(BaseModel):
    """INI's flag: the subject of this force's cases has several requests on record (6.1)."""

    subject_reference: str
    case_reference: str
    own_cases: list[str]
    forces: int
    requests: list[RequestOnRecord]
    flagged_at: datetime


def create_app(context: HttpContext) -> FastAPI:
    """The disclosure API of one force."""
    app = FastAPI(
        title=f"csods disclosure: {context.tenant}",
        version="1.0.0",
        description="Stages 5 and 6: the decision, its delivery in person, and closure.",
    )
    install_problem_handlers(app)
    install_sign_in(app, force=context.tenant, issuer=context.issuer)
    install_read_audit(app, actor="disclosure", database=context.database, clock=context.clock)
    # The team and decision makers; each read on record with who and why.
    readers = [audited(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)]
    team = [allow(Role.PUBLIC_PROTECTION)]  # the public protection team (5.2.3, 5.4.3)
    deciders = [allow(Role.DECISION_MAKER)]  # 5.6: whoever decides on disclosure
    tenant, clock = context.tenant, context.clock
    install_my_cases(app, roles=(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER))
    install_case_acts(app, roles=(Role.PUBLIC_PROTECTION, Role.DECISION_MAKER))

    async def step(
        case_reference: str, act: Callable[[Transaction], Awaitable[object]]
    ) -> CaseView:
        """Take one step of a case in its own transaction; answer with the case as it stands."""
        async with context.database.transaction(tenant) as tx:
            await act(tx)
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    @app.get("/cases/{case_reference}", responses=REFUSALS, dependencies=readers)
    async def read_case(case_reference: CaseRef) -> CaseView:
        """A case's disclosure record."""
        async with context.database.transaction(tenant) as tx:
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    @app.post("/cases/{case_reference}/decision", responses=REFUSALS, dependencies=deciders)
    async def decide(case_reference: CaseRef, request: DecisionRequest) -> CaseView:
        """Record whether to disclose, with the three-stage test, recipient and extent."""
        return await step(
            case_reference,
            partial(use_cases.decide, case_reference=case_reference, details=request, clock=clock),
        )

    @app.post("/cases/{case_reference}/delivery", responses=REFUSALS, dependencies=team)
    async def deliver(case_reference: CaseRef, request: DeliveryRequest) -> CaseView:
        """Record a disclosure delivered in person, what was said verbatim, the undertaking."""
        return await step(
            case_reference,
            partial(use_cases.deliver, case_reference=case_reference, details=request, clock=clock),
        )

    @app.post("/cases/{case_reference}/non-disclosure", responses=REFUSALS, dependencies=team)
    async def tell_nothing_to_disclose(
        case_reference: CaseRef, request: NonDisclosureRequest
    ) -> CaseView:
        """Record that the applicant was told there is nothing to disclose (5.6.1-5.6.7)."""
        return await step(
            case_reference,
            partial(
                use_cases.communicate_non_disclosure,
                case_reference=case_reference,
                method=request.method,
                clock=clock,
            ),
        )

    @app.get(
        "/cases/{case_reference}/non-disclosure-letter",
        response_class=PlainTextResponse,
        responses=REFUSALS,
        dependencies=readers,
    )
    async def non_disclosure_letter(case_reference: CaseRef) -> str:
        """The 'no concerns' letter as sent (5.6.5); there is never a letter for a disclosure."""
        async with context.database.transaction(tenant) as tx:
            letter = await use_cases.letter_sent(tx, case_reference=case_reference)
        if letter is None:
            raise WrongStage("no non-disclosure letter was sent for this case (5.6.5, 5.6.22)")
        return letter

    @app.post("/cases/{case_reference}/protective-action", responses=REFUSALS, dependencies=team)
    async def protect(case_reference: CaseRef, request: ProtectiveActionRequest) -> CaseView:
        """Record protective action for a child (case studies 1, 2 and 4)."""
        return await step(
            case_reference,
            partial(
                use_cases.record_protective_action,
                case_reference=case_reference,
                actions=request.actions,
                description=request.description,
                clock=clock,
            ),
        )

    @app.post("/cases/{case_reference}/subject-told", responses=REFUSALS, dependencies=team)
    async def subject_told(case_reference: CaseRef, request: SubjectToldRequest) -> CaseView:
        """Record that the subject was told in person, as the forum decided (5.6.17, 5.6.25)."""
        del request  # its two fields are the promise that it was so
        return await step(
            case_reference,
            partial(use_cases.record_subject_told, case_reference=case_reference, clock=clock),
        )

    @app.post("/cases/{case_reference}/close", responses=REFUSALS, dependencies=team)
    async def close(case_reference: CaseRef, request: CloseRequest) -> CaseView:
        """Close the case with its outcome and final intelligence report (6.1)."""
        return await step(
            case_reference,
            partial(
                use_cases.close_case,
                case_reference=case_reference,
                withdrawn=request.withdrawn,
                summary=request.summary,
                clock=clock,
            ),
        )

    @app.get("/repeated-requests", responses=REFUSALS, dependencies=readers)
    async def repeated_requests() -> list[RepeatedRequestsView]:
        """Subjects of this force's cases with several requests on record, newest flag first."""
        async with context.database.transaction(tenant) as tx:
            return [_flag_view(flag) for flag in await flags.flags_for(tx)]

    @app.get("/cases/{case_reference}/repeated-requests", responses=REFUSALS, dependencies=readers)
    async def repeated_requests_on_case(case_reference: CaseRef) -> list[RepeatedRequestsView]:
        """INI's flags on the subject of one case (6.1); empty when there are none."""
        async with context.database.transaction(tenant) as tx:
            await use_cases.read_case(tx, case_reference=case_reference)  # 404 if not ours
            found = await flags.flags_for(tx, case_reference=case_reference)
            return [_flag_view(flag) for flag in found]

    return app


def _view(case: CaseRow) -> CaseView:
    return CaseView(
        case_reference=case.case_reference,
        status=case.status,
        route=case.route,
        forum_recommends_disclosure=case.recommend_disclosure,
        presumption_to_disclose=use_cases.presumption(case),
        identity_verified=case.identity_verified,
        disclosed=case.disclosed,
        extent=case.extent,
        protective_actions=case.protective_actions,
        protective_actions_taken=list(case.protective_action_kinds),
        recipients=_relationships(case.decision),
        subject_told_at=case.subject_told_at,
        outcome=case.outcome,
        final_intelligence_report=case.final_intelligence_report,
        closed_at=case.closed_at,
        no_concerns_letter_held=(
            use_cases.letter_held(case) if case.status == "no-concerns" else None
        ),
    )


def _relationships(decision: Any) -> list[str]:
    """The relationships of a disclosure's recipients, as the decision recorded them."""
    if not decision or not decision.get("disclose"):
        return []
    named = [decision.get("recipient"), *(decision.get("other_recipients") or [])]
    return [str(recipient["relationship"]) for recipient in named if recipient]


def _flag_view(flag: FlagRow) -> RepeatedRequestsView:
    return RepeatedRequestsView(
        subject_reference=flag.subject_reference,
        case_reference=flag.case_reference,
        own_cases=flag.own_cases,
        forces=flag.forces,
        requests=[RequestOnRecord.model_validate(item) for item in flag.requests],
        flagged_at=flag.flagged_at,
    )
