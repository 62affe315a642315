"""INI keeps every force's final intelligence report (6.1), retrievable by every force.

A report becomes an intelligence record on the subject's INI nominal (a new nominal when INI
did not hold the subject), so a later check by any force finds the earlier requests, with the
forces that made them. When a subject has more than one request on record, every force that
made one is told on its inbox (6.1: "patterns where a subject has many disclosure requests made
against them"), with the whole list, each time a new report lands.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from schemas import topics
from schemas.disclosure import (
    FinalIntelligenceReportV1,
    Outcome,
    RepeatedRequestsFlaggedV1,
    RequestOnRecord,
)
from schemas.envelope import Envelope, caused_by, first_envelope, source_of
from services.checks.stubs.answer import matched_nominal
from services.runtime.audit import Action
from services.runtime.names import normalise, sound_key
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def keep_report(
    tx: Transaction, *, report: FinalIntelligenceReportV1, cause: Envelope, now: datetime
) -> None:
    """Keep a closed case's final intelligence report, whoever it names; record it against the
    subject's nominal, found by the same matching rules as a check; flag repeats (6.1)."""
    nominal = await _subject_nominal(tx, report)
    if nominal is not None:
        await tx.conn.execute(
            "INSERT INTO records (tenant, nominal_id, reference, kind, category, schedule_34a,"
            " recorded_year, summary, grading) VALUES ($1, $2, $3, 'intelligence', 'other',"
            " false, $4, $5, 'A1') ON CONFLICT DO NOTHING",
            tx.tenant,
            nominal,
            report.report_reference,
            report.closed_at.year,
            f"Child Sex Offender Disclosure Scheme request to {report.force} "
            f"({report.case_reference}), outcome {report.outcome.value}: {report.summary}",
        )
    else:
        log.info("final_report_about_no_named_subject", outcome=report.outcome.value)
    kept = await tx.conn.fetchval(
        "INSERT INTO final_reports (tenant, report_reference, nominal_id, force, case_reference,"
        " outcome, closed_at, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)"
        " ON CONFLICT DO NOTHING RETURNING true",
        tx.tenant,
        report.report_reference,
        nominal,
        report.force,
        report.case_reference,
        report.outcome.value,
        report.closed_at,
        report.model_dump_json(),
    )
    if kept and nominal is not None:
        await flag_repeated_requests(tx, nominal=nominal, report=report, cause=cause, now=now)


async def _subject_nominal(tx: Transaction, report: FinalIntelligenceReportV1) -> int | None:
    """The subject's nominal: the one of the same name and year of birth, else the one a check
    would match (a partial name, an alias, a known address), else a new one; None when the
    report names no subject. A possible match is never joined: it may be a namesake (5.2.5)."""
    subject = report.subject
    if subject is None or not (subject.names or subject.aliases):
        return None
    name = (subject.names or subject.aliases)[0]
    forenames, surname = " ".join(name.forenames), name.surname or ""
    dob = subject.date_of_birth
    same = await tx.conn.fetchval(
        "SELECT n.id FROM nominals n JOIN nominal_names m"
        " ON m.tenant = n.tenant AND m.nominal_id = n.id"
        " WHERE n.tenant = $1 AND m.surname = $2 AND m.forenames = $3"
        " AND n.dob_year IS NOT DISTINCT FROM $4 LIMIT 1",
        tx.tenant,
        normalise(surname),
        normalise(forenames),
        dob.year if dob else None,
    )
    if same is not None:
        return int(same)
    matched = await matched_nominal(tx, subject)
    if matched is not None:
        return matched
    return await _new_nominal(tx, forenames, surname, report)


async def requests_on_record(tx: Transaction, *, nominal: int) -> tuple[RequestOnRecord, ...]:
    """Every request INI holds about one subject, oldest first (in order received on a tie)."""
    rows = await tx.conn.fetch(
        "SELECT force, case_reference, outcome, closed_at FROM final_reports"
        " WHERE tenant = $1 AND nominal_id = $2 ORDER BY closed_at, received",
        tx.tenant,
        nominal,
    )
    return tuple(
        RequestOnRecord(
            force=row["force"],
            case_reference=row["case_reference"],
            outcome=Outcome(row["outcome"]),
            closed_at=row["closed_at"],
        )
        for row in rows
    )


async def flag_repeated_requests(
    tx: Transaction,
    *,
    nominal: int,
    report: FinalIntelligenceReportV1,
    cause: Envelope,
    now: datetime,
) -> None:
    """Tell every force that asked about the subject, when more than one request is on record."""
    requests = await requests_on_record(tx, nominal=nominal)
    if len(requests) < 2:  # one request is no pattern
        return
    subject_reference = await tx.conn.fetchval(
        "SELECT reference FROM nominals WHERE tenant = $1 AND id = $2", tx.tenant, nominal
    )
    latest = {request.force: request.case_reference for request in requests}
    source = source_of(tx.tenant, "system")
    for force, case_reference in latest.items():
        flag = RepeatedRequestsFlaggedV1(
            force=force,
            case_reference=case_reference,
            subject_reference=subject_reference,
            requests=requests,
            flagged_at=now,
        )
        # The closing force's notice follows from its report; another force's starts afresh,
        # so no force learns the closing case's correlation.
        envelope = (
            caused_by(cause, type=flag.TYPE, source=source, time=now, subject=case_reference)
            if force == report.force
            else first_envelope(type=flag.TYPE, source=source, subject=case_reference, time=now)
        )
        tx.emit(topics.inbox(force, tx.tenant), flag, envelope)
        await tx.audit(
            Action.DISCLOSURE,
            at=now,
            actor=f"{tx.tenant}/ini",
            case_ref=case_reference,
            recipients=[force],
            reason=f"{len(requests)} disclosure requests on record about one subject (6.1)",
        )
    log.warning("repeated_requests_flagged", requests=len(requests), forces=sorted(latest))


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
