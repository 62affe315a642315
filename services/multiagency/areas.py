"""Which force, children's social care and probation region serve an address (4.9, 4.10, 5.4.5).

A small directory of the pilot forces' areas, by town and postcode area. Postcode areas do
not follow force boundaries exactly; a real deployment replaces this with a gazetteer, and a
deployment or a test adds areas with CSODS_MULTIAGENCY_AREAS. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.parties import Address

_OUTWARD_LETTERS = re.compile(r"^([A-Z]{1,2})\d")


@dataclass(frozen=True, slots=True)
class Area:
    """One force's area and the agencies that serve it."""

    force: str
    childrens_social_care: str
    probation: str
    postcode_areas: frozenset[str] = frozenset()
    towns: frozenset[str] = frozenset()


PILOT_AREAS: tuple[Area, ...] = (
    Area(
        "warwickshire",
        "csc-warwickshire",
        "probation-west-midlands",
        frozenset({"CV"}),
        frozenset({"warwick", "leamington spa", "rugby", "nuneaton", "stratford-upon-avon"}),
    ),
    Area(
        "cleveland",
        "csc-cleveland",
        "probation-north-east",
        frozenset({"TS"}),
        frozenset({"middlesbrough", "stockton-on-tees", "hartlepool", "redcar"}),
    ),
    Area(
        "hampshire",
        "csc-hampshire",
        "probation-south-central",
        frozenset({"SO", "PO"}),
        frozenset({"southampton", "portsmouth", "winchester", "basingstoke"}),
    ),
    Area(
        "cambridgeshire",
        "csc-cambridgeshire",
        "probation-east-of-england",
        frozenset({"CB", "PE"}),
        frozenset({"cambridge", "peterborough", "ely", "huntingdon"}),
    ),
)


def postcode_area(postcode: str | None) -> str | None:
    """The letters a UK postcode starts with ('CV' of 'CV32 5AA'), if it has any."""
    if not postcode:
        return None
    match = _OUTWARD_LETTERS.match(postcode.strip().upper())
    return match.group(1) if match else None


@dataclass(frozen=True)
class Directory:
    """The areas a force knows: its own and those it hands cases to."""

    areas: tuple[Area, ...] = PILOT_AREAS
    _by_force: dict[str, Area] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_force", {area.force: area for area in self.areas})

    def with_areas(self, extra: Iterable[Area]) -> Directory:
        """This directory with `extra` areas added; an area of the same force replaces it."""
        merged = {**self._by_force, **{area.force: area for area in extra}}
        return Directory(tuple(merged.values()))

    def knows(self, force: str) -> bool:
        """Whether `force` is a force of the directory (handoffs go only to those)."""
        return force in self._by_force

    def area(self, force: str) -> Area:
        """A force's area; a force not listed is served by agencies named after it."""
        return self._by_force.get(force) or Area(force, f"csc-{force}", f"probation-{force}")

    def force_for(self, address: Address) -> str | None:
        """The force whose area holds `address`: by town first, then by postcode area."""
        town = (address.town or "").strip().lower()
        letters = postcode_area(address.postcode)
        for area in self.areas:
            if town and town in area.towns:
                return area.force
        for area in self.areas:
            if letters and letters in area.postcode_areas:
                return area.force
        return None
