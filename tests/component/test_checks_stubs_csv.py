"""A force's own people in the PNC stand-in from CSV files (docs/stubs-csv.md): loaded all or
nothing, refused by row and column, found by the same matching, and measured by a labelled
file of questions. The commands run as a force's analyst would run them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from schemas.checks import CheckQueryV1, CheckResult, MatchOutcome, RecordKind, System
from schemas.parties import PartialDate, PersonName, SubjectParticulars
from services.checks.stubs.answer import search_records
from services.cli import app
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import open_database
from tests.support.schemas import login

HEADER = "reference,forenames,surname,aliases,dob_year,dob_month,dob_day,address_lines,town,"
NOMINALS = f"""{HEADER}postcode,visor_marker
FORCE/1,Dorian Ellis,Quennell,Dory Quennel,1979,4,2,3 Mill Lane,Rugby,CV21 2AB,true
FORCE/2,Petra,Quennell,,1983,,,,,,false
"""
RECORDS = """nominal,reference,kind,category,schedule_34a,recorded_year,summary
FORCE/1,FORCE/1/C1,conviction,child-sexual,true,2004,Indecent assault on a child under 14.
"""
QUESTIONS = """forenames,surname,dob_year,dob_month,dob_day,town,expected
Dorian,Quennell,1979,4,2,Rugby,FORCE/1
Dory,Quennel,1979,,,Rugby,FORCE/1
Zebedee,Quuxworth,1990,1,1,,
"""


def written(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_forces_own_people_are_loaded_found_and_measured(
    tmp_path: Path, settings_for: Callable[..., Settings], database_url: str
) -> None:
    pnc = f"pnc-csv{uuid.uuid4().hex[:6]}"
    settings = settings_for(pnc)
    env = {
        "CSODS_DATABASE_URL": database_url,
        "CSODS_KAFKA_CREDENTIALS_DIR": str(settings.kafka_credentials_dir),
    }
    runner = CliRunner()
    nominals = written(tmp_path, "nominals.csv", NOMINALS)
    records = written(tmp_path, "records.csv", RECORDS)

    bad = written(tmp_path, "bad.csv", NOMINALS.replace("1979,4,2", "1979,13,2", 1))
    refused = runner.invoke(
        app, ["stubs", "load", str(bad), "--system", "pnc", "--tenant", pnc], env=env
    )
    assert refused.exit_code == 2
    assert "bad.csv row 2, dob_month" in refused.output
    loaded = runner.invoke(
        app,
        [
            "stubs",
            "load",
            str(nominals),
            "--records",
            str(records),
            *("--system", "pnc"),
            "--tenant",
            pnc,
        ],
        env=env,
    )
    assert loaded.exit_code == 0, loaded.output
    assert "2 people and 1 records added" in loaded.output
    again = runner.invoke(
        app, ["stubs", "load", str(nominals), "--system", "pnc", "--tenant", pnc], env=env
    )
    assert again.exit_code == 2
    assert "already held" in again.output

    found = asyncio.run(_search(settings, pnc))
    assert found.outcome is MatchOutcome.MATCH
    assert found.candidates[0].record_reference == "FORCE/1"
    assert [f.kind for f in found.findings] == [RecordKind.CONVICTION]
    assert found.visor_marker is True

    asked = written(tmp_path, "questions.csv", QUESTIONS)
    measured = runner.invoke(
        app, ["stubs", "evaluate", "--labelled", str(asked), "--pnc", pnc], env=env
    )
    assert measured.exit_code == 0, measured.output
    assert "precision 1.0000" in measured.output
    assert "decoys matched 0 of 1" in measured.output


async def _search(settings: Settings, tenant: str) -> CheckResult:
    """Ask the stand-in's own search, as its role, about the person by an alias."""
    await login(settings, "pnc")
    database = await open_database(dsn=app_dsn(settings, "pnc"), schema="pnc", size=1)
    query = CheckQueryV1(
        query_id=uuid.uuid4(),
        asking_force="warwickshire",
        case_reference="warwickshire-2026-000001",
        system=System.PNC,
        party="subject",
        particulars=SubjectParticulars(
            names=(PersonName(forenames=("Dory",), surname="Quennel"),),
            date_of_birth=PartialDate(year=1979, month=4, day=2),
        ),
    )
    try:
        async with database.transaction(tenant) as tx:
            return await search_records(tx, system=System.PNC, query=query)
    finally:
        await database.pool.close()
