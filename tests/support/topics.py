"""The session's own tenants on the broker: provisioned before use, taken away at the end.

Clients never make topics (DESIGN.md section 5): a test's force, the stand-ins its checks ask
and the agencies it consults are provisioned as the operator, like any deployment, and
deprovisioned when the session ends so a long-used broker does not fill up.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from services.access.broker import acl_table, deprovision_all
from services.access.grants import Agency, Deployment, Grant, Pattern, Resource, grants
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


def _row(grant: Grant) -> tuple[str, str, str, str, str]:
    """A grant as services.access.broker.acl_table shows the ACL on the broker."""
    resource = "broker" if grant.resource is Resource.CLUSTER else grant.resource.value
    prefixed = "*" if grant.pattern is Pattern.PREFIXED else ""
    operation = grant.operation.value.replace("-", "_")
    return (grant.principal, "allow", operation, resource, grant.name + prefixed)


def wait_until_granted(stack: FoundStack, deployment: Deployment, *, timeout: float = 30.0) -> None:
    """Return once the broker's authorizer holds every ACL of the deployment.

    The broker applies what provisioning made a moment after the controller has accepted it
    (the metadata log): until then a new principal's login is refused and its topics are
    invisible to it. The ACLs are made last, so once they are all there, so is the rest.
    """
    wanted = {_row(grant) for grant in grants(deployment)}
    deadline = time.monotonic() + timeout
    while True:
        missing = wanted - set(acl_table(stack.operator))
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{len(missing)} ACLs not applied by the broker, e.g. {min(missing)}"
            )
        time.sleep(0.05)


def forget(stack: FoundStack, tenants: Iterable[str]) -> int:
    """Deprovision the given tenants: their principals, ACLs and topics; the topics removed."""
    names = sorted(set(tenants))
    if not names:
        return 0
    return deprovision_all(stack.operator, names, stack.credentials).topics_created
