"""The online application: the form's fields, read into `RegisterEnquiryV1` or refused.

Every refusal names the field it is about, in words an applicant understands, so the form
can show it beside the field. Lengths are the contract's (a name 100 characters, a town 80,
a postcode 10, free text 8,000). The parts of the message are built one at a time, so a
part the contract refuses is refused at its own field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from schemas.intake import Channel, InitialContactDetails, RegisterEnquiryV1
from schemas.parties import (
    Address,
    Applicant,
    Child,
    Consent,
    ContactArrangements,
    ContactMethod,
    PartialDate,
    PersonName,
    Relationship,
    RiskAnswer,
    RiskQuestion,
    SubjectParticulars,
)
from services.portal.rules import broken_rules

log = structlog.get_logger(__name__)

# The immediate-risk checklist (5.1.8, Appendix B section 4), asked as the applicant would
# be asked it. The applicant's own risk (5.1.7) is the message's `applicant_at_risk`.
QUESTIONS: tuple[tuple[RiskQuestion, str], ...] = (
    (RiskQuestion.CHILD_HAS_DISCLOSED_HARM, "Has a child told you they have been harmed?"),
    (RiskQuestion.CHILD_SHOWS_SIGNS_OF_HARM, "Does a child show signs of being harmed?"),
    (
        RiskQuestion.SUBJECT_HAS_UNSUPERVISED_ACCESS_NOW,
        "Can the person you are worried about be alone with a child now?",
    ),
    (
        RiskQuestion.SUBJECT_BEHAVIOUR_SEXUALISED_OR_GROOMING,
        "Has the person behaved in a sexual way towards a child, or tried to get close to a "
        "child in a way that worries you?",
    ),
    (RiskQuestion.THREATS_OR_VIOLENCE, "Has the person threatened anyone or been violent?"),
    (RiskQuestion.APPLICANT_AT_RISK_FROM_SUBJECT, "Are you afraid the person may harm you?"),
)
ANSWERS = (("yes", "Yes"), ("no", "No"), ("unknown", "I do not know"))
_ANSWER = {"yes": True, "no": False, "unknown": None}

RELATIONSHIPS = (
    ("", "Choose"),
    (Relationship.PARENT.value, "I am their parent"),
    (Relationship.STEP_PARENT.value, "I am their step-parent"),
    (Relationship.GUARDIAN.value, "I am their guardian"),
    (Relationship.CARER.value, "I look after them (carer)"),
    (Relationship.GRANDPARENT.value, "I am their grandparent"),
    (Relationship.OTHER_RELATIVE.value, "I am another relative"),
    (Relationship.NEIGHBOUR.value, "I am a neighbour"),
    (Relationship.FRIEND.value, "I am a friend of the family"),
    (Relationship.OTHER.value, "Something else"),
)
METHODS = (
    (ContactMethod.MOBILE_PHONE.value, "Mobile phone"),
    (ContactMethod.LANDLINE.value, "Landline phone"),
    (ContactMethod.EMAIL.value, "Email"),
    (ContactMethod.LETTER.value, "Letter"),
    (ContactMethod.IN_PERSON.value, "In person, at a place you tell us"),
    (
        ContactMethod.THROUGH_AGENCY.value,
        "Through someone who works with you, like a social worker",
    ),
)
_RELATIONSHIPS = frozenset(relationship.value for relationship in Relationship)
_METHODS = frozenset(method.value for method in ContactMethod)
CHILDREN = 3
UNDERSTOOD = "consent_understood"
SUBMISSION = re.compile(r"^portal-[0-9a-f]{16}$")

# Each text field: what a refusal calls it, and its longest (the contract's where it has one).
NAME, LINE, TOWN, POSTCODE, NUMBER, FREE = 100, 200, 80, 10, 4, 8000


def _fields() -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {"request": ("What you are worried about", FREE)}
    for question, _ in QUESTIONS:
        found[risk_field(question)] = ("Your answer", 10)
    for number in range(1, CHILDREN + 1):
        child = f"child{number}"
        found |= {
            f"{child}_forenames": ("The child's first names", NAME),
            f"{child}_surname": ("The child's last name", NAME),
            **_date_parts(f"{child}_dob", "The child's date of birth"),
            f"{child}_relationship": ("How you know the child", 20),
        }
    found |= {
        "subject_forenames": ("Their first names", NAME),
        "subject_surname": ("Their last name", NAME),
        "subject_description": ("What they look like", FREE),
        "subject_year_of_birth": ("The year they were born", NUMBER),
        "subject_street": ("Their street", LINE),
        "subject_town": ("Their town", TOWN),
        "subject_contact_with_child": ("How they know the child", FREE),
        "applicant_forenames": ("Your first names", NAME),
        "applicant_surname": ("Your last name", NAME),
        **_date_parts("applicant_dob", "Your date of birth"),
        "applicant_line1": ("The first line of your address", LINE),
        "applicant_line2": ("The second line of your address", LINE),
        "applicant_town": ("Your town", TOWN),
        "applicant_postcode": ("Your postcode", POSTCODE),
        "contact_how": ("How we can contact you", 20),
        "contact_where": ("Where we can contact you", FREE),
        "contact_when": ("When we can contact you", FREE),
        "not_to_contact": ("Where or how we must not contact you", FREE),
        "consent_share": ("Your answer", 10),
    }
    return found


def _date_parts(name: str, label: str) -> dict[str, tuple[str, int]]:
    return {f"{name}_{part}": (label, NUMBER) for part in ("day", "month", "year")}


def risk_field(question: RiskQuestion) -> str:
    """The form field of one immediate-risk question."""
    return "risk_" + question.value.replace("-", "_")


FIELDS = _fields()
# Where each refusal may be shown, in the order of the page (the error summary's order).
ORDER: tuple[str, ...] = tuple(
    dict.fromkeys(re.sub(r"_(day|month|year)$", "", name) for name in (*FIELDS, UNDERSTOOD, "send"))
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def new_submission_id() -> str:
    """A random id for one application, made when its form is first shown."""
    return f"portal-{secrets.token_hex(8)}"


def reference(submission_id: str) -> str:
    """What the applicant is shown to quote: the submission's random part, in fours.

    It says nothing of anyone; staff find the enquiry by it (its submission id).
    """
    code = submission_id.removeprefix("portal-").upper()
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def read(form: Any) -> dict[str, Any]:
    """The submitted answers, trimmed, control characters taken out (a database refuses NUL).

    `form` is the request's form data: `.get` and `.getlist`.
    """
    values: dict[str, Any] = {}
    for name in FIELDS:
        raw = form.get(name)
        values[name] = _CONTROL.sub("", raw).strip() if isinstance(raw, str) else ""
    values[UNDERSTOOD] = ["yes"] if "yes" in form.getlist(UNDERSTOOD) else []
    return values


def any_danger(values: Mapping[str, Any]) -> bool:
    """Whether any immediate-risk question was answered yes (the page then says call 999)."""
    return any(values.get(risk_field(question)) == "yes" for question, _ in QUESTIONS)


@dataclass(frozen=True)
class Checked:
    """An application ready to send, or what is wrong with it, by field."""

    enquiry: RegisterEnquiryV1 | None
    errors: dict[str, str]


def check(
    values: Mapping[str, Any], *, force: str, submission_id: str, received_at: datetime
) -> Checked:
    """The enquiry the answers make, or every refusal at its field."""
    errors: dict[str, str] = {}
    for name, (label, limit) in FIELDS.items():
        if len(values.get(name, "")) > limit:
            errors.setdefault(_shown_at(name), f"{label} must be {limit:,} characters or fewer")
    today = received_at.date()
    request = values["request"] or None
    if request is None:
        errors.setdefault("request", "Tell us what you are worried about")
    answers = _risk_answers(values, errors)
    children = _children(values, errors, today)
    subject = _subject(values, errors, today)
    applicant = _applicant(values, errors, today)
    contact = _contact(values)
    consent = _consent(values)
    # The rules intake keeps, on the contact and consent the enquiry would carry.
    probe = InitialContactDetails(
        channel=Channel.ONLINE_PORTAL, received_at=received_at, contact=contact, consent=consent
    )
    _rule_errors(broken_rules(probe), values, errors)
    if errors:
        return Checked(None, _ordered(errors))
    try:
        enquiry = RegisterEnquiryV1(
            submission_id=submission_id,
            force=force,
            channel=Channel.ONLINE_PORTAL,
            received_at=received_at,
            contact=contact,
            consent=consent,
            applicant_at_risk=answers.pop(RiskQuestion.APPLICANT_AT_RISK_FROM_SUBJECT),
            immediate_risk=tuple(
                RiskAnswer(question=question, answer=answer) for question, answer in answers.items()
            ),
            subject=subject,
            children_identified=True,
            request=request,
            applicant=applicant,
            children=tuple(children),
        )
    except ValidationError as exc:
        return Checked(None, _contract_errors(exc))
    _rule_errors(broken_rules(enquiry), values, errors)
    return Checked(None if errors else enquiry, _ordered(errors))


def _shown_at(name: str) -> str:
    return re.sub(r"_(day|month|year)$", "", name)


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    return {name: errors[name] for name in sorted(errors, key=ORDER.index)}


def _risk_answers(values: Mapping[str, Any], errors: dict[str, str]) -> dict[RiskQuestion, Any]:
    answers: dict[RiskQuestion, bool | None] = {}
    for question, _ in QUESTIONS:
        given = values[risk_field(question)]
        if given not in _ANSWER:
            errors.setdefault(risk_field(question), "Answer yes, no or I do not know")
        answers[question] = _ANSWER.get(given)
    return answers


def _name(
    values: Mapping[str, Any], prefix: str, errors: dict[str, str], missing: str | None
) -> PersonName | None:
    forenames = tuple(values[f"{prefix}_forenames"].split())
    surname = values[f"{prefix}_surname"] or None
    if not forenames and not surname:
        if missing:
            errors.setdefault(f"{prefix}_forenames", missing)
        return None
    try:
        return PersonName(forenames=forenames, surname=surname)
    except ValidationError:
        errors.setdefault(f"{prefix}_forenames", "Check the name: it could not be read")
        return None


def _date(
    values: Mapping[str, Any],
    name: str,
    errors: dict[str, str],
    *,
    today: date,
    whole: bool,
    label: str,
) -> PartialDate | None:
    """A date of birth from its three boxes: all three when `whole`, else as far as known."""
    parts = [values[f"{name}_{part}"] for part in ("day", "month", "year")]
    if not any(parts):
        if whole:
            errors.setdefault(name, f"Enter {label}")
        return None
    refusal = _date_refusal(parts, today=today, whole=whole, label=label)
    if refusal is not None:
        errors.setdefault(name, refusal)
        return None
    day, month, year = (int(part) if part else None for part in parts)
    return PartialDate(year=year, month=month, day=day)


def _date_refusal(parts: list[str], *, today: date, whole: bool, label: str) -> str | None:
    """What is wrong with a date as given in its boxes, if anything."""
    if not all(part.isdigit() for part in parts if part):
        return f"Enter {label} in numbers, like 21 5 1990"
    day, month, year = (int(part) if part else None for part in parts)
    if whole and None in (day, month, year):
        return f"Enter {label} with a day, a month and a year"
    if year is not None and not 1900 <= year <= today.year:
        return f"Enter the year of {label} with 4 numbers, like 1990"
    try:
        PartialDate(year=year, month=month, day=day)
    except ValidationError:
        return f"Enter {label} as a real date, or leave the day out"
    if (
        day is not None
        and month is not None
        and year is not None
        and date(year, month, day) > today
    ):
        return f"Enter {label}: it must be in the past"
    return None


def _under_18(born: PartialDate | None, today: date) -> bool:
    """Whether a child can be under 18 as far as the date shows (4.6: a child is under 18)."""
    if born is None or born.year is None:
        return True
    if born.complete:
        assert born.month is not None
        assert born.day is not None
        had_birthday = (today.month, today.day) >= (born.month, born.day)
        return today.year - born.year - int(not had_birthday) < 18
    return today.year - born.year <= 18


def _children(values: Mapping[str, Any], errors: dict[str, str], today: date) -> list[Child]:
    children: list[Child] = []
    for number in range(1, CHILDREN + 1):
        prefix = f"child{number}"
        parts = [name for name in FIELDS if name.startswith(f"{prefix}_")]
        if number > 1 and not any(values[name] for name in parts):
            continue  # a second or third child only when something of them is given
        name = _name(values, prefix, errors, "Enter the child's first name or last name")
        born = _date(
            values,
            f"{prefix}_dob",
            errors,
            today=today,
            whole=False,
            label="the child's date of birth",
        )
        if not _under_18(born, today):
            errors.setdefault(f"{prefix}_dob", "The scheme is for children under 18")
        relationship = values[f"{prefix}_relationship"]
        if relationship not in _RELATIONSHIPS:
            errors.setdefault(f"{prefix}_relationship", "Choose how you know the child")
            continue
        if name is None:
            continue
        children.append(
            Child(
                party=f"child-{len(children) + 1}",
                name=name,
                date_of_birth=born,
                relationship_to_applicant=Relationship(relationship),
                relationship_verified=False,  # 5.2.5: verified at the face to face
            )
        )
    return children


def _subject(
    values: Mapping[str, Any], errors: dict[str, str], today: date
) -> SubjectParticulars | None:
    name = _name(values, "subject", errors, None)
    description = values["subject_description"] or None
    if name is None and description is None:
        errors.setdefault(
            "subject_forenames",
            "Enter the name of the person you are worried about, or describe them",
        )
        return None
    year = values["subject_year_of_birth"]
    born: PartialDate | None = None
    if year:
        if not (year.isdigit() and 1900 <= int(year) <= today.year):
            errors.setdefault("subject_year_of_birth", "Enter a year with 4 numbers, like 1981")
        else:
            born = PartialDate(year=int(year))
    street, town = values["subject_street"], values["subject_town"] or None
    # The contract's address needs a line: a town alone stands as its own only line, so the
    # checks still weigh the town (a street is never made up).
    try:
        addresses = (Address(lines=(street or town,), town=town),) if street or town else ()
        return SubjectParticulars(
            names=(name,) if name else (),
            date_of_birth=born,
            addresses=addresses,
            description=description,
            contact_with_child=values["subject_contact_with_child"] or None,
        )
    except ValidationError:
        _unread(errors, "subject_forenames")
        return None


_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def _applicant(values: Mapping[str, Any], errors: dict[str, str], today: date) -> Applicant | None:
    # 5.2.5: the applicant's own particulars must be verifiable: a whole name and birth date.
    forenames = tuple(values["applicant_forenames"].split())
    surname = values["applicant_surname"] or None
    if not forenames:
        errors.setdefault("applicant_forenames", "Enter your first name")
    if not surname:
        errors.setdefault("applicant_surname", "Enter your last name")
    born = _date(
        values, "applicant_dob", errors, today=today, whole=True, label="your date of birth"
    )
    line1, line2 = values["applicant_line1"], values["applicant_line2"]
    town, postcode = values["applicant_town"], values["applicant_postcode"].upper()
    if not line1:
        errors.setdefault("applicant_line1", "Enter the first line of your address")
    if not town:
        errors.setdefault("applicant_town", "Enter your town or city")
    if postcode and not _POSTCODE.match(postcode):
        errors.setdefault("applicant_postcode", "Enter a real postcode, like CV32 5AA")
    if not (forenames and surname and born is not None and line1 and town):
        return None
    try:
        return Applicant(
            name=PersonName(forenames=forenames, surname=surname),
            date_of_birth=born,
            address=Address(
                lines=tuple(line for line in (line1, line2) if line),
                town=town,
                postcode=postcode or None,
            ),
        )
    except ValidationError:
        _unread(errors, "applicant_forenames")
        return None


def _unread(errors: dict[str, str], shown_at: str) -> None:
    """A part the contract refuses: refused at one of its fields already (too long), or else
    at its first field."""
    part = shown_at.split("_", 1)[0] + "_"
    if not any(name.startswith(part) for name in errors):
        errors[shown_at] = "Check this answer: it could not be read"


def _contact(values: Mapping[str, Any]) -> ContactArrangements | None:
    how, where, when = values["contact_how"], values["contact_where"], values["contact_when"]
    if how not in _METHODS or not where or not when:
        return None
    try:
        return ContactArrangements(
            how=ContactMethod(how),
            where=where,
            when=when,
            not_to_contact=values["not_to_contact"] or None,
        )
    except ValidationError:
        return None  # too long: refused at its field already


def _consent(values: Mapping[str, Any]) -> Consent | None:
    share = values["consent_share"]
    if share not in ("yes", "no"):
        return None
    return Consent(
        to_share_with_agencies=share == "yes",
        told_sharing_may_happen_without_consent=bool(values[UNDERSTOOD]),
    )


# What to do about each of intake's rules, at the field it is about.
_SAFE_CONTACT = {
    "contact_how": "Choose how we can contact you safely",
    "contact_where": "Tell us the number, email or address we can use safely",
    "contact_when": "Tell us when it is safe to contact you",
}
_NOT_TO_CONTACT = "Tell us where or how we must not contact you, or write 'none'"
_CONSENT = "Tell us whether you agree to us sharing what you tell us"
_SHARING = (
    "Tick the box to show you understand we may share information without your agreement "
    "if a child is at risk"
)


def _rule_errors(
    broken: Iterable[tuple[str, str]], values: Mapping[str, Any], errors: dict[str, str]
) -> None:
    for rule_field, _rule in broken:
        if rule_field == "contact":
            for name, message in _SAFE_CONTACT.items():
                valid = values[name] in _METHODS if name == "contact_how" else True
                if not values[name] or not valid:
                    errors.setdefault(name, message)
            if not values["not_to_contact"]:  # asked in the same breath (5.1.6)
                errors.setdefault("not_to_contact", _NOT_TO_CONTACT)
        elif rule_field == "contact.not_to_contact":
            errors.setdefault("not_to_contact", _NOT_TO_CONTACT)
        elif rule_field == "consent":
            errors.setdefault("consent_share", _CONSENT)
            if not values[UNDERSTOOD]:  # explained in the same breath (5.1.12)
                errors.setdefault(UNDERSTOOD, _SHARING)
        elif rule_field == "consent.told_sharing_may_happen_without_consent":
            errors.setdefault(UNDERSTOOD, _SHARING)
        else:  # a rule the form does not know yet: refused, not sent to be dead-lettered
            errors.setdefault("send", "Your application could not be sent: call 101")


_PARTS = {
    "request": "request",
    "subject": "subject_forenames",
    "applicant": "applicant_forenames",
    "contact": "contact_where",
    "consent": "consent_share",
}


def _contract_errors(exc: ValidationError) -> dict[str, str]:
    """A refusal by the contract the form's own checks did not foresee, at the nearest field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        where = error["loc"]
        if where and where[0] == "children" and len(where) > 1 and isinstance(where[1], int):
            shown = f"child{where[1] + 1}_forenames"
        else:
            shown = _PARTS.get(str(where[0]) if where else "", "send")
        errors.setdefault(shown, "Check this answer: it could not be read")
    log.warning(
        "portal_contract_refused",
        fields=sorted({".".join(map(str, e["loc"])) for e in exc.errors()}),
    )
    return _ordered(errors)
