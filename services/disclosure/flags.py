"""INI's flags on subjects with several disclosure requests on record (6.1).

INI tells every force that made one of the requests. The force keeps the latest list against
the subject and shows it with each of its own cases about them, so whoever reads a case sees
that others have asked too.
"""

from __future__ import annotations

import structlog

from schemas.disclosure import RepeatedRequestsFlaggedV1
from services.disclosure import store
from services.disclosure.use_cases import Deps, ini_tenant
from services.runtime.audit import Action
from services.runtime.consumer import Delivery, Rejected
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def note_flag(
    deps: Deps, tx: Transaction, delivery: Delivery[RepeatedRequestsFlaggedV1]
) -> None:
    """Keep INI's flag against the subject, unless a later flag on them is already held."""
    flag, sender, source = delivery.message, delivery.envelope.tenant, delivery.envelope.source
    if sender != ini_tenant():  # any tenant may write to an inbox; only INI keeps the reports
        raise Rejected(f"ce_source: {sender} is not INI ({ini_tenant()}), which alone flags (6.1)")
    own = [request.case_reference for request in flag.requests if request.force == tx.tenant]
    forces = len({request.force for request in flag.requests})
    if not own:  # the schema ties case_reference to the told force; a wrong force is refused
        raise Rejected(f"requests: none is {tx.tenant}'s own, so {tx.tenant} is not concerned")
    kept = await store.keep_flag(
        tx,
        flag=store.FlagRow(
            subject_reference=flag.subject_reference,
            case_reference=flag.case_reference,
            own_cases=own,
            requests=[request.model_dump(mode="json") for request in flag.requests],
            forces=forces,
            flagged_at=flag.flagged_at,
        ),
    )
    if not kept:
        log.info("repeated_requests_flag_superseded", case=flag.case_reference)
        return
    await tx.audit(
        Action.COLLECTION,
        at=flag.flagged_at,
        actor=source,
        case_ref=flag.case_reference,
        reason=f"INI: {len(flag.requests)} disclosure requests on record about the subject (6.1)",
    )
    log.warning(
        "repeated_requests_flagged",
        case=flag.case_reference,
        requests=len(flag.requests),
        forces=forces,
    )


async def flags_for(tx: Transaction, *, case_reference: str | None = None) -> list[store.FlagRow]:
    """The force's flags, or those on one of its cases."""
    return await store.flags(tx, case_reference=case_reference)
