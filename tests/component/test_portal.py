"""The public online form: an application as a person fills it in, refused or sent once.

The form runs with a publisher that records what it would send to the force's inbox. What is
sent is held to the published JSON Schema and to intake's own rules, so what the form lets
through is what intake registers.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI

from schemas.artefacts import GENERATED
from schemas.envelope import Envelope
from schemas.intake import Channel, InitialContactDetails, RegisterEnquiryV1
from schemas.parties import Consent, ContactArrangements, ContactMethod, Relationship
from schemas.types import CASE_REFERENCE_PATTERN
from services.intake.domain import Route, triage
from services.portal.app import create_app
from services.portal.application import QUESTIONS, reference
from services.portal.config import PortalSettings
from services.portal.publisher import PublishFailed
from services.portal.rules import broken_rules
from services.runtime.clock import FrozenClock
from services.runtime.errors import RuleViolation

SCHEMA = GENERATED / "json" / f"{RegisterEnquiryV1.TYPE}.json"
BASE = "https://portal.test"
# What the applicant writes about people: none of it may leave in a URL, a cookie or the
# confirmation.
PERSONAL = (
    "Amelia",
    "Hartley",
    "Jonah",
    "Prendergast",
    "Brackenfield",
    "Quillfeather",
    "Wrenbury",
    "07700 900987",
    "Larkspur",
    "Moorcroft",
)


class Recording:
    """A publisher that keeps what it is given; told to fail, it fails as the broker would."""

    def __init__(self) -> None:
        self.sent: list[tuple[RegisterEnquiryV1, Envelope]] = []
        self.failing = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> object:
        return True

    async def publish(self, enquiry: RegisterEnquiryV1, envelope: Envelope) -> None:
        if self.failing:
            raise PublishFailed("KafkaTimeoutError")
        self.sent.append((enquiry, envelope))


def answers(**changes: str | list[str]) -> dict[str, Any]:
    """A whole application, as a parent worried about her new partner fills it in."""
    filled: dict[str, Any] = {
        "request": "My new partner Jonah babysits my daughter on Saturdays. Is he safe?",
        "risk_child_has_disclosed_harm": "no",
        "risk_child_shows_signs_of_harm": "no",
        "risk_subject_has_unsupervised_access_now": "unknown",
        "risk_subject_behaviour_sexualised_or_grooming": "no",
        "risk_threats_or_violence": "no",
        "risk_applicant_at_risk_from_subject": "no",
        "child1_forenames": "Amelia",
        "child1_surname": "Hartley",
        "child1_dob_day": "2",
        "child1_dob_month": "3",
        "child1_dob_year": "2019",
        "child1_relationship": "parent",
        "subject_forenames": "Jonah",
        "subject_surname": "Prendergast",
        "subject_year_of_birth": "1984",
        "subject_town": "Brackenfield",
        "subject_contact_with_child": "My new partner",
        "applicant_forenames": "Rose",
        "applicant_surname": "Quillfeather",
        "applicant_dob_day": "21",
        "applicant_dob_month": "5",
        "applicant_dob_year": "1990",
        "applicant_line1": "14 Larkspur Road",
        "applicant_town": "Wrenbury",
        "applicant_postcode": "CV32 5AA",
        "contact_how": "mobile-phone",
        "contact_where": "07700 900987",
        "contact_when": "Weekdays 9am to 3pm",
        "not_to_contact": "Never call the Moorcroft home landline",
        "consent_share": "yes",
        "consent_understood": "yes",
    }
    filled.update(changes)
    return {name: value for name, value in filled.items() if value != []}


Build = Callable[..., FastAPI]


@pytest.fixture
def publisher() -> Recording:
    return Recording()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def build(publisher: Recording, clock: FrozenClock, tmp_path: Path, tenant: str) -> Build:
    def make(**settings: Any) -> FastAPI:
        return create_app(
            force=tenant,
            publisher=publisher,
            assets_folder=tmp_path,
            clock=clock,
            settings=PortalSettings(**settings),
        )

    return make


Browser = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser(build: Build) -> AsyncIterator[Browser]:
    """A browser on the form (each its own cookies); `settings` make the app it talks to."""
    opened: list[httpx.AsyncClient] = []
    apps: dict[str, FastAPI] = {}

    async def open_one(**settings: Any) -> httpx.AsyncClient:
        key = json.dumps(settings, sort_keys=True)
        app = apps.setdefault(key, build(**settings))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        await client.aclose()


@pytest.fixture
async def portal(browser: Browser) -> httpx.AsyncClient:
    return await browser()


async def open_form(client: httpx.AsyncClient) -> dict[str, str]:
    """Open the form as a browser does: its hidden fields (the token, the submission id)."""
    page = await client.get("/apply")
    assert page.status_code == 200
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    assert set(hidden) == {"csrf_token", "submission_id"}
    return hidden


async def send(
    client: httpx.AsyncClient, hidden: dict[str, str], filled: dict[str, Any]
) -> httpx.Response:
    return await client.post("/apply", data={**hidden, **filled})


def beside(page: httpx.Response, field: str) -> str:
    """The refusal shown beside a field (and linked from the error summary)."""
    found = re.search(rf'id="{field}-error" class="govuk-error-message">(.*?)</p>', page.text)
    assert found is not None, f"no error beside {field}"
    assert f'href="#{field}"' in page.text, f"{field} not in the error summary"
    return re.sub(r"<[^>]+>|Error:", "", found.group(1)).replace("&#39;", "'").strip()


async def test_a_good_application_is_sent_once_as_an_enquiry_intake_registers(
    portal: httpx.AsyncClient, publisher: Recording, tenant: str, clock: FrozenClock
) -> None:
    hidden = await open_form(portal)
    answer = await send(portal, hidden, answers())

    assert (answer.status_code, answer.headers["location"]) == (303, "/sent")
    assert len(publisher.sent) == 1
    enquiry, envelope = publisher.sent[0]
    # As the published contract says, validated as an integrator would validate it.
    jsonschema.validate(json.loads(enquiry.to_json()), json.loads(SCHEMA.read_text()))
    assert triage(enquiry).route is Route.REGISTER  # intake's own rules: registered
    assert enquiry.submission_id == hidden["submission_id"]
    assert (enquiry.force, enquiry.channel, enquiry.received_at) == (
        tenant,
        Channel.ONLINE_PORTAL,
        clock.now(),
    )
    # The envelope: from the force's portal, keyed by the submission, starting a correlation.
    assert Envelope.from_headers(envelope.to_headers()) == envelope
    assert (envelope.source, envelope.type) == (f"/{tenant}/portal", RegisterEnquiryV1.TYPE)
    assert envelope.subject == enquiry.submission_id
    assert envelope.correlation_id == envelope.id
    # What was written, where the contract keeps it.
    (child,) = enquiry.children
    assert (child.party, child.name.forenames, child.name.surname) == (
        "child-1",
        ("Amelia",),
        "Hartley",
    )
    assert child.relationship_to_applicant is Relationship.PARENT
    assert child.relationship_verified is False
    assert child.date_of_birth is not None
    assert (child.date_of_birth.year, child.date_of_birth.month) == (2019, 3)
    assert enquiry.subject is not None
    assert enquiry.subject.names[0].surname == "Prendergast"
    assert enquiry.subject.addresses[0].town == "Brackenfield"
    assert enquiry.applicant is not None
    assert enquiry.applicant.address.postcode == "CV32 5AA"
    assert enquiry.contact == ContactArrangements(
        how=ContactMethod.MOBILE_PHONE,
        where="07700 900987",
        when="Weekdays 9am to 3pm",
        not_to_contact="Never call the Moorcroft home landline",
    )
    assert enquiry.consent == Consent(
        to_share_with_agencies=True, told_sharing_may_happen_without_consent=True
    )
    assert enquiry.applicant_at_risk is False
    unknown = [answer.question.value for answer in enquiry.immediate_risk if answer.answer is None]
    assert unknown == ["subject-has-unsupervised-access-now"]


async def test_the_confirmation_shows_a_reference_that_reveals_nothing(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    answer = await send(portal, hidden, answers())
    page = await portal.get(answer.headers["location"])

    assert page.status_code == 200
    shown = re.search(r'data-testid="reference">([^<]+)<', page.text)
    assert shown is not None
    assert shown.group(1) == reference(hidden["submission_id"])
    for written in PERSONAL:
        assert written not in page.text
    assert re.search(CASE_REFERENCE_PATTERN.strip("^$"), page.text) is None
    # Shown once: whoever picks up the device later does not find it again.
    again = await portal.get("/sent")
    assert (again.status_code, again.headers["location"]) == (303, "/")
    assert len(publisher.sent) == 1


async def test_no_answer_is_in_a_url_a_redirect_or_a_cookie(portal: httpx.AsyncClient) -> None:
    hidden = await open_form(portal)
    answer = await send(portal, hidden, answers())
    page = await portal.get(answer.headers["location"])

    assert answer.headers["location"] == "/sent"
    assert str(page.url) == f"{BASE}/sent"  # no query, no fragment
    cookies = " ".join(answer.headers.get_list("set-cookie"))
    for written in PERSONAL:
        assert written not in str(answer.request.url)
        assert written not in answer.headers["location"]
        assert written not in cookies


@pytest.mark.parametrize(
    ("left_out", "fields", "said"),
    [
        pytest.param(
            {"contact_how": [], "contact_where": "", "contact_when": ""},
            ("contact_how", "contact_where", "contact_when"),
            "safe",
            id="no-safe-contact",
        ),
        pytest.param({"not_to_contact": ""}, ("not_to_contact",), "'none'", id="no-not-to-contact"),
        pytest.param({"consent_share": []}, ("consent_share",), "agree", id="no-consent-answer"),
        pytest.param(
            {"consent_understood": []}, ("consent_understood",), "understand", id="not-explained"
        ),
    ],
)
async def test_an_application_intake_would_refuse_is_refused_beside_the_field_and_not_sent(
    portal: httpx.AsyncClient,
    publisher: Recording,
    left_out: dict[str, Any],
    fields: tuple[str, ...],
    said: str,
) -> None:
    hidden = await open_form(portal)
    page = await send(portal, hidden, answers(**left_out))

    assert page.status_code == 422
    for field in fields:
        assert said in beside(page, field)
    assert 'data-testid="error-summary"' in page.text
    assert "Amelia" in page.text  # the form comes back as it was filled in
    assert publisher.sent == []


def _details(**parts: Any) -> InitialContactDetails:
    base: dict[str, Any] = {
        "channel": Channel.ONLINE_PORTAL,
        "received_at": FrozenClock().now(),
        "contact": ContactArrangements(
            how=ContactMethod.EMAIL, where="a@example.org", when="any time", not_to_contact="none"
        ),
        "consent": Consent(
            to_share_with_agencies=False, told_sharing_may_happen_without_consent=True
        ),
    }
    return InitialContactDetails(**(base | parts))


@pytest.mark.parametrize(
    "details",
    [
        _details(),
        _details(contact=None),
        _details(
            contact=ContactArrangements(how=ContactMethod.LETTER, where="14 Larkspur", when="any")
        ),
        _details(consent=None),
        _details(
            consent=Consent(
                to_share_with_agencies=True, told_sharing_may_happen_without_consent=False
            )
        ),
        _details(contact=None, consent=None),
        _details(contact=None, anonymous=True),
        _details(consent=None, children_identified=False),
    ],
    ids=[
        "keeps-all",
        "no-contact",
        "no-not-to-contact",
        "no-consent",
        "not-explained",
        "neither",
        "anonymous",
        "no-child",
    ],
)
def test_the_form_holds_an_enquiry_to_the_rules_intake_holds_it_to(
    details: InitialContactDetails,
) -> None:
    broken = broken_rules(details)
    if broken:
        with pytest.raises(RuleViolation) as refused:
            triage(details)
        assert broken[0] == (refused.value.field, refused.value.rule)  # intake stops at the first
    else:
        triage(details)  # registered, or intelligence: nothing refused
    published = InitialContactDetails.RULES
    for field, rule in broken:  # in the contract's words, word for word
        assert any(text.startswith(f"{field}: {rule}") for text in published)


async def test_the_same_form_sent_twice_is_the_same_submission_so_one_enquiry(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    first = await send(portal, hidden, answers())
    second = await send(portal, hidden, answers())

    assert first.status_code == second.status_code == 303
    ids = {enquiry.submission_id for enquiry, _ in publisher.sent}
    assert ids == {hidden["submission_id"]}
    assert len(publisher.sent) == 2  # intake keeps one case per submission id
    assert {envelope.subject for _, envelope in publisher.sent} == ids  # one partition, in order
    another = await open_form(portal)
    assert another["submission_id"] != hidden["submission_id"]  # a new form is a new one


async def test_a_send_the_broker_did_not_take_keeps_the_form_to_send_again_as_one(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    publisher.failing = True
    failed = await send(portal, hidden, answers())
    assert failed.status_code == 503
    assert "Send application again" in beside(failed, "send")
    kept = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', failed.text))
    assert kept == hidden

    publisher.failing = False
    retried = await send(portal, kept, answers())
    assert retried.status_code == 303
    assert [enquiry.submission_id for enquiry, _ in publisher.sent] == [hidden["submission_id"]]


async def test_a_post_without_this_browsers_token_is_refused_and_nothing_sent(
    browser: Browser, publisher: Recording
) -> None:
    mine, theirs = await browser(), await browser()
    hidden = await open_form(mine)
    other = await open_form(theirs)
    attempts = [
        (mine, {"submission_id": hidden["submission_id"]}),  # no token
        (mine, {**hidden, "csrf_token": "0" * 64}),  # a wrong token
        (mine, {**hidden, "submission_id": other["submission_id"]}),  # another submission
        (mine, other),  # another browser's form
        (theirs, hidden),
    ]
    for client, fields in attempts:
        refused = await client.post("/apply", data={**fields, **answers()})
        assert refused.status_code == 403, fields
        assert "not been sent" in refused.text
    cookieless = await browser()
    refused = await cookieless.post("/apply", data={**hidden, **answers()})
    assert refused.status_code == 403
    assert publisher.sent == []


async def test_the_browser_cookie_is_signed_httponly_and_strict(
    browser: Browser, publisher: Recording
) -> None:
    client = await browser()
    page = await client.get("/apply")
    cookie = page.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Secure", "Path=/"):
        assert attribute in cookie
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    forged = await browser()
    value = client.cookies["csods_portal"]
    browser_id, _, signature = value.partition(".")
    # The same id with a signature of our own making: not ours, refused.
    forged.cookies.set("csods_portal", f"{browser_id}.{signature[::-1]}", domain="portal.test")
    refused = await forged.post("/apply", data={**hidden, **answers()})
    assert refused.status_code == 403
    assert publisher.sent == []


async def test_a_body_over_the_limit_is_refused_unread(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    padding = "x" * (64 * 1024)
    declared = await send(portal, hidden, answers(request=padding))
    assert declared.status_code == 413
    assert declared.headers["cache-control"] == "no-store"

    async def chunks() -> AsyncIterator[bytes]:  # no length said: counted as it comes
        body = httpx.QueryParams({**hidden, **answers(), "request": padding})
        encoded = str(body).encode()
        for start in range(0, len(encoded), 4096):
            yield encoded[start : start + 4096]

    streamed = await portal.post(
        "/apply",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert publisher.sent == []


async def test_applications_past_the_rate_limit_are_refused_until_the_window_refills(
    browser: Browser, publisher: Recording, clock: FrozenClock
) -> None:
    client = await browser(submissions_per_window=2, window_seconds=600)
    for _ in range(3):  # refused for their answers: they cost nothing
        hidden = await open_form(client)
        assert (await send(client, hidden, answers(request=""))).status_code == 422
    for _ in range(2):
        hidden = await open_form(client)
        assert (await send(client, hidden, answers())).status_code == 303
    hidden = await open_form(client)
    limited = await send(client, hidden, answers())

    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many applications" in beside(limited, "send")
    assert "Amelia" in limited.text  # nothing typed is lost
    assert len(publisher.sent) == 2
    clock.advance(timedelta(seconds=300))  # one send refilled
    assert (await send(client, hidden, answers())).status_code == 303
    assert len(publisher.sent) == 3


async def test_a_yes_to_a_risk_question_says_call_999_on_the_form_and_the_confirmation(
    portal: httpx.AsyncClient,
) -> None:
    hidden = await open_form(portal)
    danger = {"risk_child_has_disclosed_harm": "yes"}
    refused = await send(portal, hidden, answers(**danger, not_to_contact=""))
    assert refused.status_code == 422
    assert 'data-testid="danger-now"' in refused.text
    assert "call 999" in refused.text

    sent = await send(portal, hidden, answers(**danger))
    page = await portal.get(sent.headers["location"])
    assert 'data-testid="danger-now"' in page.text
    assert "If a child is in danger now, call 999" in page.text

    calm = await portal.get("/apply")
    assert 'data-testid="danger-now"' not in calm.text


async def test_each_risk_questions_yes_reveals_call_999_under_it(
    portal: httpx.AsyncClient,
) -> None:
    """GOV.UK's conditional reveal: hidden until "Yes" is picked (shown without JavaScript)."""
    blank = await portal.get("/apply")
    hidden = re.findall(
        r'class="govuk-radios__conditional govuk-radios__conditional--hidden" id="([^"]+)"',
        blank.text,
    )
    assert hidden == [
        f"conditional-risk_{question.value.replace('-', '_')}" for question, _ in QUESTIONS
    ]
    for each in hidden:
        assert f'data-aria-controls="{each}"' in blank.text

    form = await open_form(portal)
    refused = await send(portal, form, answers(risk_threats_or_violence="yes", not_to_contact=""))
    shown = re.findall(r'class="govuk-radios__conditional" id="([^"]+)"', refused.text)
    assert shown == ["conditional-risk_threats_or_violence"]


async def test_no_yes_means_no_warning_on_the_confirmation(portal: httpx.AsyncClient) -> None:
    hidden = await open_form(portal)
    sent = await send(portal, hidden, answers())
    page = await portal.get(sent.headers["location"])
    assert 'data-testid="danger-now"' not in page.text


async def test_the_applicants_own_fear_is_the_enquirys_applicant_at_risk(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    await send(portal, hidden, answers(risk_applicant_at_risk_from_subject="yes"))
    (enquiry, _), *_ = publisher.sent
    assert enquiry.applicant_at_risk is True
    asked = {answer.question.value for answer in enquiry.immediate_risk}
    assert "applicant-at-risk-from-subject" not in asked  # said once, where intake reads it


async def test_every_page_has_the_headers_and_exit_this_page(portal: httpx.AsyncClient) -> None:
    hidden = await open_form(portal)
    answered = [
        await portal.get("/"),
        await portal.get("/apply"),
        await send(portal, hidden, answers(request="")),  # refused
        await portal.post("/apply", data=answers()),  # no token
    ]
    sent = await send(portal, hidden, answers())
    answered.append(await portal.get(sent.headers["location"]))
    for page in answered:
        assert page.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert 'data-module="govuk-exit-this-page"' in page.text
        assert 'href="https://www.bbc.co.uk/weather"' in page.text
    assert "call 999" in answered[0].text


async def test_answers_longer_than_the_contract_allows_are_refused_at_their_field(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    page = await send(
        portal,
        hidden,
        answers(child1_surname="H" * 101, applicant_town="W" * 81, applicant_postcode="NOT A CODE"),
    )
    assert page.status_code == 422
    assert beside(page, "child1_surname") == "The child's last name must be 100 characters or fewer"
    assert "80 characters" in beside(page, "applicant_town")
    assert "postcode" in beside(page, "applicant_postcode")
    assert publisher.sent == []


async def test_dates_and_children_are_checked_as_a_person_would_be_told(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    page = await send(
        portal,
        hidden,
        answers(
            child1_dob_day="31",
            child1_dob_month="2",
            child2_forenames="Tom",  # a second child, but not how the applicant knows him
            child3_dob_year="1990",  # a third, grown up, with no name
            applicant_dob_day="",
        ),
    )
    assert page.status_code == 422
    assert "real date" in beside(page, "child1_dob")
    assert "how you know" in beside(page, "child2_relationship")
    assert "under 18" in beside(page, "child3_dob")
    assert "first name or last name" in beside(page, "child3_forenames")
    assert "day, a month and a year" in beside(page, "applicant_dob")
    assert publisher.sent == []


async def test_up_to_three_children_are_sent_each_as_a_party(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    more = {
        "child3_forenames": "Tom",
        "child3_relationship": "step-parent",
        "child2_surname": "Hartley",
        "child2_dob_year": "2021",
        "child2_relationship": "parent",
    }
    assert (await send(portal, hidden, answers(**more))).status_code == 303
    (enquiry, _) = publisher.sent[0]
    parties = [(child.party, child.relationship_to_applicant.value) for child in enquiry.children]
    assert parties == [("child-1", "parent"), ("child-2", "parent"), ("child-3", "step-parent")]


async def test_control_characters_never_reach_the_message(
    portal: httpx.AsyncClient, publisher: Recording
) -> None:
    hidden = await open_form(portal)
    await send(portal, hidden, answers(request="Is he safe?\x00\x1b with\nthe children"))
    (enquiry, _) = publisher.sent[0]
    assert enquiry.request == "Is he safe? with\nthe children"
