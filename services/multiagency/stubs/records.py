"""A stand-in agency's own records: one table of a tenant's rows, seeded or added by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from services.runtime.unit_of_work import Transaction

Source = Literal["seed", "added"]


@dataclass(frozen=True)
class Records:
    """The table a stand-in keeps its records in, and the columns a record fills."""

    table: str
    columns: tuple[str, ...]
    defaults: Mapping[str, object] = field(default_factory=dict)  # a record added by hand

    async def add(self, tx: Transaction, **fields: object) -> None:
        """Add one record by hand (a demo or a test), beside the seeded ones; a column left
        out takes its default, and one without a default must be given."""
        unknown = sorted(set(fields) - set(self.columns))
        if unknown:
            raise TypeError(f"{self.table} has no column {', '.join(unknown)}")
        values = {**self.defaults, **fields}
        missing = [column for column in self.columns if column not in values]
        if missing:
            raise TypeError(f"{self.table} needs {', '.join(missing)}")
        row = tuple(values[column] for column in self.columns)
        await self.insert(tx, rows=[row], source="added")

    async def insert(
        self, tx: Transaction, *, rows: Sequence[tuple[object, ...]], source: Source
    ) -> None:
        """Add `rows` (values in `columns` order) to the tenant's records."""
        columns = ", ".join(self.columns)
        values = ", ".join(f"${index}" for index in range(2, len(self.columns) + 3))
        await tx.conn.executemany(
            f"INSERT INTO {self.table} (tenant, {columns}, source)"  # noqa: S608 - fixed names
            f" VALUES ($1, {values})",
            [(tx.tenant, *row, source) for row in rows],
        )

    async def delete_seeded(self, tx: Transaction) -> None:
        """Remove the tenant's seeded records, keeping those added by hand."""
        await tx.conn.execute(
            f"DELETE FROM {self.table} WHERE tenant = $1 AND source = 'seed'",  # noqa: S608 - fixed names
            tx.tenant,
        )
