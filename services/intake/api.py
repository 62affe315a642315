"""The intake HTTP API for staff and the online portal: stages 1 to 3 for one force.

There is no route that returns what the checks found: checks are not made in the
applicant's presence and intake never sees their results (5.1.9).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import AwareDatetime, BaseModel

from schemas.intake import FaceToFaceDetails, InitialContactDetails, PackFormat
from schemas.types import SubmissionId
from services.intake import use_cases
from services.intake.domain import Route
from services.intake.store import EnquiryRow
from services.runtime.http import REFUSALS, STRICT, CaseRef, install_problem_handlers
from services.runtime.reads import audited, install_read_audit
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

    @app.get("/cases/{case_reference}", responses=refused, dependencies=staff)
    async def read_case(case_reference: CaseRef) -> CaseView:
        """A case's intake record and its deadlines."""
        async with context.database.transaction(context.tenant) as tx:
            return _view(await use_cases.read_case(tx, case_reference=case_reference))

    return app


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
