"""Every read of a case by a member of staff is audited: who, which case, what and why.

DPA 2018 s.62 logs consultation of personal data with who did it and why, and the PND code
of practice audits every search. A staff route that reads a case takes `audited(...)` in
place of `allow(...)`: it needs the `CSODS-Purpose` header (why the case is being read, in
the officer's words) and writes the audit entry in a transaction of its own before the read,
so a refused or failed read is on record too.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from pydantic import BaseModel, Field

from services.runtime import audit
from services.runtime.clock import Clock
from services.runtime.staff import Role, Staff, allow
from services.runtime.unit_of_work import Database

PURPOSE_HEADER = "CSODS-Purpose"

Purpose = Annotated[
    str,
    Header(
        alias=PURPOSE_HEADER,
        min_length=3,
        max_length=200,
        description="Why the case is read, for the audit log (e.g. 'stage 4 risk assessment').",
    ),
]


def install_read_audit(app: FastAPI, *, actor: str, database: Database, clock: Clock) -> None:
    """Where the audited routes of this app write their entries."""
    app.state.read_audit = (actor, database, clock)


def audited(*roles: Role) -> Any:
    """A route dependency: signed in with one of `roles`, the purpose given, the read logged."""

    # Annotations evaluated here, not postponed: FastAPI must see `allow(*roles)` itself.
    async def check(
        request: Request, staff: Annotated[Staff, allow(*roles)], purpose: Purpose
    ) -> Staff:
        actor, database, clock = request.app.state.read_audit
        route = getattr(request.scope.get("route"), "path", request.url.path)
        async with database.transaction(staff.force) as tx:
            await tx.audit(
                audit.Action.READ,
                at=clock.now(),
                actor=actor,
                case_ref=request.path_params.get("case_reference"),
                recipients=(staff.identifier,),
                reason=f"{request.method} {route}: {purpose}",
            )
        return staff

    return Depends(check)


class MyCases(BaseModel):
    """The cases in which the signed-in member of staff recorded something here."""

    case_references: list[str] = Field(
        description="Newest first: the cases whose audit entries name this member of staff "
        "as acting, reads aside."
    )


def install_my_cases(app: FastAPI, *, roles: tuple[Role, ...], limit: int = 200) -> None:
    """`GET /cases/mine`: the cases the officer acted on in this service, from its audit log.

    The audit log already names the member of staff behind each act (staff.acting), so a
    work list can show "my cases" without a second record of who works on what.
    """

    @app.get("/cases/mine", dependencies=[allow(*roles)])
    async def mine(request: Request, staff: Annotated[Staff, allow(*roles)]) -> MyCases:
        """The cases in which I recorded a step here, newest first."""
        actor, database, _ = request.app.state.read_audit
        async with database.transaction(staff.force) as tx:
            rows = await tx.conn.fetch(
                "SELECT case_ref FROM audit_log WHERE tenant = $1 AND actor = $2"
                " AND action <> $3 AND case_ref IS NOT NULL"
                " GROUP BY case_ref ORDER BY max(seq) DESC LIMIT $4",
                tx.tenant,
                f"{actor}/{staff.identifier}",
                audit.Action.READ.value,
                limit,
            )
        return MyCases(case_references=[row["case_ref"] for row in rows])


class Act(BaseModel):
    """One entry of a case's audit log here: when, who, what, and why (no personal data)."""

    at: datetime
    actor: str
    action: str
    recipients: list[str]
    reason: str


def install_case_acts(app: FastAPI, *, roles: tuple[Role, ...]) -> None:
    """`GET /cases/{ref}/acts`: the case's audit entries in this service, oldest first.

    What a case page's timeline shows of who did what. Reading it is itself audited.
    """

    @app.get("/cases/{case_reference}/acts")
    async def acts(
        request: Request, case_reference: str, staff: Annotated[Staff, audited(*roles)]
    ) -> list[Act]:
        """Who did what on this case here, and why, as the audit log has it."""
        _, database, _ = request.app.state.read_audit
        async with database.transaction(staff.force) as tx:
            rows = await tx.conn.fetch(
                "SELECT at, actor, action, recipients, reason FROM audit_log"
                " WHERE tenant = $1 AND case_ref = $2 ORDER BY seq",
                tx.tenant,
                case_reference,
            )
        return [Act(**dict(row)) for row in rows]
