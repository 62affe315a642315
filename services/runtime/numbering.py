"""Case numbers: a force's cases of a year numbered 1, 2, 3... by the service that opens them.

A service that opens cases keeps a `case_numbers (tenant, year, last_number)` table in its
own schema (intake for enquiries, multi-agency for cases opened on a handoff, 4.9).
"""

from __future__ import annotations

from services.runtime.unit_of_work import Transaction


async def next_case_number(tx: Transaction, *, year: int) -> int:
    """Allocate the next case number of the transaction's force in `year`."""
    number = await tx.conn.fetchval(
        "INSERT INTO case_numbers (tenant, year, last_number) VALUES ($1, $2, 1)"
        " ON CONFLICT (tenant, year) DO UPDATE SET last_number = case_numbers.last_number + 1"
        " RETURNING last_number",
        tx.tenant,
        year,
    )
    return int(number)
