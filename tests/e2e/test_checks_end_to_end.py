"""Stage 1 checks across processes: intake, checks and the four stand-ins on the real stack.

A registered offender seeded into the stand-ins is the subject of an online enquiry; the checks
complete with his PNC convictions and his ViSOR registration. A stand-in made slow, then absent,
loses nothing: the stage completes with it 'unavailable' and its late answer still arrives.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from schemas import topics
from schemas.checks import (
    CheckAnsweredLateV1,
    ChecksCompletedV1,
    Concern,
    Indication,
    MatchOutcome,
    RecordKind,
    System,
)
from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services import journey
from services.access.grants import Agency
from services.checks.stubs.seed.holdings import Tenants
from services.checks.stubs.seed.load import Plan, seed
from services.demo import online_enquiry
from services.runtime.supervisor import ServiceProcess
from tests.conftest import Provision
from tests.e2e.conftest import Start
from tests.support.stack import FoundStack
from tests.support.topics import deployment_of

STAND_INS = ("pnc", "visor", "ini", "local-intelligence")


@dataclass
class World:
    """A force of its own, national systems of its own, seeded with synthetic people."""

    force: str
    tenants: Tenants

    def tenant_of(self, stand_in: str) -> str:
        if stand_in == "local-intelligence":
            return self.tenants.local(self.force)
        return str(getattr(self.tenants, stand_in))

    def checks_env(self, **more: str) -> dict[str, str]:
        """What the checks service needs to reach these systems, waits kept short."""
        mapping = ",".join(f"{s}={getattr(self.tenants, s)}" for s in ("pnc", "visor", "ini"))
        return {
            "CSODS_CHECKS_SYSTEM_TENANTS": mapping,
            "CSODS_CHECKS_SWEEP_SECONDS": "0.5",
            "CSODS_CHECKS_ANSWER_WAIT_SECONDS": "30",
            **more,
        }


@pytest.fixture
def world(database_url: str, tenant: str, provision: Provision) -> World:
    mark = uuid.uuid4().hex[:6]
    tenants = Tenants(pnc=f"pnc-{mark}", visor=f"visor-{mark}", ini=f"ini-{mark}")
    # National systems of their own on the broker too, each serving this force alone.
    systems = [Agency(getattr(tenants, system), system, (tenant,)) for system in STAND_INS[:3]]
    provision(deployment_of(tenant, agencies=systems))
    asyncio.run(seed(database_url, Plan(nominals=2000, seed=3, forces=(tenant,), tenants=tenants)))
    return World(tenant, tenants)


StartStandIn = Callable[..., ServiceProcess]


@pytest.fixture
def start_stand_in(
    stack: FoundStack, database_url: str, world: World, tmp_path: Path
) -> Iterator[StartStandIn]:
    """Start a stand-in as its own process under its own tenant; all stopped at the end."""
    started: list[ServiceProcess] = []

    def start(name: str, *, ready: bool = True, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            name,
            world.tenant_of(name),
            tmp_path / f"{name}-{len(started)}.log",
            {
                **stack.client_env(),
                "CSODS_DATABASE_URL": database_url,
                "CSODS_OUTBOX_POLL_SECONDS": "0.5",
                "CSODS_RETRY_BACKOFF_SECONDS": "0.05",
                **env,
            },
        )
        process.start()
        started.append(process)
        if ready:
            process.wait_for_event("service_ready", timeout=90)
        return process

    yield start
    for process in started:
        process.stop()


def offender(database_url: str, world: World, skip: int = 0) -> SubjectParticulars:
    """A seeded registered offender with a Schedule 34A conviction, as the applicant knows him."""

    async def read() -> Any:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetchrow(
                "SELECT n.* FROM pnc.nominals n WHERE n.tenant = $1 AND n.visor_marker"
                " AND n.dob_day IS NOT NULL AND EXISTS (SELECT 1 FROM pnc.records r"
                " WHERE r.tenant = n.tenant AND r.nominal_id = n.id AND r.schedule_34a"
                " AND r.kind = 'conviction') ORDER BY n.id OFFSET $2 LIMIT 1",
                world.tenants.pnc,
                skip,
            )
        finally:
            await conn.close()

    row = asyncio.run(read())
    return SubjectParticulars(
        names=(PersonName(forenames=tuple(row["forenames"].split()), surname=row["surname"]),),
        date_of_birth=PartialDate(year=row["dob_year"], month=row["dob_month"], day=row["dob_day"]),
        addresses=(Address(lines=(row["address_lines"],), town=row["town"]),),
    )


def enquire(stack: FoundStack, force: str, subject: SubjectParticulars) -> str:
    """An online enquiry about `subject`; returns the case's correlation id."""
    command, envelope = online_enquiry(force)
    command = command.model_copy(update={"subject": subject})
    portal = stack.principal_access(force, "portal")
    asyncio.run(journey.publish(portal, topics.inbox(force, force), command, envelope))
    return str(envelope.correlation_id)


def follow(stack: FoundStack, force: str, correlation: str, until: str) -> list[journey.Step]:
    return asyncio.run(
        journey.follow(
            stack.principal_access(force, "ops"),
            [
                topics.stream(force, "checks", "checks-completed"),
                topics.stream(force, "checks", "check-answered-late"),
            ],
            correlation_id=correlation,
            until_type=until,
            limit_seconds=60,
        )
    )


def completed_in(steps: list[journey.Step]) -> ChecksCompletedV1:
    [step] = [s for s in steps if s.envelope.type == ChecksCompletedV1.TYPE]
    return ChecksCompletedV1.model_validate_json(step.payload)


def result(completed: ChecksCompletedV1, system: System) -> Any:
    return next(r for r in completed.results if (r.system, r.party) == (system, "subject"))


def test_stage_one_checks_find_a_registered_offender_across_the_stand_ins(
    stack: FoundStack,
    database_url: str,
    world: World,
    start_service: Start,
    start_stand_in: StartStandIn,
) -> None:
    stand_ins = [start_stand_in(name, ready=False) for name in STAND_INS]
    start_service("intake", ready=False)
    checks = start_service("checks", **world.checks_env())
    for process in stand_ins:
        process.wait_for_event("service_ready", timeout=90)

    correlation = enquire(stack, world.force, offender(database_url, world))
    completed = completed_in(follow(stack, world.force, correlation, ChecksCompletedV1.TYPE))

    pnc, visor = result(completed, System.PNC), result(completed, System.VISOR)
    assert pnc.outcome is MatchOutcome.MATCH
    assert pnc.visor_marker is True
    assert any(f.schedule_34a and f.kind is RecordKind.CONVICTION for f in pnc.findings)
    assert visor.outcome is MatchOutcome.MATCH  # asked because PNC showed the marker (5.1.9)
    assert any(f.kind is RecordKind.REGISTRATION and f.managing_force for f in visor.findings)
    assert result(completed, System.LOCAL_INTELLIGENCE).outcome is not MatchOutcome.UNAVAILABLE
    assert not completed.partial
    assert completed.indication is Indication.CONCERNS
    assert Concern.CHILD_SEXUAL_CONVICTION in completed.concerns
    assert completed.presumption_to_disclose
    checks.wait_for_event("checks_completed")


def test_a_stand_in_slow_then_absent_loses_nothing(
    stack: FoundStack,
    database_url: str,
    world: World,
    start_service: Start,
    start_stand_in: StartStandIn,
) -> None:
    slow = start_stand_in("pnc", ready=False, CSODS_STUB_LATENCY_SECONDS="1.5")
    others = [start_stand_in(name, ready=False) for name in STAND_INS[1:]]
    start_service("intake", ready=False)
    start_service(
        "checks",
        **world.checks_env(CSODS_CHECKS_ANSWER_WAIT_SECONDS="8", CSODS_CHECKS_RETRY_SECONDS="2"),
    )
    for process in (slow, *others):
        process.wait_for_event("service_ready", timeout=90)

    # Slow: the answer takes a while but comes within the stage's wait.
    first = enquire(stack, world.force, offender(database_url, world))
    completed = completed_in(follow(stack, world.force, first, ChecksCompletedV1.TYPE))
    assert result(completed, System.PNC).outcome is MatchOutcome.MATCH
    assert not completed.partial

    # Absent: the stage completes without PNC, saying so, never a silent no.
    slow.kill()
    second = enquire(stack, world.force, offender(database_url, world, skip=1))
    completed = completed_in(follow(stack, world.force, second, ChecksCompletedV1.TYPE))
    assert result(completed, System.PNC).outcome is MatchOutcome.UNAVAILABLE
    assert result(completed, System.VISOR).outcome is MatchOutcome.UNAVAILABLE
    assert completed.partial
    assert completed.indication is Indication.CONCERNS or (
        completed.indication is Indication.UNDETERMINED
    )

    # Back: the query waited in the broker; its answer arrives late and is passed on.
    start_stand_in("pnc")
    steps = follow(stack, world.force, second, CheckAnsweredLateV1.TYPE)
    late = [s for s in steps if s.envelope.type == CheckAnsweredLateV1.TYPE]
    answer = CheckAnsweredLateV1.model_validate_json(late[0].payload)
    assert answer.result.system is System.PNC
    assert answer.result.outcome is MatchOutcome.MATCH
    assert Concern.CHILD_SEXUAL_CONVICTION in answer.concerns
