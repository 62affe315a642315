"""Every human step of a case, as a form: which service's API takes it, and what it asks.

Each step is the page for one command an API already takes (architecture §7); the form asks
what the command's request needs, in the order an officer meets it. The paragraph is the
circular's, shown on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from schemas.checks import System
from schemas.disclosure import (
    Extent,
    LegalTest,
    NonDisclosureMethod,
    ProtectiveAction,
    RecipientRelationship,
    Undertaking,
)
from schemas.intake import ApplicantWarning, PackFormat
from schemas.multiagency import AgencyKind, ConcernCategory, DecisionRoute, Forum, LawfulBasis
from schemas.multiagency import Position as AgencyStance
from schemas.parties import ContactMethod, IdentityEvidence, Relationship
from schemas.safeguarding import Risk
from schemas.stages import Deadline, Stage
from services.casework.fields import YES_NO, Field, Kind, Section, options
from services.runtime.staff import Role

CHILD_SLOTS = 3  # children a form takes at once; the API takes any number
ATTENDEE_SLOTS = 4


@dataclass(frozen=True)
class Step:
    """One human step: its page, the API it goes to, and who may take it."""

    key: str
    title: str
    paragraph: str
    service: str  # intake, multiagency, disclosure or ops
    method: str
    path: str  # under the case: "/application", or ops' "/deviations"
    roles: tuple[Role, ...]
    sections: tuple[Section, ...]
    done: str  # what the notification says once it is recorded


def _name(prefix: str, whose: str) -> tuple[Field, ...]:
    return (
        Field(f"{prefix}.forenames", f"{whose} forenames", Kind.WORDS),
        Field(f"{prefix}.surname", f"{whose} surname"),
    )


def _born(prefix: str, whose: str) -> tuple[Field, ...]:
    hint = "Give what is known: a year alone will do."
    return (
        Field(f"{prefix}.day", f"{whose} day of birth", Kind.WHOLE_NUMBER, width=2),
        Field(f"{prefix}.month", f"{whose} month of birth", Kind.WHOLE_NUMBER, width=2),
        Field(f"{prefix}.year", f"{whose} year of birth", Kind.WHOLE_NUMBER, hint=hint, width=4),
    )


def _child(index: int) -> Section:
    prefix = f"children.{index}"
    return Section(
        f"Child {index + 1}" + ("" if index == 0 else " (if there is one)"),
        (
            Field(f"{prefix}.party", "", Kind.FIXED, value=f"child-{index + 1}"),
            *_name(f"{prefix}.name", "Child's"),
            *_born(f"{prefix}.date_of_birth", "Child's"),
            Field(
                f"{prefix}.relationship_to_applicant",
                "The applicant's relationship to the child",
                Kind.CHOICE,
                options(Relationship),
            ),
            Field(
                f"{prefix}.relationship_verified",
                "Was the relationship verified, as far as possible (5.2.5)?",
                Kind.YES_NO,
                YES_NO,
            ),
        ),
    )


def _attendees(prefix: str, heading: str) -> Section:
    return Section(
        heading,
        tuple(
            part
            for index in range(ATTENDEE_SLOTS)
            for part in (
                Field(f"{prefix}.{index}.agency", f"Attendee {index + 1}: agency"),
                Field(f"{prefix}.{index}.role", f"Attendee {index + 1}: role"),
            )
        ),
    )


TEAM = (Role.PUBLIC_PROTECTION,)
CONTACT_STAFF = (Role.INITIAL_CONTACT, Role.PUBLIC_PROTECTION)
DECIDERS = (Role.DECISION_MAKER,)
FORUM = (Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)
ANYONE = (Role.INITIAL_CONTACT, Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)

FACE_TO_FACE = Step(
    "face-to-face",
    "Record the face to face",
    "5.2",
    "intake",
    "POST",
    "/application",
    TEAM,
    (
        Section(
            "The meeting",
            (Field("seen_at", "When was the applicant seen?", Kind.WHEN),),
        ),
        Section(
            "The applicant",
            (
                *_name("applicant.name", "Applicant's"),
                *_born("applicant.date_of_birth", "Applicant's"),
                Field(
                    "applicant.address.lines",
                    "Applicant's address",
                    Kind.LINES,
                    hint="One line per line.",
                ),
                Field("applicant.address.town", "Town"),
                Field("applicant.address.postcode", "Postcode", width=10),
            ),
        ),
        Section(
            "Identity (5.2.7)",
            (
                Field(
                    "identity.verified",
                    "Was the applicant's identity verified?",
                    Kind.YES_NO,
                    YES_NO,
                ),
                Field(
                    "identity.evidence",
                    "What was seen",
                    Kind.MANY,
                    options(IdentityEvidence),
                    hint="Photo identification is best practice.",
                ),
            ),
        ),
        *(_child(index) for index in range(CHILD_SLOTS)),
        Section(
            "The subject, as far as the applicant knows",
            (
                *_name("subject.names.0", "Subject's"),
                Field("subject.date_of_birth.year", "Subject's year of birth", Kind.WHOLE_NUMBER),
                Field("subject.addresses.0.lines", "Subject's address", Kind.LINES),
                Field("subject.addresses.0.town", "Subject's town"),
                Field("subject.description", "Description", Kind.TEXTAREA),
                Field("subject.contact_with_child", "How the subject has contact with the child"),
            ),
        ),
        Section(
            "Safe contact (5.2.5)",
            (
                Field(
                    "contact.how",
                    "How is it safe to contact them?",
                    Kind.CHOICE,
                    options(ContactMethod),
                ),
                Field("contact.where", "Where is it safe: number or address"),
                Field("contact.when", "When is it safe?"),
                Field(
                    "contact.not_to_contact",
                    "Where or how must they never be contacted?",
                    hint="Write 'none' if there is nowhere.",
                ),
            ),
        ),
        Section(
            "Warnings (5.2.4, 5.2.9 to 5.2.11)",
            (
                Field("warnings_given", "Warnings given", Kind.MANY, options(ApplicantWarning)),
                Field(
                    "warnings_acknowledged",
                    "Did the applicant acknowledge them?",
                    Kind.YES_NO,
                    YES_NO,
                ),
            ),
        ),
    ),
    "The face to face is recorded and the stage 2 checks are asked for.",
)

INFORMATION_PACK = Step(
    "information-pack",
    "Record the information pack",
    "5.3",
    "intake",
    "POST",
    "/information-pack",
    TEAM,
    (
        Section(
            None, (Field("format", "How was the pack given?", Kind.CHOICE, options(PackFormat)),)
        ),
    ),
    "The information pack is recorded.",
)

ESCALATION = Step(
    "immediate-risk",
    "Raise immediate or imminent risk",
    "2.7, 5.6.11",
    "multiagency",
    "POST",
    "/escalations",
    ANYONE,
    (
        Section(
            None,
            (
                Field("stage", "At which stage was it seen?", Kind.CHOICE, options(Stage)),
                Field("risk", "Risk", Kind.CHOICE, options(Risk)),
                Field(
                    "grounds",
                    "What was said or found",
                    Kind.TEXTAREA,
                    hint="This goes to children's social care.",
                ),
                Field(
                    "section_47", "Is a child at risk (a section 47 enquiry)?", Kind.YES_NO, YES_NO
                ),
            ),
        ),
    ),
    "The risk is referred to children's social care now.",
)

SETTLE_MATCH = Step(
    "possible-match",
    "Settle a possible match",
    "5.4.4",
    "multiagency",
    "POST",
    "/possible-matches",
    TEAM,
    (
        Section(
            None,
            (
                Field("system", "Which system found it?", Kind.CHOICE, options(System)),
                Field("party", "Which party was checked?", hint="For example subject or child-1."),
                Field(
                    "record_reference",
                    "The candidate who is the person",
                    hint="Leave empty if none of the candidates is.",
                ),
                Field("reason", "What was compared, and found", Kind.TEXTAREA),
            ),
        ),
    ),
    "The settlement is sent to the checks.",
)

CONSULT = Step(
    "consultation",
    "Consult another agency",
    "5.4.5",
    "multiagency",
    "POST",
    "/consultations",
    TEAM,
    (
        Section(
            None,
            (
                Field("agency", "The agency's tenant name", hint="As the directory has it."),
                Field("agency_kind", "Kind of agency", Kind.CHOICE, options(AgencyKind)),
                Field("lawful_basis", "Lawful basis", Kind.CHOICE, options(LawfulBasis)),
                Field("reason", "Why it is shared, and on what basis", Kind.TEXTAREA),
                Field("question", "The question for the agency", Kind.TEXTAREA),
            ),
        ),
    ),
    "The agency is consulted.",
)

FORUM_SCHEDULE = Step(
    "forum-schedule",
    "Schedule the forum",
    "5.6.12, 5.6.27",
    "multiagency",
    "PUT",
    "/forum",
    TEAM,
    (
        Section(
            None,
            (
                Field("forum", "Which forum?", Kind.CHOICE, options(Forum)),
                Field("scheduled_for", "When does it meet?", Kind.WHEN),
                Field("urgent", "Is it urgent?", Kind.YES_NO, YES_NO),
                Field("urgency_justification", "Why it is urgent", Kind.TEXTAREA),
                Field(
                    "exception_reason", "Why an other professionals meeting (5.6.12)", Kind.TEXTAREA
                ),
            ),
        ),
    ),
    "The forum is scheduled.",
)

FORUM_DECISION = Step(
    "forum-decision",
    "Record the forum's conclusion",
    "5.6.12 to 5.6.26",
    "multiagency",
    "POST",
    "/forum/decision",
    FORUM,
    (
        Section(
            "The conclusion",
            (
                Field("route", "Route", Kind.CHOICE, options(DecisionRoute)),
                Field(
                    "recommend_disclosure",
                    "Does the forum recommend disclosure?",
                    Kind.YES_NO,
                    YES_NO,
                ),
                Field("rationale", "The forum's reasoning", Kind.TEXTAREA),
                Field("information_shared", "What information was shared", Kind.TEXTAREA),
                Field("inform_subject", "Is the subject to be told (5.6.17)?", Kind.YES_NO, YES_NO),
                Field(
                    "community_risk_assessment",
                    "The risks a disclosure brings to the subject (5.6.26)",
                    Kind.TEXTAREA,
                ),
            ),
        ),
        _attendees("attendance", "Who attended"),
        Section(
            "Each agency's position",
            tuple(
                part
                for index in range(3)
                for part in (
                    Field(f"positions.{index}.agency", f"Agency {index + 1}"),
                    Field(
                        f"positions.{index}.position",
                        f"Agency {index + 1}: position",
                        Kind.CHOICE,
                        options(AgencyStance),
                    ),
                    Field(f"positions.{index}.rationale", f"Agency {index + 1}: why"),
                )
            ),
        ),
    ),
    "The forum's conclusion is recorded.",
)

_TEST_HINTS = {
    LegalTest.POWER_TO_DISCLOSE: "Is there a power to disclose (5.6.8)?",
    LegalTest.PRESSING_NEED: "Is there a pressing need (5.6.9)?",
    LegalTest.NECESSARY_AND_PROPORTIONATE: "Is disclosure necessary and proportionate (5.6.10)?",
}

DECISION = Step(
    "decision",
    "Record the decision",
    "5.6",
    "disclosure",
    "POST",
    "/decision",
    DECIDERS,
    (
        Section(
            "The decision",
            (Field("disclose", "Is there to be a disclosure?", Kind.YES_NO, YES_NO),),
        ),
        *(
            Section(
                f"Stage {index + 1} of the test: {_TEST_HINTS[test]}",
                (
                    Field(f"tests.{index}.test", "", Kind.FIXED, value=test.value),
                    Field(f"tests.{index}.met", "Is it met?", Kind.YES_NO, YES_NO),
                    Field(f"tests.{index}.rationale", "Why", Kind.TEXTAREA),
                ),
            )
            for index, test in enumerate(LegalTest)
        ),
        Section(
            "To whom, and what (5.5.4, 5.6.19)",
            (
                Field(
                    "recipient.relationship",
                    "The recipient is the child's",
                    Kind.CHOICE,
                    options(RecipientRelationship),
                ),
                *_name("recipient.name", "Recipient's"),
                Field("extent", "Extent", Kind.CHOICE, options(Extent)),
                Field(
                    "content",
                    "What is to be said",
                    Kind.TEXTAREA,
                    hint="Said in person only; nothing is left in writing (5.6.21).",
                ),
                Field("likelihood_of_contact", "How likely actual contact is (4.7)", Kind.TEXTAREA),
                Field(
                    "data_protection",
                    "How it keeps the data protection principles (5.6.14)",
                    Kind.TEXTAREA,
                ),
                Field(
                    "community_risk_assessment_required",
                    "Is a community risk assessment required?",
                    Kind.YES_NO,
                    YES_NO,
                ),
            ),
        ),
        Section(
            "The subject (5.6.17)",
            (
                Field(
                    "subject_notification.inform_subject",
                    "Is the subject told?",
                    Kind.YES_NO,
                    YES_NO,
                ),
                Field(
                    "subject_notification.self_disclosure",
                    "Does the subject disclose themselves?",
                    Kind.YES_NO,
                    YES_NO,
                ),
                Field(
                    "subject_notification.reason", "Why, from the assessment of risk", Kind.TEXTAREA
                ),
            ),
        ),
    ),
    "The decision is recorded.",
)

DELIVERY = Step(
    "delivery",
    "Record the disclosure delivered",
    "5.6.21",
    "disclosure",
    "POST",
    "/delivery",
    TEAM,
    (
        Section(
            None,
            (
                Field("in_person", "", Kind.FIXED, value=True),
                Field("written_material_left", "", Kind.FIXED, value=False),
                Field(
                    "verbatim",
                    "What was said, word for word",
                    Kind.TEXTAREA,
                    hint=("A disclosure is made in person, and nothing is left in writing."),
                ),
                Field("warning_given", "Was the warning about misuse given?", Kind.YES_NO, YES_NO),
                Field(
                    "undertaking",
                    "The undertaking of confidentiality",
                    Kind.CHOICE,
                    options(Undertaking),
                ),
                Field(
                    "disclosed_despite_refusal",
                    "If it was refused, was the disclosure made anyway?",
                    Kind.YES_NO,
                    YES_NO,
                ),
            ),
        ),
        _attendees("attendees", "Who was there"),
    ),
    "The delivery is recorded.",
)

NON_DISCLOSURE = Step(
    "non-disclosure",
    "Record that there is nothing to disclose",
    "5.6.1 to 5.6.7",
    "disclosure",
    "POST",
    "/non-disclosure",
    TEAM,
    (
        Section(
            None, (Field("method", "How was it told?", Kind.CHOICE, options(NonDisclosureMethod)),)
        ),
    ),
    "The applicant is told.",
)

PROTECTIVE_ACTION = Step(
    "protective-action",
    "Record protective action",
    "5.6, case studies 1, 2 and 4",
    "disclosure",
    "POST",
    "/protective-action",
    TEAM,
    (
        Section(
            None,
            (
                Field("actions", "What was done", Kind.MANY, options(ProtectiveAction)),
                Field("description", "Describe it", Kind.TEXTAREA),
            ),
        ),
    ),
    "The protective action is recorded.",
)

SUBJECT_TOLD = Step(
    "subject-told",
    "Record that the subject was told",
    "5.6.17, 5.6.25",
    "disclosure",
    "POST",
    "/subject-told",
    TEAM,
    (
        Section(
            None,
            (
                Field(
                    "in_person",
                    "The subject was told in person",
                    Kind.CONFIRM,
                    (("yes", "The subject was told in person"),),
                ),
                Field(
                    "scheme_information_given",
                    "Information about the scheme was given",
                    Kind.CONFIRM,
                    (("yes", "Information about the scheme and what it means was given"),),
                ),
            ),
        ),
    ),
    "That the subject was told is recorded.",
)

CLOSE = Step(
    "close",
    "Close the case",
    "6.1",
    "disclosure",
    "POST",
    "/close",
    TEAM,
    (
        Section(
            None,
            (
                Field("withdrawn", "Did the applicant withdraw?", Kind.YES_NO, YES_NO),
                Field("summary", "Summary for the final intelligence report", Kind.TEXTAREA),
            ),
        ),
    ),
    "The case is closed with its final intelligence report.",
)

DEVIATION = Step(
    "deviation",
    "Move a clock, with a justification",
    "5.4.8",
    "ops",
    "POST",
    "/deviations",
    TEAM,
    (
        Section(
            None,
            (
                Field("deadline", "Which clock?", Kind.CHOICE, options(Deadline)),
                Field("new_due_at", "New due date and time", Kind.WHEN),
                Field("justification", "Justification", Kind.TEXTAREA),
            ),
        ),
    ),
    "The clock is moved, with its justification on record.",
)


def sign_off(questions: Mapping[str, str]) -> Step:
    """The risk assessment's sign-off: Appendix D's questions as the API lists them."""
    return Step(
        "sign-off",
        "Sign off the full risk assessment",
        "5.4.2, 5.4.3, 5.4.7, Appendix D",
        "multiagency",
        "POST",
        "/risk-assessment/sign-off",
        TEAM,
        (
            Section(
                "Appendix D",
                tuple(
                    Field(f"answers.{key}", text, Kind.TEXTAREA) for key, text in questions.items()
                ),
            ),
            Section(
                "Your categorisation (5.4.7)",
                (
                    Field("route", "Route", Kind.CHOICE, options(DecisionRoute)),
                    Field("categories", "Concerns (5.5.3)", Kind.MANY, options(ConcernCategory)),
                    Field("rationale", "Your reasoning, for the forum", Kind.TEXTAREA),
                    Field(
                        "reason_for_change",
                        "Why, if you categorise otherwise than the records",
                        Kind.TEXTAREA,
                    ),
                ),
            ),
        ),
        "The full risk assessment is signed off.",
    )


STEPS: dict[str, Step] = {
    step.key: step
    for step in (
        FACE_TO_FACE,
        INFORMATION_PACK,
        ESCALATION,
        SETTLE_MATCH,
        CONSULT,
        FORUM_SCHEDULE,
        FORUM_DECISION,
        DECISION,
        DELIVERY,
        NON_DISCLOSURE,
        PROTECTIVE_ACTION,
        SUBJECT_TOLD,
        CLOSE,
        DEVIATION,
    )
}
SIGN_OFF_KEY = "sign-off"
