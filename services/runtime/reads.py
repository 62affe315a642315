"""Every read of a case by a member of staff is audited: who, which case, what and why.

DPA 2018 s.62 logs consultation of personal data with who did it and why, and the PND code
of practice audits every search. A staff route that reads a case takes `audited(...)` in
place of `allow(...)`: it needs the `CSODS-Purpose` header (why the case is being read, in
the officer's words) and writes the audit entry in a transaction of its own before the read,
so a refused or failed read is on record too.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request

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
                reason=f"GET {route}: {purpose}",
            )
        return staff

    return Depends(check)
