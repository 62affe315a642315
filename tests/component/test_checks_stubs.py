"""The stand-ins on a real PostgreSQL: seeded people, indexed blocking, answers, walls."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest

from schemas import topics
from schemas.checks import (
    CheckAnsweredV1,
    CheckQueryV1,
    CheckResult,
    MatchOutcome,
    RecordKind,
    System,
)
from schemas.envelope import first_envelope, source_of
from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services.catalogue import definition
from services.checks import matching
from services.checks.stubs import search
from services.checks.stubs.seed.holdings import Tenants
from services.checks.stubs.seed.load import Plan, seed
from services.runtime import audit
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor, Verdict
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database
from tests.support.records import record
from tests.support.schemas import login

NOMINALS = 3000


@dataclass
class Seeded:
    """A small seeded world: national systems and two forces of its own."""

    database_url: str
    tenants: Tenants
    forces: tuple[str, str]

    def tenant_of(self, system: System) -> str:
        if system is System.LOCAL_INTELLIGENCE:
            return self.tenants.local(self.forces[0])
        return str(getattr(self.tenants, system.value))


@pytest.fixture(scope="module")
async def seeded(database_url: str) -> Seeded:
    """Seed once for the module, under tenants no other test uses."""
    mark = uuid.uuid4().hex[:6]
    tenants = Tenants(pnc=f"pnc-{mark}", visor=f"visor-{mark}", ini=f"ini-{mark}")
    forces = (f"force{mark}a", f"force{mark}b")
    await seed(database_url, Plan(nominals=NOMINALS, seed=11, forces=forces, tenants=tenants))
    return Seeded(database_url, tenants, forces)


@dataclass
class Stub:
    """One stand-in's processor and database."""

    tenant: str
    database: Database
    processor: Processor

    async def ask(self, query: CheckQueryV1) -> tuple[Verdict, CheckResult | None]:
        """Deliver a query from its force; return the verdict and the answer, if any."""
        envelope = first_envelope(
            type=query.TYPE,
            source=source_of(query.asking_force, "checks"),
            subject=query.case_reference,
            time=FrozenClock().now(),
        )
        incoming = record(
            topics.inbox(self.tenant, query.asking_force),
            value=query.to_json(),
            headers=envelope.to_headers(),
            key=envelope.key,
        )
        verdict = await self.processor.process(incoming)
        async with self.database.transaction(self.tenant) as tx:
            payload = await tx.conn.fetchval(
                "SELECT payload FROM outbox WHERE topic = $1 ORDER BY id DESC LIMIT 1",
                topics.inbox(query.asking_force, self.tenant),
            )
        answer = CheckAnsweredV1.model_validate_json(payload) if payload else None
        if answer is None or answer.query_id != query.query_id:
            return verdict, None
        return verdict, answer.result


@pytest.fixture
async def stub(seeded: Seeded, settings_for: Callable[..., Settings]) -> AsyncIterator[Any]:
    """Build a stand-in's processor for a tenant."""
    opened: list[Database] = []

    async def build(name: str, tenant: str) -> Stub:
        stand_in = definition(name)
        settings = settings_for(tenant)
        await login(settings, stand_in.name)
        database = await open_database(
            dsn=app_dsn(settings, stand_in.name), schema=stand_in.name, size=2
        )
        opened.append(database)
        subscription = stand_in.wire(tenant, FrozenClock()).subscriptions[0]
        processor = Processor(
            service=stand_in.name,
            tenant=tenant,
            database=database,
            routes=subscription.routes,
            clock=FrozenClock(),
            backoff_seconds=0.0,
        )
        return Stub(tenant, database, processor)

    yield build
    for database in opened:
        await database.pool.close()


async def offender(seeded: Seeded, *, swappable: bool = False) -> dict[str, Any]:
    """A seeded registered offender with a Schedule 34A conviction, read as the owner."""
    conn = await asyncpg.connect(seeded.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT n.* FROM pnc.nominals n WHERE n.tenant = $1 AND n.visor_marker"
            " AND n.dob_day IS NOT NULL"
            " AND ($2 = false OR (n.dob_day <= 12 AND n.dob_day <> n.dob_month))"
            " AND EXISTS (SELECT 1 FROM pnc.records r WHERE r.tenant = n.tenant"
            " AND r.nominal_id = n.id AND r.schedule_34a AND r.kind = 'conviction')"
            " AND EXISTS (SELECT 1 FROM visor.nominals v WHERE v.tenant = $3 AND v.id = n.id)"
            " ORDER BY n.id LIMIT 1",
            seeded.tenants.pnc,
            swappable,
            seeded.tenants.visor,
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


def query(
    seeded: Seeded, system: System, particulars: SubjectParticulars, *, force: int = 0
) -> CheckQueryV1:
    return CheckQueryV1(
        query_id=uuid.uuid4(),
        asking_force=seeded.forces[force],
        case_reference=f"{seeded.forces[force]}-2026-000001",
        system=system,
        party="subject",
        particulars=particulars,
    )


def particulars_of(row: dict[str, Any], **changes: Any) -> SubjectParticulars:
    values: dict[str, Any] = {
        "names": (PersonName(forenames=tuple(row["forenames"].split()), surname=row["surname"]),),
        "date_of_birth": PartialDate(
            year=row["dob_year"], month=row["dob_month"], day=row["dob_day"]
        ),
        "addresses": (Address(lines=(row["address_lines"],), town=row["town"]),),
    }
    return SubjectParticulars(**{**values, **changes})


async def test_pnc_finds_a_registered_offender_with_his_convictions_and_visor_marker(
    seeded: Seeded, stub: Any
) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    row = await offender(seeded)

    verdict, result = await pnc.ask(query(seeded, System.PNC, particulars_of(row)))

    assert verdict is Verdict.APPLIED
    assert result is not None
    assert result.outcome is MatchOutcome.MATCH
    assert result.confidence >= matching.MATCH
    assert result.visor_marker is True
    assert result.candidates[0].record_reference == row["reference"]
    assert any(f.schedule_34a and f.kind is RecordKind.CONVICTION for f in result.findings)


async def test_visor_holds_the_registration_with_managing_force_mappa_and_risk(
    seeded: Seeded, stub: Any
) -> None:
    visor = await stub("visor", seeded.tenants.visor)
    row = await offender(seeded)

    _, result = await visor.ask(query(seeded, System.VISOR, particulars_of(row)))

    assert result is not None
    assert result.outcome is MatchOutcome.MATCH
    [registration] = [f for f in result.findings if f.kind is RecordKind.REGISTRATION]
    assert registration.managing_force == row["home_force"]
    assert registration.mappa_category == 1
    assert registration.mappa_level in (1, 2, 3)
    assert registration.risk_level is not None


async def test_a_misspelt_surname_and_swapped_day_and_month_still_find_him(
    seeded: Seeded, stub: Any
) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    row = await offender(seeded, swappable=True)
    surname = row["surname"]
    misspelt = surname[:-1] + ("e" if surname[-1] != "e" else "a")
    given = particulars_of(
        row,
        names=(PersonName(forenames=tuple(row["forenames"].split()[:1]), surname=misspelt),),
        date_of_birth=PartialDate(year=row["dob_year"], month=row["dob_day"], day=row["dob_month"]),
        addresses=(),
    )

    _, result = await pnc.ask(query(seeded, System.PNC, given))

    assert result is not None
    assert result.outcome in (MatchOutcome.MATCH, MatchOutcome.POSSIBLE_MATCH)
    assert result.candidates[0].record_reference == row["reference"]
    assert "dob-day-month-swapped" in result.candidates[0].reasons


async def test_someone_no_system_holds_is_no_trace(seeded: Seeded, stub: Any) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    nobody = SubjectParticulars(
        names=(PersonName(forenames=("Zebedee",), surname="Quuxworth-Pellingham"),),
        date_of_birth=PartialDate(year=1990, month=1, day=1),
    )
    _, result = await pnc.ask(query(seeded, System.PNC, nobody))
    assert result is not None
    assert result.outcome is MatchOutcome.NO_TRACE
    assert result.findings == ()


async def test_a_query_with_no_usable_detail_is_answered_insufficient_detail(
    seeded: Seeded, stub: Any
) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    only_a_surname = SubjectParticulars(names=(PersonName(surname="Smith"),))
    _, result = await pnc.ask(query(seeded, System.PNC, only_a_surname))
    assert result is not None
    assert result.outcome is MatchOutcome.INSUFFICIENT_DETAIL
    assert result.missing == ("a forename, a date of birth or an address",)


async def test_local_intelligence_answers_only_its_own_force(seeded: Seeded, stub: Any) -> None:
    own, other = seeded.forces
    local = await stub("local-intelligence", seeded.tenants.local(own))
    someone = SubjectParticulars(names=(PersonName(forenames=("Mark",), surname="Taylor"),))

    verdict, _ = await local.ask(query(seeded, System.LOCAL_INTELLIGENCE, someone, force=1))

    assert verdict is Verdict.DEAD
    # The other force's stand-in, logged in as its own tenant, sees none of this one's rows.
    neighbour = await stub("local-intelligence", seeded.tenants.local(other))
    async with neighbour.database.transaction(seeded.tenants.local(other)) as tx:
        theirs = await tx.conn.fetchval(
            "SELECT count(*) FROM records WHERE tenant = $1", seeded.tenants.local(own)
        )
    async with local.database.transaction(seeded.tenants.local(own)) as tx:
        mine = await tx.conn.fetchval("SELECT count(*) FROM records")
    assert theirs == 0
    assert mine > 0


async def test_every_answer_is_audited_as_a_disclosure_to_the_asking_force(
    seeded: Seeded, stub: Any
) -> None:
    ini = await stub("ini", seeded.tenants.ini)
    asked = query(seeded, System.INI, particulars_of(await offender(seeded)))
    await ini.ask(asked)
    async with ini.database.transaction(ini.tenant) as tx:
        entries = await audit.entries(tx.conn, tenant=ini.tenant, case_ref=asked.case_reference)
    assert entries[-1].action is audit.Action.DISCLOSURE
    assert entries[-1].recipients == (seeded.forces[0],)


async def test_the_search_blocks_on_indexes_not_a_full_scan(seeded: Seeded, stub: Any) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    row = await offender(seeded)
    person = matching.person_from(particulars_of(row))
    plans: list[str] = []

    class Explaining:
        """A connection that explains the blocking query instead of running it."""

        def __init__(self, conn: Any) -> None:
            self.conn = conn

        async def execute(self, sql: str, *args: Any) -> Any:
            return await self.conn.execute(sql, *args)

        async def fetch(self, sql: str, *args: Any) -> list[Any]:
            rows = await self.conn.fetch(f"EXPLAIN {sql}", *args)
            plans.extend(r[0] for r in rows)
            return []

    async with pnc.database.transaction(pnc.tenant) as tx:
        # Forbid sequential scans: any left in the plan would be the only way to answer.
        await tx.conn.execute("SET LOCAL enable_seqscan = off")
        explaining = replace(tx, conn=Explaining(tx.conn))
        await search.block(explaining, query=person)

    assert plans
    assert not [line for line in plans if "Seq Scan" in line], "\n".join(plans)
    assert any("surnames_sound" in line for line in plans)
    assert any("nominal_names_spelling" in line for line in plans)
    assert any("nominals_dob" in line for line in plans)


async def digest(url: str, tenant: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT id, reference, forenames, surname, dob_year, dob_month, dob_day, postcode,"
            " description FROM pnc.nominals WHERE tenant = $1 ORDER BY id",
            tenant,
        )
    finally:
        await conn.close()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


async def test_the_same_seed_gives_the_same_people(database_url: str) -> None:
    mark = uuid.uuid4().hex[:6]
    made = []
    for name, value in (("a", 5), ("b", 5), ("c", 6)):
        tenants = Tenants(pnc=f"pnc-{mark}{name}", visor=f"visor-{mark}", ini=f"ini-{mark}")
        await seed(database_url, Plan(nominals=300, seed=value, forces=("x",), tenants=tenants))
        made.append(await digest(database_url, tenants.pnc))
    assert made[0] == made[1]
    assert made[0] != made[2]


async def test_a_record_a_researcher_settled_on_is_answered_as_the_match_5_4_4(
    seeded: Seeded, stub: Any
) -> None:
    pnc = await stub("pnc", seeded.tenants.pnc)
    row = await offender(seeded)
    # Particulars too thin to match him by search, but a researcher has settled on his record.
    thin = SubjectParticulars(names=(PersonName(surname=row["surname"]),))
    asked = query(seeded, System.PNC, thin).model_copy(
        update={"record_reference": row["reference"]}
    )

    verdict, result = await pnc.ask(asked)

    assert verdict is Verdict.APPLIED
    assert result is not None
    assert result.outcome is MatchOutcome.MATCH
    assert result.candidates[0].record_reference == row["reference"]
    assert any(f.schedule_34a and f.kind is RecordKind.CONVICTION for f in result.findings)
    unknown = query(seeded, System.PNC, thin).model_copy(update={"record_reference": "PNC/00/0"})
    _, nothing = await pnc.ask(unknown)
    assert nothing is not None
    assert nothing.outcome is MatchOutcome.NO_TRACE
