"""A force's own people in a stand-in: nominals and their records from documented CSV files,
so that the matching can be tried on the force's data (`csods stubs load`), and a labelled
query file to measure it by (`csods stubs evaluate --labelled`). The formats are in
docs/stubs-csv.md.

Every row is checked before anything is written; a refusal names the file's row, the column
and the rule, never the value. The load is one transaction: all of it, or none.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.checks import OffenceCategory, RecordKind, RiskLevel
from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services.runtime.names import normalise, sound_key

SYSTEMS = {"pnc": "pnc", "visor": "visor", "ini": "ini", "local-intelligence": "local_intelligence"}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class NominalRow(_Row):
    """One person the system holds (docs/stubs-csv.md, nominals.csv)."""

    reference: str = Field(min_length=1, max_length=64)
    forenames: str = Field(default="", max_length=200)
    surname: str = Field(min_length=1, max_length=100)
    aliases: str | None = Field(default=None, max_length=1000)
    dob_year: int | None = Field(default=None, ge=1900, le=2100)
    dob_month: int | None = Field(default=None, ge=1, le=12)
    dob_day: int | None = Field(default=None, ge=1, le=31)
    address_lines: str | None = Field(default=None, max_length=300)
    town: str | None = Field(default=None, max_length=80)
    postcode: str | None = Field(default=None, max_length=10)
    previous_lines: str | None = Field(default=None, max_length=300)
    previous_town: str | None = Field(default=None, max_length=80)
    previous_postcode: str | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=1000)
    home_force: str | None = Field(default=None, max_length=63)
    visor_marker: bool = False

    def alias_names(self) -> list[tuple[str, str]]:
        """Each alias as (forenames, surname): 'Forenames Surname' separated by ';'."""
        names = []
        for alias in (self.aliases or "").split(";"):
            words = alias.split()
            if words:
                names.append((" ".join(words[:-1]), words[-1]))
        return names


class RecordRow(_Row):
    """One record held against a person (docs/stubs-csv.md, records.csv)."""

    nominal: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=64)
    kind: RecordKind
    category: OffenceCategory
    schedule_34a: bool
    recorded_year: int | None = Field(default=None, ge=1900, le=2100)
    summary: str = Field(min_length=1, max_length=4000)
    grading: str | None = Field(default=None, max_length=8)
    managing_force: str | None = Field(default=None, max_length=63)
    mappa_category: int | None = Field(default=None, ge=1, le=3)
    mappa_level: int | None = Field(default=None, ge=1, le=3)
    risk_level: RiskLevel | None = None
    conditions: str | None = Field(default=None, max_length=4000)


class LabelledRow(_Row):
    """One question and who the right answer is (docs/stubs-csv.md, labelled queries)."""

    forenames: str = Field(default="", max_length=200)
    surname: str = Field(default="", max_length=100)
    dob_year: int | None = Field(default=None, ge=1900, le=2100)
    dob_month: int | None = Field(default=None, ge=1, le=12)
    dob_day: int | None = Field(default=None, ge=1, le=31)
    address_lines: str | None = Field(default=None, max_length=300)
    town: str | None = Field(default=None, max_length=80)
    postcode: str | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=1000)
    expected: str | None = Field(default=None, max_length=64)

    def particulars(self) -> SubjectParticulars:
        """What the question knows of the person, as an applicant would give it."""
        names = (
            (PersonName(forenames=tuple(self.forenames.split()), surname=self.surname or None),)
            if self.forenames or self.surname
            else ()
        )
        born = (
            PartialDate(year=self.dob_year, month=self.dob_month, day=self.dob_day)
            if self.dob_year or self.dob_month
            else None
        )
        home = (
            (Address(lines=(self.address_lines,), town=self.town, postcode=self.postcode),)
            if self.address_lines
            else ()
        )
        return SubjectParticulars(
            names=names, date_of_birth=born, addresses=home, description=self.description
        )


RowT = TypeVar("RowT", bound=_Row)


class BadFileError(ValueError):
    """A file that cannot be loaded: which row, which column, which rule."""


def read_rows(path: Path, model: type[RowT]) -> list[RowT]:
    """Every row of a CSV file, each checked; the first bad one names its row and column."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        unknown = sorted(columns - set(model.model_fields))
        if unknown:
            raise BadFileError(f"{path.name}: unknown column {', '.join(unknown)}")
        rows = []
        for number, raw in enumerate(reader, start=2):  # the header is row 1
            try:
                rows.append(model.model_validate(raw))
            except ValidationError as refused:
                first = refused.errors()[0]
                column = ".".join(map(str, first["loc"])) or "row"
                raise BadFileError(f"{path.name} row {number}, {column}: {first['msg']}") from None
    return rows


@dataclass(frozen=True)
class Loaded:
    """What one load added."""

    nominals: int
    records: int


async def load(
    conn: asyncpg.Connection,
    *,
    system: str,
    tenant: str,
    nominals: Sequence[NominalRow],
    records: Sequence[RecordRow] = (),
) -> Loaded:
    """Add the people and their records to one stand-in's tenant, in one transaction."""
    schema = SYSTEMS[system]
    by_reference = {row.reference: row for row in nominals}
    if len(by_reference) != len(nominals):
        raise BadFileError("nominals: a reference appears twice")
    for record in records:
        if record.nominal not in by_reference:
            raise BadFileError(f"records {record.reference}, nominal: no such nominal reference")
    async with conn.transaction():
        held = await conn.fetch(
            f"SELECT reference FROM {schema}.nominals WHERE tenant = $1"  # noqa: S608 - a known schema
            " AND reference = ANY($2::text[])",
            tenant,
            list(by_reference),
        )
        if held:
            raise BadFileError(f"nominals: {len(held)} reference(s) already held by {tenant}")
        first = int(
            await conn.fetchval(
                f"SELECT coalesce(max(id), 0) + 1 FROM {schema}.nominals WHERE tenant = $1",  # noqa: S608
                tenant,
            )
        )
        ids = {row.reference: first + index for index, row in enumerate(nominals)}
        await _copy(conn, schema, "nominals", _nominal_rows(tenant, nominals, ids))
        await _copy(conn, schema, "nominal_names", _name_rows(tenant, nominals, ids))
        spellings = sorted({row[4] for row in _name_rows(tenant, nominals, ids)})
        await conn.executemany(
            f"INSERT INTO {schema}.surnames (tenant, surname, surname_key)"  # noqa: S608
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(tenant, surname, sound_key(surname)) for surname in spellings],
        )
        await _copy(conn, schema, "records", _record_rows(tenant, records, ids))
    return Loaded(nominals=len(nominals), records=len(records))


async def _copy(
    conn: asyncpg.Connection, schema: str, table: str, rows: Iterable[tuple[Any, ...]]
) -> None:
    batch = list(rows)
    if batch:
        await conn.copy_records_to_table(
            table, schema_name=schema, records=batch, columns=_COLUMNS[table]
        )


_COLUMNS: dict[str, list[str]] = {
    "nominals": [
        "tenant", "id", "reference", "forenames", "surname", "dob_year", "dob_month",
        "dob_day", "address_lines", "town", "postcode", "previous_lines", "previous_town",
        "previous_postcode", "description", "home_force", "visor_marker",
    ],
    "nominal_names": [
        "tenant", "nominal_id", "position", "forenames", "surname", "forename_initial",
        "dob_year",
    ],
    "records": [
        "tenant", "nominal_id", "reference", "kind", "category", "schedule_34a",
        "recorded_year", "summary", "grading", "managing_force", "mappa_category",
        "mappa_level", "risk_level", "conditions",
    ],
}  # fmt: skip


def _postcode(code: str | None) -> str | None:
    return code.replace(" ", "").upper() if code else None


def _nominal_rows(
    tenant: str, nominals: Sequence[NominalRow], ids: dict[str, int]
) -> Iterable[tuple[Any, ...]]:
    for row in nominals:
        yield (
            tenant, ids[row.reference], row.reference, row.forenames, row.surname,
            row.dob_year, row.dob_month, row.dob_day, row.address_lines, row.town,
            _postcode(row.postcode), row.previous_lines, row.previous_town,
            _postcode(row.previous_postcode), row.description, row.home_force, row.visor_marker,
        )  # fmt: skip


def _name_rows(
    tenant: str, nominals: Sequence[NominalRow], ids: dict[str, int]
) -> Iterable[tuple[Any, ...]]:
    for row in nominals:
        names = [(row.forenames, row.surname), *row.alias_names()]
        for position, (forenames, surname) in enumerate(names):
            spelt = normalise(forenames)
            yield (
                tenant, ids[row.reference], position, spelt, normalise(surname), spelt[:1],
                row.dob_year,
            )  # fmt: skip


def _record_rows(
    tenant: str, records: Sequence[RecordRow], ids: dict[str, int]
) -> Iterable[tuple[Any, ...]]:
    for row in records:
        conditions = [c.strip() for c in (row.conditions or "").split(";") if c.strip()]
        yield (
            tenant, ids[row.nominal], row.reference, row.kind.value, row.category.value,
            row.schedule_34a, row.recorded_year, row.summary, row.grading, row.managing_force,
            row.mappa_category, row.mappa_level,
            row.risk_level.value if row.risk_level else None, conditions,
        )  # fmt: skip
