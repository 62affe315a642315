"""The public online form of one force: a start page, the application, a confirmation.

One web process per force. It keeps nothing: an application is checked against the
contract and intake's rules, sent to the force's inbox as `RegisterEnquiryV1` (`Publisher`),
and forgotten. It never shows anything about any subject, and the confirmation's reference
is the submission's random code, never a case reference or a name. No answer goes in a URL,
a redirect or a log: logs carry event names and submission ids only.

Against abuse: a form token bound to a random signed cookie (HttpOnly, SameSite=Strict), a
body limit, and a rate limit of applications per client address. Every page has GOV.UK's
"Exit this page".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from schemas.catalogue import PORTAL
from services.frontend import assets
from services.frontend.pages import Forms, Pages, install_headers
from services.portal import application
from services.portal.config import PortalSettings
from services.portal.guards import BodyLimit, RateLimit, retry_after, sign, signed_value
from services.portal.publisher import Publisher, PublishFailed, envelope_for
from services.runtime.clock import Clock
from services.runtime.health import install_health

TEMPLATES = Path(__file__).parent / "templates"
SERVICE_NAME = "Ask about someone who has contact with a child"
BROWSER_COOKIE = "csods_portal"
SENT_COOKIE = "csods_portal_sent"
SENT_SECONDS = 600
MAX_FIELDS = 200  # the form has about 70; more is not a person filling it in
_BROWSER = re.compile(r"^[0-9a-f]{32}$")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Portal:
    """What every page of the form is served with."""

    force: str
    pages: Pages
    forms: Forms
    settings: PortalSettings

    def browser(self, request: Request) -> str | None:
        """This browser's random id, from the cookie we signed for it."""
        value = signed_value(self.forms, BROWSER_COOKIE, request.cookies.get(BROWSER_COOKIE, ""))
        return value if value and _BROWSER.match(value) else None

    def token(self, browser: str, submission_id: str) -> str:
        """The form token: the browser and the submission, under our key."""
        return self.forms.token(f"form:{browser}:{submission_id}")

    def valid_token(self, browser: str | None, submission_id: str, token: str) -> bool:
        """Whether the form was given to this browser here, for this submission."""
        return (
            browser is not None
            and application.SUBMISSION.match(submission_id) is not None
            and self.forms.valid(f"form:{browser}:{submission_id}", token)
        )

    def cookie(self, response: Response, name: str, value: str, **options: Any) -> None:
        """Set one of our cookies: signed, HttpOnly, SameSite=Strict, Secure unless told not."""
        response.set_cookie(
            name,
            sign(self.forms, name, value),
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
            **options,
        )

    def application_page(
        self,
        *,
        browser: str,
        submission_id: str,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        """The form, empty or as it was filled in, with its refusals beside the fields."""
        values = values or {}
        errors = errors or {}
        open_children = {
            number
            for number in range(2, application.CHILDREN + 1)
            for name in (*values, *errors)
            if name.startswith(f"child{number}_") and (values.get(name) or name in errors)
        }
        return self.pages.render(
            "apply.html",
            status=status,
            values=values,
            errors=errors,
            danger=application.any_danger(values),
            csrf_token=self.token(browser, submission_id),
            submission_id=submission_id,
            questions=[
                (application.risk_field(question), text) for question, text in application.QUESTIONS
            ],
            answers=application.ANSWERS,
            children=application.CHILDREN,
            open_children=open_children,
            relationships=application.RELATIONSHIPS,
            methods=application.METHODS,
        )

    def problem(self, status: int, heading: str, message: str) -> Response:
        """A page saying what went wrong and what to do, with no detail of the request."""
        return self.pages.render("problem.html", status=status, heading=heading, message=message)


def create_app(
    *,
    force: str,
    publisher: Publisher,
    assets_folder: Path,
    clock: Clock,
    settings: PortalSettings | None = None,
    forms: Forms | None = None,
) -> FastAPI:
    """The public online form of `force`, sending each application through `publisher`."""
    settings = settings or PortalSettings()
    secret = settings.form_secret.get_secret_value().encode() if settings.form_secret else None
    portal = Portal(
        force=force,
        pages=Pages(
            TEMPLATES,
            service_name=SERVICE_NAME,
            force_name=settings.force_name or force.replace("-", " ").title(),
            footer_text="If a child is in danger now, call 999. If it is not an emergency, "
            "call 101.",
            navigation=(),
            exit_url=settings.exit_url,
        ),
        forms=forms or Forms(secret),
        settings=settings,
    )
    limit = RateLimit(
        capacity=settings.submissions_per_window,
        per_seconds=settings.window_seconds,
        clock=clock,
        remembered=settings.addresses_remembered,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        log.info("service_ready", service=PORTAL, tenant=force)  # what a supervisor awaits
        try:
            yield
        finally:
            await publisher.stop()

    app = FastAPI(
        title=f"csods portal: {force}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        too_large=lambda: portal.problem(
            413,
            "Your application is too long",
            "Shorten your answers and send it again. If you need to tell us more, call 101.",
        ),
    )
    install_headers(app)  # added last, so outermost: every answer has the headers, 413 too
    assets.mount(app, assets_folder)
    install_health(app, service=PORTAL, tenant=force, probes={"broker": publisher.ping})
    _pages(app, portal, publisher, limit, clock)
    return app


def _pages(
    app: FastAPI, portal: Portal, publisher: Publisher, limit: RateLimit, clock: Clock
) -> None:
    pages = portal.pages

    @app.get("/")
    async def start() -> Response:
        """Who the form is for, when to call 999 instead, and what happens next."""
        return pages.render("start.html")

    @app.get("/apply")
    async def application_form(request: Request) -> Response:
        """The form, with a new submission id and a token bound to this browser."""
        browser = portal.browser(request)
        fresh = browser is None
        if browser is None:
            browser = secrets.token_hex(16)
        page = portal.application_page(
            browser=browser, submission_id=application.new_submission_id()
        )
        if fresh:
            portal.cookie(page, BROWSER_COOKIE, browser, path="/")
        return page

    @app.post("/apply")
    async def send_application(request: Request) -> Response:
        """Check the application; send it once it keeps every rule; then the confirmation."""
        browser = portal.browser(request)
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        submission_id = str(form.get("submission_id", ""))
        token = str(form.get("csrf_token", ""))
        if browser is None or not portal.valid_token(browser, submission_id, token):
            log.info("portal_form_token_refused")
            return portal.problem(
                403,
                "This form has expired",
                "Your answers have not been sent. Open the form again to start a new one.",
            )
        values = application.read(form)
        checked = application.check(
            values, force=portal.force, submission_id=submission_id, received_at=clock.now()
        )

        def again(errors: dict[str, str], status: int) -> Response:
            """The form as it was filled in, with what is wrong beside the fields."""
            return portal.application_page(
                browser=browser,
                submission_id=submission_id,
                values=values,
                errors=errors,
                status=status,
            )

        if checked.enquiry is None:
            log.info(
                "portal_application_refused", submission=submission_id, fields=list(checked.errors)
            )
            return again(checked.errors, 422)
        address = request.client.host if request.client else "unknown"
        wait = limit.take(address)
        if wait is not None:
            log.info("portal_rate_limited", submission=submission_id)
            page = again(
                {
                    "send": "Too many applications have been sent from this connection. Wait "
                    "a few minutes and press Send application again, or call 101."
                },
                429,
            )
            page.headers["Retry-After"] = retry_after(wait)
            return page
        try:
            await publisher.publish(checked.enquiry, envelope_for(checked.enquiry))
        except PublishFailed as exc:
            limit.give_back(address)
            log.error("portal_send_failed", submission=submission_id, error=str(exc))
            return again(
                {
                    "send": "Your application could not be sent just now. Press Send "
                    "application again: it will only be sent once. Or call 101."
                },
                503,
            )
        log.info("portal_application_sent", submission=submission_id)
        sent = RedirectResponse("/sent", status_code=303)
        flag = "1" if application.any_danger(values) else "0"
        portal.cookie(
            sent, SENT_COOKIE, f"{submission_id}.{flag}", path="/sent", max_age=SENT_SECONDS
        )
        return sent

    @app.get("/sent")
    async def confirmation(request: Request) -> Response:
        """The reference, once; what happens next; call 999 if a child is in danger now."""
        value = signed_value(portal.forms, SENT_COOKIE, request.cookies.get(SENT_COOKIE, ""))
        submission_id, _, flag = (value or "").rpartition(".")
        if not application.SUBMISSION.match(submission_id):
            return RedirectResponse("/", status_code=303)
        page = pages.render(
            "sent.html", reference=application.reference(submission_id), danger=flag == "1"
        )
        # Shown once: nobody who picks up the device later finds it by going back.
        page.delete_cookie(
            SENT_COOKIE,
            path="/sent",
            httponly=True,
            samesite="strict",
            secure=portal.settings.secure_cookies,
        )
        return page
