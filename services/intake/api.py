"""The intake HTTP API for staff and the online portal: stages 1 to 3 for one force.

There is no route that returns what the checks found: checks are not made in the
applicant's presence and intake never sees their results (5.1.9).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel, Field

from schemas.intake import FaceToFaceDetails, InitialContactDetails, PackFormat
from schemas.parties import (
    Applicant,
    Child,
    Consent,
    ContactArrangements,
    RiskAnswer,
    SubjectParticulars,
)
from schemas.types import FreeText, SubmissionId
from services.intake import search, store, use_cases
from services.intake.domain import Route
from services.intake.store import EnquiryRow
from services.runtime.errors import CaseNotFound
from services.runtime.http import REFUSALS, STRICT, CaseRef, install_problem_handlers
from services.runtime.reads import audited, install_case_acts, install_my_cases, install_read_audit
from services.runtime.service import HttpContext
from services.runtime.staff import ANY_STAFF, Role, allow, install_sign_in


class InitialContactRequest(InitialContactDetails):
    """Stage 1 as staff or the portal record it; `received_at` defaults to now."""

    model_config = STRICT
    received_at: AwareDatetime | None = None  # type: ignore[assignment]
    submission_id: SubmissionId | None = None


class FaceToFaceRequest(FaceToFaceDetails):
    """Stage 2 as recorded at the face-to-face meeting."""

    model_config = STRICT


class InformationPackRequest(BaseModel):
    """Stage 3: how the information pack was given."""

    model_config = STRICT
    format: PackFormat


class DeadlinesView(BaseModel):
    """When each stage must be reached; none for a redirected enquiry or intelligence."""

    stage1_due_at: datetime | None
    face_to_face_due_at: datetime | None
    risk_assessment_due_at: datetime | None
    closure_due_at: datetime | None


class CaseView(BaseModel):
    """A case's intake record. It holds nothing the checks found, by design (5.1.9)."""

    case_reference: str
    status: str
    route: Route
    channel: str
    scheme_profile: str
    received_at: datetime
    registered_at: datetime
    deadlines: DeadlinesView
    identity_verified: bool | None
    disclosure_possible: bool
    application_recorded_at: datetime | None
    information_pack_given_at: datetime | None
    information_pack_format: str | None
    safeguarding_escalations: int


class PartiesView(BaseModel):
    """The parties as intake recorded them: the application's where there is one (5.2.5),
    else the initial contact's. Nothing the checks found (5.1.9)."""

    applicant: Applicant | None
    subject: SubjectParticulars | None
    children: list[Child]
    contact: ContactArrangements | None
    consent: Consent | None
    applicant_at_risk: bool | None
    immediate_risk: list[RiskAnswer]
    request: FreeText | None = Field(description="The enquiry in the person's words.")
    from_application: bool = Field(description="Whether these are the face-to-face's records.")


class SearchRequest(BaseModel):
    """A search of the force's cases by a party's name (in the body: never in a URL)."""

    model_config = STRICT
    name: str = Field(min_length=1, max_length=200, description="All or part of a name.")
    year_of_birth: int | None = Field(default=None, ge=1900, le=2100)


class SearchHitView(BaseModel):
    """A party found, in which case and role, and how the name was found."""

    case_reference: str
    role: str
    name: str
    year_of_birth: int | None
    found: search.Found


def create_app(context: HttpContext) -> FastAPI:
    """The intake API of one force."""
    app = FastAPI(
        title=f"csods intake: {context.tenant}",
        version="1.0.0",
        description="Stages 1 to 3 of the Child Sex Offender Disclosure Scheme for one force.",
    )
    install_problem_handlers(app)
    install_sign_in(app, force=context.tenant, issuer=context.issuer)
    install_read_audit(app, actor="intake", database=context.database, clock=context.clock)
    team = [allow(Role.PUBLIC_PROTECTION)]  # the public protection team (5.2.3, 5.4.3)
    contact = [allow(Role.INITIAL_CONTACT, Role.PUBLIC_PROTECTION)]  # 5.1: whoever takes a contact
    staff = [audited(*ANY_STAFF)]  # any of the force's staff; each read on record with why
    refused = REFUSALS

    @app.post("/enquiries", status_code=201, responses=refused, dependencies=contact)
    async def record_initial_contact(request: InitialContactRequest) -> CaseView:
        """Record an initial contact (stage 1): registered, redirected or intelligence."""
        details = InitialContactDetails.model_validate(
            {
                **request.model_dump(exclude={"submission_id"}),
                "received_at": request.received_at or context.clock.now(),
            }
        )
        async with context.database.transaction(context.tenant) as tx:
            recorded = await use_cases.record_initial_contact(
                tx,
                details=details,
                submission_id=request.submission_id,
                cause=None,
                clock=context.clock,
            )
            return _view(await use_cases.read_case(tx, case_reference=recorded.case_reference))

    @app.post("/cases/{case_reference}/application", responses=refused, dependencies=team)
    async def record_application(case_reference: CaseRef, request: FaceToFaceRequest) -> CaseView:
        """Record the face-to-face application (stage 2) and ask for the stage 2 checks."""
        async with context.database.transaction(context.tenant) as tx:
            await use_cases.record_application(
                tx, case_reference=case_reference, details=request, clock=context.clock
            )
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    @app.post("/cases/{case_reference}/information-pack", responses=refused, dependencies=team)
    async def record_information_pack(
        case_reference: CaseRef, request: InformationPackRequest
    ) -> CaseView:
        """Record that the information pack was given (stage 3)."""
        async with context.database.transaction(context.tenant) as tx:
            await use_cases.record_information_pack(
                tx,
                case_reference=case_reference,
                pack_format=request.format,
                clock=context.clock,
            )
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    install_my_cases(app, roles=ANY_STAFF)
    install_case_acts(app, roles=ANY_STAFF)

    @app.post("/cases/search", responses=refused, dependencies=staff)
    async def search_cases(request: SearchRequest) -> list[SearchHitView]:
        """The force's cases with a party of that name, best first (the checks' name rules)."""
        async with context.database.transaction(context.tenant) as tx:
            recorded = await store.recorded_particulars(tx)
        parties = [
            party
            for reference, contact, application in recorded
            for party in _recorded_parties(reference, contact, application)
        ]
        hits = search.search(parties, name=request.name, year_of_birth=request.year_of_birth)
        return [
            SearchHitView(
                case_reference=hit.party.case_reference,
                role=hit.party.role,
                name=hit.party.shown_as,
                year_of_birth=hit.party.year_of_birth,
                found=hit.found,
            )
            for hit in hits[:SEARCH_LIMIT]
        ]

    @app.get("/cases/{case_reference}/parties", responses=refused, dependencies=staff)
    async def read_parties(case_reference: CaseRef) -> PartiesView:
        """The applicant, subject and children as recorded, with the safe contact details."""
        async with context.database.transaction(context.tenant) as tx:
            recorded = await store.recorded_particulars(tx, case_reference=case_reference)
        if not recorded:
            raise CaseNotFound(case_reference)
        _, contact, application = recorded[0]
        return _parties(contact, application)

    @app.get("/cases/{case_reference}", responses=refused, dependencies=staff)
    async def read_case(case_reference: CaseRef) -> CaseView:
        """A case's intake record and its deadlines."""
        async with context.database.transaction(context.tenant) as tx:
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    return app


SEARCH_LIMIT = 50


def _recorded_parties(
    reference: str, contact: dict[str, Any], application: dict[str, Any]
) -> list[search.Party]:
    """Each party once: the application's record where there is one, else the contact's."""
    seen = {(p.role, p.names) for p in search.parties_of(reference, application)}
    later = [p for p in search.parties_of(reference, contact) if (p.role, p.names) not in seen]
    return [*search.parties_of(reference, application), *later]


def _parties(contact: dict[str, Any], application: dict[str, Any]) -> PartiesView:
    first = contact or {}
    later = application or {}
    return PartiesView.model_validate(
        {
            "applicant": later.get("applicant") or first.get("applicant"),
            "subject": later.get("subject") or first.get("subject"),
            "children": later.get("children") or first.get("children") or [],
            "contact": later.get("contact") or first.get("contact"),
            "consent": first.get("consent"),
            "applicant_at_risk": first.get("applicant_at_risk"),
            "immediate_risk": later.get("immediate_risk") or first.get("immediate_risk") or [],
            "request": first.get("request"),
            "from_application": bool(later),
        }
    )


def _view(row: EnquiryRow) -> CaseView:
    return CaseView(
        case_reference=row.case_reference,
        status=row.status,
        route=use_cases.route_of(row.status),
        channel=row.channel,
        scheme_profile=row.scheme_profile,
        received_at=row.received_at,
        registered_at=row.registered_at,
        deadlines=DeadlinesView(
            stage1_due_at=row.stage1_due_at,
            face_to_face_due_at=row.face_to_face_due_at,
            risk_assessment_due_at=row.risk_assessment_due_at,
            closure_due_at=row.closure_due_at,
        ),
        identity_verified=row.identity_verified,
        disclosure_possible=bool(row.identity_verified),
        application_recorded_at=row.application_recorded_at,
        information_pack_given_at=row.pack_given_at,
        information_pack_format=row.pack_format,
        safeguarding_escalations=row.escalations,
    )
