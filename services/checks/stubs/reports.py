"""INI keeps every force's final intelligence report (6.1), retrievable by every force.

A report becomes an intelligence record on the subject's INI nominal (a new nominal when INI
did not hold the subject), so a later check by any force finds the earlier requests, with the
forces that made them: several requests about one subject are seen together.
"""

from __future__ import annotations

import structlog

from schemas.disclosure import FinalIntelligenceReportV1
from services.checks.names import normalise, sound_key
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def keep_report(tx: Transaction, *, report: FinalIntelligenceReportV1) -> None:
    """Record a closed case's final intelligence report against its subject."""
    subject = report.subject
    if subject is None or not (subject.names or subject.aliases):
        log.info("final_report_without_subject_name", case=report.case_reference)
        return
    name = (subject.names or subject.aliases)[0]
    forenames = " ".join(name.forenames)
    surname = name.surname or ""
    dob = subject.date_of_birth
    year = dob.year if dob else None
    nominal = await tx.conn.fetchval(
        "SELECT n.id FROM nominals n JOIN nominal_names m"
        " ON m.tenant = n.tenant AND m.nominal_id = n.id"
        " WHERE n.tenant = $1 AND m.surname = $2 AND m.forenames = $3"
        " AND n.dob_year IS NOT DISTINCT FROM $4 LIMIT 1",
        tx.tenant,
        normalise(surname),
        normalise(forenames),
        year,
    )
    if nominal is None:
        nominal = await _new_nominal(tx, forenames, surname, report)
    earlier = await tx.conn.fetchval(
        "SELECT count(*) FROM records WHERE tenant = $1 AND nominal_id = $2"
        " AND reference LIKE 'FIR-%'",
        tx.tenant,
        nominal,
    )
    await tx.conn.execute(
        "INSERT INTO records (tenant, nominal_id, reference, kind, category, schedule_34a,"
        " recorded_year, summary, grading) VALUES ($1, $2, $3, 'intelligence', 'other', false,"
        " $4, $5, 'A1') ON CONFLICT DO NOTHING",
        tx.tenant,
        nominal,
        report.report_reference,
        report.closed_at.year,
        f"Child Sex Offender Disclosure Scheme request to {report.force} "
        f"({report.case_reference}), outcome {report.outcome.value}: {report.summary}",
    )
    if earlier:
        log.warning("repeated_requests_about_one_subject", requests=int(earlier) + 1)


async def _new_nominal(
    tx: Transaction, forenames: str, surname: str, report: FinalIntelligenceReportV1
) -> int:
    subject = report.subject
    assert subject is not None
    dob = subject.date_of_birth
    address = subject.addresses[0] if subject.addresses else None
    nominal = int(
        await tx.conn.fetchval(
            "SELECT coalesce(max(id), 0) + 1 FROM nominals WHERE tenant = $1", tx.tenant
        )
    )
    await tx.conn.execute(
        "INSERT INTO nominals (tenant, id, reference, forenames, surname, dob_year, dob_month,"
        " dob_day, address_lines, town, postcode, description, home_force)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        tx.tenant,
        nominal,
        f"INI/FIR/{report.case_reference}",
        forenames,
        surname,
        dob.year if dob else None,
        dob.month if dob else None,
        dob.day if dob else None,
        ", ".join(address.lines) if address else None,
        address.town if address else None,
        (address.postcode or "").replace(" ", "").upper() if address else None,
        subject.description,
        report.force,
    )
    await tx.conn.execute(
        "INSERT INTO nominal_names (tenant, nominal_id, position, forenames, surname,"
        " forename_initial, dob_year) VALUES ($1, $2, 0, $3, $4, $5, $6)",
        tx.tenant,
        nominal,
        normalise(forenames),
        normalise(surname),
        normalise(forenames)[:1],
        dob.year if dob else None,
    )
    await tx.conn.execute(
        "INSERT INTO surnames (tenant, surname, surname_key) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        tx.tenant,
        normalise(surname),
        sound_key(surname),
    )
    return nominal
