"""Names as a search sees them: normalised, keyed by sound, with their common short forms.

Shared by the checks' matching and the stand-ins' searches, and by intake's search of its own
cases for staff, so one name is found the same way everywhere.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import jellyfish

# Forenames and the short forms people go by: a subject may use either (5.2.5).
_DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "sandy", "xander"),
    "alexandra": ("alex", "sandra", "lexi"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony",),
    "benjamin": ("ben", "benji"),
    "catherine": ("cathy", "kate", "katie", "kat"),
    "charles": ("charlie", "chas", "chuck"),
    "christopher": ("chris", "kit"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy"),
    "deborah": ("debbie", "deb"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza"),
    "frederick": ("fred", "freddie"),
    "gregory": ("greg",),
    "henry": ("harry", "hal"),
    "jacqueline": ("jackie",),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny"),
    "john": ("jack", "johnny"),
    "jonathan": ("jon", "jonny"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "katherine": ("kate", "katie", "kathy", "kat"),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurie"),
    "leonard": ("len", "lenny"),
    "margaret": ("maggie", "meg", "peggy", "margo"),
    "matthew": ("matt",),
    "michael": ("mike", "mick", "mickey", "micky"),
    "nicholas": ("nick", "nicky"),
    "patricia": ("pat", "patsy", "trish"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil",),
    "rebecca": ("becky", "becca"),
    "richard": ("rich", "rick", "ricky", "dick"),
    "robert": ("rob", "bob", "bobby", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samuel": ("sam", "sammy"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie"),
    "terence": ("terry",),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"),
    "william": ("will", "bill", "billy", "liam"),
}

# Each short form leads back to every full form that has it.
_FULL_FORMS: dict[str, frozenset[str]] = {}
for _full, _shorts in _DIMINUTIVES.items():
    for _short in _shorts:
        _FULL_FORMS[_short] = _FULL_FORMS.get(_short, frozenset()) | {_full}


def normalise(text: str) -> str:
    """Lower case ASCII letters only: accents, spaces, hyphens and apostrophes dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalpha())


@lru_cache(maxsize=65536)
def sound_key(name: str) -> str:
    """The phonetic key used for blocking: metaphone of the normalised name."""
    plain = normalise(name)
    return jellyfish.metaphone(plain) if plain else ""


@lru_cache(maxsize=65536)
def sounds_alike(left: str, right: str) -> bool:
    """Whether two normalised names share a metaphone or NYSIIS code."""
    if not left or not right:
        return False
    return jellyfish.metaphone(left) == jellyfish.metaphone(right) or (
        jellyfish.nysiis(left) == jellyfish.nysiis(right)
    )


def forms_of(forename: str) -> frozenset[str]:
    """A normalised forename with its full and short forms (Bill: bill, william, will...)."""
    fulls = _FULL_FORMS.get(forename, frozenset()) | (
        {forename} if forename in _DIMINUTIVES else frozenset()
    )
    forms = {forename, *fulls}
    for full in fulls:
        forms.update(_DIMINUTIVES[full])
    return frozenset(forms)


def diminutive_of(left: str, right: str) -> bool:
    """Whether two different normalised forenames are full and short forms of one name."""
    return left != right and right in forms_of(left)


def short_forms(full: str) -> tuple[str, ...]:
    """The short forms of a normalised full forename (none for most names)."""
    return _DIMINUTIVES.get(full, ())
