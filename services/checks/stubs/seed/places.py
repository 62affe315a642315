"""Where the synthetic people live: forces, their towns and postcode districts, streets."""

from __future__ import annotations

import random
import string
import zlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Area:
    """A force's area: its towns, each with its postcode districts, and its share of people."""

    towns: tuple[tuple[str, tuple[str, ...]], ...]
    weight: float


# Towns and postcode districts are real; the shares are rough population shares.
AREAS: dict[str, Area] = {
    "warwickshire": Area(
        (
            ("Rugby", ("CV21", "CV22", "CV23")),
            ("Nuneaton", ("CV10", "CV11")),
            ("Leamington Spa", ("CV31", "CV32")),
            ("Warwick", ("CV34",)),
            ("Stratford-upon-Avon", ("CV37",)),
            ("Bedworth", ("CV12",)),
            ("Kenilworth", ("CV8",)),
        ),
        2.5,
    ),
    "cleveland": Area(
        (
            ("Middlesbrough", ("TS1", "TS3", "TS4", "TS5", "TS7")),
            ("Hartlepool", ("TS24", "TS25", "TS26")),
            ("Stockton-on-Tees", ("TS18", "TS19", "TS20")),
            ("Redcar", ("TS10",)),
            ("Guisborough", ("TS14",)),
        ),
        3.0,
    ),
    "hampshire": Area(
        (
            ("Southampton", ("SO14", "SO15", "SO16", "SO17", "SO19")),
            ("Portsmouth", ("PO1", "PO2", "PO3", "PO4", "PO6")),
            ("Winchester", ("SO22", "SO23")),
            ("Basingstoke", ("RG21", "RG22", "RG24")),
            ("Aldershot", ("GU11", "GU12")),
            ("Andover", ("SP10", "SP11")),
        ),
        8.0,
    ),
    "cambridgeshire": Area(
        (
            ("Cambridge", ("CB1", "CB2", "CB4", "CB5")),
            ("Peterborough", ("PE1", "PE2", "PE3", "PE4")),
            ("Ely", ("CB6", "CB7")),
            ("Huntingdon", ("PE29",)),
            ("St Neots", ("PE19",)),
            ("Wisbech", ("PE13",)),
        ),
        3.5,
    ),
    "west-midlands": Area(
        (
            ("Birmingham", tuple(f"B{n}" for n in range(1, 45))),
            ("Coventry", ("CV1", "CV2", "CV3", "CV4", "CV5", "CV6")),
            ("Wolverhampton", tuple(f"WV{n}" for n in range(1, 15))),
            ("Walsall", ("WS1", "WS2", "WS3", "WS4", "WS5")),
            ("Dudley", ("DY1", "DY2", "DY3")),
        ),
        12.0,
    ),
    "greater-manchester": Area(
        (
            ("Manchester", tuple(f"M{n}" for n in range(1, 41))),
            ("Salford", ("M5", "M6", "M7")),
            ("Bolton", ("BL1", "BL2", "BL3")),
            ("Wigan", ("WN1", "WN2", "WN3", "WN5", "WN6")),
            ("Stockport", tuple(f"SK{n}" for n in range(1, 8))),
        ),
        12.0,
    ),
    "west-yorkshire": Area(
        (
            ("Leeds", tuple(f"LS{n}" for n in range(1, 29))),
            ("Bradford", tuple(f"BD{n}" for n in range(1, 11))),
            ("Huddersfield", ("HD1", "HD2", "HD3", "HD4", "HD5")),
            ("Wakefield", ("WF1", "WF2", "WF3", "WF4")),
        ),
        9.0,
    ),
    "merseyside": Area(
        (
            ("Liverpool", tuple(f"L{n}" for n in range(1, 37))),
            ("Birkenhead", ("CH41", "CH42", "CH43")),
            ("St Helens", ("WA9", "WA10", "WA11")),
            ("Southport", ("PR8", "PR9")),
        ),
        7.0,
    ),
    "thames-valley": Area(
        (
            ("Oxford", ("OX1", "OX2", "OX3", "OX4")),
            ("Reading", ("RG1", "RG2", "RG4", "RG5", "RG6")),
            ("Milton Keynes", tuple(f"MK{n}" for n in range(1, 16))),
            ("Slough", ("SL1", "SL2", "SL3")),
            ("High Wycombe", ("HP11", "HP12", "HP13")),
        ),
        8.0,
    ),
    "metropolitan": Area(
        (
            ("London", tuple(f"E{n}" for n in range(1, 18))),
            ("London", tuple(f"N{n}" for n in range(1, 23))),
            ("London", tuple(f"SE{n}" for n in range(1, 29))),
            ("London", tuple(f"SW{n}" for n in range(1, 21))),
            ("London", tuple(f"NW{n}" for n in range(1, 12))),
        ),
        30.0,
    ),
}

DEFAULT_FORCES: tuple[str, ...] = tuple(AREAS)

# For a force without a known area (a test's own force): towns of its own, made up.
_GENERIC_TOWNS = ("Ashbury", "Newbridge", "Kingsford", "Eastwick", "Millbrook", "Westleigh")
_STREET_STEMS = (
    "Mill",
    "Church",
    "Station",
    "Victoria",
    "Queen's",
    "King's",
    "Park",
    "Manor",
    "Priory",
    "High",
    "Chapel",
    "School",
    "Orchard",
    "Meadow",
    "Oak",
    "Elm",
    "Willow",
    "Beech",
    "Ash",
    "Cedar",
    "Windsor",
    "York",
    "Albert",
    "Grange",
    "Springfield",
    "Highfield",
    "Westfield",
    "Brook",
    "Hill",
    "Green",
    "Castle",
    "Abbey",
    "Bridge",
    "Market",
    "North",
    "South",
)
_STREET_KINDS = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Gardens",
    "Grove",
    "Place",
    "Terrace",
    "Court",
    "Walk",
    "Mews",
    "Row",
    "Rise",
    "View",
)
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters the inward part of a postcode uses


def area_of(force: str) -> Area:
    """The area of a force, inventing a stable one for a force we do not know."""
    if force in AREAS:
        return AREAS[force]
    dice = random.Random(zlib.crc32(force.encode()))  # noqa: S311 - a made-up area, not secrecy
    code = "".join(dice.choices(string.ascii_uppercase, k=2))
    towns = tuple(
        (town, tuple(f"{code}{n}" for n in range(i * 4 + 1, i * 4 + 5)))
        for i, town in enumerate(_GENERIC_TOWNS)
    )
    return Area(towns, 5.0)


def address(rng: random.Random, force: str) -> tuple[str, str, str]:
    """A street line, town and postcode in a force's area."""
    town, districts = rng.choice(area_of(force).towns)
    street = f"{rng.randint(1, 180)} {rng.choice(_STREET_STEMS)} {rng.choice(_STREET_KINDS)}"
    postcode = (
        f"{rng.choice(districts)} {rng.randint(1, 9)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"
    )
    return street, town, postcode
