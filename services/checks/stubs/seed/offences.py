"""What the synthetic records say: offences with their category and Schedule 34A flag.

Schedule 34A of the Criminal Justice Act 2003 lists the child sexual offences of the scheme
(3.1, 4.5, Appendix G); the other categories are those 5.5.3 (ii) and (iii) name.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.checks import OffenceCategory, RiskLevel

C = OffenceCategory


@dataclass(frozen=True, slots=True)
class Offence:
    """An offence as PNC words it, its category, and whether Schedule 34A lists it."""

    wording: str
    category: OffenceCategory
    schedule_34a: bool = False


# One offence a line: its wording, then the Act that creates it.
_TABLE: dict[OffenceCategory, str] = {
    C.CHILD_SEXUAL: """
        Sexual assault of a child under 13 | Sexual Offences Act 2003 s.7
        Rape of a child under 13 | Sexual Offences Act 2003 s.5
        Sexual activity with a child | Sexual Offences Act 2003 s.9
        Causing or inciting a child to engage in sexual activity | Sexual Offences Act 2003 s.10
        Engaging in sexual activity in the presence of a child | Sexual Offences Act 2003 s.11
        Meeting a child following sexual grooming | Sexual Offences Act 2003 s.15
        Abuse of a position of trust: sexual activity with a child | Sexual Offences Act 2003 s.16
        Making indecent photographs of children | Protection of Children Act 1978 s.1
        Possession of indecent photographs of a child | Criminal Justice Act 1988 s.160
        Indecent assault on a girl under 16 | Sexual Offences Act 1956 s.14
        Indecency with children | Indecency with Children Act 1960 s.1
    """,
    C.SEXUAL_ADULT: """
        Rape | Sexual Offences Act 2003 s.1
        Sexual assault | Sexual Offences Act 2003 s.3
        Exposure | Sexual Offences Act 2003 s.66
        Voyeurism | Sexual Offences Act 2003 s.67
    """,
    C.VIOLENCE: """
        Assault occasioning actual bodily harm | Offences Against the Person Act 1861 s.47
        Wounding with intent | Offences Against the Person Act 1861 s.18
        Common assault | Criminal Justice Act 1988 s.39
        Robbery | Theft Act 1968 s.8
        Possession of an offensive weapon in a public place | Prevention of Crime Act 1953 s.1
        Cruelty to a child under 16 | Children and Young Persons Act 1933 s.1
    """,
    C.DOMESTIC_ABUSE: """
        Controlling or coercive behaviour in a family relationship | Serious Crime Act 2015 s.76
        Assault by beating of a partner | Criminal Justice Act 1988 s.39
        Breach of a non-molestation order | Family Law Act 1996 s.42A
        Stalking involving fear of violence | Protection from Harassment Act 1997 s.4A
    """,
    C.DRUGS: """
        Possession with intent to supply a Class A drug | Misuse of Drugs Act 1971 s.5(3)
        Possession of a Class B drug | Misuse of Drugs Act 1971 s.5(2)
        Production of a Class B drug: cannabis | Misuse of Drugs Act 1971 s.4(2)
    """,
    C.OTHER: """
        Theft | Theft Act 1968 s.1
        Burglary | Theft Act 1968 s.9
        Driving whilst disqualified | Road Traffic Act 1988 s.103
        Criminal damage | Criminal Damage Act 1971 s.1
        Fraud by false representation | Fraud Act 2006 s.2
        Handling stolen goods | Theft Act 1968 s.22
    """,
}


def _offences(category: OffenceCategory, table: str) -> tuple[Offence, ...]:
    found = []
    for line in filter(None, (line.strip() for line in table.splitlines())):
        wording, act = (part.strip() for part in line.split("|"))
        # Every child sexual offence here is one Schedule 34A lists; child cruelty is not.
        found.append(Offence(f"{wording} ({act})", category, category is C.CHILD_SEXUAL))
    return tuple(found)


OFFENCES: dict[OffenceCategory, tuple[Offence, ...]] = {
    category: _offences(category, table) for category, table in _TABLE.items()
}

SENTENCES: dict[OffenceCategory, tuple[str, ...]] = {
    C.CHILD_SEXUAL: (
        "4 years' imprisonment",
        "30 months' imprisonment",
        "community order with a sex offender treatment programme",
        "8 years' imprisonment",
        "suspended sentence of 18 months",
    ),
    C.SEXUAL_ADULT: ("6 years' imprisonment", "community order", "12 months' imprisonment"),
    C.VIOLENCE: ("18 months' imprisonment", "community order", "fine", "6 months' imprisonment"),
    C.DOMESTIC_ABUSE: (
        "restraining order and community order",
        "12 months' imprisonment",
        "suspended sentence of 6 months",
    ),
    C.DRUGS: ("3 years' imprisonment", "fine", "community order"),
    C.OTHER: ("fine", "conditional discharge", "community order", "4 months' imprisonment"),
}

COURTS = ("Crown Court", "Magistrates' Court")

INTELLIGENCE: dict[OffenceCategory, tuple[str, ...]] = {
    C.CHILD_SEXUAL: (
        "Reported to be befriending children at a local park and offering them lifts.",
        "Allegation of sexual touching of a 12-year-old; no further action on CPS advice.",
        "Messages of a sexual nature to a 14-year-old found by her parent; not proceeded with.",
        "Previous application under the Disclosure Scheme about this person; no disclosure made.",
    ),
    C.SEXUAL_ADULT: (
        "Reported for indecent exposure near a bus station; suspect not identified at the time.",
        "Allegation of sexual assault by a former partner; withdrawn by the complainant.",
    ),
    C.VIOLENCE: (
        "Named as the aggressor in a fight outside licensed premises; no complaint made.",
        "Reported to carry a knife; stop and search negative.",
    ),
    C.DOMESTIC_ABUSE: (
        "Three domestic incidents at the home address in a year; partner declined to support.",
        "DASH risk assessment high following a call from a former partner.",
    ),
    C.DRUGS: (
        "Believed to be supplying cannabis from the home address.",
        "Associates with a known county lines group.",
    ),
    C.OTHER: (
        "Believed to be handling stolen bicycles.",
        "Reported for anti-social behaviour by neighbours.",
    ),
}

GRADINGS = ("A1", "B2", "B2", "C3", "B3", "C2", "E4", "B1", "C4")

ORDER_CONDITIONS = (
    "No unsupervised contact with any child under 16 without the prior approval of children's "
    "social care.",
    "Not to reside in a household with any child under 18.",
    "Not to use any device capable of accessing the internet unless it retains its history and "
    "is made available for inspection.",
    "Not to seek or undertake any work, paid or unpaid, likely to bring contact with children.",
    "Not to enter any park or playground where children are likely to be present.",
)

RISK_LEVELS: tuple[RiskLevel, ...] = (
    RiskLevel.LOW,
    RiskLevel.MEDIUM,
    RiskLevel.MEDIUM,
    RiskLevel.HIGH,
    RiskLevel.VERY_HIGH,
)
