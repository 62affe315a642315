"""The case studies of the 2009 press release (note 7), and a cross-force case, as scripts.

Each story is the applicant's contact, the face to face, the information pack, and the
human steps of the forum, the decision and the delivery, taken by the scripted case worker
through the public APIs. What the systems find comes from the stand-ins' own records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.demo.cast import (
    DEREK_HOLLOWAY,
    GARY_PICKERING,
    KEITH_MARSH,
    LIAM_FOSTER,
    SHAUN_DOBSON,
    Subject,
)
from services.demo.worker import CaseWorker

ALL_WARNINGS = [
    "false-information-may-be-prosecuted",
    "confidentiality-pending-outcome",
    "subject-may-be-told",
    "evidence-of-offence-ends-confidentiality",
    "use-only-to-safeguard",
    "undertaking-will-be-required",
]
THREE_TESTS_MET = [
    {
        "test": "power-to-disclose",
        "met": True,
        "rationale": "Necessary to protect the children from sexual harm by the subject.",
    },
    {
        "test": "pressing-need",
        "met": True,
        "rationale": "The subject has regular access to the children now.",
    },
    {
        "test": "necessary-and-proportionate",
        "met": True,
        "rationale": "The risk to the children outweighs the subject's Article 8 rights.",
    },
]


@dataclass(frozen=True)
class Applicant:
    """An applicant and the children the application is about."""

    forenames: str
    surname: str
    born: tuple[int, int, int]
    street: str
    town: str
    postcode: str
    children: tuple[tuple[str, int, str], ...]  # forename, year of birth, relationship


@dataclass(frozen=True)
class Facts:
    """What the press release says happened, as the system must find and record it."""

    route: str  # found by the system's own assessment, signed off as the records show
    categories: frozenset[str] = frozenset()  # of 5.5.3 (i)-(iv): these at least
    forum: str | None = None  # where the forum met, when it did
    recipients: tuple[str, ...] = ()  # to whom, by relationship
    protective_actions: frozenset[str] = frozenset()
    escalated: bool = False  # immediate or imminent risk referred to children's social care


@dataclass(frozen=True)
class Story:
    """One case, start to finish."""

    title: str
    force: str
    expected_outcome: str
    play: Callable[[CaseWorker, Story], str]
    applicant: Applicant
    subject: Subject
    facts: Facts
    grooming_reported: bool = False
    child_lives_with_subject: bool = False  # case study 4: with her mother and the subject


def _person(forenames: str, surname: str) -> dict[str, Any]:
    return {"forenames": forenames.split(), "surname": surname}


def _subject(subject: Subject) -> dict[str, Any]:
    year, month, day = subject.dob
    return {
        "names": [_person(subject.forenames, subject.surname)],
        "date_of_birth": {"year": year, "month": month, "day": day},
        "addresses": [
            {"lines": [subject.street], "town": subject.town, "postcode": subject.postcode}
        ],
        "description": subject.description,
    }


def _home_of(subject: Subject) -> dict[str, Any]:
    return {"lines": [subject.street], "town": subject.town, "postcode": subject.postcode}


def _contact() -> dict[str, Any]:
    return {
        "how": "mobile-phone",
        "where": "07700 900461",
        "when": "Weekdays after 10:00",
        "not_to_contact": "Never by letter to the home address",
    }


def initial_contact(story: Story) -> dict[str, Any]:
    """Stage 1 as the desk officer records it."""
    return {
        "channel": "station",
        "contact": _contact(),
        "consent": {
            "to_share_with_agencies": True,
            "told_sharing_may_happen_without_consent": True,
        },
        "applicant_at_risk": False,
        "immediate_risk": [{"question": "subject-has-unsupervised-access-now", "answer": False}],
        "subject": _subject(story.subject),
        "request": f"{story.title}: worried about {story.subject.forenames}.",
    }


def face_to_face(story: Story) -> dict[str, Any]:
    """Stage 2 as recorded at the meeting: identity seen, children, every warning given."""
    applicant = story.applicant
    year, month, day = applicant.born
    risk = (
        [
            {
                "question": "subject-behaviour-sexualised-or-grooming",
                "answer": True,
                "note": "Gifts and text messages to the daughter.",
            }
        ]
        if story.grooming_reported
        else []
    )
    return {
        "seen_at": "2026-11-22T10:00:00+00:00",
        "applicant": {
            "name": _person(applicant.forenames, applicant.surname),
            "date_of_birth": {"year": year, "month": month, "day": day},
            "address": {
                "lines": [applicant.street],
                "town": applicant.town,
                "postcode": applicant.postcode,
            },
        },
        "identity": {"verified": True, "evidence": ["passport", "utility-bill"]},
        "children": [
            {
                "party": f"child-{number}",
                "name": _person(name, applicant.surname),
                "date_of_birth": {"year": born},
                "relationship_to_applicant": relationship,
                "relationship_verified": True,
                "address": _home_of(story.subject) if story.child_lives_with_subject else None,
            }
            for number, (name, born, relationship) in enumerate(applicant.children, start=1)
        ],
        "subject": _subject(story.subject),
        "contact": _contact(),
        "warnings_given": ALL_WARNINGS,
        "warnings_acknowledged": True,
        "immediate_risk": risk,
    }


def _apply(worker: CaseWorker, story: Story) -> str:
    case = worker.contact(story.force, initial_contact(story))
    worker.face_to_face(story.force, case, face_to_face(story))
    worker.information_pack(story.force, case)
    return case


def _forum(
    worker: CaseWorker,
    force: str,
    case: str,
    *,
    disclose: bool,
    rationale: str,
    inform_subject: bool = False,
) -> None:
    """The forum meets on the route the signed-off assessment found: the script never says it.
    Recommending disclosure, it decides whether the subject is told (5.6.17) and weighs the
    risks the disclosure brings to him (5.6.26)."""
    deciding = (
        {
            "inform_subject": inform_subject,
            "community_risk_assessment": "Risks to the subject from the disclosure weighed; "
            "his offender manager will watch for any threat to him.",
        }
        if disclose
        else {}
    )
    worker.forum_decision(
        force,
        case,
        {
            **deciding,
            "recommend_disclosure": disclose,
            "rationale": rationale,
            "attendance": [
                {"agency": force, "role": "public protection detective sergeant"},
                {"agency": f"csc-{force}", "role": "social worker"},
            ],
            "positions": [
                {
                    "agency": f"csc-{force}",
                    "position": "disclose" if disclose else "do-not-disclose",
                }
            ],
        },
    )


def _deliver(worker: CaseWorker, force: str, case: str, verbatim: str) -> None:
    worker.deliver(
        force,
        case,
        {
            "in_person": True,
            "written_material_left": False,
            "warning_given": True,
            "undertaking": "signed",
            "verbatim": verbatim,
            "attendees": [
                {"agency": force, "role": "detective constable"},
                {"agency": f"csc-{force}", "role": "social worker"},
            ],
        },
    )


@dataclass(frozen=True)
class Disclosure:
    """What a story's decision maker discloses, to whom, and what the subject is told (5.6)."""

    rationale: str  # the forum's, recommending disclosure
    extent: str
    content: str
    verbatim: str  # what the deliverer says, word for word (5.6.16)
    inform_subject: bool
    subject_reason: str
    contact: str  # how likely actual contact is, and why it is enough (4.7)
    other_recipients: tuple[dict[str, Any], ...] = ()


def _disclosed(worker: CaseWorker, story: Story, disclosure: Disclosure) -> str:
    """A story's case applied for, recommended for disclosure at the forum, decided and
    delivered in person to the applicant (and any others named)."""
    case = _apply(worker, story)
    force = story.force
    _forum(
        worker,
        force,
        case,
        disclose=True,
        rationale=disclosure.rationale,
        inform_subject=disclosure.inform_subject,
    )
    worker.disclosure_case(force, case, {"awaiting-decision"})
    applicant = story.applicant
    decision: dict[str, Any] = {
        "disclose": True,
        "tests": THREE_TESTS_MET,
        "recipient": {
            "relationship": "applicant",
            "name": _person(applicant.forenames, applicant.surname),
        },
        "extent": disclosure.extent,
        "content": disclosure.content,
        "subject_notification": {
            "inform_subject": disclosure.inform_subject,
            "self_disclosure": False,
            "reason": disclosure.subject_reason,
        },
        "community_risk_assessment_required": True,
        "likelihood_of_contact": disclosure.contact,
        "data_protection": "Only what the recipients need to protect the children, to them "
        "alone, read to them in person under a signed undertaking.",
    }
    if disclosure.other_recipients:
        decision["other_recipients"] = list(disclosure.other_recipients)
    worker.decide(force, case, decision)
    _deliver(worker, force, case, disclosure.verbatim)
    return case


def disclosure_and_protective_action(worker: CaseWorker, story: Story) -> str:
    """Case study 1: disclosure made, and the subject arrested for breaching his SOPO."""
    disclosure = Disclosure(
        rationale="Registered offender under a SOPO forbidding unsupervised contact.",
        extent="full",
        content="Convicted in 2006 of a sexual offence against a child; subject to a SOPO.",
        verbatim="Derek Holloway was convicted in 2006 of a sexual offence against a child. He "
        "must not have unsupervised contact with children.",
        inform_subject=True,
        subject_reason="He is managed under MAPPA and will be seen.",
        contact="The family visit his home with the children, and he visits theirs (the press "
        "release): contact is regular, not only possible.",
    )
    case = _disclosed(worker, story, disclosure)
    worker.protect(
        story.force,
        case,
        ["licence-or-order-enforced"],
        "Subject arrested and charged with breach of his SOPO.",
    )
    worker.tell_subject(story.force, case)  # the forum decided he is told (5.6.17)
    worker.close_case(story.force, case, "Disclosure made; SOPO breach charged.")
    return case


def _concerns_acted_on_without_disclosure(  # noqa: PLR0917 - one story's words
    worker: CaseWorker,
    story: Story,
    rationale: str,
    actions: list[str],
    action: str,
    summary: str,
    *,
    came_to_light: str | None = None,
) -> str:
    case = _apply(worker, story)
    _forum(worker, story.force, case, disclose=False, rationale=rationale)
    if came_to_light is not None:  # what came to light later goes to children's social care
        worker.escalate(story.force, case, came_to_light)
    worker.disclosure_case(story.force, case, {"awaiting-decision"})
    worker.decide(
        story.force, case, {"disclose": False, "community_risk_assessment_required": False}
    )
    worker.protect(story.force, case, actions, action)
    worker.tell_nothing_to_disclose(story.force, case, "visit")
    worker.close_case(story.force, case, summary)
    return case


def no_disclosure_but_protective_action(worker: CaseWorker, story: Story) -> str:
    """Case study 2: no record to disclose, but grooming concerns acted on."""
    return _concerns_acted_on_without_disclosure(
        worker,
        story,
        "No convictions; the behaviour reported now suggests grooming (5.5.3 iv).",
        ["subject-warned", "child-protection-referral"],
        "Harassment warning issued about his conduct towards the girl.",
        "No disclosure; warning issued; CPU investigation.",
        came_to_light="The parents have text messages from him to the girl that imply "
        "grooming; the Child Protection Unit investigates (s.47).",
    )


def second_request(worker: CaseWorker, story: Story) -> str:
    """Another force's applicant asks about the cross-force case's subject: INI flags him (6.1)."""
    return _concerns_acted_on_without_disclosure(
        worker,
        story,
        "Local intelligence of domestic abuse; no sexual offending known.",
        ["safeguarding-advice"],
        "Advice given to the applicant on keeping the children safe.",
        "No disclosure; advice given.",
    )


def partial_disclosure(worker: CaseWorker, story: Story) -> str:
    """Case study 3: limited information to the applicant and her mother, after MAPPA."""
    disclosure = Disclosure(
        rationale="Adult sexual offence conviction and child-related intelligence.",
        extent="partial",
        content="He has a conviction for a sexual offence; children should not be left "
        "in his care.",
        verbatim="Keith Marsh has a conviction for a sexual offence. Please do not leave "
        "children in his care.",
        inform_subject=False,
        subject_reason="Telling him could put the mother at risk.",
        contact="The mother minds the children at the home she shares with him: he is with "
        "them whenever she is.",
        other_recipients=({"relationship": "carer", "name": _person("Margaret", "Bennett")},),
    )
    case = _disclosed(worker, story, disclosure)
    worker.close_case(story.force, case, "Partial disclosure to the applicant and her mother.")
    return case


def no_disclosure(worker: CaseWorker, story: Story) -> str:
    """Case study 4: nothing known; the father is visited and told so, with advice."""
    case = _apply(worker, story)
    worker.sign_off(story.force, case)
    worker.disclosure_case(story.force, case, {"no-concerns"})
    worker.tell_nothing_to_disclose(story.force, case, "visit")
    worker.close_case(story.force, case, "No concerns; applicant visited.")
    return case


def cross_force(worker: CaseWorker, story: Story) -> str:
    """An applicant in one force, the subject in another: handed off and returned (4.9, 4.10)."""
    case = _apply(worker, story)
    responding = story.subject.home_force
    handoff = worker.wait(
        "multiagency", story.force, case, lambda c: bool(c.get("handoffs")), what="a handoff"
    )["handoffs"][0]
    theirs = worker.wait(
        "multiagency",
        story.force,
        case,
        lambda c: bool(c["handoffs"][0].get("responding_case_reference")),
        what="a handoff accepted",
    )["handoffs"][0]["responding_case_reference"]
    assert handoff["responding_force"] == responding
    # The responding force runs its own checks, and its officer signs its assessment off;
    # what it finds decides whether its forum meets.
    worker.sign_off(responding, theirs)
    found = worker.wait(
        "multiagency",
        responding,
        theirs,
        lambda c: c["state"] == "returned" or c.get("forum") is not None,
        what="its part assessed",
    )
    if found["state"] != "returned":
        _forum(
            worker,
            responding,
            theirs,
            disclose=False,
            rationale="Local intelligence of controlling behaviour; no sexual offending.",
        )
    worker.sign_off(story.force, case)  # the owning force's officer, on what came back
    worker.disclosure_case(story.force, case, {"awaiting-decision"})
    worker.decide(
        story.force, case, {"disclose": False, "community_risk_assessment_required": False}
    )
    worker.protect(
        story.force,
        case,
        ["safeguarding-advice"],
        "Advice given on the responding force's intelligence, without disclosure.",
    )
    worker.tell_nothing_to_disclose(story.force, case, "visit")
    worker.close_case(story.force, case, "Handed to Cleveland; no disclosure; advice given.")
    return case


STORIES: tuple[Story, ...] = (
    Story(
        "Case study 1: disclosure and protective action",
        "warwickshire",
        "disclosure",
        disclosure_and_protective_action,
        Applicant(
            "Helen",
            "Price",
            (1985, 2, 14),
            "3 Church Walk",
            "Rugby",
            "CV21 2QP",
            (("Ella", 2017, "parent"), ("Jack", 2019, "parent")),
        ),
        DEREK_HOLLOWAY,
        Facts(
            route="concerns",
            categories=frozenset({"child-sexual-offence-conviction"}),
            recipients=("applicant",),
            protective_actions=frozenset({"licence-or-order-enforced"}),
        ),
    ),
    Story(
        "Case study 2: no disclosure but protective action",
        "cleveland",
        "no-disclosure-protective-action",
        no_disclosure_but_protective_action,
        Applicant(
            "Joanne",
            "Wilkinson",
            (1980, 8, 1),
            "10 Norton Road",
            "Stockton-on-Tees",
            "TS20 2BN",
            (("Sophie", 2012, "parent"),),
        ),
        GARY_PICKERING,
        Facts(
            route="concerns",
            categories=frozenset({"concerning-behaviour"}),
            protective_actions=frozenset({"subject-warned", "child-protection-referral"}),
            escalated=True,
        ),
        grooming_reported=True,
    ),
    Story(
        "Case study 3: partial disclosure",
        "hampshire",
        "partial-disclosure",
        partial_disclosure,
        Applicant(
            "Claire",
            "Bennett",
            (1988, 5, 9),
            "5 Bedford Place",
            "Southampton",
            "SO15 2DB",
            (("Noah", 2020, "other-relative"),),
        ),
        KEITH_MARSH,
        Facts(
            route="concerns",
            categories=frozenset({"other-relevant-conviction", "relevant-intelligence"}),
            forum="mappa-meeting",
            recipients=("applicant", "carer"),
        ),
    ),
    Story(
        "Case study 4: no disclosure",
        "cambridgeshire",
        "no-disclosure",
        no_disclosure,
        Applicant(
            "Tom",
            "Reynolds",
            (1984, 3, 22),
            "18 Park Road",
            "Peterborough",
            "PE1 2UP",
            (("Lily", 2018, "parent"),),
        ),
        LIAM_FOSTER,
        Facts(route="no-concerns"),
        child_lives_with_subject=True,
    ),
    Story(
        "Cross-force: Warwickshire owns, Cleveland responds",
        "warwickshire",
        "no-disclosure-protective-action",
        cross_force,
        Applicant(
            "Priya",
            "Shah",
            (1990, 12, 3),
            "27 Regent Street",
            "Leamington Spa",
            "CV32 4NH",
            (("Maya", 2016, "parent"),),
        ),
        SHAUN_DOBSON,
        Facts(route="concerns", protective_actions=frozenset({"safeguarding-advice"})),
    ),
    Story(
        "A second request about one subject: Cleveland asked too",
        "cleveland",
        "no-disclosure-protective-action",
        second_request,
        Applicant(
            "Kerry",
            "Atkinson",
            (1992, 6, 18),
            "8 Borough Road",
            "Middlesbrough",
            "TS1 2HJ",
            (("Leo", 2019, "parent"),),
        ),
        SHAUN_DOBSON,
        Facts(route="concerns", protective_actions=frozenset({"safeguarding-advice"})),
    ),
)
