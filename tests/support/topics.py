"""The session's own tenants on the broker: provisioned before use, taken away at the end.

Clients never make topics (architecture §5): a test's force, the stand-ins its checks ask
and the agencies it consults are provisioned as the operator, like any deployment, and
deprovisioned when the session ends so a long-used broker does not fill up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.access.broker import deprovision_all
from services.access.grants import Agency, Deployment
from services.demo.walking import stand_in_tenants
from tests.support.stack import FoundStack

# The runnable of each skeleton stand-in (services.demo.walking.STAND_INS) as an agency system.
_SKELETON_SYSTEMS = {
    "pnc": "pnc",
    "visor": "visor",
    "ini": "ini",
    "local-intelligence": "local-intelligence",
}


def new_force() -> str:
    """A force name no test has used."""
    return f"force{uuid.uuid4().hex[:8]}"


def agencies_of(force: str) -> tuple[Agency, ...]:
    """The agency tenants a test force talks to, each serving that force alone.

    The skeleton's stand-ins (`<force>-pnc`, `<force>-visor`, `<force>-ini`, `<force>-intel`)
    and the agencies a force not in the pilot directory consults (services.multiagency.areas:
    `csc-<force>`, `probation-<force>`).
    """
    stand_ins = [
        Agency(tenant, _SKELETON_SYSTEMS[system], (force,))
        for system, tenant in stand_in_tenants(force).items()
    ]
    return (
        *stand_ins,
        Agency(f"csc-{force}", "childrens-social-care", (force,)),
        Agency(f"probation-{force}", "probation", (force,)),
    )


def deployment_of(*forces: str, agencies: Iterable[Agency] = ()) -> Deployment:
    """Test forces with their agencies, and any more agencies (one named twice: the last)."""
    everyone = [agency for force in forces for agency in agencies_of(force)]
    merged = {agency.tenant: agency for agency in (*everyone, *agencies)}
    return Deployment(tuple(forces), tuple(merged.values()))


def forget(stack: FoundStack, tenants: Iterable[str]) -> int:
    """Deprovision the given tenants: their principals, ACLs and topics; the topics removed."""
    names = sorted(set(tenants))
    if not names:
        return 0
    return deprovision_all(stack.operator, names, stack.credentials).topics_created
