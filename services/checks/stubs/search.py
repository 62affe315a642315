"""A system's search: block on indexes, load the candidates, then let the matcher rank them.

Blocking never scans a table. It first finds the surname spellings the system holds that sound
like the one asked (a btree on the phonetic key) or look like it (a trigram index, pg_trgm),
then the names with those spellings, that forename initial and a year of birth near the one
given (a btree); and, whatever the name, the date of birth as given or with day and month
swapped, and the postcode, current or previous.
"""

from __future__ import annotations

from typing import Any

from schemas.checks import Finding, OffenceCategory, RecordKind, RiskLevel
from schemas.parties import PartialDate
from services.checks.persons import Dob, Name, Nominal, Person, Place, street_of
from services.runtime.names import forms_of, normalise, sound_key
from services.runtime.unit_of_work import Transaction

# Enough rows per block for any real name; a larger block means a common name and few details,
# which ranks as 'possible match' however it is cut.
BLOCK = 200
# Spellings within this trigram distance (1 - similarity) look alike; the nearest few only.
TRIGRAM_DISTANCE = 0.5
NEAREST_SPELLINGS = 20


def keys_of(query: Person) -> tuple[list[str], list[str], list[str] | None]:
    """Phonetic keys, spellings to look alike, and forename initials (None: any initial)."""
    keys: set[str] = set()
    spellings: set[str] = set()
    initials: set[str] = set()
    any_initial = False
    for name in query.names:
        if name.surname:
            keys.add(sound_key(name.surname))
            spellings.add(name.surname)
            initials.add(name.surname[0])  # forename and surname may be the wrong way round
        if name.forenames:
            first = name.forenames[0]
            keys.add(sound_key(first))
            initials.update(form[0] for form in forms_of(first))
        else:
            any_initial = True
    return sorted(keys - {""}), sorted(spellings), None if any_initial else sorted(initials)


async def spellings_like(tx: Transaction, *, query: Person) -> list[str]:
    """The surname spellings the system holds that sound or look like those asked."""
    keys, spellings, _ = keys_of(query)
    if not keys and not spellings:
        return []
    parts = ["(SELECT surname FROM surnames WHERE tenant = $1 AND surname_key = ANY($2))"]
    for n in range(5, 5 + len(spellings)):
        # Nearest first by trigram distance: the GiST index yields them in that order.
        distance = f"surname OPERATOR(public.<->) ${n}"
        parts.append(
            f"(SELECT surname FROM (SELECT surname, {distance} AS distance FROM surnames"  # noqa: S608 - a placeholder only
            f" WHERE tenant = $1 ORDER BY {distance} LIMIT $4) nearest WHERE distance <= $3)"
        )
    rows = await tx.conn.fetch(
        " UNION ".join(parts), tx.tenant, keys, TRIGRAM_DISTANCE, NEAREST_SPELLINGS, *spellings
    )
    return sorted(str(row[0]) for row in rows)


async def block(tx: Transaction, *, query: Person) -> list[int]:
    """The ids of the nominals worth scoring for a query."""
    spellings = await spellings_like(tx, query=query)
    _, _, initials = keys_of(query)
    year = query.dob.year if query.dob else None
    args: list[Any] = [tx.tenant, spellings, initials, year, BLOCK]
    parts = [
        "(SELECT nominal_id FROM nominal_names WHERE tenant = $1 AND surname = ANY($2)"
        " AND ($3::text[] IS NULL OR forename_initial = ANY($3))"
        " AND ($4::int IS NULL OR dob_year IS NULL OR dob_year BETWEEN $4 - 1 AND $4 + 1)"
        " LIMIT $5)"
    ]
    dob = query.dob
    if dob is not None and dob.complete:
        args += [dob.month, dob.day]
        # Born that day (or with day and month swapped) and known by a name with an initial
        # asked: a surname too different for the spellings above is still found.
        parts.append(
            "(SELECT n.id FROM nominals n WHERE n.tenant = $1 AND n.dob_year = $4 AND ("
            "(n.dob_month = $6 AND n.dob_day = $7) OR (n.dob_month = $7 AND n.dob_day = $6))"
            " AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM nominal_names nn"
            " WHERE nn.tenant = n.tenant AND nn.nominal_id = n.id"
            " AND nn.forename_initial = ANY($3))) LIMIT $5)"
        )
    postcodes = sorted({place.postcode for place in query.places if place.postcode})
    if postcodes:
        args.append(postcodes)
        at = f"${len(args)}"
        parts.append(
            f"(SELECT id FROM nominals WHERE tenant = $1 AND postcode = ANY({at}) LIMIT $5)"  # noqa: S608 - a placeholder only
        )
        parts.append(
            f"(SELECT id FROM nominals WHERE tenant = $1"  # noqa: S608 - a placeholder only
            f" AND previous_postcode = ANY({at}) LIMIT $5)"
        )
    rows = await tx.conn.fetch(" UNION ".join(parts), *args)
    return [int(row[0]) for row in rows]


async def load(tx: Transaction, *, ids: list[int]) -> list[tuple[Nominal, bool, int]]:
    """The candidates with every name they are known by: (nominal, ViSOR marker, id)."""
    rows = await tx.conn.fetch(
        "SELECT n.id, n.reference, n.dob_year, n.dob_month, n.dob_day, n.address_lines, n.town,"
        " n.postcode, n.previous_lines, n.previous_town, n.previous_postcode, n.description,"
        " n.visor_marker, array_agg(nn.forenames ORDER BY nn.position) AS forenames,"
        " array_agg(nn.surname ORDER BY nn.position) AS surnames"
        " FROM nominals n JOIN nominal_names nn ON nn.tenant = n.tenant AND nn.nominal_id = n.id"
        " WHERE n.tenant = $1 AND n.id = ANY($2::bigint[]) GROUP BY n.tenant, n.id",
        tx.tenant,
        ids,
    )
    found = []
    for row in rows:
        places = [
            Place(
                street_of([row["address_lines"] or ""]),
                normalise(row["town"] or ""),
                row["postcode"] or "",
            )
        ]
        if row["previous_lines"] or row["previous_postcode"]:
            places.append(
                Place(
                    street_of([row["previous_lines"] or ""]),
                    normalise(row["previous_town"] or ""),
                    row["previous_postcode"] or "",
                )
            )
        names = tuple(
            Name(tuple(forenames.split()), surname)
            for forenames, surname in zip(row["forenames"], row["surnames"], strict=True)
        )
        year = row["dob_year"]
        dob = Dob(year, row["dob_month"], row["dob_day"]) if year is not None else None
        person = Person(names, dob, tuple(places), row["description"])
        found.append((Nominal(row["reference"], person), bool(row["visor_marker"]), int(row["id"])))
    return found


async def findings(tx: Transaction, *, nominal_id: int) -> tuple[Finding, ...]:
    """What the system records against one nominal, oldest first."""
    rows = await tx.conn.fetch(
        "SELECT reference, kind, category, schedule_34a, recorded_year, summary, grading,"
        " managing_force, mappa_category, mappa_level, risk_level, conditions FROM records"
        " WHERE tenant = $1 AND nominal_id = $2 ORDER BY recorded_year, reference",
        tx.tenant,
        nominal_id,
    )
    return tuple(
        Finding(
            kind=RecordKind(row["kind"]),
            category=OffenceCategory(row["category"]),
            schedule_34a=row["schedule_34a"],
            recorded_on=PartialDate(year=row["recorded_year"]) if row["recorded_year"] else None,
            summary=row["summary"],
            grading=row["grading"],
            record_reference=row["reference"],
            managing_force=row["managing_force"],
            mappa_category=row["mappa_category"],
            mappa_level=row["mappa_level"],
            risk_level=RiskLevel(row["risk_level"]) if row["risk_level"] else None,
            conditions=tuple(row["conditions"]),
        )
        for row in rows
    )
