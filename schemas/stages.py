"""The six stages of the scheme and their deadlines (circular section 5)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A stage of the process (5.1-5.6)."""

    INITIAL_CONTACT = "initial-contact"  # 5.1
    FACE_TO_FACE = "face-to-face"  # 5.2
    EMPOWERMENT = "empowerment"  # 5.3
    FULL_RISK_ASSESSMENT = "full-risk-assessment"  # 5.4
    DECISION = "decision"  # 5.5
    OUTCOME_AND_CLOSURE = "outcome-and-closure"  # 5.6 and 6


class Deadline(StrEnum):
    """The three clocks a case runs against (section 5 summary)."""

    STAGE_ONE = "stage-one"  # 24 hours, 5.1.13
    RISK_ASSESSMENT = "risk-assessment"  # 10 days, 5.4.8 (28 days under the 2023 guidance)
    CLOSURE = "closure"  # 45 days, 5.6.27


class SchemeProfile(StrEnum):
    """The guidance whose timescales a case runs under (docs/architecture.md, section 6)."""

    CSODS_2010 = "csods-2010"
    CSODS_2023 = "csods-2023"
    DVDS_2023 = "dvds-2023"
