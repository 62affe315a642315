"""What PostgreSQL did for a step: its backends' CPU and which tables it scanned whole."""

from __future__ import annotations

import asyncpg


async def backend_pids(owner_url: str) -> list[int]:
    """The server processes serving the run's database (the services' pools), not this one."""
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [int(row["pid"]) for row in rows]


async def table_scans(owner_url: str) -> dict[str, tuple[int, int, int]]:
    """Per table: sequential scans, rows they read, index scans (cumulative counters)."""
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT schemaname || '.' || relname AS name, seq_scan, seq_tup_read,"
            " coalesce(idx_scan, 0) AS idx_scan FROM pg_stat_user_tables"
        )
    finally:
        await conn.close()
    return {row["name"]: (row["seq_scan"], row["seq_tup_read"], row["idx_scan"]) for row in rows}


def scans_between(
    before: dict[str, tuple[int, int, int]],
    after: dict[str, tuple[int, int, int]],
    *,
    cases: int,
    top: int = 6,
) -> list[dict[str, object]]:
    """The tables whose whole-table scans read the most rows per case in between."""
    found = []
    for name, (seq, read, index) in after.items():
        seq0, read0, index0 = before.get(name, (0, 0, 0))
        if read - read0 > 0:
            found.append(
                {
                    "table": name,
                    "seq_scans": seq - seq0,
                    "rows_read_per_case": round((read - read0) / max(cases, 1), 1),
                    "index_scans": index - index0,
                }
            )
    found.sort(key=lambda row: -float(str(row["rows_read_per_case"])))
    return found[:top]
