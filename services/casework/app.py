"""The staff application of one force: its work list, search, case pages and every step.

One web process per force, in front of the force's service APIs (`Backends`). It signs staff
in through the force's issuer (OpenID Connect code flow with PKCE) and calls each API with
the officer's own token, so each service still decides who may see and do what. It keeps
no case data and writes no database. A form carries a token bound to the session
(`Forms`), checked before anything is sent on, so no other site can make a signed-in
browser take a step. Case references are the only case data in a URL; names are searched
for in a form's body.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from schemas.types import CASE_REFERENCE_PATTERN
from services.casework import steps as catalogue
from services.casework.backends import Answer, Backends
from services.casework.fields import flattened, placed, read, shown, submitted
from services.casework.views import case_page, step_list, work_filters, work_query
from services.frontend import assets
from services.frontend.pages import Forms, Pages, install_headers
from services.runtime.browser_sign_in import install_browser_sign_in
from services.runtime.health import install_health
from services.runtime.staff import ANY_STAFF, SESSION_COOKIE, Issuer, Refused, Role, Staff, verify

log = structlog.get_logger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
PURPOSES = (
    "Initial contact (stage 1)",
    "Face to face (stage 2)",
    "Full risk assessment (stage 4)",
    "Forum and decision (stage 5)",
    "Delivery and closure (stage 6)",
    "Immediate risk to a child",
    "Supervising the case",
)
SIGNED_IN_ROLES = ANY_STAFF


@dataclass(frozen=True)
class Web:
    """What every page of the application is served with."""

    force: str
    pages: Pages
    backends: Backends
    tokens: Forms

    def base(self, session: SignedIn, **more: Any) -> dict[str, Any]:
        """What every signed-in page shows: who is signed in, and the form token."""
        return {"staff": session.staff, "csrf_token": self.tokens.token(session.token), **more}

    async def checked_form(self, request: Request, session: SignedIn) -> FormData:
        """The submitted form, once its token is shown to be this session's."""
        form = await request.form()
        if not self.tokens.valid(session.token, str(form.get("csrf_token", ""))):
            raise Refused(403, "form: this form was not given to you here; open it again")
        return form


class SignedIn:
    """The member of staff of this request, and the token the services are called with."""

    def __init__(self, staff: Staff, token: str) -> None:
        self.staff, self.token = staff, token

    def may(self, roles: tuple[Role, ...]) -> bool:
        return bool(self.staff.roles & set(roles))


async def signed_in(request: Request) -> SignedIn:
    """The member of staff whose session cookie this is; else off to sign in."""
    force, issuer = request.app.state.casework
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise Refused(401, "sign-in: not signed in")
    return SignedIn(await verify(issuer, token, force=force), token)


Session = Annotated[SignedIn, Depends(signed_in)]


def create_app(
    *,
    force: str,
    backends: Backends,
    issuer: Issuer | None,
    assets_folder: Path | None = None,
    forms: Forms | None = None,
) -> FastAPI:
    """The staff application of `force`."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("service_ready", service="casework", tenant=force)  # what a supervisor awaits
        yield
        await backends.close()

    app = FastAPI(
        title=f"csods casework: {force}", docs_url=None, redoc_url=None, lifespan=lifespan
    )
    install_headers(app)
    install_health(app, service="casework", tenant=force, probes=backends.probes())
    install_browser_sign_in(app, force=force, issuer=issuer, roles=SIGNED_IN_ROLES)
    assets.mount(app, assets_folder or assets.build())
    pages = Pages(
        TEMPLATES,
        service_name="Child sex offender disclosure: casework",
        force_name=force.replace("-", " ").title(),
        footer_text="Official sensitive. Every case you open is recorded with why.",
        navigation=(("Work list", "/"), ("Search", "/search"), ("Sign out", "/sign-out")),
    )
    web = Web(force, pages, backends, forms or Forms())

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if exc.status == 401:
            return RedirectResponse("/sign-in", 303)
        return pages.render(
            "problem.html", status=exc.status, heading="You cannot do this", message=exc.rule
        )

    app.state.casework = (force, issuer)
    _work_list_and_search(app, web)
    _case_and_steps(app, web)
    return app


def _work_list_and_search(app: FastAPI, web: Web) -> None:
    pages, backends, force, base = web.pages, web.backends, web.force, web.base

    @app.get("/")
    async def work_list(request: Request, session: Session) -> Response:
        """The work list: my cases or my team's, immediate risk first, clocks shown."""
        chosen = work_filters(request.query_params)
        params = work_query(chosen, datetime.now(UTC))
        if chosen["view"] == "mine":
            mine = await _my_cases(backends, session)
            if not mine:
                return pages.render("work_list.html", items=[], chosen=chosen, **base(session))
            params += [("case", reference) for reference in mine]
        answer = await backends.call(
            "ops", "GET", f"/forces/{force}/work-list", token=session.token, params=params
        )
        if not answer.ok:
            return _problem(pages, answer)
        return pages.render("work_list.html", items=answer.body, chosen=chosen, **base(session))

    @app.get("/search")
    async def search_page(session: Session) -> Response:
        """Search by case reference or by a party's name."""
        return pages.render("search.html", hits=None, purposes=PURPOSES, **base(session))

    @app.post("/search")
    async def search(request: Request, session: Session) -> Response:
        """The search itself: in the body, never in a URL; recorded with its purpose."""
        form = await web.checked_form(request, session)
        text = str(form.get("query", "")).strip()
        year = str(form.get("year_of_birth", "")).strip()
        purpose = str(form.get("purpose", "")).strip()
        values = {"query": text, "year_of_birth": year, "purpose": purpose}
        errors = {}
        if not text:
            errors["query"] = "Enter a case reference or a name"
        if year and not (year.isdigit() and len(year) == 4):
            errors["year_of_birth"] = "Year of birth must be a year, like 1984"
        if purpose not in PURPOSES:
            errors["purpose"] = "Choose why you are searching: the search is recorded"
        if errors:
            return pages.render(
                "search.html",
                status=422,
                hits=None,
                errors=errors,
                values=values,
                purposes=PURPOSES,
                **base(session),
            )
        if _is_reference(text):
            return RedirectResponse(_case_url(text, purpose), 303)
        answer = await backends.call(
            "intake",
            "POST",
            "/cases/search",
            token=session.token,
            purpose=purpose,
            body={"name": text, "year_of_birth": int(year) if year else None},
        )
        if not answer.ok:
            return pages.render(
                "search.html",
                status=answer.status,
                hits=None,
                errors=placed((), answer.problems()),
                values=values,
                purposes=PURPOSES,
                **base(session),
            )
        return pages.render(
            "search.html",
            hits=answer.body,
            values=values,
            purposes=PURPOSES,
            purpose=purpose,
            **base(session),
        )


def _case_and_steps(app: FastAPI, web: Web) -> None:
    pages, backends, base = web.pages, web.backends, web.base

    @app.get("/cases/{case_reference}")
    async def case(
        case_reference: str, session: Session, purpose: str = "", done: str = ""
    ) -> Response:
        """A case on one page, read for the purpose the officer gave."""
        if not _is_reference(case_reference):
            return pages.render(
                "problem.html",
                status=404,
                heading="Case not found",
                message="There is no such case.",
            )
        if purpose not in PURPOSES:
            return pages.render(
                "purpose.html", case_reference=case_reference, purposes=PURPOSES, **base(session)
            )
        shown_case = await case_page(backends, session.token, case_reference, purpose)
        if shown_case is None:
            return pages.render(
                "problem.html",
                status=404,
                heading="Case not found",
                message="There is no such case in this force.",
            )
        notice = (
            catalogue.STEPS[done].done
            if done in catalogue.STEPS
            else (
                "The full risk assessment is signed off." if done == catalogue.SIGN_OFF_KEY else ""
            )
        )
        return pages.render(
            "case.html",
            case=shown_case,
            case_reference=case_reference,
            purpose=purpose,
            steps=step_list(session.staff.roles),
            notice=notice,
            **base(session),
        )

    async def step_of(
        key: str, case_reference: str, session: SignedIn, purpose: str
    ) -> catalogue.Step | None:
        if key == catalogue.SIGN_OFF_KEY:
            answer = await backends.call(
                "multiagency",
                "GET",
                f"/cases/{case_reference}/risk-assessment",
                token=session.token,
                purpose=purpose,
            )
            questions = answer.body.get("questions", {}) if answer.ok else {}
            return catalogue.sign_off(questions) if questions else None
        return catalogue.STEPS.get(key)

    def no_such_step() -> Response:
        return pages.render(
            "problem.html",
            status=404,
            heading="No such step",
            message="This step cannot be taken on this case now.",
        )

    @app.get("/cases/{case_reference}/steps/{key}")
    async def step_form(
        case_reference: str, key: str, session: Session, purpose: str = ""
    ) -> Response:
        """The form for one step, filled in from the record where the record has it."""
        if not _is_reference(case_reference) or purpose not in PURPOSES:
            return RedirectResponse(_case_url(case_reference, ""), 303)
        step = await step_of(key, case_reference, session, purpose)
        if step is None:
            return no_such_step()
        values: dict[str, Any] = {}
        if step.key == catalogue.FACE_TO_FACE.key:
            parties = await backends.call(
                "intake",
                "GET",
                f"/cases/{case_reference}/parties",
                token=session.token,
                purpose=purpose,
            )
            if parties.ok:
                values = shown(flattened(parties.body), step.sections)
        return _step_page(
            pages,
            step,
            case=(case_reference, purpose),
            values=values,
            errors={},
            base=base(session),
        )

    @app.post("/cases/{case_reference}/steps/{key}")
    async def take_step(
        request: Request, case_reference: str, key: str, session: Session
    ) -> Response:
        """Send the step to the service that owns it; show its refusal beside the fields."""
        form = await web.checked_form(request, session)
        purpose = str(form.get("purpose", ""))
        if not _is_reference(case_reference) or purpose not in PURPOSES:
            return RedirectResponse(_case_url(case_reference, ""), 303)
        step = await step_of(key, case_reference, session, purpose)
        if step is None:
            return no_such_step()
        got = read(step.sections, form)
        values = submitted(form, step.sections)
        if got.errors:
            return _step_page(
                pages,
                step,
                case=(case_reference, purpose),
                values=values,
                errors=got.errors,
                base=base(session),
                status=422,
            )
        answer = await backends.call(
            step.service,
            step.method,
            backends.case_path(step.service, case_reference, step.path),
            token=session.token,
            purpose=purpose,  # a step that reads the case as it takes it audits why
            body=got.body,
        )
        if not answer.ok:
            errors = placed(step.sections, answer.problems())
            return _step_page(
                pages,
                step,
                case=(case_reference, purpose),
                values=values,
                errors=errors,
                base=base(session),
                status=answer.status,
            )
        return RedirectResponse(_case_url(case_reference, purpose, done=step.key), 303)


def _step_page(
    pages: Pages,
    step: catalogue.Step,
    *,
    case: tuple[str, str],
    values: dict[str, Any],
    errors: dict[str, str],
    base: dict[str, Any],
    status: int = 200,
) -> Response:
    """A step's form, with what was filled in and what is wrong with it."""
    case_reference, purpose = case
    return pages.render(
        "step.html",
        status=status,
        step=step,
        sections=step.sections,
        case_reference=case_reference,
        purpose=purpose,
        values=values,
        errors=errors,
        **base,
    )


def _problem(pages: Pages, answer: Answer) -> Response:
    rules = "; ".join(rule for _, rule in answer.problems())
    return pages.render(
        "problem.html",
        status=answer.status,
        heading="This cannot be shown",
        message=rules or "The service did not answer; try again shortly.",
    )


def _is_reference(text: str) -> bool:
    return re.fullmatch(CASE_REFERENCE_PATTERN, text) is not None


def _case_url(case_reference: str, purpose: str, *, done: str = "") -> str:
    query = {key: value for key, value in (("purpose", purpose), ("done", done)) if value}
    return f"/cases/{case_reference}" + (f"?{urlencode(query)}" if query else "")


async def _my_cases(backends: Backends, session: SignedIn) -> list[str]:
    """The cases I recorded something on, in any of the force's services."""
    answers = await asyncio.gather(
        *(
            backends.call(service, "GET", "/cases/mine", token=session.token)
            for service in ("intake", "multiagency", "disclosure")
        )
    )
    found: list[str] = []
    for answer in answers:
        if answer.ok:
            found += [ref for ref in answer.body["case_references"] if ref not in found]
    return found
