"""The main job: one case pushed end to end through the four services on the real stack.

The systems the checks ask run beside them as stand-ins holding no records: 'no concerns' is
decided without a forum only when every one has answered (5.4.4, 5.5.5).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from deploy.local import stack
from schemas import topics
from schemas.disclosure import CaseClosedV1
from schemas.envelope import Envelope, first_envelope, source_of
from schemas.intake import Channel, RegisterEnquiryV1
from schemas.parties import (
    Consent,
    ContactArrangements,
    ContactMethod,
    PersonName,
    SubjectParticulars,
)
from services import journey
from services.access.grants import Agency, Deployment
from services.access.operator import principal_access
from services.catalogue import SERVICES
from services.demo.system import bring_up
from services.runtime.clock import SystemClock
from services.runtime.kafka_access import KafkaAccess
from services.runtime.supervisor import ServiceProcess

# The stand-ins of the systems a force's checks ask (5.1.9, 5.2.12, 5.4.4).
STAND_INS: tuple[str, ...] = ("pnc", "visor", "ini", "local-intelligence")


def stand_in_tenants(tenant: str) -> dict[str, str]:
    """Each stand-in's tenant for a skeleton force: its own, so no other force's answers."""
    national = {system: f"{tenant}-{system}" for system in ("pnc", "visor", "ini")}
    # Local intelligence is each force's own, under the name the checks service gives it.
    return {**national, "local-intelligence": f"{tenant}-intel"}


def skeleton_deployment(tenant: str) -> Deployment:
    """What the broker must hold for a skeleton force: the force and its own stand-ins."""
    agencies = (
        Agency(name, system, (tenant,)) for system, name in stand_in_tenants(tenant).items()
    )
    return Deployment((tenant,), tuple(agencies))


def skeleton_env(tenant: str) -> dict[str, str]:
    """The settings under which a portal enquiry reaches closure with no person in the loop."""
    return {
        # Assessed without a face to face (no application), 'no concerns' told by letter (5.6.5).
        "CSODS_MULTIAGENCY_AWAIT_APPLICATION": "false",
        # No person in the loop: the records' categorisation stands unsigned (5.4.2 is a person's
        # in a force; this machine path measures and proves the delivery core only).
        "CSODS_MULTIAGENCY_OFFICER_SIGNS_OFF": "false",
        "CSODS_DISCLOSURE_NO_CONCERNS": "letter",
        "CSODS_CHECKS_SYSTEM_TENANTS": ",".join(
            f"{system}={name}" for system, name in stand_in_tenants(tenant).items()
        ),
        # The final intelligence report goes to the INI the checks ask (6.1).
        "CSODS_DISCLOSURE_INI_TENANT": stand_in_tenants(tenant)["ini"],
    }


# The streams a case passes through, in order, for one force: those its ops principal reads
# (the observer's), so neither the inbox nor intake's request for checks (the checks' own).
def case_topics(tenant: str) -> list[str]:
    """The streams of a skeleton case that the force's ops principal may read."""
    return [
        topics.stream(tenant, "intake", "enquiry-registered"),
        topics.stream(tenant, "checks", "checks-completed"),
        topics.stream(tenant, "multiagency", "forum-decided"),
        topics.stream(tenant, "disclosure", "case-closed"),
    ]


def online_enquiry(tenant: str) -> tuple[RegisterEnquiryV1, Envelope]:
    """An enquiry as the online portal sends it to a force, with the case's first envelope."""
    now = SystemClock().now()
    command = RegisterEnquiryV1(
        submission_id=f"portal-{uuid.uuid4().hex[:12]}",
        force=tenant,
        channel=Channel.ONLINE_PORTAL,
        received_at=now,
        contact=ContactArrangements(
            how=ContactMethod.MOBILE_PHONE,
            where="07700 900123",
            when="Weekdays 09:00-15:00",
            not_to_contact="Never call the home landline",
        ),
        consent=Consent(to_share_with_agencies=True, told_sharing_may_happen_without_consent=True),
        applicant_at_risk=False,
        subject=SubjectParticulars(names=(PersonName(forenames=("Mark",), surname="Taylor"),)),
    )
    envelope = first_envelope(
        type=command.TYPE,
        source=source_of(tenant, "portal"),
        subject=command.submission_id,
        time=now,
    )
    return command, envelope


def submit_enquiry(access: KafkaAccess, tenant: str) -> str:
    """Send one online-portal enquiry to a force's inbox; return its correlation id.

    `access` is the force's portal principal (`<force>.portal`), the one writer of the
    force's inbox from itself.
    """
    command, envelope = online_enquiry(tenant)
    asyncio.run(journey.publish(access, topics.inbox(tenant, tenant), command, envelope))
    return str(envelope.correlation_id)


def run_demo(console: Console, *, tenant: str = "warwickshire", timeout: float = 90.0) -> int:
    """Start the stack, the services and their stand-ins, push a case to closure, print, stop."""
    say, addresses, started = bring_up(
        console, skeleton_deployment(tenant), f"{tenant} and its stand-ins"
    )
    env = {**addresses.client_env(), **skeleton_env(tenant)}
    log_dir = stack.project_root() / ".stack" / "logs" / "demo"
    tenants = {**dict.fromkeys(SERVICES, tenant), **stand_in_tenants(tenant)}
    processes = [
        ServiceProcess(name, tenants[name], log_dir / f"{name}.log", env)
        for name in (*STAND_INS, *SERVICES)
    ]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_for_event("service_ready", timeout=timeout)
            say(f"{process.service} ready for {process.tenant} (pid {process.pid})")
        correlation = submit_enquiry(principal_access(tenant, "portal"), tenant)
        say(f"online-portal enquiry sent to {topics.inbox(tenant, tenant)}")
        steps = asyncio.run(
            journey.follow(
                principal_access(tenant, "ops"),
                case_topics(tenant),
                correlation_id=correlation,
                until_type=CaseClosedV1.TYPE,
                limit_seconds=timeout,
            )
        )
        _print_journey(console, steps)
        closed = CaseClosedV1.model_validate_json(steps[-1].payload)
        console.print(
            f"[bold green]Case {closed.case_reference} closed[/bold green]: "
            f"route {closed.route}, outcome {closed.outcome.value}, "
            f"final intelligence report {closed.final_intelligence_report}. "
            f"Service logs: {_relative(log_dir)}"
        )
        return 0
    finally:
        for process in processes:
            process.stop()
        stopped = stack.down(only=started, progress=say) if started else []
        say(f"stopped the services{' and ' + ', '.join(stopped) if stopped else ''}")


def _print_journey(console: Console, steps: list[journey.Step]) -> None:
    start = steps[0].time
    table = Table(title=f"The case, message by message (from {start:%Y-%m-%d %H:%M:%S} UTC)")
    for column, justify in (("+ms", "right"), ("sent by", "left"), ("message", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for step in steps:
        elapsed = (step.time - start).total_seconds() * 1000
        table.add_row(
            f"{elapsed:.0f}",
            step.envelope.source,
            step.envelope.type.removeprefix("csods.").removesuffix(".v1"),
        )
    console.print(table)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
