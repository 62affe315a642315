"""A whole case played through the pages only, in Debian's Chromium: a member of the public
applies on the force's online form, and an officer runs the case in the staff application.

Every service and stand-in runs as its own process on the real broker and database, with a
person in the loop (the face to face awaited, the risk assessment signed off by an officer).
The public form sends the application as the force's portal; the staff application runs in
front of the services' APIs; the officer signs in at the force's issuer, finds the case on
the work list, records each step on its form, sees a refusal beside the field, and closes
the case.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page, sync_playwright

from services.access.operator import principal_access
from services.casework.app import create_app
from services.casework.backends import Backends
from services.demo.system import free_port
from services.frontend import assets
from services.ops.browser import ensure_chromium
from services.portal.app import create_app as create_portal
from services.portal.publisher import KafkaPublisher
from services.runtime.clock import SystemClock
from tests.component.test_portal import answers
from tests.e2e.conftest import WHOLE_FORCE, Start
from tests.support.staff import issuer, realms

# Where to keep the pages' screenshots (docs/ keeps those the README shows).
SHOTS = Path(os.environ["CSODS_SCREENSHOTS"]) if os.environ.get("CSODS_SCREENSHOTS") else None
PERSON_IN_THE_LOOP = {
    "CSODS_MULTIAGENCY_AWAIT_APPLICATION": "true",
    "CSODS_MULTIAGENCY_OFFICER_SIGNS_OFF": "true",
}
WAIT_SECONDS = 90


@dataclass
class Served:
    url: str
    server: uvicorn.Server


@pytest.fixture
def force_with_apis(start_service: Start, start_for: Start, tenant: str) -> dict[str, str]:
    """The force's services and stand-ins, each API on a port of its own, and the area's
    children's social care, which answers the consultation (5.4.5)."""
    urls: dict[str, str] = {}
    processes = [
        start_for("childrens-social-care", f"csc-{tenant}", CSODS_AGENCY_DELAY_SECONDS="0.5")
    ]
    for service in WHOLE_FORCE:
        env = dict(PERSON_IN_THE_LOOP)
        if service in ("intake", "multiagency", "disclosure"):
            port = free_port()
            env |= {"CSODS_HTTP_PORT": str(port), "CSODS_METRICS_PORT": str(free_port())}
            urls[service] = f"http://127.0.0.1:{port}"
        processes.append(start_service(service, ready=False, **env))
    port = free_port()
    processes.append(
        start_service(
            "ops", ready=False, CSODS_HTTP_PORT=str(port), CSODS_METRICS_PORT=str(free_port())
        )
    )
    urls["ops"] = f"http://127.0.0.1:{port}"
    for process in processes:
        process.wait_for_event("service_ready", timeout=90)
    return urls


def served(app: FastAPI) -> Iterator[Served]:
    """`app` served on a port of its own from a thread of this process, until the test ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the application did not start"
    yield Served(f"http://127.0.0.1:{port}", server)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def casework(force_with_apis: dict[str, str], tenant: str) -> Iterator[Served]:
    """The staff application of the force, in this process."""
    yield from served(
        create_app(
            force=tenant, backends=Backends(force_with_apis, force=tenant), issuer=issuer(tenant)
        )
    )


@pytest.fixture
def portal(force_with_apis: dict[str, str], tenant: str) -> Iterator[Served]:
    """The force's public online form, in this process, sending as the force's portal."""
    publisher = KafkaPublisher(principal_access(tenant, "portal"), force=tenant)
    yield from served(
        create_portal(
            force=tenant, publisher=publisher, assets_folder=assets.build(), clock=SystemClock()
        )
    )


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(ensure_chromium()),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            ignore_https_errors=True, viewport={"width": 1280, "height": 900}
        )
        yield context.new_page()
        context.close()
        browser.close()


def field(page: Page, name: str) -> str:
    return f'[id="{name}"]'


def fill(page: Page, values: dict[str, str]) -> None:
    """Fill a form as a person would: text typed, a radio or box picked by its value."""
    for name, value in values.items():
        kind = page.locator(f'[name="{name}"]').first.get_attribute("type")
        if kind in ("radio", "checkbox"):
            for each in value.split("|"):
                page.check(f'input[name="{name}"][value="{each}"]')
        elif page.locator(f'select[name="{name}"]').count():
            page.select_option(f'select[name="{name}"]', value)
        else:
            page.fill(field(page, name), value)


def shot(page: Page, name: str, *, height: int | None = None) -> None:
    """The page as the browser shows it; with `height`, that much of the whole page."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = str(SHOTS / f"{name}.png")
        if height is None:
            page.screenshot(path=path)
        else:
            page.screenshot(
                path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height}
            )


# What a mother worried about her new partner tells the force's online form: he can be
# alone with her daughter now.
APPLICATION = answers(risk_subject_has_unsupervised_access_now="yes")
NAMES = ("Rose", "Quillfeather", "Amelia", "Hartley", "Jonah", "Prendergast", "Larkspur")


def apply_online(page: Page, base: str) -> str:
    """A member of the public applies on the force's form, without an account: the start
    page, the form filled in as a person would, the confirmation's reference."""
    page.goto(base + "/")
    assert page.locator("[data-testid=call-999]").count() == 1
    assert page.locator("[data-testid=exit-this-page]").count() == 1
    page.click("[data-testid=start]")
    for name, value in APPLICATION.items():
        kind = page.locator(f'[name="{name}"]').first.get_attribute("type")
        if kind in ("radio", "checkbox"):
            page.check(f'input[name="{name}"][value="{value}"]')
        elif page.locator(f'select[name="{name}"]').count():
            page.select_option(f'select[name="{name}"]', value)
        else:
            page.fill(f'[name="{name}"]', value)
    # A child can be with him now: the answer reveals "call 999" under it, and only there.
    assert page.locator("[data-testid=call-999-now]:visible").count() == 1
    shot(page, "portal-form", height=1700)
    page.click("[data-testid=send]")
    page.wait_for_load_state("load")
    assert page.url == base + "/sent", page.url
    reference = page.locator("[data-testid=reference]").inner_text()
    assert reference
    assert not any(name.lower() in reference.lower() for name in NAMES)
    assert page.locator("[data-testid=danger-now]").count() == 1  # a yes: call 999 again
    # Shown once: going back to the confirmation later shows nothing of it.
    page.goto(base + "/sent")
    assert page.locator("[data-testid=reference]").count() == 0
    return reference


def until(check: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


def take_step(page: Page, base: str, reference: str, key: str, values: dict[str, str]) -> None:
    """Open the step's form, fill it in and send it; while the case has not reached the
    step yet (the service says so), open it again a moment later."""
    purpose = "Supervising the case"
    said: list[str] = []

    def sent() -> bool:
        page.goto(f"{base}/cases/{reference}/steps/{key}?purpose={purpose.replace(' ', '+')}")
        fill(page, values)
        page.click("[data-testid=submit]")
        page.wait_for_load_state("load")
        if page.locator("[data-testid=notice]").count():
            return True
        summary = page.locator("[data-testid=error-summary]")
        assert summary.count(), page.content()[:2000]
        text = summary.inner_text()
        said[:] = [text]
        # Only "not yet" is waited out; any other refusal fails the test with its words.
        assert "stage" in text or "not yet" in text or "await" in text, text
        return False

    try:
        until(sent, f"the {key} step to be taken")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last refused with: {said}") from None


def test_a_case_from_the_online_form_to_closure_through_the_pages_only(
    casework: Served, portal: Served, page: Page, tenant: str
) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    apply_online(page, portal.url)
    base = casework.url

    # Not signed in: sent to the force's issuer, and back once signed in.
    page.goto(base + "/")
    assert page.locator("#password").count(), page.url
    page.select_option("#username", "case-officer")
    page.fill("#password", realms().password(tenant, "case-officer"))
    page.click("#sign-in")
    page.wait_for_load_state("load")
    assert page.url.startswith(base), page.url

    # The work list: not mine yet (I have done nothing on it), so the team's.
    def listed() -> bool:
        page.goto(base + "/?view=team")
        return page.locator("[data-testid=work-item]").count() == 1

    until(listed, "the enquiry on the team's work list")
    reference = page.locator("[data-testid=case-link]").inner_text()
    assert page.locator("[data-testid=clock]").inner_text() in ("due", "at risk")
    shot(page, "casework-work-list")
    # Filtered by the clock and by when it is due: nothing is breached; it is due in 28 days.
    page.goto(base + "/?view=team&clock=breached")
    assert page.locator("[data-testid=work-list-empty]").count() == 1
    page.goto(base + "/?view=team&due=28")
    assert page.locator("[data-testid=work-item]").count() == 1

    # Opening a case asks why, for the audit log.
    page.click("[data-testid=case-link]")
    page.check('input[name="purpose"][value="Face to face (stage 2)"]')
    page.click("[data-testid=open-case]")
    assert page.locator("[data-testid=case-reference]").inner_text() == f"Case {reference}"
    assert "Prendergast" in page.locator("[data-testid=parties]").inner_text()

    seen = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    take_step(
        page,
        base,
        reference,
        "face-to-face",
        {
            "seen_at": seen,
            "applicant.name.forenames": "Rose",
            "applicant.name.surname": "Quillfeather",
            "applicant.date_of_birth.day": "21",
            "applicant.date_of_birth.month": "5",
            "applicant.date_of_birth.year": "1990",
            "applicant.address.lines": "14 Larkspur Road",
            "applicant.address.town": "Wrenbury",
            "identity.verified": "yes",
            "identity.evidence": "passport",
            "children.0.name.forenames": "Amelia",
            "children.0.name.surname": "Hartley",
            "children.0.date_of_birth.year": "2019",
            "children.0.relationship_to_applicant": "parent",
            "children.0.relationship_verified": "yes",
            "warnings_given": "|".join(
                [
                    "false-information-may-be-prosecuted",
                    "confidentiality-pending-outcome",
                    "subject-may-be-told",
                    "evidence-of-offence-ends-confidentiality",
                    "use-only-to-safeguard",
                    "undertaking-will-be-required",
                ]
            ),
            "warnings_acknowledged": "yes",
        },
    )
    # Now it is mine: I recorded its face to face.
    page.goto(base + "/")
    assert page.locator("[data-testid=case-link]").inner_text() == reference

    # A sign-off with nothing filled in is refused beside the fields, in words.
    page.goto(f"{base}/cases/{reference}/steps/sign-off?purpose=Supervising+the+case")
    page.click("[data-testid=submit]")
    refusal = page.locator("[data-testid=error-summary]").inner_text()
    assert "route" in refusal.lower(), refusal
    assert page.locator(".govuk-form-group--error").count() >= 1

    questions = page.locator('textarea[name^="answers."]')
    answers = {
        questions.nth(i).get_attribute("name") or "": "Considered, as recorded."
        for i in range(questions.count())
    }
    assert len(answers) == 6
    take_step(
        page,
        base,
        reference,
        "sign-off",
        {
            **answers,
            "route": "concerns",
            "categories": "concerning-behaviour",
            "rationale": "The applicant describes grooming behaviour.",
            "reason_for_change": "The application describes concerning behaviour (5.5.3 iv).",
        },
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    take_step(
        page,
        base,
        reference,
        "forum-schedule",
        {"forum": "strategy-meeting", "scheduled_for": tomorrow, "urgent": "no"},
    )
    take_step(
        page,
        base,
        reference,
        "forum-decision",
        {
            "route": "concerns",
            "recommend_disclosure": "yes",
            "rationale": "A pressing need to protect the child.",
            "inform_subject": "no",
            "community_risk_assessment": "Low risk to the subject in his community.",
            "attendance.0.agency": "police",
            "attendance.0.role": "chair",
            "attendance.1.agency": "childrens-social-care",
            "attendance.1.role": "social worker",
        },
    )
    decision = {
        "disclose": "yes",
        "recipient.relationship": "applicant",
        "recipient.name.forenames": "Rose",
        "recipient.name.surname": "Quillfeather",
        "extent": "partial",
        "content": "He has behaved in a way that gives concern about children.",
        "likelihood_of_contact": "He babysits the child every Saturday.",
        "data_protection": "Only what protects the child, to the parent only.",
        "community_risk_assessment_required": "yes",
        "subject_notification.inform_subject": "no",
        "subject_notification.self_disclosure": "no",
        "subject_notification.reason": "Telling him would put the child at risk.",
    }

    # A disclosure without the three stages of the test is refused, with the paragraph.
    def refused_for_the_tests() -> bool:
        page.goto(f"{base}/cases/{reference}/steps/decision?purpose=Supervising+the+case")
        fill(page, decision)
        page.click("[data-testid=submit]")
        said = page.locator("[data-testid=error-summary]").inner_text()
        assert "test" in said.lower() or "stage" in said.lower(), said
        return "5.6" in said and "test" in said.lower()

    until(refused_for_the_tests, "the decision to be refused for want of the tests")
    shot(page, "casework-form")
    tests = {}
    for index in range(3):
        tests[f"tests.{index}.met"] = "yes"
        tests[f"tests.{index}.rationale"] = "Met, as the forum found."
    take_step(page, base, reference, "decision", {**decision, **tests})
    take_step(
        page,
        base,
        reference,
        "delivery",
        {
            "verbatim": "He has behaved in a way that gives concern about children.",
            "warning_given": "yes",
            "undertaking": "signed",
            "attendees.0.agency": "police",
            "attendees.0.role": "public protection officer",
        },
    )
    take_step(
        page,
        base,
        reference,
        "close",
        {"withdrawn": "no", "summary": "Disclosed in person to the mother."},
    )

    def closed() -> bool:
        page.goto(f"{base}/cases/{reference}?purpose=Delivery+and+closure+%28stage+6%29")
        return page.locator("[data-testid=closed]").count() == 1

    until(closed, "the case to close")
    acts = page.locator("[data-testid=acts]").inner_text()
    assert "case-officer" in acts, acts
    assert "\tread\t" not in acts, acts  # reads are kept apart, each with why it was read
    reads = page.locator("[data-testid=reads]").text_content() or ""
    assert "Delivery and closure (stage 6)" in reads, reads
    shot(page, "casework-case-page", height=2600)

    # Initial-contact staff see the case, but never what the checks found (5.1.9).
    contact = page.context.browser.new_context(ignore_https_errors=True)  # type: ignore[union-attr]
    theirs = contact.new_page()
    theirs.goto(base + "/")
    theirs.select_option("#username", "initial-contact")
    theirs.fill("#password", realms().password(tenant, "initial-contact"))
    theirs.click("#sign-in")
    theirs.wait_for_load_state("load")
    theirs.goto(f"{base}/cases/{reference}?purpose=Initial+contact+%28stage+1%29")
    assert theirs.locator("[data-testid=case-reference]").count() == 1
    assert theirs.locator("[data-testid=checks]").count() == 0
    assert "does not show" in theirs.locator("[data-testid=withheld]").first.inner_text()
    contact.close()

    # No name ever went into an address the browser asked for.
    assert asked
    for name in NAMES:
        assert not [url for url in asked if name.lower() in url.lower()], name

    # Another force's case is not found, for a signed-in officer of this one.
    other = f"{tenant}x-2026-000001"
    page.goto(f"{base}/cases/{other}?purpose=Supervising+the+case")
    assert page.locator("h1").inner_text() == "Case not found"

    # From outside, with the officer's own session cookie but no form token: refused.
    cookies = {c["name"]: c["value"] for c in page.context.cookies() if c["domain"] == "127.0.0.1"}
    forged = httpx.post(
        f"{base}/cases/{reference}/steps/immediate-risk",
        data={
            "purpose": "Supervising the case",
            "stage": "decision",
            "risk": "immediate",
            "grounds": "forged",
            "section_47": "yes",
        },
        cookies=cookies,
        timeout=10,
    )
    assert forged.status_code == 403, forged.text
    page.goto(f"{base}/cases/{reference}?purpose=Supervising+the+case")
    assert "forged" not in page.content()
