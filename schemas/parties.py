"""The people of a case and what is known of them (4.3-4.6, 5.2.5-5.2.7)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import model_validator

from schemas.base import Part
from schemas.fields import field, personal
from schemas.types import FreeText, PartyId


class PartialDate(Part):
    """A date of birth as far as it is known: any of year, month and day may be missing."""

    year: int | None = personal("Year, if known.", 1984, default=None, ge=1900, le=2100)
    month: int | None = personal("Month 1-12, if known.", 7, default=None, ge=1, le=12)
    day: int | None = personal("Day of the month, if known.", 14, default=None, ge=1, le=31)

    RULES: ClassVar[tuple[str, ...]] = (
        "day given without month",
        "a full date is a real day of its month and year",
    )

    @model_validator(mode="after")
    def _real_date(self) -> Self:
        if self.day is not None and self.month is None:
            raise ValueError(self.RULES[0])
        if self.year is not None and self.month is not None and self.day is not None:
            try:
                date(self.year, self.month, self.day)  # raises for 31 February
            except ValueError:
                raise ValueError(self.RULES[1]) from None
        return self

    @property
    def complete(self) -> bool:
        """Whether year, month and day are all known."""
        return None not in (self.year, self.month, self.day)


class PersonName(Part):
    """A name as given: forenames and surname, either of which may be unknown."""

    forenames: tuple[str, ...] = personal(
        "Forenames in order; empty when unknown.", ["Michael", "John"], default=()
    )
    surname: str | None = personal("Surname, if known.", "Smith", default=None, max_length=100)

    RULES: ClassVar[tuple[str, ...]] = ("a name needs a forename or a surname",)

    @model_validator(mode="after")
    def _some_name(self) -> Self:
        if not self.forenames and not self.surname:
            raise ValueError(self.RULES[0])
        return self


class Address(Part):
    """A postal address."""

    lines: tuple[str, ...] = personal(
        "Street lines, first to last.", ["14 Priory Road"], min_length=1, max_length=5
    )
    town: str | None = personal("Town or city.", "Leamington Spa", default=None, max_length=80)
    postcode: str | None = personal(
        "UK postcode, if known.", "CV32 5AA", default=None, max_length=10
    )

    def same_home(self, other: Address) -> bool:
        """The same home, as far as two written addresses show: the first line, and the
        postcode where both give one (spacing, case and punctuation aside)."""
        if (
            self.postcode
            and other.postcode
            and _squeezed(self.postcode) != _squeezed(other.postcode)
        ):
            return False
        return _squeezed(self.lines[0]) == _squeezed(other.lines[0])


def _squeezed(text: str) -> str:
    return "".join(character for character in text.casefold() if character.isalnum())


class ContactMethod(StrEnum):
    """How the applicant may be contacted (5.1.6)."""

    MOBILE_PHONE = "mobile-phone"
    LANDLINE = "landline"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in-person"
    THROUGH_AGENCY = "through-agency"


class ContactArrangements(Part):
    """How, where and when it is safe to contact the applicant, and where not (5.1.6, 5.2.5).

    The applicant may be asking about someone they live with, without that person knowing.
    """

    how: ContactMethod = field("The safe way to make contact.", "mobile-phone")
    where: FreeText = personal("Where contact is safe: number, address.", "07700 900123")
    when: FreeText = personal("When contact is safe.", "Weekdays 09:00-15:00")
    not_to_contact: FreeText | None = personal(
        "Where or how contact must not be made, or 'none'. Optional in the message, but "
        "intake refuses to register an enquiry or record an application without it (5.1.6, "
        "5.2.5): an applicant may be asking about someone they live with.",
        "Never call the home landline",
        default=None,
    )


class Consent(Part):
    """The applicant's consent to sharing with other agencies (5.1.12)."""

    to_share_with_agencies: bool = field(
        "Whether the applicant consents to the police sharing their data with other agencies "
        "such as children's social care.",
        True,
    )
    told_sharing_may_happen_without_consent: bool = field(
        "Whether it was explained that sharing may happen without consent when concerns "
        "about a child's safety or welfare are identified.",
        True,
    )


class RiskQuestion(StrEnum):
    """The immediate-risk checklist of the initial contact (5.1.8, Appendix B section 4)."""

    CHILD_HAS_DISCLOSED_HARM = "child-has-disclosed-harm"
    CHILD_SHOWS_SIGNS_OF_HARM = "child-shows-signs-of-harm"
    SUBJECT_HAS_UNSUPERVISED_ACCESS_NOW = "subject-has-unsupervised-access-now"
    SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING = "subject-behaviour-sexualised-or-grooming"
    THREATS_OR_VIOLENCE = "threats-or-violence"
    APPLICANT_AT_RISK_FROM_SUBJECT = "applicant-at-risk-from-subject"


class RiskAnswer(Part):
    """One question of the immediate-risk checklist and its answer."""

    question: RiskQuestion = field("The question asked.", "subject-has-unsupervised-access-now")
    answer: bool | None = field(
        "Yes, no, or unknown (None) when the applicant could not say (5.1.10).", False
    )
    note: FreeText | None = personal(
        "What the applicant said.", "Babysits on Saturdays", default=None
    )


class Relationship(StrEnum):
    """The applicant's relationship or connection to a child (5.1.3, 5.2.5)."""

    PARENT = "parent"
    STEP_PARENT = "step-parent"
    GUARDIAN = "guardian"
    CARER = "carer"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other-relative"
    NEIGHBOUR = "neighbour"
    FRIEND = "friend"
    OTHER = "other"


class Child(Part):
    """A child under 18 with whom the subject has, or may have, contact (4.6, 4.7)."""

    party: PartyId = field("This child's id within the case.", "child-1")
    name: PersonName = personal("The child's name.", {"forenames": ["Amy"], "surname": "Jones"})
    date_of_birth: PartialDate | None = personal(
        "The child's date of birth.", {"year": 2019, "month": 3, "day": 2}, default=None
    )
    relationship_to_applicant: Relationship = field(
        "The applicant's relationship or connection to the child.", "parent"
    )
    relationship_verified: bool = field(
        "Whether the relationship was verified (5.2.5: as far as possible).", True
    )
    address: Address | None = personal(
        "Where the child lives, if not with the applicant.", None, default=None
    )


SUBJECT_EXAMPLE = {
    "names": [{"forenames": ["Mark"], "surname": "Taylor"}],
    "date_of_birth": {"year": 1981},
}
"""The subject every contract's examples speak of (as the schemas show him)."""


class SubjectParticulars(Part):
    """Everything known of the subject: possibly partial, possibly false (5.2.5)."""

    names: tuple[PersonName, ...] = personal(
        "Names the subject is known by.",
        [{"forenames": ["Mark"], "surname": "Taylor"}],
        default=(),
    )
    aliases: tuple[PersonName, ...] = personal(
        "Other names the subject uses or has used.",
        [{"forenames": ["Marc"], "surname": None}],
        default=(),
    )
    date_of_birth: PartialDate | None = personal(
        "Date of birth as far as known.", {"year": 1981}, default=None
    )
    addresses: tuple[Address, ...] = personal(
        "Addresses, current first.", [{"lines": ["3 Mill Lane"], "town": "Rugby"}], default=()
    )
    description: FreeText | None = personal(
        "Physical description.", "Tall, shaved head, tattoo on left forearm", default=None
    )
    contact_with_child: FreeText | None = personal(
        "How the subject has contact with the child (4.7).", "Mother's new partner", default=None
    )

    RULES: ClassVar[tuple[str, ...]] = ("the subject needs a name, an alias or a description",)

    @model_validator(mode="after")
    def _identifies_someone(self) -> Self:
        if not (self.names or self.aliases or self.description):
            raise ValueError(self.RULES[0])
        return self


class Applicant(Part):
    """The applicant's own particulars, which must be verifiable (5.2.5)."""

    name: PersonName = personal(
        "The applicant's name.", {"forenames": ["Sarah"], "surname": "Jones"}
    )
    date_of_birth: PartialDate = personal("Date of birth.", {"year": 1990, "month": 5, "day": 21})
    address: Address = personal(
        "Home address.", {"lines": ["14 Priory Road"], "town": "Leamington Spa"}
    )


class IdentityEvidence(StrEnum):
    """How the applicant's identity was verified (5.2.6, 5.2.7)."""

    PASSPORT = "passport"
    DRIVING_LICENCE = "driving-licence"
    OTHER_PHOTO_ID = "other-photo-id"
    BIRTH_CERTIFICATE = "birth-certificate"
    UTILITY_BILL = "utility-bill"
    BANK_STATEMENT = "bank-statement"
    BENEFIT_BOOK = "benefit-book"
    AGENCY_CONFIRMATION = "agency-confirmation"


class IdentityVerification(Part):
    """Whether and how the applicant's identity was verified (5.2.6-5.2.8)."""

    verified: bool = field("Whether identity was verified.", True)
    evidence: tuple[IdentityEvidence, ...] = field(
        "What was seen; photo identification is best practice (5.2.7).",
        ["passport", "utility-bill"],
        default=(),
    )
    confirming_agency: str | None = personal(
        "Who confirmed identity, when another agency did (5.2.7).", None, default=None
    )

    RULES: ClassVar[tuple[str, ...]] = (
        "a verified identity names its evidence",
        "agency confirmation names the confirming agency",
    )

    @model_validator(mode="after")
    def _evidence_for_verified(self) -> Self:
        if self.verified and not self.evidence:
            raise ValueError(self.RULES[0])
        if IdentityEvidence.AGENCY_CONFIRMATION in self.evidence and not self.confirming_agency:
            raise ValueError(self.RULES[1])
        return self


class PartyRole(StrEnum):
    """The three kinds of party (4.3, 4.4, 4.6)."""

    APPLICANT = "applicant"
    CHILD = "child"
    SUBJECT = "subject"


def role_of(party: str) -> PartyRole:
    """The role of a party id."""
    return PartyRole.CHILD if party.startswith("child-") else PartyRole(party)
